"""The engine, the worker threads that talk to it, and Alembic migrations applied at start.

The event loop never waits on the database: every statement runs in a worker thread, and a
transaction's work goes there in as few trips as it can (bot/storage/session.py). A thread hop
costs far more than the statement (tens of microseconds against a few on SQLite), and the
async drivers made several per statement.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, make_url, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError

from bot.storage.backup import hold_shared
from bot.storage.prepared import refused
from bot.storage.session import Session
from bot.storage.workers import Worker, Workers, on_a_worker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant will do: it only has to be the same for every instance migrating one database.
_MIGRATION_LOCK_ID = 0x52534542
_in_transaction: ContextVar[bool] = ContextVar("in_transaction", default=False)
# PostgreSQL: transactions at once, each on a thread and connection of its own. More threads
# cost more than they give: they contend for the interpreter's lock (python -m
# bench.telegram_throughput, 15 threads: 0.36 x the echo bot). Several instances scale out.
POSTGRES_WORKERS = 4
T = TypeVar("T")


def sync_url(url: str) -> str:
    """The database URL with the synchronous driver the worker threads use (settings name the
    async drivers, which earlier versions ran on)."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _configure_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # We issue BEGIN ourselves (below), so the driver must not open transactions on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Durable across a crash of the process, which is what we guard against; not across a
    # power cut, which would need an fsync per message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_BEGIN = "BEGIN IMMEDIATE"


def _begin_immediate(connection: Connection) -> None:
    # A deferred transaction that reads then writes can deadlock with another one and fail at
    # once with "database is locked"; taking the write lock at BEGIN makes them wait in turn.
    # On the driver: SQLAlchemy's execution path cost a message 75 µs for this statement
    # (py-spy), ten times the statement. Observers hear of it by the engine's "begin" event,
    # or by SQLite's trace callback (tests/helpers/instances.py).
    driver = connection.connection.driver_connection
    try:
        driver.execute(_BEGIN)  # type: ignore[union-attr]
    except sqlite3.Error as error:
        raise refused(_BEGIN, (), error, connection.dialect) from error


def _not_on_the_loop(*_args: object) -> None:
    # A statement run on the event loop's thread (an expired attribute loaded on access, say)
    # would stall every chat while it waits: refuse it loudly instead.
    if not on_a_worker():
        raise RuntimeError("database statement outside its workers (on the event loop?)")


def create_engine(url: str) -> Engine:
    url = sync_url(url)
    sqlite = url.startswith("sqlite")
    # Every transaction ends in a commit or a rollback of its own: no second rollback on
    # checkin. Parameters hidden from errors: they hold what people wrote, and tokens, which a
    # logged traceback would otherwise carry.
    if sqlite:
        engine = sqlalchemy.create_engine(url, pool_reset_on_return=None, hide_parameters=True)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
    else:
        engine = sqlalchemy.create_engine(
            url,
            pool_pre_ping=True,
            # The workers' connections, and a few for migrations and checks.
            pool_size=POSTGRES_WORKERS,
            max_overflow=4,
            hide_parameters=True,
            # A worker thread waiting on a server that does not answer is a thread lost.
            connect_args={"connect_timeout": 10},
        )
    event.listen(engine, "before_cursor_execute", _not_on_the_loop)
    event.listen(engine, "handle_error", _hide_details)
    return engine


def _hide_details(context: ExceptionContext) -> DBAPIError | None:
    error = context.original_exception
    if context.statement is None or not isinstance(error, context.dialect.loaded_dbapi.Error):
        return None
    return refused(context.statement, context.parameters, error, context.dialect)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision; reading the scripts costs tens of milliseconds, so
    once per process."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _current_revision(connection)


async def current_revision(database: Database) -> str | None:
    """The schema's revision as recorded in the database; None if it has none."""
    return await database.run(_revision_of, database.engine)


def _upgrade_engine(engine: Engine, revision: str) -> None:
    if revision == "head" and _revision_of(engine) == head_revision():
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
        _upgrade(connection, revision)


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; instances starting together on PostgreSQL take turns.
    A database already at the newest revision is left alone without loading the migration
    scripts (a start, and every test, pays for it otherwise)."""
    await database.run(_upgrade_engine, database.engine, revision)


class Database:
    """One engine, the worker threads that use it, and the transactions run on them."""

    def __init__(self, url: str) -> None:
        # While it is open, a restore may not replace the file (bot/storage/backup.py).
        self._in_use = hold_shared(url)
        self.engine = create_engine(url)
        sqlite = self.engine.dialect.name == "sqlite"
        # SQLite has one writer at a time: one worker, and our own transactions queue here
        # rather than in SQLite's busy loop, which sleeps in steps and wastes most of the time
        # it waits. The scheduler's synchronous job store takes its turn here too.
        self.turn = asyncio.Lock() if sqlite else nullcontext()
        self._workers = Workers(self.engine, 1 if sqlite else POSTGRES_WORKERS)

    @asynccontextmanager
    async def _worker(self) -> AsyncIterator[Worker]:
        async with self.turn:
            worker = await self._workers.take()
            try:
                yield worker
            finally:
                self._workers.give_back(worker)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` on a worker thread, which nothing else uses meanwhile."""
        async with self._worker() as worker:
            return await worker.submit(work, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """One transaction on one worker's connection, committed on success and rolled back
        on any error."""
        if _in_transaction.get():
            # On SQLite the inner one would wait for the outer one forever.
            raise RuntimeError("a transaction is already open in this task")
        token = _in_transaction.set(True)
        try:
            async with self._worker() as worker:
                session = Session(self.engine, worker)
                try:
                    yield session
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()
        finally:
            _in_transaction.reset(token)

    async def dispose(self) -> None:
        await self._workers.stop()
        await asyncio.to_thread(self.engine.dispose)
        if self._in_use is not None:
            self._in_use.close()
            self._in_use = None
