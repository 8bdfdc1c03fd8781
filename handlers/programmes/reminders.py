"""The job telling each enrolled member their next step when its day has come (job
``programme-steps``, every morning): once per step, through the outbox; a run missed is made up
by the next, which still finds the step due and not told. Only the next step not done is told:
a member behind is not sent every later step at once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, utcnow
from bot.storage.session import Session
from content.loader import Content
from handlers.audiences import recipient_of
from handlers.programmes.steps import do_buttons, next_step, statuses

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

KIND = "programme_step"


async def tell_due(app: App) -> None:
    """Tell the members of every run their next step when it is due (job ``programme-steps``)."""
    async with app.database.transaction() as session:
        queued = await queue_due(session, app.settings, app.content, now=utcnow())
    logger.info("Queued %d programme step message(s)", queued)


async def queue_due(
    session: Session, settings: Settings, content: Content, *, now: datetime
) -> int:
    """Queue, for every enrolment whose next step is due on ``now``'s local day or before, a
    message saying what to do, unless that step was told already; return how many."""
    today = now.astimezone(settings.tz).date()
    queued = 0
    for enrolment, run, person in await repo.all_programme_enrolments(session):
        programme = content.programmes.get(run.programme_id)
        if programme is None:
            continue
        found = await statuses(session, programme, run, enrolment, zone=settings.tz)
        upcoming = next_step(found)
        if upcoming is None or upcoming.due_on > today:
            continue
        recipient = await recipient_of(session, person_id=enrolment.person_id)
        if recipient is None:
            continue
        locale = person.locale or settings.locale
        texts = content.texts(locale)
        labels = {label_id: label.title(locale) for label_id, label in content.labels.items()}
        buttons = do_buttons(texts, run, upcoming.step, labels)
        campaign = Campaign(
            pole_id=run.pole_id,
            kind=KIND,
            # It tells the person where they are: erased with them.
            subject_id=person.id,
            audience=f"programme:{run.id}",
            text=texts.label(
                "programmes.reminder",
                programme=programme.title(locale),
                number=found.index(upcoming) + 1,
                count=len(found),
                title=upcoming.step.title(locale),
                due=f"{upcoming.due_on:%d/%m/%Y}",
                what=upcoming.step.what(locale),
            ),
            buttons=[
                *([button.label, button.value] for button in buttons),
                [texts.label("programmes.mine_button"), "/programme"],
            ],
        )
        queued += await enqueue(
            session,
            campaign=campaign,
            recipients=[recipient],
            # The person too: SQLite may give a left enrolment's id to someone else's.
            dedupe_key=f"programme:{enrolment.id}:{person.id}:{upcoming.step.id}",
        )
    return queued
