"""/mesdonnees sends everything stored about you; /oublier erases it after confirmation."""

from __future__ import annotations

import json

from bot.conversation import Answer, Command, Context, Done, Feature, Flow, Outcome, Retry, Step
from bot.messages import Attachment, Reply
from bot.storage import repositories as repo

FORGET = "forget"


async def export_my_data(context: Context) -> list[Reply]:
    """Send all data stored about the person as a JSON file."""
    if context.person is not None:
        data = await repo.export_person(context.session, person=context.person)
    elif context.state.id is not None:
        data = {"conversations": [context.state.model_dump(mode="json")]}
    else:
        return [context.say("privacy.nothing_stored")]
    document = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()
    file = Attachment("mes-donnees-rse-bot.json", "application/json", document)
    return [context.say("privacy.export", attachments=[file])]


async def forget_me(context: Context) -> list[Reply]:
    """Ask for confirmation before erasing everything."""
    if context.person is None and context.state.id is None:
        return [context.say("privacy.nothing_stored")]
    context.start_flow(FORGET)
    return []


async def ask_confirmation(context: Context) -> Reply:
    """Asks to confirm the erasure."""
    return context.yes_no("privacy.confirm", "privacy.confirm_yes", "privacy.confirm_no")


async def answer_confirmation(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "no":
        return Done([context.say("privacy.kept")])
    if answer.choice != "yes":
        return Retry(context.say("errors.pick_a_button"))
    farewell = context.say("privacy.erased")
    if context.person is not None:
        await repo.erase_person(context.session, person=context.person)
    else:
        await repo.delete_states(
            context.session,
            identities=[(context.incoming.platform.value, context.incoming.user_id)],
        )
    context.forget_state()
    context.person = context.pole = context.member = None
    return Done([farewell])


feature = Feature(
    commands=[
        Command(
            "mesdonnees", export_my_data, "help.mesdonnees", aliases=("mydata",), private_only=True
        ),
        Command(
            "oublier",
            forget_me,
            "help.oublier",
            starts_flow=FORGET,
            aliases=("forget",),
            private_only=True,
        ),
    ],
    flows=[
        Flow(
            FORGET,
            "privacy.title",
            "confirm",
            {"confirm": Step(ask_confirmation, answer_confirmation)},
        )
    ],
)
