"""Content to check again: every Monday morning, each pôle's admins hear of every module, label
page, readiness check, programme and template whose review date (``review_by``) has come, with
its sources, once per item and review date (an item checked again gets a later date, and is
told of again when that one comes)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, utcnow
from bot.storage.session import Session
from content.awareness.models import Source
from content.loader import Content, Localized
from handlers.audiences import recipient_of

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

KIND = "module_review"
# Each kind of content with a review date, named in the admins' message by
# content/texts/*/awareness/review.yaml's ``kinds``.
KINDS = ("module", "label", "readiness", "programme", "template")


@dataclass(frozen=True, slots=True)
class Reviewable:
    """An item of the awareness content as its review needs it."""

    kind: str
    id: str
    title: Localized
    reviewed: date
    review_by: date
    sources: Sequence[Source]
    # Where it lives, under content/awareness/.
    folder: str


def reviewables(content: Content) -> list[Reviewable]:
    """Every item of the awareness content that carries a review date."""
    return [
        *(
            Reviewable("module", m.id, m.title, m.reviewed, m.review_by, m.sources, "modules")
            for m in content.modules.values()
        ),
        *(
            Reviewable("label", x.id, x.title, x.reviewed, x.review_by, x.sources, "labels")
            for x in content.labels.values()
        ),
        *(
            Reviewable(
                "readiness",
                check.label,
                check.title,
                check.reviewed,
                check.review_by,
                # Its requirements' sources, each once.
                list(dict.fromkeys(s for r in check.requirements for s in r.sources)),
                "readiness",
            )
            for check in content.readiness.values()
        ),
        *(
            Reviewable("programme", p.id, p.title, p.reviewed, p.review_by, p.sources, "programmes")
            for p in content.programmes.values()
        ),
        *(
            Reviewable("template", t.id, t.title, t.reviewed, t.review_by, t.sources, "resources")
            for t in content.templates.values()
        ),
    ]


async def remind(app: App) -> None:
    """Tell the pôles' admins of the content due for review (job ``module-reviews``)."""
    async with app.database.transaction() as session:
        queued = await queue_reviews(session, app.settings, app.content, now=utcnow())
    logger.info("Queued %d content review message(s)", queued)


async def queue_reviews(
    session: Session, settings: Settings, content: Content, *, now: datetime
) -> int:
    """Queue, for every item whose review date is ``now``'s local day or earlier, a message to
    each pôle's admins; return how many messages."""
    today = now.astimezone(settings.tz).date()
    due = [item for item in reviewables(content) if item.review_by <= today]
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
        for item in due:
            for locale, recipients in sorted(admins.items()):
                texts = content.texts(locale)
                text = texts(
                    "awareness.review.due",
                    what=texts.label(f"awareness.review.kinds.{item.kind}"),
                    title=item.title(locale),
                    item=item.id,
                    folder=item.folder,
                    reviewed=item.reviewed.strftime("%d/%m/%Y"),
                    review_by=item.review_by.strftime("%d/%m/%Y"),
                    sources=" ; ".join(source.name(locale) for source in item.sources),
                )
                campaign = Campaign(pole_id=pole.id, kind=KIND, audience="admins", text=str(text))
                queued += await enqueue(
                    session,
                    campaign=campaign,
                    recipients=recipients,
                    dedupe_key=f"{item.kind}:{item.id}:review:{item.review_by.isoformat()}"
                    f":{pole.id}:{locale}",
                )
    return queued
