"""A pôle's feeds: ``/veille sources`` and their health, adding (never an internal address),
removing, OPML export and import (in the chat and from ``rse-bot feeds import``)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.conversation import Answer, Context, Done, Outcome, Retry
from bot.feeds import FetchOutcome
from bot.messages import Attachment, Reply, Text
from bot.opml import OpmlError, Outline, read_opml, write_opml
from bot.outbound import internal_address
from bot.storage import repositories as repo
from bot.storage.models import Feed, utcnow
from content.loader import Content
from content.text import fold

if TYPE_CHECKING:
    from bot.storage.session import Session

OPML_FLOW = "veille_opml"
# A feed failing this long is flagged to the animators.
FAILING_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Imported:
    """What adding a file's feeds did: how many were added, already followed, refused."""

    added: int
    known: int
    # (address, the internal address it leads to): never followed, see bot/outbound.py.
    refused: tuple[tuple[str, str], ...] = ()


async def add_feeds(
    session: Session,
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


# --- in the chat: /veille sources, ajouter, retirer, export, import ----------------------------


async def sources(context: Context) -> Reply:
    """The pôle's feeds, numbered, each with its health."""
    assert context.pole is not None and context.pole.id is not None
    feeds, texts, now = (
        await repo.pole_feeds(context.session, pole_id=context.pole.id),
        context.texts,
        utcnow(),
    )
    if not feeds:
        return context.say("veille.no_sources", pole=context.pole.name)
    lines = [texts("veille.sources_title", pole=context.pole.name, count=len(feeds))]
    for number, feed in enumerate(feeds, start=1):
        if feed.failures == 0:
            health = (
                texts.label("veille.health_ok")
                if feed.last_ok_at
                else texts.label("veille.health_new")
            )
        elif failing(feed, now):
            health = texts.label("veille.health_failing", error=feed.last_error or "?")
        else:
            health = texts.label(
                "veille.health_error", count=feed.failures, error=feed.last_error or "?"
            )
        lines.append(
            texts(
                "veille.source_line",
                number=number,
                name=feed.title or feed.url,
                url=feed.url,
                health=health,
            )
        )
    lines.append(texts("veille.sources_help"))
    return Reply(Text.join(lines))


async def add_feed(context: Context, args: tuple[str, ...] | list[str]) -> Reply:
    """``URL [thème]``: follow a feed, unless it leads to an internal address."""
    assert context.pole is not None and context.pole.id is not None
    url = args[0] if args else ""
    theme = fold(args[1]) if len(args) > 1 else None
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        return context.say("veille.add_usage")
    if theme is not None and theme not in context.content.themes.ids:
        return context.say(
            "veille.unknown_theme", theme=args[1], themes=", ".join(context.content.themes.ids)
        )
    followed = await repo.feed_urls(context.session, pole_id=context.pole.id)
    if url in followed:
        return context.say("veille.already_there")
    if not context.settings.feeds_allow_private and (address := await internal_address(url)):
        return context.say("veille.address_refused", url=url, address=address)
    context.session.add(Feed(pole_id=context.pole.id, url=url, theme=theme))
    return context.say("veille.added", url=url)


async def remove_feed(context: Context, args: tuple[str, ...] | list[str]) -> Reply:
    """``N``: stop following the N-th feed of ``/veille sources``."""
    assert context.pole is not None and context.pole.id is not None
    feeds = await repo.pole_feeds(context.session, pole_id=context.pole.id)
    number = args[0] if args else ""
    if not number.isdigit() or not 1 <= int(number) <= len(feeds):
        return context.say("veille.remove_usage", count=len(feeds))
    feed = feeds[int(number) - 1]
    assert feed.id is not None
    await repo.delete_feed(context.session, pole_id=context.pole.id, feed_id=feed.id)
    return context.say("veille.removed", name=feed.title or feed.url)


async def export(context: Context) -> Reply:
    """The pôle's feeds as an OPML file."""
    assert context.pole is not None and context.pole.id is not None
    feeds = await repo.pole_feeds(context.session, pole_id=context.pole.id)
    outlines = [Outline(f.url, f.title, f.theme) for f in feeds]
    data = write_opml(f"Veille RSE — {context.pole.name}", outlines)
    opml = Attachment("veille-rse.opml", "text/x-opml", data)
    return context.say("veille.exported", count=len(outlines), attachments=[opml])


async def ask_opml(context: Context) -> Reply:
    """Asks for the OPML file of a feed reader."""
    return context.say("veille.ask_opml")


async def answer_opml(context: Context, answer: Answer) -> Outcome:
    assert context.pole is not None and context.pole.id is not None
    if not answer.files:
        return Retry(context.say("veille.opml_expected"))
    try:
        outlines = read_opml(await answer.files[0].fetch())
    except OpmlError as exc:
        return Retry(context.say("veille.opml_unreadable", reason=str(exc)))
    except Exception:
        return Retry(context.say("broadcast.attachment_failed"))
    imported = await add_feeds(
        context.session,
        context.content,
        pole_id=context.pole.id,
        outlines=outlines,
        allow_private=context.settings.feeds_allow_private,
    )
    replies = [context.say("veille.imported", added=imported.added, known=imported.known)]
    if imported.refused:
        refused = ", ".join(f"{url} ({address})" for url, address in imported.refused)
        replies.append(context.say("veille.imported_refused", refused=refused))
    return Done(replies)
