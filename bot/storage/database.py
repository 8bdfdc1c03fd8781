"""The async engine, sessions, and Alembic migrations applied at start."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage.backup import hold_shared

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant will do: it only has to be the same for every instance migrating one database.
_MIGRATION_LOCK_ID = 0x52534542
_in_transaction: ContextVar[bool] = ContextVar("in_transaction", default=False)


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


def _begin_immediate(connection: Connection) -> None:
    # A deferred transaction that reads then writes can deadlock with another one and fail at
    # once with "database is locked"; taking the write lock at BEGIN makes them wait in turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    sqlite = url.startswith("sqlite")
    # Every session ends in a commit or a rollback of its own: no second rollback on checkin.
    # Parameters hidden from errors: they hold what people wrote, and tokens, which a logged
    # traceback would otherwise carry.
    engine = create_async_engine(
        url,
        pool_pre_ping=not sqlite,
        pool_reset_on_return=None if sqlite else "rollback",
        hide_parameters=True,
    )
    if sqlite:
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


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


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; instances starting together on PostgreSQL take turns.
    A database already at the newest revision is left alone without loading the migration
    scripts (a start, and every test, pays for it otherwise)."""
    if revision == "head":
        async with engine.connect() as connection:
            if await connection.run_sync(_current_revision) == head_revision():
                return
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
        await connection.run_sync(_upgrade, revision)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str) -> None:
        # While it is open, a restore may not replace the file (bot/storage/backup.py).
        self._in_use = hold_shared(url)
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time: queue our own transactions here rather than in
        # SQLite's busy loop, which sleeps in steps and wastes most of the time it waits. The
        # scheduler's synchronous job store takes its turn here too.
        self.turn = asyncio.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any error."""
        if _in_transaction.get():
            # On SQLite the inner one would wait for the outer one forever.
            raise RuntimeError("a transaction is already open in this task")
        token = _in_transaction.set(True)
        try:
            async with self.turn, self._sessions() as session, session.begin():
                yield session
        finally:
            _in_transaction.reset(token)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._in_use is not None:
            self._in_use.close()
            self._in_use = None
