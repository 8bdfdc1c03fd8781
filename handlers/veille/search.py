"""``/veille cherche MOT``: the pôle's recent items that speak of it, accents aside."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Context
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import FeedItem
from content.text import fold
from handlers.veille.editions import item_line

FOUND_MAX = 10
SEARCH_MAX = 100
SEARCHED = 2000


async def matching(context: Context, wanted: Sequence[str]) -> list[FeedItem]:
    """The pôle's recent items whose title or summary hold every folded word, newest first."""
    recent = await repo.recent_items(context.session, pole_id=context.pole_id, limit=SEARCHED)
    return [i for i in recent if all(w in fold(f"{i.title} {i.summary}") for w in wanted)]


async def search(context: Context, words: str) -> Reply:
    """The items whose title or summary hold every word, newest first."""
    wanted = fold(words).split()
    if not wanted:
        return context.say("veille.search_usage")
    if len(words) > SEARCH_MAX:
        return context.say("errors.too_long", length=len(words), maximum=SEARCH_MAX)
    found = await matching(context, wanted)
    if not found:
        return context.say("veille.search_none", words=words)
    lines = [str(context.texts("veille.search_found", count=len(found), words=words))]
    for item in found[:FOUND_MAX]:
        when = (item.published_at or item.first_seen_at).strftime("%d/%m/%Y")
        lines.append(item_line(item, when))
    return Reply(Text.parse("\n".join(lines)))
