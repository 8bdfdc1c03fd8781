"""The clubs' yearly rhythm (handlers/club/rhythm.py): at the start of a quarter the pôle's
animators hear of each club whose meetings held or planned this year fall short of its target
prorated to the end of the quarter; once per club and quarter; nothing when on track."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.app import App
from bot.storage.models import Club, Event
from handlers.club import rhythm
from tests.handlers.club.test_clubs import create_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.outbox import queued

PARIS = ZoneInfo("Europe/Paris")
APRIL = datetime(2027, 4, 5, 9, 0, tzinfo=PARIS)
CLAIRE = "7391846031"


async def meetings(app: App, *dates: tuple[int, int, int], status: str = "scheduled") -> None:
    """Meetings of the club on these (year, month, day) (no date when polled)."""
    async with app.database.transaction() as session:
        club = await session.scalar(select(Club))
        assert club is not None and club.id is not None
        for year, month, day in dates:
            starts_at = datetime(year, month, day, 9, 30, tzinfo=PARIS)
            session.add(
                Event(
                    pole_id=club.pole_id,
                    club_id=club.id,
                    uid=f"{uuid.uuid4()}@rse-bot",
                    status=status,
                    title="Achats responsables",
                    place="Annecy",
                    starts_at=None if status == "polling" else starts_at,
                    ends_at=None if status == "polling" else starts_at + timedelta(hours=2),
                )
            )


async def remind_at(app: App, now: datetime) -> int:
    async with app.database.transaction() as session:
        return await rhythm.queue_reminders(session, app.settings, app.content, now=now)


async def told(app: App) -> list[tuple[str, str]]:
    return [(chat_id, campaign.text) for chat_id, campaign in await queued(app, rhythm.KIND)]


def test_the_target_is_prorated_to_the_end_of_each_quarter() -> None:
    assert [rhythm.expected(5, quarter) for quarter in (1, 2, 3, 4)] == [2, 3, 4, 5]


async def test_a_club_behind_its_rhythm_is_brought_to_the_animators(app: App) -> None:
    await create_club(await an_animator(app))
    # Neither a meeting of last year nor a cancelled one counts.
    await meetings(app, (2027, 3, 12), (2026, 11, 20))
    await meetings(app, (2027, 2, 5), status="cancelled")

    await remind_at(app, APRIL)

    ((chat_id, text),) = await told(app)
    assert chat_id == CLAIRE
    assert "Rythme du club Club BouRSE" in text
    assert "1 réunion(s) tenue(s) ou prévue(s) en 2027, pour un objectif de 5" in text
    assert "il en faudrait 3 d'ici la fin du trimestre : il en reste 4 à prévoir" in text


async def test_a_club_on_track_is_not_mentioned(app: App) -> None:
    await create_club(await an_animator(app))
    await meetings(app, (2027, 3, 12), (2027, 6, 11))
    # A meeting whose date is being polled is planned too.
    await meetings(app, (2027, 1, 1), status="polling")

    assert await remind_at(app, APRIL) == 0
    assert await told(app) == []


async def test_the_reminder_comes_once_per_quarter(app: App) -> None:
    await create_club(await an_animator(app))

    counts = [
        await remind_at(app, moment)
        for moment in (APRIL, APRIL + timedelta(hours=1), datetime(2027, 7, 5, 9, tzinfo=PARIS))
    ]

    assert counts == [1, 0, 1]
    assert "il en faudrait 4 d'ici la fin du trimestre" in (await told(app))[1][1]
