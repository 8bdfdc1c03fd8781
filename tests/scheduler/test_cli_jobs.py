"""``rse-bot jobs`` run as a real process on an SQLite file, as an operator would."""

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
from scheduler.service import Scheduler
from tests.scheduler.conftest import PARIS
from tests.test_cli import assert_fails_clearly, rse_bot

T = TypeVar("T")
WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def first_monday_at_ten(now: datetime) -> datetime:
    """The next first Monday of a month, at 10:00."""
    month = now.replace(day=1, hour=10, minute=0, second=0, microsecond=0)
    while True:
        monday = month + timedelta(days=(0 - month.weekday()) % 7)
        if monday > now:
            return monday
        month = (month + timedelta(days=32)).replace(day=1)


def registered_jobs(suffix: str = "") -> str:
    """What ``jobs list`` shows for the registered jobs, soonest first, each line ending with
    ``suffix``."""
    now = datetime.now(PARIS)
    runs = [("action-follow-up", first_monday_at_ten(now))]
    for job, hour, minute in (("purge-link-codes", 3, 30), ("purge-uploads", 3, 45)):
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        runs.append((job, when if when > now else when + timedelta(days=1)))
    lines = []
    for job, when in sorted(runs, key=lambda run: run[1]):
        shown = f"{WEEKDAYS[when.weekday()]} {when:%d/%m/%Y %H:%M}"
        lines.append(f"{job:<16}  récurrente  prochaine exécution : {shown}{suffix}\n")
    return "".join(lines)


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
    assert done.stdout == registered_jobs(" (pas encore enregistrée)")


def test_jobs_list_shows_what_the_bot_stored(tmp_path: Path) -> None:
    async def run_the_bot_once(app: App) -> None:
        scheduler = Scheduler(app)
        await scheduler.start()
        await scheduler.stop()

    on_file(tmp_path, run_the_bot_once)
    done = rse_bot(tmp_path, "jobs", "list")

    assert done.returncode == 0, done.stderr
    assert done.stdout == registered_jobs()


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
        "Tâches connues : purge-link-codes, purge-uploads, action-follow-up.",
    )
