"""/club: the pôle's clubs (the Club BouRSE), their charter and members."""

from __future__ import annotations

from bot.conversation import Command, Context, Feature, Flow, Step
from bot.messages import Reply
from content.text import fold
from handlers.club import clubs, meetings

# What people type after /club, folded, in either language.
_ACTIONS = {
    "creer": "create",
    "create": "create",
    "rejoindre": "join",
    "join": "join",
    "quitter": "leave",
    "leave": "leave",
    "reunion": "meeting",
    "meeting": "meeting",
    "rsvp": "rsvp",
}

_FOR_ANIMATORS = frozenset({"create", "meeting"})


async def club(context: Context) -> list[Reply]:
    """The member's clubs, or ``/club creer NOM``, ``/club rejoindre CODE``, ``/club quitter``."""
    args = context.incoming.args
    action = _ACTIONS.get(fold(args[0])) if args else None
    rest = " ".join(args[1:])
    if action in _FOR_ANIMATORS and not context.has_role("animator"):
        return [context.say("errors.role_required", role=context.texts.label("roles.animator"))]
    match action:
        case "create":
            return [await clubs.create(context, rest)]
        case "meeting":
            return await meetings.start(context)
        case "rsvp":
            return [await meetings.rsvp(context, list(args[1:]))]
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
        ),
        Flow(
            meetings.FLOW,
            "club.meeting_title",
            "club",
            {
                "club": Step(meetings.ask_club, meetings.answer_club),
                "theme": Step(meetings.ask_theme, meetings.answer_theme),
                "host": Step(meetings.ask_host, meetings.answer_host),
                "practice": Step(meetings.ask_practice, meetings.answer_practice),
                "place": Step(meetings.ask_place, meetings.answer_place),
                "agenda": Step(meetings.ask_agenda, meetings.answer_agenda),
                "capacity": Step(meetings.ask_capacity, meetings.answer_capacity),
                "when": Step(meetings.ask_when, meetings.answer_when),
                "confirm": Step(meetings.ask_confirm, meetings.answer_confirm),
            },
            role="animator",
        ),
    ],
)
