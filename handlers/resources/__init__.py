"""/ressources: documents members receive on request — the methodological booklet of the
awareness modules, the content's templates (Pôle ICP's specification and evaluation grid of a
responsible lighting project) and the documents the pôle's animators added.

``library.py`` is the list, the sending and the animators' adding and removing;
``documents.py`` writes the templates as a Word document or an Excel workbook. The templates are
content/awareness/resources/; the added documents' queries are in the resources section of
bot/storage/repositories.py.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from handlers.actions import Action, by_word, run_action
from handlers.resources import library

ACTIONS = by_word(
    [
        Action(("ajouter", "add"), library.add, role="animator"),
        Action(("retirer", "remove"), library.remove, role="animator"),
    ]
)


async def ressources(context: Context) -> list[Reply]:
    """``/ressources``: the list; ``/ressources N`` (or a button) sends document N; the
    animators' ``ajouter`` and ``retirer``."""
    args = context.incoming.args
    if not args:
        return await library.overview(context)
    if args[0].casefold() not in ACTIONS:
        return await library.send(context, args[0])
    replies = await run_action(context, ACTIONS, args, "resources.usage")
    return replies or []


feature = Feature(
    commands=[
        # Nothing personal in the list or the documents: they answer in a group chat too.
        Command(
            "ressources",
            ressources,
            "help.ressources",
            role="member",
            aliases=("ressource", "resources", "documents", "modeles"),
        )
    ],
    flows=list(library.FLOWS),
)
