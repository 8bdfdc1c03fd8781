"""When jobs run: at their time, after downtime within or beyond the grace time, and moments.
The clock is fake: the tests move it, then ask the scheduler to run what is due."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from time_machine import TimeMachineFixture

from bot.app import App
from scheduler.jobs import JobSpec, cron
from scheduler.service import list_jobs
from tests.scheduler.conftest import PARIS, Recorder, StartScheduler

MONDAY = datetime(2026, 11, 23, tzinfo=PARIS)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` days after Monday 23 November 2026, at hour:minute in Paris."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def weekly_digest(body: Recorder) -> JobSpec:
    return JobSpec("veille-hebdo", cron(day_of_week="mon", hour=8), body)


def survey_reminder(body: Recorder) -> JobSpec:
    return JobSpec("rappel-enquete", cron(hour="9,12"), body)


async def next_runs(app: App, *jobs: JobSpec) -> dict[str, datetime | None]:
    return {row.id: row.next_run for row in await list_jobs(app, jobs=jobs) if row.stored}


async def test_a_job_runs_once_at_its_time(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    digest = Recorder()
    time_machine.move_to(at(0, 7, 59), tick=False)
    scheduler = await start_scheduler(weekly_digest(digest))
    await scheduler.run_due_jobs()
    assert digest.times == []

    time_machine.move_to(at(0, 8), tick=False)
    await scheduler.run_due_jobs()
    await scheduler.run_due_jobs()

    assert digest.times == [at(0, 8)]
    assert await next_runs(app, weekly_digest(digest)) == {"veille-hebdo": at(7, 8)}


async def test_runs_missed_while_the_bot_was_down_run_once_at_restart(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    reminder = Recorder()
    time_machine.move_to(at(0, 8), tick=False)
    before = await start_scheduler(survey_reminder(reminder))
    await before.stop()

    # Down from Monday 08:00 to Thursday 13:00: eight runs missed, Thursday's two within the
    # grace time.
    time_machine.move_to(at(3, 13), tick=False)
    after = await start_scheduler(survey_reminder(reminder))
    await after.run_due_jobs()

    assert reminder.times == [at(3, 13)]
    assert await next_runs(app, survey_reminder(reminder)) == {"rappel-enquete": at(4, 9)}


async def test_a_run_missed_beyond_the_grace_time_is_skipped(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    digest = Recorder()
    time_machine.move_to(at(0, 7), tick=False)
    before = await start_scheduler(weekly_digest(digest))
    await before.stop()

    # Back at 14:30: the 08:00 digest is 6 h 30 late, beyond the default 6 h of grace.
    time_machine.move_to(at(0, 14, 30), tick=False)
    after = await start_scheduler(weekly_digest(digest))
    await after.run_due_jobs()

    assert digest.times == []
    assert await next_runs(app, weekly_digest(digest)) == {"veille-hebdo": at(7, 8)}


async def test_the_grace_time_comes_from_the_settings(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    lenient = dataclasses.replace(
        app, settings=app.settings.model_copy(update={"misfire_grace_hours": 8})
    )
    digest = Recorder()
    time_machine.move_to(at(0, 7), tick=False)
    before = await start_scheduler(weekly_digest(digest), on=lenient)
    await before.stop()

    time_machine.move_to(at(0, 14, 30), tick=False)
    after = await start_scheduler(weekly_digest(digest), on=lenient)
    await after.run_due_jobs()

    assert digest.times == [at(0, 14, 30)]


async def test_a_moment_runs_at_its_time_with_its_arguments_then_leaves_the_store(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    reminders = Recorder()
    time_machine.move_to(at(0, 10), tick=False)
    scheduler = await start_scheduler(moments={"rappel-reunion": reminders})
    assert await scheduler.schedule_moment("reunion-42-rappel", at(1, 9), "rappel-reunion", 42)
    await scheduler.run_due_jobs()
    assert reminders.runs == []

    time_machine.move_to(at(1, 9), tick=False)
    await scheduler.run_due_jobs()

    assert reminders.runs == [(at(1, 9), (42,))]
    assert await next_runs(app) == {}


async def test_a_moment_that_passed_while_the_bot_was_down_is_dropped(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    reminders = Recorder()
    time_machine.move_to(at(0, 10), tick=False)
    before = await start_scheduler(moments={"rappel-reunion": reminders})
    await before.schedule_moment("reunion-42-rappel", at(1, 9), "rappel-reunion", 42)
    assert await next_runs(app) == {"reunion-42-rappel": at(1, 9)}
    await before.stop()

    # Back on Tuesday at 09:30: the meeting has started, a reminder now would be noise.
    time_machine.move_to(at(1, 9, 30), tick=False)
    after = await start_scheduler(moments={"rappel-reunion": reminders})
    await after.run_due_jobs()

    assert reminders.runs == []
    assert await next_runs(app) == {}


async def test_a_moment_asked_for_a_time_already_passed_is_not_scheduled(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    reminders = Recorder()
    time_machine.move_to(at(1, 10), tick=False)
    scheduler = await start_scheduler(moments={"rappel-reunion": reminders})

    scheduled = await scheduler.schedule_moment("reunion-42-rappel", at(1, 9), "rappel-reunion", 42)

    assert scheduled is False
    assert await next_runs(app) == {}
