"""/club: the pôle's clubs (the Club BouRSE), their charter, members and meetings."""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from content.text import fold
from handlers.club import (
    admin,
    agenda,
    bilan,
    changes,
    charter,
    clubs,
    date_poll,
    hosting,
    meetings,
    participants,
    settings,
)
from handlers.club.actions import Action

# Each module of the package brings its /club actions and its flows.
_MODULES = (
    clubs,
    meetings,
    admin,
    charter,
    hosting,
    agenda,
    participants,
    bilan,
    date_poll,
    settings,
    changes,
)
ACTIONS: dict[str, Action] = {
    word: action for module in _MODULES for action in module.ACTIONS for word in action.words
}


async def club(context: Context) -> list[Reply]:
    """The member's clubs, or ``/club ACTION …`` (``/club rejoindre CODE``, ``/club reunion``…)."""
    args = context.incoming.args
    if not args:
        return await clubs.overview(context)
    action = ACTIONS.get(fold(args[0]))
    if action is None:
        return [context.say("club.usage")]
    if not context.has_role(action.role):
        return [
            context.say("errors.role_required", role=context.texts.label(f"roles.{action.role}"))
        ]
    return await action.run(context, args[1:])


feature = Feature(
    commands=[
        Command(
            "club",
            club,
            "help.club",
            role="member",
            starts_flow=clubs.CHARTER_FLOW,
            private_only=True,
        )
    ],
    flows=[flow for module in _MODULES for flow in module.FLOWS],
)
