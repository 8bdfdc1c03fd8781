"""The jobs of scheduler/jobs.py."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage import repositories as repo
from bot.storage.models import LinkCode, Upload, utcnow
from scheduler.jobs import JOBS, purge_link_codes, purge_uploads
from scheduler.service import list_jobs
from tests.scheduler.conftest import StartScheduler
from tests.scheduler.test_runs import at

MEMBERS = ("Claire Martin", "Karim Benali", "Sophie Durand")


async def _link_codes(app: App, **expiring_in: timedelta) -> None:
    """One link code per keyword (the code), each for another member, expiring in that delay."""
    async with app.database.transaction() as session:
        for n, (code, delay) in enumerate(expiring_in.items()):
            person = await repo.create_person(
                session, platform="telegram", user_id=str(1001 + n), display_name=MEMBERS[n]
            )
            session.add(LinkCode(code=code, person_id=person.id, expires_at=utcnow() + delay))


async def _remaining_codes(app: App) -> set[str]:
    async with app.database.transaction() as session:
        return set(await session.scalars(select(LinkCode.code)))


async def test_the_purge_deletes_expired_link_codes_and_keeps_valid_ones(app: App) -> None:
    await _link_codes(
        app,
        KB7WQ2ZP=timedelta(days=-2),
        HN4RT8XA=timedelta(seconds=-1),
        PM3VC6YE=timedelta(minutes=10),
    )

    await purge_link_codes(app)

    assert await _remaining_codes(app) == {"PM3VC6YE"}


async def test_the_purge_runs_every_night_at_half_past_three_local_time(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(at(0, 3), tick=False)
    await _link_codes(app, KB7WQ2ZP=timedelta(minutes=15), PM3VC6YE=timedelta(hours=1))

    scheduler = await start_scheduler(*JOBS)
    time_machine.move_to(at(0, 3, 30), tick=False)
    await scheduler.run_due_jobs()

    assert await _remaining_codes(app) == {"PM3VC6YE"}
    next_runs = {row.id: row.next_run for row in await list_jobs(app)}
    assert (next_runs["purge-uploads"], next_runs["purge-link-codes"]) == (
        at(0, 3, 45),
        at(1, 3, 30),
    )


async def _uploads(app: App, **sent_ago: timedelta) -> None:
    """One file per keyword (its name), sent that long ago by a member."""
    async with app.database.transaction() as session:
        person = await repo.create_person(
            session, platform="telegram", user_id="1001", display_name=MEMBERS[0]
        )
        for name, ago in sent_ago.items():
            session.add(
                Upload(
                    person_id=person.id,
                    filename=f"{name}.pdf",
                    mime_type="application/pdf",
                    data=b"%PDF-1.4",
                    created_at=utcnow() - ago,
                )
            )


async def test_the_upload_purge_deletes_files_left_more_than_a_day(app: App) -> None:
    await _uploads(app, abandonne=timedelta(days=3), en_cours=timedelta(hours=2))

    await purge_uploads(app)

    async with app.database.transaction() as session:
        assert list(await session.scalars(select(Upload.filename))) == ["en_cours.pdf"]
