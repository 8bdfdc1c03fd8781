"""/pret: « Suis-je prêt ? », a readiness self-check for each label of /labels (Numérique
Responsable, Engagé RSE, LUCIE 26000, B Corp), and the Label Numérique Responsable's client
survey, which a member sends to their own clients.

``check.py`` is the check (asked by the questionnaire engine, its result, the line of /accueil),
``clients.py`` the client survey on the partner survey's machinery (handlers/survey/). The checks
themselves are content/awareness/readiness/; their queries are in the readiness section of
bot/storage/repositories.py.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from content.text import fold
from handlers.actions import Action, by_word, run_action
from handlers.readiness import check, clients

ACTIONS: dict[str, Action] = by_word(clients.ACTIONS)


async def overview(context: Context) -> Reply:
    """Every label with the member's last check of it, a button to check each, and one for the
    client survey."""
    texts, locale = context.texts, context.locale
    done = await repo.readiness_results(context.session, person_id=context.person_id)
    lines = [texts("readiness.check.list_title")]
    buttons = []
    for number, label_id in enumerate(context.content.readiness, start=1):
        title = context.content.labels[label_id].title(locale)
        line = check.result_line(context, title, done.get(label_id))
        lines.append(texts("readiness.check.list_line", number=number) + line)
        buttons.append(context.command_button(title, f"pret {label_id}"))
    lines.append(texts("readiness.check.list_clients"))
    buttons.append(context.command_button(texts.label("readiness.clients.button"), "pret clients"))
    return Reply(Text.join(lines), tuple(buttons))


async def ready(context: Context) -> list[Reply]:
    """``/pret``: the labels and the member's last checks; ``/pret LABEL`` (an id or a number)
    starts its check; ``/pret clients``, ``client``, ``envoyer``, ``resultats`` the client
    survey."""
    args = context.incoming.args
    if not args:
        return [await overview(context)]
    found = check.find(context, args[0])
    if found is not None:
        return await check.begin(context, found)
    if fold(args[0]) not in ACTIONS:
        return [context.say("readiness.unknown", name=args[0]), await overview(context)]
    return await run_action(context, ACTIONS, args, "readiness.usage") or []


feature = Feature(
    commands=[
        Command(
            "pret",
            ready,
            "help.pret",
            role="member",
            starts_flow=check.FLOW,
            aliases=("ready",),
            private_only=True,
        )
    ],
    flows=list(check.FLOWS),
)
