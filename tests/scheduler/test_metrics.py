"""What the scheduler tells /metrics: each job's runs and failures, and whether it leads."""

from __future__ import annotations

from datetime import datetime

from time_machine import TimeMachineFixture

from bot.app import App
from scheduler.jobs import JobSpec, cron
from tests.scheduler.conftest import PARIS, Recorder, StartScheduler

NINE = datetime(2026, 11, 23, 9, tzinfo=PARIS)


async def unreachable_feed_server(app: App) -> None:
    raise ConnectionError("connexion refusée par flux.example.org")


def runs(app: App, job: str, outcome: str) -> float:
    found = app.metrics.registry.get_sample_value(
        "rse_bot_scheduler_runs_total", {"job": job, "outcome": outcome}
    )
    return found or 0.0


async def test_each_run_and_each_failure_of_a_job_is_counted(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(NINE.replace(hour=8), tick=False)
    scheduler = await start_scheduler(
        JobSpec("purge-codes", cron(hour=9), Recorder()),
        JobSpec("veille-editions", cron(hour=9), unreachable_feed_server),
    )

    time_machine.move_to(NINE, tick=False)
    await scheduler.run_due_jobs()

    assert runs(app, "purge-codes", "ok") == 1
    assert runs(app, "purge-codes", "failed") == 0
    assert runs(app, "veille-editions", "failed") == 1
    assert runs(app, "veille-editions", "ok") == 0


async def test_the_leader_gauge_follows_the_lead(app: App, start_scheduler: StartScheduler) -> None:
    leader = "rse_bot_scheduler_leader"
    assert app.metrics.registry.get_sample_value(leader) == 0

    scheduler = await start_scheduler(JobSpec("purge-codes", cron(hour=9), Recorder()))
    assert app.metrics.registry.get_sample_value(leader) == 1

    await scheduler.stop()
    assert app.metrics.registry.get_sample_value(leader) == 0
