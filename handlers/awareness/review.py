"""Modules to check again: every Monday morning, each pôle's admins hear of every module whose
review date (``review_by``) has come, with its sources, once per module and review date (a
module checked again gets a later date, and is told of again when that one comes)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, utcnow
from content.loader import Content
from handlers.audiences import recipient_of

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

KIND = "module_review"


async def remind(app: App) -> None:
    """Tell the pôles' admins of the modules due for review (job ``module-reviews``)."""
    async with app.database.transaction() as session:
        queued = await queue_reviews(session, app.settings, app.content, now=utcnow())
    logger.info("Queued %d module review message(s)", queued)


async def queue_reviews(
    session: AsyncSession, settings: Settings, content: Content, *, now: datetime
) -> int:
    """Queue, for every module whose review date is ``now``'s local day or earlier, a message to
    each pôle's admins; return how many messages."""
    today = now.astimezone(settings.tz).date()
    due = [module for module in content.modules.values() if module.review_by <= today]
    if not due:
        return 0
    queued = 0
    for pole in await repo.list_poles(session):
        assert pole.id is not None
        admins: dict[str, list[Recipient]] = {}
        for person in await repo.pole_admins(session, pole_id=pole.id):
            recipient = await recipient_of(session, person_id=person.id or 0)
            if recipient is not None:
                admins.setdefault(person.locale or settings.locale, []).append(recipient)
        for module in due:
            for locale, recipients in sorted(admins.items()):
                text = content.texts(locale)(
                    "awareness.review.due",
                    title=module.title(locale),
                    module=module.id,
                    reviewed=module.reviewed.strftime("%d/%m/%Y"),
                    review_by=module.review_by.strftime("%d/%m/%Y"),
                    sources=" ; ".join(source.name(locale) for source in module.sources),
                )
                campaign = Campaign(pole_id=pole.id, kind=KIND, audience="admins", text=str(text))
                queued += await enqueue(
                    session,
                    campaign=campaign,
                    recipients=recipients,
                    dedupe_key=f"module:{module.id}:review:{module.review_by.isoformat()}"
                    f":{pole.id}:{locale}",
                )
    return queued
