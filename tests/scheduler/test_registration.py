"""Registering the jobs at each start: nothing duplicated, stored next runs kept, changes
applied."""

from __future__ import annotations

from sqlalchemy import text
from time_machine import TimeMachineFixture

from bot.app import App
from scheduler.jobs import JobSpec, cron
from scheduler.service import list_jobs
from scheduler.store import JOBS_TABLE
from tests.scheduler.conftest import Recorder, StartScheduler
from tests.scheduler.test_runs import at, survey_reminder, weekly_digest


async def test_starting_twice_keeps_one_job_and_its_next_run(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    digest = Recorder()
    time_machine.move_to(at(0, 7), tick=False)
    first = await start_scheduler(weekly_digest(digest))
    await first.stop()

    time_machine.move_to(at(0, 7, 30), tick=False)
    await start_scheduler(weekly_digest(digest))

    rows = await list_jobs(app, jobs=(weekly_digest(digest),))
    assert [(row.id, row.next_run, row.stored) for row in rows] == [
        ("veille-hebdo", at(0, 8), True)
    ]
    async with app.database.transaction() as session:
        assert await session.scalar(text(f"SELECT count(*) FROM {JOBS_TABLE}")) == 1


async def test_a_job_whose_trigger_changed_is_rescheduled(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    digest = Recorder()
    time_machine.move_to(at(0, 7), tick=False)
    first = await start_scheduler(weekly_digest(digest))
    await first.stop()

    later = JobSpec("veille-hebdo", cron(day_of_week="mon", hour=9, minute=30), digest)
    await start_scheduler(later)

    (row,) = await list_jobs(app, jobs=(later,))
    assert (row.id, row.next_run) == ("veille-hebdo", at(0, 9, 30))


async def test_a_job_no_longer_registered_leaves_the_store(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    digest, reminder = Recorder(), Recorder()
    time_machine.move_to(at(0, 7), tick=False)
    first = await start_scheduler(weekly_digest(digest), survey_reminder(reminder))
    await first.stop()

    await start_scheduler(weekly_digest(digest))

    assert [row.id for row in await list_jobs(app, jobs=())] == ["veille-hebdo"]
