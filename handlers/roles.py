"""/nommer: an admin gives a member of their pôle the role of member, animator or admin."""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.identities import parse_account
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Membership, Person
from content.text import fold

# What people type in either language, folded, to the stored role.
ROLE_WORDS = {
    "membre": "member",
    "member": "member",
    "animateur": "animator",
    "animatrice": "animator",
    "animator": "animator",
    "admin": "admin",
    "administrateur": "admin",
    "administratrice": "admin",
}
_LISTED = 30


async def appoint(context: Context) -> list[Reply]:
    """Set a member's role in the admin's current pôle: ``/nommer animateur alice``."""
    args = context.incoming.args
    role = ROLE_WORDS.get(fold(args[0])) if args else None
    if role is None or len(args) < 2:
        return [await _usage(context)]
    assert context.pole is not None and context.pole.id is not None
    matches = await _find_members(context, " ".join(args[1:]))
    if not matches:
        return [context.say("roles.not_found", who=" ".join(args[1:]), pole=context.pole.name)]
    if len(matches) > 1:
        return [context.say("roles.ambiguous", who=" ".join(args[1:])), await _usage(context)]
    person, member = matches[0]
    await repo.set_role(context.session, member=member, role=role)
    return [
        context.say(
            "roles.granted",
            name=person.display_name or "?",
            role=context.texts.label(f"roles.{role}"),
            pole=context.pole.name,
        )
    ]


async def _find_members(context: Context, who: str) -> list[tuple[Person, Membership]]:
    assert context.pole is not None and context.pole.id is not None
    members = await repo.members_of(context.session, pole_id=context.pole.id)
    account = parse_account(who)
    if account is not None:
        target = await repo.person_for(
            context.session, platform=account[0].value, user_id=account[1]
        )
        return [(p, m) for p, m in members if target is not None and p.id == target.id]
    return [(p, m) for p, m in members if fold(p.display_name or "") == fold(who)]


async def _usage(context: Context) -> Reply:
    assert context.pole is not None and context.pole.id is not None
    members = await repo.members_of(context.session, pole_id=context.pole.id)
    lines = []
    for person, member in members[:_LISTED]:
        identities = await repo.identities_of(context.session, person_id=person.id)
        lines.append(
            context.texts(
                "roles.member_line",
                name=person.display_name or "?",
                role=context.texts.label(f"roles.{member.role}"),
                accounts=", ".join(f"{i.platform}:{i.platform_user_id}" for i in identities),
            )
        )
    header = context.texts("roles.usage", pole=context.pole.name, count=len(members))
    return Reply(Text.join([header, *lines]))


feature = Feature(
    commands=[
        Command(
            "nommer", appoint, "help.nommer", role="admin", aliases=("role",), private_only=True
        )
    ]
)
