"""/decouvrir: short awareness modules on RSE (what it is, continuous improvement, sustainable
communication, the regulation for an SME), each a few messages with their sources, then a
three-question quiz; the member's progress shows in /accueil, and a diagnostic's improvement
axes lead to the matching modules.

``modules.py`` is the flow (steps, « en savoir plus », stop and resume, quiz), ``progress.py``
the list of modules and the line of /accueil, ``booklet.py`` the PDF booklet of them all,
``review.py`` the job telling the pôles' admins of modules past their review date. Their
queries are in the awareness section of bot/storage/repositories.py; the modules themselves are
content/awareness/modules/.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature, Flow
from bot.messages import Reply
from content.awareness.models import Module
from content.text import fold
from handlers.awareness import booklet, labels, progress
from handlers.awareness.modules import FLOW, STEPS, open_module


def find(context: Context, word: str) -> Module | None:
    """A module by its id (what the buttons send) or its number in the list."""
    modules = context.content.modules
    if word.isdigit() and 1 <= int(word) <= len(modules):
        return list(modules.values())[int(word) - 1]
    return modules.get(fold(word))


async def decouvrir(context: Context) -> list[Reply]:
    """``/decouvrir``: the modules, with the member's progress; ``/decouvrir MODULE`` opens one
    where they left it, which then shows its step; ``/decouvrir livret`` sends them all as a
    PDF booklet."""
    if not context.incoming.args:
        return [await progress.overview(context)]
    if fold(context.incoming.args[0]) in booklet.WORDS:
        return [await booklet.send_booklet(context)]
    module = find(context, context.incoming.args[0])
    if module is None:
        unknown = context.say("awareness.modules.unknown", name=context.incoming.args[0])
        return [unknown, await progress.overview(context)]
    resumed = await open_module(context, module)
    return [resumed] if resumed is not None else []


feature = Feature(
    commands=[
        Command(
            "decouvrir",
            decouvrir,
            "help.decouvrir",
            role="member",
            starts_flow=FLOW,
            aliases=("modules", "discover"),
            private_only=True,
        ),
        # Nothing personal on these pages: they answer in a group chat as well.
        Command("labels", labels.labels, "help.labels", role="member", aliases=("label",)),
    ],
    flows=[
        # Progress is kept per member: the flow needs one, in the pôle it began in.
        Flow(FLOW, "awareness.modules.title", "step", STEPS, role="member")
    ],
)
