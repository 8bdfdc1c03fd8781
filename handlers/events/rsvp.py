"""The chat action answering an event's invitation, under the command of the event's kind
(``/club rsvp N oui|peutetre|non`` for a club meeting, ``/atelier rsvp N …`` for a workshop:
see ``invitations.ANSWER_COMMANDS``), which its buttons send."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Context
from bot.messages import Reply
from content.text import fold
from handlers.events import invitations


async def answer(
    context: Context, args: Sequence[str], *, command: str, unknown: str
) -> list[Reply]:
    """``N MOT``: the person's answer to event N, changeable until it starts; ``command`` is
    how the usage names the command typed (« club rsvp »), ``unknown`` the key of what an
    event the person is not invited to gets, whether it exists or not."""
    if len(args) != 2 or not args[0].isdigit() or fold(args[1]) not in invitations.ANSWER_WORDS:
        return [context.say("events.invitations.usage", command=command)]
    assert context.person is not None and context.pole is not None
    reply = await invitations.rsvp(
        context.session,
        context.settings,
        context.content,
        pole=context.pole,
        person=context.person,
        event_id=int(args[0]),
        answer=invitations.ANSWER_WORDS[fold(args[1])],
        unknown=unknown,
    )
    return [reply]
