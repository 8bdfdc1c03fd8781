"""``rse-bot doctor`` names the instance running the scheduled jobs on PostgreSQL, and since
when, from the scheduler lock's connection."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from scheduler.jobs import JobSpec, cron
from tests.conftest import POSTGRES_URL
from tests.helpers.cli import run_rse_bot
from tests.scheduler.conftest import Recorder, StartScheduler

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None, reason="the scheduler lock needs PostgreSQL (RSEBOT_TEST_POSTGRES_URL)"
)


@pytest.fixture
def database_url(postgres_database: str) -> str:
    return postgres_database


def leader_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line[2:].startswith("Tâches planifiées"))


async def test_the_leading_instance_is_named_with_the_time_it_took_the_lead(
    app: App, start_scheduler: StartScheduler, tmp_path: Path
) -> None:
    await start_scheduler(JobSpec("purge-codes", cron(hour=3), Recorder()))
    took = datetime.now(UTC).astimezone(app.settings.tz)

    done = await run_rse_bot(tmp_path, "doctor", database_url=app.settings.database_url)

    instance = f"{socket.gethostname()[:20]}:{os.getpid()}"
    assert leader_line(done.stdout) == (
        f"✓ Tâches planifiées : exécutées par l'instance {instance} depuis le {took:%d/%m/%Y %H:%M}"
    )


async def test_no_instance_leading_is_a_warning(app: App, tmp_path: Path) -> None:
    done = await run_rse_bot(tmp_path, "doctor", database_url=app.settings.database_url)

    assert leader_line(done.stdout) == "⚠ Tâches planifiées : aucune instance ne les exécute"
    assert done.returncode == 0, done.stdout
