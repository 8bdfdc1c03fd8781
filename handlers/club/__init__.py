"""/club: the pôle's clubs (the Club BouRSE), their charter, members and meetings."""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from handlers.actions import Action, by_word, run_action
from handlers.club import (
    admin,
    agenda,
    bilan,
    cafe,
    changes,
    charter,
    clubs,
    consultants,
    date_poll,
    directory,
    exchange,
    hosting,
    introductions,
    meetings,
    minutes,
    participants,
    settings,
    topics,
)

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
    cafe,
    topics,
    introductions,
    exchange,
    consultants,
    minutes,
    directory,
)
ACTIONS: dict[str, Action] = by_word([action for module in _MODULES for action in module.ACTIONS])


async def club(context: Context) -> list[Reply]:
    """The member's clubs, or ``/club ACTION …`` (``/club rejoindre CODE``, ``/club reunion``…)."""
    replies = await run_action(context, ACTIONS, context.incoming.args, "club.usage")
    return await clubs.overview(context) if replies is None else replies


feature = Feature(
    commands=[
        Command(
            "club",
            club,
            "help.club",
            role="member",
            starts_flow=clubs.CHARTER_FLOW,
            private_only=True,
        ),
        Command("echange", exchange.exchange, "help.echange", role="member", private_only=True),
        Command(
            "annuaire",
            directory.directory,
            "help.annuaire",
            role="member",
            aliases=("directory",),
            private_only=True,
        ),
    ],
    flows=[flow for module in _MODULES for flow in module.FLOWS],
)
