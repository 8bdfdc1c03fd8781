"""Introductions between two members of a club, double opt-in.

``/club relation`` lists the person's own: requests waiting for their answer, theirs waiting,
accepted ones. ``/club relation PERSON_ID [entree ENTRY_ID] [annonce POST_ID]`` (the button
the directory and the service exchange show) asks the requester why, which contact of theirs
to share, shows the request and sends it. The other member receives, through the outbox, the
reason and what it is about (a directory entry, an exchange post), but neither the
requester's name nor their company nor their contact, with « Accepter » and « Refuser »
(``/club relation accepter|refuser ID``). Accepting asks which contact of theirs to share;
then, and only then, each learns the other's name, company and chosen contact: the recipient
at once, the requester with ``/club relation voir ID`` (the button of the message telling
them), read from the introduction itself, so that no stored message names either of them and
an erased person is gone from it. Declining tells the requester so kindly, and nothing more,
not even who declined.

Anyone who is not a current member of a club shared with the requester is unknown here, the
requester themself included, with the same answer as a number nobody has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Club, DirectoryEntry, ExchangePost, Introduction, Person
from content.loader import Texts
from content.text import fold
from handlers.actions import Action
from handlers.audiences import recipient_of
from handlers.club.admin import member_clubs, person_label, tell
from handlers.club.directory import with_contacts
from handlers.language import texts_for
from handlers.validation import clean_line

REQUEST_FLOW = "club_relation"
ACCEPT_FLOW = "club_relation_accept"
REASON_MAX = 500
CONTACT_MAX = 200
# The campaign kinds: the request to its recipient, and the answer to its requester.
KIND_REQUEST = "club_introduction"
KIND_ANSWER = "club_introduction_reply"
_ENTRY_WORDS = ("entree", "entry")
_POST_WORDS = ("annonce", "post")
_ACCEPT_WORDS = ("accepter", "accept")
_DECLINE_WORDS = ("refuser", "decline")
_VIEW_WORDS = ("voir", "see")


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a request goes to, in which club, and what it is about."""

    club: Club
    recipient: Person
    entry: DirectoryEntry | None
    post: ExchangePost | None


def request_command(
    person_id: int, *, entry_id: int | None = None, post_id: int | None = None
) -> str:
    """The ``/club relation`` command (without its slash) asking to meet ``person_id``."""
    command = f"club relation {person_id}"
    if entry_id is not None:
        command += f" entree {entry_id}"
    if post_id is not None:
        command += f" annonce {post_id}"
    return command


async def find_target(
    context: Context, person_id: int, *, entry_id: int | None, post_id: int | None
) -> Target | None:
    """The request's target if ``person_id`` is a current member of a club the requester is a
    current member of, and the entry and the post (open) are of that club and concern one of
    them; None otherwise, whatever exists."""
    if person_id == context.person_id:
        return None
    session = context.session
    clubs = [
        club
        for club, _ in await member_clubs(context)
        if person_id
        in await repo.club_member_ids(session, pole_id=context.pole_id, club_id=club.id or 0)
    ]
    entry = post = None
    if entry_id is not None:
        entries = await repo.directory_entries(
            session, club_ids=[club.id or 0 for club in clubs], entry_ids=[entry_id]
        )
        found = await with_contacts(context, entries)
        if not found or person_id not in {person.id for person in found[0][1]}:
            return None
        entry = found[0][0]
        clubs = [club for club in clubs if club.id == entry.club_id]
    if post_id is not None:
        post = await repo.club_exchange_post(
            session, post_id=post_id, club_ids=[club.id or 0 for club in clubs]
        )
        if post is None or post.person_id not in (person_id, context.person_id):
            return None
        clubs = [club for club in clubs if club.id == post.club_id]
    recipient = await session.get(Person, person_id)
    if not clubs or recipient is None:
        return None
    return Target(clubs[0], recipient, entry, post)


def about(texts: Texts, entry: DirectoryEntry | None, post: ExchangePost | None) -> str:
    """What a request is about, in ``texts``' language: the entry's subject, the post."""
    parts = []
    if entry is not None:
        parts.append(texts.label("club.introductions.about_entry", subject=entry.subject))
    if post is not None:
        key = (
            "club.introductions.about_offer"
            if post.kind == "offer"
            else "club.introductions.about_request"
        )
        parts.append(texts.label(key, text=post.text))
    return " ; ".join(parts) or texts.label("club.introductions.about_nothing")


