"""The watch digest's editions: a pôle's feeds fetched and their new items stored once, then
editions (the weekly note, the newsletter) built from what no edition of that kind carried yet,
grouped by theme, and queued in the outbox for the subscribers whose themes they touch, each in
their language; ``/veille`` shows the latest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.conversation import Context
from bot.feeds import Entry, FeedState, Fetcher, FetchOutcome, title_key
from bot.messages import Platform, Reply, Text
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Edition, Feed, FeedItem, Pole, utcnow
from content.loader import Content
from handlers.veille.calendar import calendar_summary
from handlers.veille.sources import record_health

if TYPE_CHECKING:
    from bot.app import App
    from bot.storage.session import Session

# How far back the first edition of a kind looks, when no earlier one bounds it.
FIRST_EDITION_SPAN = {"note": timedelta(days=7), "newsletter": timedelta(days=16)}

PER_THEME = 5


async def store_items(
    session: Session, content: Content, feed: Feed, entries: Sequence[Entry]
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
        app.metrics.feed_fetched(outcome.status)
        async with app.database.transaction() as session:
            stored = await session.get(Feed, feed.id)
            if stored is None:  # removed meanwhile
                continue
            record_health(stored, outcome, now)
            session.add(stored)
            await store_items(session, app.content, stored, outcome.entries)
    return outcomes


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
    session: Session,
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
    return f"• [{inert(item.title)}]({_address(item.url)}) — {inert(item.source)}, {when}"


def inert(text: str) -> str:
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


async def latest(context: Context) -> Reply:
    """``/veille``: the pôle's latest edition, in the member's language, and a button to
    subscribe."""
    assert context.pole is not None and context.pole.id is not None
    edition = await repo.latest_edition(context.session, pole_id=context.pole.id)
    subscribe = context.command_button(
        context.texts.label("veille.subscribe_button"), "veille abonner"
    )
    if edition is None:
        return context.say(
            "veille.no_edition",
            pole=context.pole.name,
            calendar=await calendar_summary(context),
            buttons=[subscribe],
        )
    items = await repo.pole_items(context.session, pole_id=context.pole.id, ids=edition.item_ids)
    shown = Draft(context.pole, edition.kind, group(context.content, items))
    text = render(context.content, shown, locale=context.locale)
    return Reply(Text.parse(text), (subscribe,))
