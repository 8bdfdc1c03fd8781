"""/atelier: workshops and thematic days on demand (issue 15). Members ask for one of the
content's themes (content/awareness/workshops.yaml: Vegepolys' three workshops, a thematic day
like Cluster Bio's) or in their own words; animators see the requests ranked and turn one into
a workshop, which is an event of handlers/events (invitation with its calendar file and e-mail,
answers with capacity and waiting list, reminders, attendance) for the whole pôle or for those
who asked; after it, those who came get a satisfaction survey and the documents.

``requests.py`` is the members' side (the themes, asking, withdrawing, the words that group
requests), ``planning.py`` the animators' ranking and the flow that plans a workshop,
``after.py`` participants, attendance, the survey (its job, its flow by the questionnaire
engine, its results under the anonymity rule) and the documents, ``notify.py`` the messages
the bot writes first. Their queries are in the workshops section of
bot/storage/repositories.py; free text asking for a workshop is offered one by
handlers/answers.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from handlers.actions import Action, by_word, run_action
from handlers.events import rsvp as answering
from handlers.events.invitations import ANSWER_COMMANDS
from handlers.workshops import after, planning, requests


async def _rsvp(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier rsvp N oui|peutetre|non``: what the invitation's buttons send."""
    command = ANSWER_COMMANDS["workshop"]
    return await answering.answer(context, args, command=command, unknown="workshops.unknown")


ACTIONS: dict[str, Action] = by_word(
    [*requests.ACTIONS, *planning.ACTIONS, *after.ACTIONS, Action(("rsvp",), _rsvp)]
)


async def atelier(context: Context) -> list[Reply]:
    """The themes and the member's requests, or ``/atelier ACTION …``."""
    replies = await run_action(context, ACTIONS, context.incoming.args, "workshops.usage")
    return await requests.overview(context) if replies is None else replies


feature = Feature(
    commands=[
        Command(
            "atelier",
            atelier,
            "help.atelier",
            role="member",
            starts_flow=after.SURVEY_FLOW,
            aliases=("ateliers", "workshop", "workshops"),
            private_only=True,
        )
    ],
    flows=[*planning.FLOWS, *after.FLOWS],
)
