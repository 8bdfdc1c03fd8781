"""APScheduler's job store in the bot's own database, and the scheduler that reads it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import tzinfo
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from sqlalchemy import Engine, create_engine, make_url

from bot.storage.database import sync_url

logger = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
# The longest the scheduler sleeps between two looks at the job store: a moment written by
# another instance, or a jump of the wall clock, is noticed within this many seconds.
MAX_SLEEP = 30.0


def store_engine(url: str) -> Engine:
    parsed = make_url(sync_url(url))
    if parsed.get_backend_name() == "sqlite":
        # Waits for another process's write (a CLI command) like the bot's own connections do.
        return create_engine(parsed, connect_args={"timeout": 10})
    # Used from the event loop's thread only, one statement at a time.
    return create_engine(
        parsed, pool_size=1, pool_pre_ping=True, connect_args={"connect_timeout": 5}
    )


class StoreScheduler(AsyncIOScheduler):
    """An AsyncIOScheduler whose looks at the job store wait for the bot's database turn, after
    checking that this instance still leads.

    The job store is synchronous and runs on the event loop's thread. On SQLite it shares the
    file's single write lock with the bot's transactions, which hold it across awaits: a store
    write in the middle of one would block the very loop that transaction needs to finish.
    Taking the same turn as the bot's transactions avoids that; on PostgreSQL it is a no-op.
    """

    def __init__(
        self,
        *,
        url: str,
        zone: tzinfo,
        turn: AbstractAsyncContextManager[Any],
        still_leading: Callable[[], Awaitable[bool]],
    ) -> None:
        store = SQLAlchemyJobStore(engine=store_engine(url), tablename=JOBS_TABLE)
        super().__init__(jobstores={"default": store}, timezone=zone)
        self.turn = turn
        self._still_leading = still_leading
        self.passes: set[asyncio.Task[None]] = set()

    def wakeup(self) -> None:
        # AsyncIOScheduler processes the jobs right away in a loop callback; we need a task,
        # to wait for the turn.
        self._eventloop.call_soon_threadsafe(self._spawn_pass)

    def _spawn_pass(self) -> None:
        if self.state != STATE_RUNNING:
            return
        self._stop_timer()
        task = self._eventloop.create_task(self.process_due(), name="scheduler-pass")
        self.passes.add(task)
        task.add_done_callback(self.passes.discard)

    async def process_due(self) -> None:
        """Start the jobs that are due, then sleep until the next one is."""
        wait: float | None = self.jobstore_retry_interval
        try:
            if not await self._still_leading():
                return  # the service steps down
            async with self.turn:
                wait = self._process_jobs()
        except Exception:
            logger.exception("Scheduler pass failed; next try in %s s", wait)
        if self.state == STATE_RUNNING:
            self._start_timer(MAX_SLEEP if wait is None else min(wait, MAX_SLEEP))

    def shutdown(self, wait: bool = False) -> None:
        # At once: AsyncIOScheduler defers it to a loop callback, and we are on the loop.
        BaseScheduler.shutdown(self, wait)
        self._stop_timer()
        for task in self.passes:
            task.cancel()
