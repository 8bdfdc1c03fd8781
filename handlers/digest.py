"""The watch digest ("veille"): a pôle's feeds fetched and their new items stored once, then
editions (the weekly note, the newsletter) built from what no edition of that kind carried yet,
grouped by theme, and queued in the outbox for the subscribers whose themes they touch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.feeds import Entry, FeedState, Fetcher, FetchOutcome, title_key
from bot.messages import Platform
from bot.opml import Outline
from bot.outbound import internal_address
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import (
    Campaign,
    Edition,
    Feed,
    FeedItem,
    Pole,
    utcnow,
)
from content.loader import Content
from handlers import digest_calendar
from handlers.audiences import recipient_of

if TYPE_CHECKING:
    from bot.app import App

# How far back the first edition of a kind looks, when no earlier one bounds it.
FIRST_EDITION_SPAN = {"note": timedelta(days=7), "newsletter": timedelta(days=16)}
PER_THEME = 5
# A feed failing this long is flagged to the animators.
FAILING_FOR = timedelta(days=7)
FEED_ALERT = "feed_alert"
EDITION_ALERT = "edition_alert"
# Less than a week: last Monday's alert must not stop this Monday's.
ALERT_EVERY = timedelta(days=6)


async def store_items(
    session: AsyncSession, content: Content, feed: Feed, entries: Sequence[Entry]
) -> int:
    """Keep the entries this pôle has not seen, by canonical address or by title; how many."""
    if not entries:
        return 0
    urls = {entry.canonical_url for entry in entries}
    keys = {title_key(entry.title) for entry in entries}
    seen_urls, seen_keys = await repo.seen_items(
        session, pole_id=feed.pole_id, urls=urls, keys=keys
    )
    stored = 0
    for entry in entries:
        key = title_key(entry.title)
        if entry.canonical_url in seen_urls or key in seen_keys or not key:
            continue
        seen_urls.add(entry.canonical_url)
        seen_keys.add(key)
        themes = list(content.themes.tag(entry.title, entry.summary))
        if feed.theme and feed.theme not in themes:
            themes = [t for t in [feed.theme, *themes] if t != "autres"] or [feed.theme]
        session.add(
            FeedItem(
                pole_id=feed.pole_id,
                canonical_url=entry.canonical_url[:1000],
                url=entry.url[:1000],
                title=entry.title[:500],
                title_key=key[:500],
                summary=entry.summary,
                source=(entry.source or feed.title or feed.url)[:200],
                themes=themes,
                published_at=entry.published,
            )
        )
        stored += 1
    return stored


@dataclass(frozen=True)
class Imported:
    """What adding a file's feeds did: how many were added, already followed, refused."""

    added: int
    known: int
    # (address, the internal address it leads to): never followed, see bot/outbound.py.
    refused: tuple[tuple[str, str], ...] = ()


async def add_feeds(
    session: AsyncSession,
    content: Content,
    *,
    pole_id: int,
    outlines: Sequence[Outline],
    allow_private: bool,
) -> Imported:
    """Follow the feeds the pôle does not follow yet (a theme the file gives is kept if it is
    one of ours), except those leading to an internal address unless ``allow_private``."""
    known = await repo.feed_urls(session, pole_id=pole_id)
    themes = set(content.themes.ids)
    fresh = list({o.url: o for o in outlines if o.url not in known and len(o.url) <= 500}.values())
    internal: list[str | None] = [None] * len(fresh)
    if not allow_private:
        # At once: a file of a hundred feeds must not wait for a hundred DNS answers in turn.
        internal = list(await asyncio.gather(*(internal_address(o.url) for o in fresh)))
    refused = []
    for outline, address in zip(fresh, internal, strict=True):
        if address is not None:
            refused.append((outline.url, address))
            continue
        theme = outline.category if outline.category in themes else None
        title = outline.title[:200] if outline.title else None
        session.add(Feed(pole_id=pole_id, url=outline.url, title=title, theme=theme))
    added = len(fresh) - len(refused)
    return Imported(added, len(outlines) - len(fresh), tuple(refused))


