"""``rse-bot jobs`` on an SQLite file, as an operator would run it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlmodel import select

from bot.app import App
from bot.config import Settings
from bot.storage import repositories as repo
from bot.storage.models import LinkCode, utcnow
from scheduler.jobs import JOBS
from scheduler.service import Scheduler
from tests.helpers.cli import rse_bot
from tests.scheduler.conftest import PARIS
from tests.test_cli import assert_fails_clearly

T = TypeVar("T")
WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def next_half_past_three() -> str:
    """The next 03:30 in Paris, as ``jobs list`` shows it."""
    now = datetime.now(PARIS)
    when = now.replace(hour=3, minute=30, second=0, microsecond=0)
    if when <= now:
        when += timedelta(days=1)
    return f"{WEEKDAYS[when.weekday()]} {when:%d/%m/%Y %H:%M}"


def listed(output: str) -> dict[str, str]:
    """``jobs list`` lines by job id."""
    return {line.split()[0]: line for line in output.splitlines()}


def on_file(workdir: Path, work: Callable[[App], Awaitable[T]]) -> T:
    """Run ``work(app)`` in this process on the file the command uses."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{workdir / 'rse-bot.db'}",
        timezone="Europe/Paris",
    )

    async def main() -> T:
        app = await App.start(settings)
        try:
            return await work(app)
        finally:
            await app.close()

    return asyncio.run(main())


def test_jobs_list_before_the_bot_ever_ran_computes_the_next_run(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "jobs", "list")

    assert done.returncode == 0, done.stderr
    lines = listed(done.stdout)
    assert set(lines) == {spec.id for spec in JOBS}
    assert all(line.endswith(" (pas encore enregistrée)") for line in lines.values())
    assert lines["purge-link-codes"] == (
        "purge-link-codes  récurrente  prochaine exécution : "
        f"{next_half_past_three()} (pas encore enregistrée)"
    )


def test_jobs_list_shows_what_the_bot_stored(tmp_path: Path) -> None:
    async def run_the_bot_once(app: App) -> None:
        scheduler = Scheduler(app)
        await scheduler.start()
        await scheduler.stop()

    on_file(tmp_path, run_the_bot_once)
    done = rse_bot(tmp_path, "jobs", "list")

    assert done.returncode == 0, done.stderr
    lines = listed(done.stdout)
    assert set(lines) == {spec.id for spec in JOBS}
    assert lines["purge-link-codes"] == (
        f"purge-link-codes  récurrente  prochaine exécution : {next_half_past_three()}"
    )


def test_jobs_run_purges_the_expired_link_codes_now(tmp_path: Path) -> None:
    async def two_codes(app: App) -> None:
        async with app.database.transaction() as session:
            claire = await repo.create_person(
                session, platform="telegram", user_id="1001", display_name="Claire Martin"
            )
            karim = await repo.create_person(
                session, platform="slack", user_id="U0KARIM", display_name="Karim Benali"
            )
            session.add(LinkCode(code="KB7WQ2ZP", person_id=claire.id, expires_at=utcnow()))
            session.add(
                LinkCode(
                    code="PM3VC6YE",
                    person_id=karim.id,
                    expires_at=utcnow() + timedelta(minutes=10),
                )
            )

    async def codes(app: App) -> set[str]:
        async with app.database.transaction() as session:
            return set(await session.scalars(select(LinkCode.code)))

    on_file(tmp_path, two_codes)
    done = rse_bot(tmp_path, "jobs", "run", "purge-link-codes")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "Tâche « purge-link-codes » exécutée.\n"
    assert on_file(tmp_path, codes) == {"PM3VC6YE"}


def test_jobs_run_refuses_an_unknown_job_and_names_the_known_ones(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "jobs", "run", "purge")

    assert_fails_clearly(
        done,
        "tâche inconnue « purge »",
        f"Tâches connues : {', '.join(spec.id for spec in JOBS)}.",
    )
