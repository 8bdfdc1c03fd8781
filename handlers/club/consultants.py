"""The pôle's consultants, kept by its animators, to whom they refer a member when a problem has
never been met in the club (a request of the service exchange without a match, most often).

``/club consultants`` lists them; ``/club consultant ajouter NOM ; SPÉCIALITÉS ; CONTACT`` and
``/club consultant retirer N`` keep the list; ``/club orienter POST_ID [CONSULTANT_ID]`` refers
a post's author, ``/club orienter membre PERSON_ID [CONSULTANT_ID]`` a member of the pôle (without
a consultant, the list to choose from). The member receives the consultant's name, specialities
and contact through the outbox, and the referral is recorded: members never see the list, only
the consultants they were referred to.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Context, Retry
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Consultant, ExchangePost, Person
from content.text import fold
from handlers.actions import Action
from handlers.club.admin import person_label, tell
from handlers.validation import Cleaned, clean_line

NAME_MAX = 150
SPECIALITIES_MAX = 300
CONTACT_MAX = 200
KIND_REFERRAL = "consultant_referral"
_ADD_WORDS = ("ajouter", "add")
_REMOVE_WORDS = ("retirer", "remove")
_MEMBER_WORDS = ("membre", "member")


async def consultants(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/club consultants``: the pôle's consultants, with their specialities and contact."""
    texts = context.texts
    found = await repo.pole_consultants(context.session, pole_id=context.pole_id)
    if not found:
        return [context.say("club.consultants.none")]
    lines = [texts("club.consultants.title", count=len(found))]
    lines += [_line(context, consultant) for consultant in found]
    lines.append(texts("club.consultants.hint"))
    return [Reply(Text.join(lines))]


def _line(context: Context, consultant: Consultant) -> Text:
    return context.texts(
        "club.consultants.line",
        number=consultant.id,
        name=consultant.name,
        specialities=consultant.specialities,
        contact=consultant.contact,
    )


async def consultant(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club consultant ajouter NOM ; SPÉCIALITÉS ; CONTACT`` or ``retirer N``."""
    word = fold(args[0]) if args else ""
    if word in _ADD_WORDS:
        return [await _add(context, " ".join(args[1:]))]
    if word in _REMOVE_WORDS and len(args) == 2 and args[1].isdigit():
        return [await _remove(context, int(args[1]))]
    return [context.say("club.consultants.usage")]


async def _add(context: Context, typed: str) -> Reply:
    parts = typed.split(";")
    maxima = (NAME_MAX, SPECIALITIES_MAX, CONTACT_MAX)
    cleaned = [
        clean_line(context, part, max_length=maximum)
        for part, maximum in zip(parts, maxima, strict=False)
    ]
    if len(parts) != len(maxima) or any(isinstance(value, Retry) for value in cleaned):
        return context.say(
            "club.consultants.add_usage",
            name=NAME_MAX,
            specialities=SPECIALITIES_MAX,
            contact=CONTACT_MAX,
        )
    name, specialities, contact = (value.value for value in cleaned if isinstance(value, Cleaned))
    added = await repo.add_consultant(
        context.session,
        pole_id=context.pole_id,
        name=name,
        specialities=specialities,
        contact=contact,
    )
    return context.say("club.consultants.added", name=added.name, number=added.id)


async def _remove(context: Context, number: int) -> Reply:
    found = await repo.pole_consultant(
        context.session, pole_id=context.pole_id, consultant_id=number
    )
    if found is None:
        return context.say("club.consultants.unknown", number=number)
    await repo.remove_consultant(context.session, consultant=found)
    return context.say("club.consultants.removed", name=found.name)


async def refer(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club orienter POST_ID [CONSULTANT_ID]`` or ``/club orienter membre PERSON_ID
    [CONSULTANT_ID]``: give a member a consultant's contact; without a consultant, which one."""
    by_member = bool(args) and fold(args[0]) in _MEMBER_WORDS
    rest = list(args[1:] if by_member else args)
    if not 1 <= len(rest) <= 2 or not all(arg.isdigit() for arg in rest):
        return [context.say("club.consultants.refer_usage")]
    post: ExchangePost | None = None
    if by_member:
        person = await _pole_member(context, int(rest[0]))
        if person is None:
            return [context.say("club.consultants.unknown_member")]
        command = f"club orienter membre {person.id}"
        about = context.texts("club.consultants.refer_member", person=person_label(person))
    else:
        found = await repo.pole_exchange_post(
            context.session, pole_id=context.pole_id, post_id=int(rest[0])
        )
        if found is None:
            return [context.say("club.consultants.unknown_post", number=rest[0][:10])]
        post, club = found
        person = await context.session.get(Person, post.person_id)
        assert person is not None
        command = f"club orienter {post.id}"
        about = context.texts("club.consultants.refer_post", club=club.name, text=post.text)
    if len(rest) == 1:
        return [await _which(context, about, command)]
    chosen = await repo.pole_consultant(
        context.session, pole_id=context.pole_id, consultant_id=int(rest[1])
    )
    if chosen is None:
        return [context.say("club.consultants.unknown", number=rest[1][:10])]
    await repo.add_referral(
        context.session,
        consultant=chosen,
        person_id=person.id or 0,
        post_id=post.id if post else None,
        referred_by=context.person_id,
    )
    sent = await tell(
        context,
        person_id=person.id or 0,
        kind=KIND_REFERRAL,
        key="club.consultants.referral_post" if post else "club.consultants.referral",
        name=chosen.name,
        specialities=chosen.specialities,
        contact=chosen.contact,
        text=post.text if post else "",
    )
    if not sent:
        # Only at a terminal, where nothing reaches them unasked: the animator gives it.
        return [
            context.say(
                "club.consultants.unreachable",
                name=chosen.name,
                specialities=chosen.specialities,
                contact=chosen.contact,
            )
        ]
    if post is not None:
        return [context.say("club.consultants.referred_post", name=chosen.name, number=post.id)]
    return [context.say("club.consultants.referred", name=chosen.name, person=person_label(person))]


async def _pole_member(context: Context, person_id: int) -> Person | None:
    """The member ``person_id`` of the animator's pôle; None for anyone else."""
    if await repo.membership(context.session, person_id=person_id, pole_id=context.pole_id):
        return await context.session.get(Person, person_id)
    return None


async def _which(context: Context, about: Text, command: str) -> Reply:
    """Whom to refer to: the pôle's consultants, one button each."""
    found = await repo.pole_consultants(context.session, pole_id=context.pole_id)
    if not found:
        return Reply(Text.join([about, context.texts("club.consultants.none")]))
    buttons = [
        context.command_button(f"{c.name} — {c.specialities}"[:60], f"{command} {c.id}")
        for c in found
    ]
    lines = [about, context.texts("club.consultants.which"), *(_line(context, c) for c in found)]
    return Reply(Text.join(lines), tuple(buttons))


ACTIONS = (
    Action(("consultants",), consultants, role="animator"),
    Action(("consultant",), consultant, role="animator"),
    Action(("orienter", "refer"), refer, role="animator"),
)
FLOWS = ()
