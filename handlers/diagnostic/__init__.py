"""/diagnostic: the RSE self-diagnostic in chat (quick or full, adapted to the member's sector),
one question at a time, then the level, a radar chart, strengths and improvement axes;
``/diagnostic historique`` and ``/diagnostic synthese`` show past results and the pôle's.

``flow.py`` asks the questions and stores the diagnostic, ``result.py`` shows it, ``reports.py``
holds the history and the synthesis, ``figures.py`` the pôle's figures, ``scoring.py`` and
``charts.py`` the scores and the PNG charts. Their queries are in the diagnostic section of
bot/storage/repositories.py.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature, Flow, Step
from bot.messages import Reply
from content.text import fold
from handlers.diagnostic import reports
from handlers.diagnostic.flow import FLOW, RUNNER, answer_version, ask_version

HISTORY_WORDS = frozenset({"historique", "history", "progres", "progress"})
SYNTHESIS_WORDS = frozenset({"synthese", "synthesis", "pole"})


async def start(context: Context) -> list[Reply]:
    """Start a diagnostic; ``historique`` and ``synthese`` show results instead."""
    word = fold(context.incoming.args[0]) if context.incoming.args else ""
    if word in HISTORY_WORDS:
        return await reports.history(context)
    if word in SYNTHESIS_WORDS:
        return await reports.synthesis(context)
    assert context.person is not None
    context.start_flow(FLOW, {"sector": context.person.sector})
    return []


feature = Feature(
    commands=[
        Command(
            "diagnostic",
            start,
            "help.diagnostic",
            role="member",
            starts_flow=FLOW,
            aliases=("autodiagnostic",),
            private_only=True,
        )
    ],
    flows=[
        Flow(
            FLOW,
            "diagnostic.title",
            "version",
            {
                "version": Step(ask_version, answer_version),
                **RUNNER.steps,
            },
            # A diagnostic is saved in the pôle it began in, by one of its members.
            role="member",
        )
    ],
)
