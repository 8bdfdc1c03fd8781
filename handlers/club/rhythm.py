"""The yearly rhythm of a club's meetings: at the start of each quarter the pôle's animators hear
of every club whose meetings held or planned this year fall short of its target
(``Club.meetings_per_year``, 5 by default) prorated to the end of the quarter.

The rule: at the start of quarter Q (1 to 4), a club should have at least ⌈target × Q / 4⌉
meetings held or planned in the calendar year (dated this year and not cancelled, or with their
date being polled): for 5 a year, 2 at the start of January, 3 in April, 4 in July, 5 in
October. Below that, the animators are told how many there are and how many are left to plan;
once per club and quarter however many times the job runs. Nothing when on track.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, utcnow
from bot.storage.session import Session
from content.loader import Content
from handlers.audiences import recipient_of

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

KIND = "club_rhythm"


def expected(target: int, quarter: int) -> int:
    """The meetings a club should have held or planned at the start of ``quarter`` (1 to 4):
    its yearly target prorated to the end of that quarter, rounded up."""
    return math.ceil(target * quarter / 4)


async def remind(app: App) -> None:
    """Tell the animators of the clubs behind their rhythm (the first Monday of a quarter)."""
    async with app.database.transaction() as session:
        queued = await queue_reminders(session, app.settings, app.content, now=utcnow())
    logger.info("Queued %d club rhythm reminder(s)", queued)


async def queue_reminders(
    session: Session, settings: Settings, content: Content, *, now: datetime
) -> int:
    """Queue, for every club behind its rhythm at ``now``, a message to its pôle's animators;
    return how many messages."""
    local = now.astimezone(settings.tz)
    year, quarter = local.year, (local.month - 1) // 3 + 1
    start = datetime(year, 1, 1, tzinfo=settings.tz)
    end = datetime(year + 1, 1, 1, tzinfo=settings.tz)
    queued = 0
    for pole in await repo.list_poles(session):
        assert pole.id is not None
        clubs = await repo.pole_clubs(session, pole_id=pole.id)
        if not clubs:
            continue
        animators: dict[str, list[Recipient]] = {}
        for person in await repo.pole_animators(session, pole_id=pole.id):
            recipient = await recipient_of(session, person_id=person.id or 0)
            if recipient is not None:
                animators.setdefault(person.locale or settings.locale, []).append(recipient)
        for club, _ in clubs:
            assert club.id is not None
            count = await repo.club_meetings_planned(session, club_id=club.id, start=start, end=end)
            due = expected(club.meetings_per_year, quarter)
            if count >= due:
                continue
            for locale, recipients in sorted(animators.items()):
                text = content.texts(locale)(
                    "club.rhythm.behind",
                    club=club.name,
                    count=count,
                    year=year,
                    target=club.meetings_per_year,
                    expected=due,
                    left=club.meetings_per_year - count,
                )
                campaign = Campaign(
                    pole_id=pole.id, kind=KIND, audience="animators", text=str(text)
                )
                queued += await enqueue(
                    session,
                    campaign=campaign,
                    recipients=recipients,
                    dedupe_key=f"club:{club.id}:rhythm:{year}Q{quarter}:{locale}",
                )
    return queued
