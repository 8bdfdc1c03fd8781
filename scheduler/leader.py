"""Which instance runs the scheduler: APScheduler 3 allows one scheduler per job store."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

# Any constant other than the migrations' lock (bot.storage.database) will do.
LOCK_KEY = 0x52534253
# Server side: a leader whose machine vanished without closing its connection is noticed after
# 5 + 3 × 5 = 20 s, so that a follower retrying every 10 s takes over within 30 s.
_KEEPALIVES = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


class Leadership(Protocol):
    async def acquire(self) -> bool:
        """Try to become the leader; True when this instance leads."""
        ...

    async def held(self) -> bool:
        """Whether this instance still leads."""
        ...

    async def release(self) -> None: ...


class SoleInstance:
    """SQLite: one instance per database file, always the leader."""

    async def acquire(self) -> bool:
        return True

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        pass


class AdvisoryLock:
    """PostgreSQL: the instance holding a session-level advisory lock leads.

    The lock lives as long as the session, on a connection of its own: when the leader's process
    dies, PostgreSQL sees the connection close and frees the lock at once. Any doubt about the
    connection (an error, no answer in ``timeout`` seconds) drops it, which frees the lock too.
    """

    def __init__(self, url: str, *, key: int = LOCK_KEY, timeout: float = 5.0) -> None:
        self._engine = create_async_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "server_settings": {"application_name": "rse-bot scheduler", **_KEEPALIVES}
            },
        )
        self._key = key
        self._timeout = timeout
        self._connection: AsyncConnection | None = None
        # One statement at a time on the connection: the watch loop and a scheduler pass may
        # both ask.
        self._using = asyncio.Lock()

    async def acquire(self) -> bool:
        async with self._using:
            try:
                if self._connection is None:
                    self._connection = await asyncio.wait_for(self._engine.connect(), self._timeout)
                locked = await asyncio.wait_for(
                    self._connection.scalar(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                    ),
                    self._timeout,
                )
            except Exception as exc:
                logger.warning("Cannot try the scheduler lock: %s", _reason(exc))
                await self._drop()
                return False
            return bool(locked)

    async def held(self) -> bool:
        async with self._using:
            if self._connection is None:
                return False
            try:
                await asyncio.wait_for(self._connection.execute(text("SELECT 1")), self._timeout)
            except Exception as exc:
                logger.warning("Scheduler lock connection lost: %s", _reason(exc))
                await self._drop()
                return False
            return True

    async def release(self) -> None:
        async with self._using:
            if self._connection is not None:
                try:
                    await asyncio.wait_for(self._connection.close(), self._timeout)
                except Exception:
                    await self._drop()
                self._connection = None
        await self._engine.dispose()

    async def _drop(self) -> None:
        """Forget the connection without waiting for the server (it may be gone)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.invalidate()
            await connection.close()
        except Exception:
            logger.debug("Closing a broken scheduler lock connection", exc_info=True)


def _reason(exc: BaseException) -> str:
    """The first line of an error: SQLAlchemy's go on with the statement and a link."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]
