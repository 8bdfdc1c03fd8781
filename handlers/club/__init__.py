"""/club: the pôle's clubs (the Club BouRSE), their charter and members."""

from __future__ import annotations

from bot.conversation import Command, Context, Feature, Flow, Step
from bot.messages import Reply
from content.text import fold
from handlers.club import clubs

# What people type after /club, folded, in either language.
_ACTIONS = {
    "creer": "create",
    "create": "create",
    "rejoindre": "join",
    "join": "join",
    "quitter": "leave",
    "leave": "leave",
}


async def club(context: Context) -> list[Reply]:
    """The member's clubs, or ``/club creer NOM``, ``/club rejoindre CODE``, ``/club quitter``."""
    args = context.incoming.args
    action = _ACTIONS.get(fold(args[0])) if args else None
    rest = " ".join(args[1:])
    match action:
        case "create":
            if not context.has_role("animator"):
                role = context.texts.label("roles.animator")
                return [context.say("errors.role_required", role=role)]
            return [await clubs.create(context, rest)]
        case "join":
            if not rest:
                return [context.say("club.join_usage")]
            return await clubs.join(context, rest)
        case "leave":
            return [await clubs.leave(context, rest)]
    if args:
        return [context.say("club.usage")]
    return await clubs.overview(context)


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
    flows=[
        Flow(
            clubs.CHARTER_FLOW,
            "club.charter_title",
            "charter",
            {"charter": Step(clubs.ask_charter, clubs.answer_charter)},
            role="member",
        )
    ],
)
