"""Two instances of the bot deciding the same thing at the same moment, on one database."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event

from bot.app import App
from bot.storage.database import Database
from bot.storage.session import Session

T = TypeVar("T")


async def at_once(app: App, statement: str, decide: Callable[[Session], Awaitable[T]]) -> list[T]:
    """``decide`` in two instances' transactions, the first's result first: the first holds
    its transaction open, its step made but not committed, until the second has sent its BEGIN
    (on SQLite, where it waits for the write lock) or its ``statement`` (on PostgreSQL, where it
    waits on the first's rows)."""
    other = Database(app.settings.database_url)
    second_started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def sent(sql: str) -> None:
        # In the database's worker thread, as the statement begins: SQLite's BEGIN then waits
        # for the write lock, PostgreSQL's statement for the first transaction's rows.
        if sql.startswith(("BEGIN", statement)):
            loop.call_soon_threadsafe(second_started.set)

    def on_connect(connection: Any, _record: object) -> None:
        if isinstance(connection, sqlite3.Connection):
            # Our BEGIN goes to the driver itself, past SQLAlchemy's statement events.
            connection.set_trace_callback(sent)

    event.listen(other.engine, "connect", on_connect)
    event.listen(other.engine, "before_cursor_execute", lambda _c, _k, sql, *_: sent(sql))
    first_done = asyncio.Event()

    async def first() -> T:
        async with app.database.transaction() as session:
            done = await decide(session)
            first_done.set()
            await second_started.wait()
            return done

    async def second() -> T:
        await first_done.wait()
        async with other.transaction() as session:
            return await decide(session)

    try:
        return list(await asyncio.wait_for(asyncio.gather(first(), second()), timeout=20))
    finally:
        await other.dispose()
