"""Which instance runs the scheduler: APScheduler 3 allows one scheduler per job store."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine, text
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
                if locked:
                    # Who leads and since when, for « rse-bot doctor »: PostgreSQL keeps no
                    # time for a lock, but shows each connection's application name.
                    await asyncio.wait_for(
                        self._connection.execute(
                            text("SELECT set_config('application_name', :name, false)"),
                            {"name": leader_name(datetime.now(UTC))},
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


_LEADER_PREFIX = "rse-bot leader"


def leader_name(since: datetime) -> str:
    """The lock connection's application name once it leads: host, process and since when, in
    PostgreSQL's 63 bytes."""
    return f"{_LEADER_PREFIX} {socket.gethostname()[:20]}:{os.getpid()} {since:%Y-%m-%dT%H:%MZ}"


@dataclass(frozen=True)
class Leader:
    """The instance holding the scheduler lock, as its connection tells."""

    instance: str  # host:pid of the process, or the connection's address when unnamed
    since: datetime | None


def current_leader(engine: Engine, *, key: int = LOCK_KEY) -> Leader | None:
    """Who holds the scheduler lock on this PostgreSQL database; None if nobody does."""
    # A one-bigint advisory lock shows as classid = high 32 bits, objid = low 32, objsubid = 1.
    query = text(
        "SELECT a.application_name, host(a.client_addr), a.pid, a.backend_start"
        " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.classid = :high AND l.objid = :low"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with engine.connect() as connection:
        row = connection.execute(query, {"high": key >> 32, "low": key & 0xFFFFFFFF}).first()
    if row is None:
        return None
    name, address, pid, connected = row
    parts = name.removeprefix(_LEADER_PREFIX).split() if name.startswith(_LEADER_PREFIX) else []
    if len(parts) == 2:
        return Leader(parts[0], datetime.strptime(parts[1], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC))
    # A leader from before it named itself: where its connection comes from, and when it opened.
    return Leader(f"{address or 'local'}/{pid}", connected)