def _parse_request(args: Sequence[str]) -> tuple[int, int | None, int | None] | None:
    """PERSON_ID, then optionally ``entree ENTRY_ID`` and ``annonce POST_ID``, in any order."""
    if not args or not args[0].isdigit() or len(args) % 2 != 1:
        return None
    found: dict[str, int] = {}
    for word, number in zip(args[1::2], args[2::2], strict=True):
        kind = (
            "entry" if fold(word) in _ENTRY_WORDS else "post" if fold(word) in _POST_WORDS else ""
        )
        if not kind or kind in found or not number.isdigit():
            return None
        found[kind] = int(number)
    return int(args[0]), found.get("entry"), found.get("post")


async def relation(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club relation PERSON_ID [entree N] [annonce N]`` asks to be introduced;
    ``/club relation accepter|refuser ID`` answers a request."""
    if len(args) == 2 and fold(args[0]) in _ACCEPT_WORDS + _DECLINE_WORDS + _VIEW_WORDS:
        if not args[1].isdigit():
            return [context.say("club.introductions.unknown_request")]
        if fold(args[0]) in _ACCEPT_WORDS:
            return await accept(context, int(args[1]))
        if fold(args[0]) in _VIEW_WORDS:
            return await show(context, int(args[1]))
        return await decline(context, int(args[1]))
    if not args:
        return [await overview(context)]
    parsed = _parse_request(args)
    if parsed is None:
        return [context.say("club.introductions.usage")]
    person_id, entry_id, post_id = parsed
    target = await find_target(context, person_id, entry_id=entry_id, post_id=post_id)
    if target is None:
        return [context.say("club.introductions.unknown_person")]
    name = person_label(target.recipient)
    pending = await repo.pending_introduction(
        context.session, requester_id=context.person_id, recipient_id=person_id
    )
    if pending is not None:
        return [context.say("club.introductions.already_pending", name=name)]
    context.start_flow(
        REQUEST_FLOW,
        {"person_id": person_id, "entry_id": entry_id, "post_id": post_id, "name": name},
    )
    return []


async def overview(context: Context) -> Reply:
    """``/club relation``: the requests waiting for the person's answer (the reason, not who
    asks), their own still waiting, and their accepted introductions with « Voir ses
    coordonnées »; a person the bot cannot write to first (on the console) finds them here."""
    texts = context.texts
    lines, buttons = [], []
    for introduction in await repo.introductions_of(
        context.session, pole_id=context.pole_id, person_id=context.person_id
    ):
        number = introduction.id
        day = introduction.created_at.astimezone(context.settings.tz).strftime("%d/%m/%Y")
        if introduction.status == "accepted":
            lines.append(texts("club.introductions.line_accepted", number=number, day=day))
            label = texts.label("club.introductions.see_number", number=number)
            buttons.append(context.command_button(label, f"club relation voir {number}"))
        elif introduction.recipient_id == context.person_id:
            lines.append(
                texts(
                    "club.introductions.line_received",
                    number=number,
                    day=day,
                    reason=introduction.reason,
                )
            )
            for word, key in (
                ("accepter", "club.introductions.accept_number"),
                ("refuser", "club.introductions.decline_number"),
            ):
                label = texts.label(key, number=number)
                buttons.append(context.command_button(label, f"club relation {word} {number}"))
        else:
            lines.append(texts("club.introductions.line_sent", number=number, day=day))
    if not lines:
        return context.say("club.introductions.none")
    return Reply(Text.join([texts("club.introductions.overview"), *lines]), tuple(buttons))


async def _flow_target(context: Context) -> Target | None:
    data = context.data
    return await find_target(
        context, data["person_id"], entry_id=data["entry_id"], post_id=data["post_id"]
    )


async def ask_reason(context: Context) -> Reply:
    """Says whom the request goes to and about what; asks why."""
    target = await _flow_target(context)
    subject = about(context.texts, target.entry, target.post) if target else ""
    return context.say(
        "club.introductions.ask_reason",
        name=context.data["name"],
        club=target.club.name if target else "",
        about=subject,
        maximum=REASON_MAX,
    )


async def answer_reason(context: Context, answer: Answer) -> Outcome:
    cleaned = clean_line(context, answer.text, max_length=REASON_MAX)
    if isinstance(cleaned, Retry):
        return cleaned
    context.data["reason"] = cleaned.value
    return Next("contact")


def _contact_step(key: str, chosen: str) -> Step:
    """Asks which contact to share (the profile's e-mail as a button, when given)."""

    async def ask(context: Context) -> Reply:
        email = context.person.email if context.person else None
        buttons = []
        if email:
            label = context.texts.label("club.introductions.my_email", email=email)
            buttons.append(context.choice(label, "email"))
        return context.say(key, maximum=CONTACT_MAX, buttons=buttons)

    async def answer(context: Context, given: Answer) -> Outcome:
        email = context.person.email if context.person else None
        if given.choice == "email" and email:
            context.data["contact"] = email
        else:
            cleaned = clean_line(context, given.text, max_length=CONTACT_MAX)
            if isinstance(cleaned, Retry):
                return cleaned
            context.data["contact"] = cleaned.value
        return await chosen(context)

    return Step(ask, answer)


async def _to_preview(context: Context) -> Outcome:
    return Next("preview")


async def ask_preview(context: Context) -> Reply:
    """The request as it will go, and what stays hidden until an acceptance."""
    target = await _flow_target(context)
    texts = context.texts
    buttons = [
        context.choice(texts.label("club.introductions.send"), "send"),
        context.choice(texts.label("club.introductions.cancel"), "cancel"),
    ]
    return context.say(
        "club.introductions.preview",
        name=context.data["name"],
        about=about(texts, target.entry, target.post) if target else "",
        reason=context.data["reason"],
        contact=context.data["contact"],
        buttons=buttons,
    )


async def answer_preview(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("club.introductions.dropped")])
    if answer.choice != "send":
        return Retry(context.say("errors.pick_a_button"))
    target = await _flow_target(context)
    if target is None:
        # Left the club meanwhile (either of them), or the post was closed.
        return Done([context.say("club.introductions.unknown_person")])
    name = context.data["name"]
    requester, recipient = context.person_id, target.recipient.id or 0
    if await repo.pending_introduction(
        context.session, requester_id=requester, recipient_id=recipient
    ):
        return Done([context.say("club.introductions.already_pending", name=name)])
    introduction = await repo.add_introduction(
        context.session,
        club_id=target.club.id or 0,
        requester_id=requester,
        recipient_id=recipient,
        reason=context.data["reason"],
        contact=context.data["contact"],
        entry_id=target.entry.id if target.entry else None,
        post_id=target.post.id if target.post else None,
    )
    await _send_request(context, introduction, target)
    return Done([context.say("club.introductions.sent", name=name)])