def record_health(feed: Feed, outcome: FetchOutcome, now: datetime) -> None:
    if outcome.status == "error":
        feed.failures += 1
        feed.last_error = (outcome.error or "erreur inconnue")[:300]
        return
    feed.failures, feed.last_error, feed.last_ok_at = 0, None, now
    feed.etag, feed.last_modified = outcome.etag, outcome.last_modified
    if outcome.title:
        feed.title = outcome.title[:200]


def failing(feed: Feed, now: datetime) -> bool:
    """Failing for a week: every fetch since its last success, or since it was added."""
    since = feed.last_ok_at or feed.created_at
    return feed.failures > 0 and now - since >= FAILING_FOR


async def refresh(
    app: App,
    *,
    pole_id: int | None = None,
    on_done: Callable[[FetchOutcome], None] | None = None,
) -> list[FetchOutcome]:
    """Fetch every feed (of one pôle, or all) and store the new items."""
    async with app.database.transaction() as session:
        if pole_id is None:
            feeds = await repo.every_feed(session)
        else:
            feeds = await repo.pole_feeds(session, pole_id=pole_id)
    states = [FeedState(feed.url, feed.etag, feed.last_modified) for feed in feeds]
    async with Fetcher(allow_private=app.settings.feeds_allow_private) as fetcher:
        outcomes = await fetcher.fetch_all(states, on_done=on_done)
    now = utcnow()
    # One transaction per feed: a feed whose items cannot be stored loses only its own.
    for feed, outcome in zip(feeds, outcomes, strict=True):
        async with app.database.transaction() as session:
            stored = await session.get(Feed, feed.id)
            if stored is None:  # removed meanwhile
                continue
            record_health(stored, outcome, now)
            session.add(stored)
            await store_items(session, app.content, stored, outcome.entries)
    return outcomes


async def _animators_by_locale(
    session: AsyncSession, *, pole_id: int, default: str
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
                _inert(f"• {feed.title or feed.url} — {feed.last_error or '?'}") for feed in broken
            ]
            campaign = Campaign(
                pole_id=pole_id,
                kind=FEED_ALERT,
                audience=f"animators:feeds:{now:%Y-%m-%d}",
                text="\n".join(lines),
            )
            queued += await enqueue(session, campaign=campaign, recipients=recipients)
        return queued


async def edition_failed(app: App, edition: digest_calendar.Due, *, now: datetime) -> None:
    """Put the edition off until its retry time; the first failure of a streak is told to the
    pôle's animators, each in their language (the next ones would say nothing new)."""
    async with app.database.transaction() as session:
        row = await digest_calendar.mark_failed(session, edition, now=now)
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
                retry=digest_calendar.moment(texts, row.retry_at, app.settings.tz),
            )
            campaign = Campaign(
                pole_id=edition.pole_id,
                kind=EDITION_ALERT,
                audience=f"animators:edition:{edition.kind}",
                text=text,
            )
            await enqueue(session, campaign=campaign, recipients=recipients)


@dataclass(frozen=True)
class Draft:
    """An edition before it is sent: its items grouped by theme, in the themes' order."""

    pole: Pole
    kind: str
    sections: tuple[tuple[str, tuple[FeedItem, ...]], ...]

    @property
    def items(self) -> list[FeedItem]:
        return [item for _, items in self.sections for item in items]


async def draft(
    session: AsyncSession,
    content: Content,
    *,
    pole: Pole,
    kind: str,
    per_theme: int = PER_THEME,
    now: datetime | None = None,
) -> Draft | None:
    """The next edition of ``kind``: items first seen since the previous one and in none of
    that kind yet, newest first, ``per_theme`` at most per theme; None if nothing is new."""
    now = now or utcnow()
    assert pole.id is not None
    editions = await repo.editions_of(session, pole_id=pole.id, kind=kind)
    carried = {item_id for edition in editions for item_id in edition.item_ids}
    since = max(
        (edition.created_at for edition in editions), default=now - FIRST_EDITION_SPAN[kind]
    )
    candidates = await repo.items_seen_since(session, pole_id=pole.id, since=since)
    fresh = [item for item in candidates if item.id not in carried]
    sections = group(content, fresh, per_theme)
    return Draft(pole, kind, sections) if sections else None


