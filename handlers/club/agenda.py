"""``/club agenda``: the member's private calendar address, to subscribe to once in Google
Agenda, Outlook or Apple Calendar, which then follow every meeting of their clubs by themselves
(new dates, places, cancellations); « Renouveler l'adresse » replaces it, and the old one stops
working at once."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Context, Flow
from bot.messages import Reply
from bot.storage import repositories as repo
from content.text import fold
from handlers.actions import Action
from handlers.events.feed import address

RENEW_WORDS = ("renouveler", "renew")


async def agenda(context: Context, args: Sequence[str]) -> list[Reply]:
    """The member's feed address and how to subscribe to it (made on first ask), or, with
    ``renouveler``, a new one in place of the old."""
    if context.settings.public_url is None:
        return [context.say("club.agenda.not_configured")]
    assert context.person is not None and context.person.id is not None
    renew = bool(args) and fold(args[0]) in RENEW_WORDS
    feed = None if renew else await repo.calendar_feed(context.session, person_id=context.person.id)
    if feed is None:
        feed = await repo.renew_calendar_feed(context.session, person_id=context.person.id)
    texts = context.texts
    button = context.command_button(
        texts.label("club.agenda.renew"), f"club agenda {RENEW_WORDS[0]}"
    )
    return [
        context.say(
            "club.agenda.renewed" if renew else "club.agenda.address",
            url=address(context.settings, feed.token),
            buttons=[button],
        )
    ]


ACTIONS = (Action(("agenda", "calendar"), agenda),)
FLOWS: tuple[Flow, ...] = ()