async def _send_request(context: Context, introduction: Introduction, target: Target) -> int:
    """The request to its recipient, in their language, with the two answers as buttons: the
    reason and what it is about, nothing that names the requester."""
    recipient = await recipient_of(context.session, person_id=introduction.recipient_id)
    if recipient is None:
        return 0
    texts = texts_for(context.content, context.settings, target.recipient)
    text = texts.label(
        "club.introductions.request",
        club=target.club.name,
        about=about(texts, target.entry, target.post),
        reason=introduction.reason,
    )
    buttons = [
        [texts.label("club.introductions.accept"), f"/club relation accepter {introduction.id}"],
        [texts.label("club.introductions.decline"), f"/club relation refuser {introduction.id}"],
    ]
    campaign = Campaign(
        pole_id=context.pole_id,
        kind=KIND_REQUEST,
        # The requester's words: erased with the requester.
        subject_id=introduction.requester_id,
        audience=f"{KIND_REQUEST}:{introduction.recipient_id}",
        text=text,
        buttons=buttons,
    )
    return await enqueue(context.session, campaign=campaign, recipients=[recipient])


# The recipient's answer.


async def _request_to_answer(
    context: Context, introduction_id: int
) -> tuple[Introduction | None, Reply | None]:
    """The request ``introduction_id`` if this person received it and both are still members
    of its club; else the reply saying why not (the same whether it exists or not)."""
    introduction = await repo.pole_introduction(
        context.session, pole_id=context.pole_id, introduction_id=introduction_id
    )
    if introduction is None or introduction.recipient_id != context.person_id:
        return None, context.say("club.introductions.unknown_request")
    if introduction.status != "pending":
        return None, context.say("club.introductions.already_answered")
    members = await repo.club_member_ids(
        context.session, pole_id=context.pole_id, club_id=introduction.club_id
    )
    if not {introduction.requester_id, introduction.recipient_id} <= members:
        return None, context.say("club.introductions.unknown_request")
    return introduction, None


