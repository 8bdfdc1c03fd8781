"""Fixtures for the scheduler: a job store emptied per test, schedulers stopped after it, a
recorder standing for a job's body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.app import App
from scheduler.jobs import JobSpec, MomentFunc
from scheduler.service import Scheduler
from scheduler.store import JOBS_TABLE

PARIS = ZoneInfo("Europe/Paris")
StartScheduler = Callable[..., Awaitable[Scheduler]]


class Recorder:
    """A job body that remembers when it ran (on the fake clock) and with which arguments."""

    def __init__(self) -> None:
        self.runs: list[tuple[datetime, tuple[Any, ...]]] = []

    async def __call__(self, app: App, *args: Any) -> None:
        self.runs.append((datetime.now(PARIS), args))

    @property
    def times(self) -> list[datetime]:
        return [when for when, _ in self.runs]


@pytest.fixture
async def app(app: App) -> App:
    """The app, without the job store an earlier test left in the shared PostgreSQL database."""
    async with app.database.transaction() as session:
        await session.execute(text(f"DROP TABLE IF EXISTS {JOBS_TABLE}"))
    return app


@pytest.fixture
async def start_scheduler(app: App) -> AsyncIterator[StartScheduler]:
    """Start a Scheduler on the app (or another one) with the given jobs; all stopped at the end.

    Its leadership checks wait a minute: the tests drive it with ``run_due_jobs``.
    """
    started: list[Scheduler] = []

    async def start(
        *jobs: JobSpec,
        moments: Mapping[str, MomentFunc] | None = None,
        on: App | None = None,
        retry_interval: float = 60.0,
    ) -> Scheduler:
        scheduler = Scheduler(
            on or app, jobs=jobs, moments=moments or {}, retry_interval=retry_interval
        )
        started.append(scheduler)
        await scheduler.start()
        return scheduler

    yield start
    for scheduler in reversed(started):
        await scheduler.stop()
