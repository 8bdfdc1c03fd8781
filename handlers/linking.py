"""/lier: one member, several accounts (Telegram, Slack, console) sharing one profile.

``/lier`` on a signed-up account gives a one-time code; ``/lier CODE`` on another account makes
that account the same member, merging the two profiles if both had signed up.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from bot.storage import repositories as repo
from handlers.menu import menu_buttons

LINK_MINUTES = int(repo.LINK_CODE_TTL.total_seconds() // 60)
# Longest typed code echoed back in the refusal: enough to spot a typo, not a whole paragraph.
_ECHOED = 40


async def link(context: Context) -> list[Reply]:
    """Give a code to a signed-up member, or link this account with ``/lier CODE``."""
    typed = " ".join(context.incoming.args)
    if typed:
        return await _use_code(context, typed)
    if context.person is None:
        return [context.say("linking.sign_up_first")]
    code = await repo.create_link_code(context.session, person=context.person)
    return [context.say("linking.code", code=code.code, minutes=LINK_MINUTES)]


async def _use_code(context: Context, typed: str) -> list[Reply]:
    incoming = context.incoming
    before = context.person
    person = await repo.link_account(
        context.session, code=typed, platform=incoming.platform.value, user_id=incoming.user_id
    )
    if person is None:
        return [context.say("linking.unknown_code", code=typed[:_ECHOED], minutes=LINK_MINUTES)]
    assert person.id is not None
    name = person.display_name or ""
    if before is not None and before.id == person.id:
        return [context.say("linking.already_linked", name=name)]
    # A conversation begun before linking was about another profile (or none): drop it.
    context.end_flow()
    context.person = person
    context.pole = await repo.pole_by_id(context.session, person.active_pole_id)
    context.member = (
        None
        if context.pole is None
        else await repo.membership(context.session, person_id=person.id, pole_id=context.pole.id)
    )
    identities = await repo.identities_of(context.session, person_id=person.id)
    accounts = ", ".join(identity.platform for identity in identities)
    buttons = menu_buttons(context)
    if before is None:
        return [context.say("linking.linked", name=name, accounts=accounts, buttons=buttons)]
    return [
        context.say("linking.linked", name=name, accounts=accounts),
        context.say("linking.merged", name=name, buttons=buttons),
    ]


feature = Feature(
    commands=[Command("lier", link, "help.lier", aliases=("link",), private_only=True)]
)