async def accept(context: Context, introduction_id: int) -> list[Reply]:
    """« Accepter »: asks which contact to share, then introduces them to each other."""
    introduction, refusal = await _request_to_answer(context, introduction_id)
    if introduction is None:
        return [refusal] if refusal else []
    context.start_flow(ACCEPT_FLOW, {"introduction_id": introduction.id})
    return []


async def _accepted(context: Context) -> Outcome:
    introduction, refusal = await _request_to_answer(context, context.data["introduction_id"])
    if introduction is None:
        return Done([refusal] if refusal else [])
    contact = context.data["contact"]
    if not await repo.answer_introduction(
        context.session, introduction=introduction, status="accepted", contact=contact
    ):
        return Done([context.say("club.introductions.already_answered")])
    requester = await context.session.get(Person, introduction.requester_id)
    me = context.person
    assert requester is not None and me is not None
    await tell(
        context,
        person_id=introduction.requester_id,
        kind=KIND_ANSWER,
        key="club.introductions.accepted",
        button=("club.introductions.see_button", f"club relation voir {introduction.id}"),
    )
    return Done(
        [
            context.say(
                "club.introductions.accepted_done",
                name=requester.display_name or "?",
                company=requester.company or "—",
                contact=introduction.requester_contact,
                reason=introduction.reason,
            )
        ]
    )


async def decline(context: Context, introduction_id: int) -> list[Reply]:
    """« Refuser »: the requester hears, kindly, that it will not be; nothing else."""
    introduction, refusal = await _request_to_answer(context, introduction_id)
    if introduction is None:
        return [refusal] if refusal else []
    if not await repo.answer_introduction(
        context.session, introduction=introduction, status="declined", contact=None
    ):
        return [context.say("club.introductions.already_answered")]
    await tell(
        context,
        person_id=introduction.requester_id,
        kind=KIND_ANSWER,
        key="club.introductions.declined",
    )
    return [context.say("club.introductions.declined_done")]


async def show(context: Context, introduction_id: int) -> list[Reply]:
    """``/club relation voir ID``: the other member of an accepted introduction, their name,
    company and the contact they chose; unknown to anyone else."""
    introduction = await repo.accepted_introduction(
        context.session, introduction_id=introduction_id, person_id=context.person_id
    )
    if introduction is None:
        return [context.say("club.introductions.unknown_request")]
    mine = introduction.requester_id == context.person_id
    other = await context.session.get(
        Person, introduction.recipient_id if mine else introduction.requester_id
    )
    assert other is not None
    contact = introduction.recipient_contact if mine else introduction.requester_contact
    return [
        context.say(
            "club.introductions.shown",
            name=other.display_name or "?",
            company=other.company or "—",
            contact=contact or "—",
            reason=introduction.reason,
        )
    ]


ACTIONS = (Action(("relation", "introduce"), relation),)
FLOWS = (
    Flow(
        REQUEST_FLOW,
        "club.introductions.request_title",
        "reason",
        {
            "reason": Step(ask_reason, answer_reason),
            "contact": _contact_step("club.introductions.ask_contact", _to_preview),
            "preview": Step(ask_preview, answer_preview),
        },
        role="member",
    ),
    Flow(
        ACCEPT_FLOW,
        "club.introductions.accept_title",
        "contact",
        {"contact": _contact_step("club.introductions.ask_own_contact", _accepted)},
        role="member",
    ),
)