def group(
    content: Content, items: Sequence[FeedItem], per_theme: int | None = None
) -> tuple[tuple[str, tuple[FeedItem, ...]], ...]:
    """Items by theme in the themes' order, newest first, each under its first theme only."""
    ordered = sorted(items, key=lambda item: item.published_at or item.first_seen_at, reverse=True)
    sections = []
    placed: set[int | None] = set()
    for theme in content.themes.ids:
        chosen = [i for i in ordered if theme in i.themes and i.id not in placed][:per_theme]
        placed.update(item.id for item in chosen)
        if chosen:
            sections.append((theme, tuple(chosen)))
    return tuple(sections)


def render(content: Content, draft: Draft, *, locale: str, themes: Sequence[str] = ()) -> str:
    """The edition as our text markup, restricted to ``themes`` if any; '' if none matches."""
    texts = content.texts(locale)
    blocks = []
    for theme, items in draft.sections:
        if themes and theme not in themes:
            continue
        lines = [f"**{content.themes.label(theme, locale)}**"]
        for item in items:
            when = (item.published_at or item.first_seen_at).strftime("%d/%m")
            lines.append(item_line(item, when))
        blocks.append("\n".join(lines))
    if not blocks:
        return ""
    title = texts.label(f"digest.titles.{draft.kind}", pole=draft.pole.name)
    return "\n\n".join([f"**{title}**", *blocks])


def item_line(item: FeedItem, when: str) -> str:
    """``• [title](address) — source, date`` in our markup, feed text made harmless in it."""
    return f"• [{_inert(item.title)}]({_address(item.url)}) — {_inert(item.source)}, {when}"


def _inert(text: str) -> str:
    # No bracket to end the link early, no marker to start bold or italic.
    return text.replace("[", "(").replace("]", ")").replace("**", "*").replace("__", "_")


def _address(url: str) -> str:
    # Our link syntax ends at a parenthesis or a space; percent-encoding keeps the address.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


async def publish(app: App, *, pole_id: int, kind: str, dry_run: bool = False) -> str | None:
    """Build the next edition of ``kind`` and queue it for the pôle's subscribers (one
    campaign per set of themes); return its text in the default language, None if empty."""
    async with app.database.transaction() as session:
        pole = await session.get(Pole, pole_id)
        assert pole is not None
        edition = await draft(
            session, app.content, pole=pole, kind=kind, per_theme=app.settings.digest_per_theme
        )
        if edition is None:
            return None
        preview = render(app.content, edition, locale=app.settings.locale)
        if dry_run:
            return preview
        session.add(Edition(pole_id=pole_id, kind=kind, item_ids=[i.id for i in edition.items]))
        # One campaign per set of themes and language: a member reads it in the language they
        # chose, a group or a channel in the default one.
        audiences: dict[tuple[tuple[str, ...], str], list[Recipient]] = {}
        for subscription, locale in await repo.digest_subscribers(session, pole_id=pole_id):
            key = (tuple(sorted(subscription.themes)), locale or app.settings.locale)
            audiences.setdefault(key, []).append(
                Recipient(Platform(subscription.platform), subscription.chat_id)
            )
        for (themes, locale), recipients in audiences.items():
            text = render(app.content, edition, locale=locale, themes=themes)
            if text:
                campaign = Campaign(
                    pole_id=pole_id, kind=f"digest_{kind}", audience=f"veille:{kind}", text=text
                )
                await enqueue(session, campaign=campaign, recipients=recipients)
    return preview
