"""What the pôle's animators are told of its watch's troubles, each in their language: feeds
failing for a week, an edition that could not go out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Pole, utcnow
from handlers.audiences import recipient_of
from handlers.veille import calendar
from handlers.veille.editions import inert
from handlers.veille.sources import failing

if TYPE_CHECKING:
    from bot.app import App
    from bot.storage.session import Session

FEED_ALERT = "feed_alert"
EDITION_ALERT = "edition_alert"
# Less than a week: last Monday's alert must not stop this Monday's.
ALERT_EVERY = timedelta(days=6)


async def _animators_by_locale(
    session: Session, *, pole_id: int, default: str
) -> dict[str, list[Recipient]]:
    """The pôle's animators who can be written to, by the language each chose."""
    found: dict[str, list[Recipient]] = {}
    for person in await repo.pole_animators(session, pole_id=pole_id):
        assert person.id is not None
        if (recipient := await recipient_of(session, person_id=person.id)) is not None:
            found.setdefault(person.locale or default, []).append(recipient)
    return found


async def alert_failing_feeds(app: App, *, pole_id: int) -> int:
    """Tell the pôle's animators, each in their language, which feeds have failed for a week,
    once a week at most whatever its calendar; how many messages."""
    now = utcnow()
    async with app.database.transaction() as session:
        if await repo.campaign_since(
            session, pole_id=pole_id, kind=FEED_ALERT, since=now - ALERT_EVERY
        ):
            return 0
        broken = [f for f in await repo.pole_feeds(session, pole_id=pole_id) if failing(f, now)]
        if not broken:
            return 0
        animators = await _animators_by_locale(
            session, pole_id=pole_id, default=app.settings.locale
        )
        queued = 0
        for locale, recipients in animators.items():
            texts = app.content.texts(locale)
            lines = [texts.label("digest.failing_feeds", count=len(broken))]
            lines += [
                inert(f"• {feed.title or feed.url} — {feed.last_error or '?'}") for feed in broken
            ]
            campaign = Campaign(
                pole_id=pole_id,
                kind=FEED_ALERT,
                audience=f"animators:feeds:{now:%Y-%m-%d}",
                text="\n".join(lines),
            )
            queued += await enqueue(session, campaign=campaign, recipients=recipients)
        return queued


async def edition_failed(app: App, edition: calendar.Due, *, now: datetime) -> None:
    """Put the edition off until its retry time; the first failure of a streak is told to the
    pôle's animators, each in their language (the next ones would say nothing new)."""
    async with app.database.transaction() as session:
        row = await calendar.mark_failed(session, edition, now=now)
        if row.failures != 1:
            return
        pole = await session.get(Pole, edition.pole_id)
        assert pole is not None and row.retry_at is not None
        animators = await _animators_by_locale(
            session, pole_id=edition.pole_id, default=app.settings.locale
        )
        for locale, recipients in animators.items():
            texts = app.content.texts(locale)
            text = texts.label(
                "digest.edition_failed",
                edition=texts.label(f"digest.names.{edition.kind}"),
                pole=pole.name,
                retry=calendar.moment(texts, row.retry_at, app.settings.tz),
            )
            campaign = Campaign(
                pole_id=edition.pole_id,
                kind=EDITION_ALERT,
                audience=f"animators:edition:{edition.kind}",
                text=text,
            )
            await enqueue(session, campaign=campaign, recipients=recipients)
