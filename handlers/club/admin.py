"""Running a club's membership: animators invite the pôle's members (who read and accept the
charter before anything else of the club), remove a member with a reason kept for the
animators, and see the roster with everyone's status; members see who is in their clubs.

The removed person is told they are no longer a member and, only if the animator chooses so,
why: a reason can be hard to read alone in a chat, and the animators may prefer to explain it
by phone; either way it stays on record for them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Button, Reply, Text
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import CLUB_STATUSES, Campaign, Club, ClubMember, Person
from content.text import fold
from handlers.actions import Action
from handlers.audiences import recipient_of
from handlers.language import texts_for
from handlers.validation import clean_line

INVITE_FLOW = "club_invite"
REMOVE_FLOW = "club_remove"
# Names shown at once among the people to invite: a screenful on a phone.
PAGE = 8
REASON_MAX = 300
# What the animators' roster says of each: a member who has not accepted the charter's latest
# version yet is "outdated" (they see nothing of the club meanwhile).
ROSTER_STATUSES = (*CLUB_STATUSES, "outdated")


def person_label(person: Person) -> str:
    """« Bob Lefèvre (Scop Les Tisserands) », as people are told apart in a club."""
    name = person.display_name or "?"
    return f"{name} ({person.company})" if person.company else name


async def member_clubs(context: Context) -> list[tuple[Club, ClubMember]]:
    """The person's clubs in their pôle: those whose current charter they accepted, the only
    ones they may see anything of."""
    kept = []
    for club, member in await repo.clubs_of(
        context.session, person_id=context.person_id, pole_id=context.pole_id
    ):
        if member.status != "member":
            continue
        charter = await repo.latest_charter(context.session, club_id=club.id or 0)
        if member.charter_version == charter.version:
            kept.append((club, member))
    return kept


def pick_club(clubs: Sequence[Club], key: str) -> Club | None:
    """The club among ``clubs`` that ``key`` names: its number (from a button) or its name."""
    wanted = fold(" ".join(key.split()))
    return next((c for c in clubs if str(c.id) == key or fold(c.name) == wanted), None)


async def tell(
    context: Context,
    *,
    person_id: int,
    kind: str,
    key: str,
    button: tuple[str, str] | None = None,
    **values: object,
) -> int:
    """Queue one message to one person, in their language, through the outbox; ``button`` is
    a (label key, command) pair. The campaign is about them, so it is erased with them."""
    person = await context.session.get(Person, person_id)
    recipient = await recipient_of(context.session, person_id=person_id)
    if person is None or recipient is None:
        return 0
    texts = texts_for(context.content, context.settings, person)
    buttons = []
    if button is not None:
        label, command = button
        buttons = [[texts.label(label, **values), f"/{command}"]]
    campaign = Campaign(
        pole_id=context.pole_id,
        kind=kind,
        subject_id=person_id,
        audience=f"{kind}:{person_id}",
        text=texts.label(key, **values),
        buttons=buttons,
    )
    return await enqueue(context.session, campaign=campaign, recipients=[recipient])


# The club step, shared by the animators' flows: asked only when the pôle has several clubs.

Ready = Callable[[Context, Club], Awaitable[Reply | None]]


async def start_for_club(
    context: Context, flow: str, next_step: str, ready: Ready | None = None
) -> list[Reply]:
    """Begin ``flow`` at its club step, or straight at ``next_step`` when the pôle has one
    club; ``ready`` says why there is nothing to do in a club (the flow then does not start)."""
    clubs = await repo.pole_clubs(context.session, pole_id=context.pole_id)
    if not clubs:
        return [context.say("club.admin.no_club")]
    if len(clubs) == 1:
        club = clubs[0][0]
        refusal = await ready(context, club) if ready else None
        if refusal is not None:
            return [refusal]
        context.start_flow(flow, {"club_id": club.id})
        context.state.step = next_step
        return []
    context.start_flow(flow)
    return []


def club_step(next_step: str, ready: Ready | None = None) -> Step:
    """Which of the pôle's clubs, as buttons."""

    async def ask(context: Context) -> Reply:
        clubs = await repo.pole_clubs(context.session, pole_id=context.pole_id)
        buttons = [context.choice(club.name, str(club.id)) for club, _ in clubs]
        return context.say("club.admin.ask_club", buttons=buttons)

    async def answer(context: Context, given: Answer) -> Outcome:
        club = None
        if given.choice and given.choice.isdigit():
            club = await repo.pole_club(
                context.session, pole_id=context.pole_id, club_id=int(given.choice)
            )
        if club is None:
            return Retry(context.say("errors.pick_a_button"))
        refusal = await ready(context, club) if ready else None
        if refusal is not None:
            return Done([refusal])
        context.data["club_id"] = club.id
        return Next(next_step)

    return Step(ask, answer)


async def _club(context: Context) -> Club:
    """The club the flow is about, checked to be of the pôle the flow began in."""
    club = await repo.pole_club(
        context.session, pole_id=context.pole_id, club_id=context.data["club_id"]
    )
    assert club is not None  # clubs are never deleted
    return club


# /club inviter


async def invite(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/club inviter``: invite members of the pôle to a club; asks which club, then whom."""
    return await start_for_club(context, INVITE_FLOW, "people", _anyone_to_invite)


async def _anyone_to_invite(context: Context, club: Club) -> Reply | None:
    if await repo.club_invitable(context.session, pole_id=context.pole_id, club_id=club.id or 0):
        return None
    return context.say("club.admin.invite_nobody", club=club.name)


def _matches(person: Person, search: str) -> bool:
    return fold(search) in fold(person_label(person))


async def ask_people(context: Context) -> Reply:
    """Shows a page of the pôle's members not in the club (those matching the search typed),
    each a button to add or take off the list, and the button sending the invitations."""
    texts = context.texts
    club = await _club(context)
    everyone = await repo.club_invitable(
        context.session, pole_id=context.pole_id, club_id=club.id or 0
    )
    chosen = set(context.data.get("chosen", []))
    search = context.data.get("search", "")
    shown = [person for person in everyone if _matches(person, search)]
    pages = max(1, -(-len(shown) // PAGE))
    page = min(context.data.get("page", 0), pages - 1)
    lines = [texts("club.admin.invite_ask", club=club.name, page=page + 1, pages=pages)]
    if search:
        lines.append(texts("club.admin.invite_search", search=search))
    names = [person_label(p) for p in everyone if p.id in chosen]
    if names:
        lines.append(texts("club.admin.invite_chosen", names=", ".join(names)))
    buttons: list[Button] = [
        context.choice(("✓ " if p.id in chosen else "") + person_label(p), f"p{p.id}")
        for p in shown[page * PAGE : (page + 1) * PAGE]
    ]
    if page > 0:
        buttons.append(context.choice(texts.label("club.admin.previous"), "previous"))
    if page < pages - 1:
        buttons.append(context.choice(texts.label("club.admin.next"), "next"))
    if search:
        buttons.append(context.choice(texts.label("club.admin.everyone"), "everyone"))
    if chosen:
        label = texts.label("club.admin.invite_send", count=len(chosen))
        buttons.append(context.choice(label, "send"))
    return Reply(Text.join(lines, "\n\n"), tuple(buttons))


async def answer_people(context: Context, answer: Answer) -> Outcome:
    club = await _club(context)
    everyone = {
        person.id: person
        for person in await repo.club_invitable(
            context.session, pole_id=context.pole_id, club_id=club.id or 0
        )
    }
    chosen: list[int] = context.data.get("chosen", [])
    choice = answer.choice
    if choice is None:
        search = " ".join(answer.text.split())
        if not any(_matches(person, search) for person in everyone.values()):
            return Retry(context.say("club.admin.invite_no_match", search=search[:50]))
        context.data["search"], context.data["page"] = search, 0
    elif choice in ("next", "previous"):
        context.data["page"] = context.data.get("page", 0) + (1 if choice == "next" else -1)
    elif choice == "everyone":
        context.data["search"], context.data["page"] = "", 0
    elif choice.startswith("p") and choice[1:].isdigit() and int(choice[1:]) in everyone:
        person_id = int(choice[1:])
        context.data["chosen"] = (
            [p for p in chosen if p != person_id] if person_id in chosen else [*chosen, person_id]
        )
    elif choice == "send" and chosen:
        return Done([await _send_invitations(context, club, [p for p in chosen if p in everyone])])
    else:
        return Retry(context.say("errors.pick_a_button"))
    return Next("people")


async def _send_invitations(context: Context, club: Club, people: list[int]) -> Reply:
    """A place in the club for each, and a message with the button that opens the charter:
    the club's name is all they learn of it until they accept."""
    assert context.pole is not None
    sent = 0
    for person_id in people:
        await repo.invite_to_club(context.session, club_id=club.id or 0, person_id=person_id)
        sent += await tell(
            context,
            person_id=person_id,
            kind="club_invite",
            key="club.admin.invitation",
            button=("club.read_charter", f"club rejoindre {club.code}"),
            club=club.name,
            pole=context.pole.name,
        )
    return context.say("club.admin.invite_sent", club=club.name, count=len(people), sent=sent)


# /club retirer


async def remove(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/club retirer``: remove someone from a club; asks which club, whom, why, then whether
    to tell them why."""
    return await start_for_club(context, REMOVE_FLOW, "member", _anyone_to_remove)


async def _removable(context: Context, club: Club) -> list[tuple[Person, ClubMember]]:
    roster = await repo.club_roster(context.session, club_id=club.id or 0)
    return [(person, member) for person, member in roster if member.status != "removed"]


async def _anyone_to_remove(context: Context, club: Club) -> Reply | None:
    if await _removable(context, club):
        return None
    return context.say("club.admin.remove_nobody", club=club.name)


async def ask_member(context: Context) -> Reply:
    """Asks whom to remove, among the club's members and invited people."""
    club = await _club(context)
    buttons = [
        context.choice(person_label(person), str(person.id))
        for person, _ in await _removable(context, club)
    ]
    return context.say("club.admin.remove_ask_member", club=club.name, buttons=buttons)


async def answer_member(context: Context, answer: Answer) -> Outcome:
    club = await _club(context)
    removable = {str(person.id): person for person, _ in await _removable(context, club)}
    person = removable.get(answer.choice or "")
    if person is None:
        return Retry(context.say("errors.pick_a_button"))
    context.data["person_id"], context.data["name"] = person.id, person_label(person)
    return Next("reason")


async def ask_reason(context: Context) -> Reply:
    """Asks why: required, kept for the animators."""
    return context.say(
        "club.admin.remove_ask_reason", name=context.data["name"], maximum=REASON_MAX
    )


async def answer_reason(context: Context, answer: Answer) -> Outcome:
    if not answer.text.strip():
        return Retry(context.say("club.admin.reason_required"))
    cleaned = clean_line(context, answer.text, max_length=REASON_MAX)
    if isinstance(cleaned, Retry):
        return cleaned
    context.data["reason"] = cleaned.value
    return Next("confirm")


async def ask_remove_confirm(context: Context) -> Reply:
    """Sums up the removal and asks whether the person is told the reason."""
    club = await _club(context)
    texts = context.texts
    buttons = [
        context.choice(texts.label("club.admin.remove_silent"), "silent"),
        context.choice(texts.label("club.admin.remove_with_reason"), "reason"),
        context.choice(texts.label("club.admin.remove_cancel"), "cancel"),
    ]
    return context.say(
        "club.admin.remove_confirm",
        name=context.data["name"],
        club=club.name,
        reason=context.data["reason"],
        buttons=buttons,
    )


async def answer_remove_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("club.admin.remove_dropped")])
    if answer.choice not in ("silent", "reason"):
        return Retry(context.say("errors.pick_a_button"))
    club = await _club(context)
    person_id, reason = context.data["person_id"], context.data["reason"]
    member = await repo.club_member(context.session, club_id=club.id or 0, person_id=person_id)
    if member is None or member.status == "removed":
        return Done([context.say("club.admin.remove_gone", name=context.data["name"])])
    await repo.remove_from_club(context.session, member=member, reason=reason)
    shared = answer.choice == "reason"
    await tell(
        context,
        person_id=person_id,
        kind="club_removal",
        key="club.admin.removed_with_reason" if shared else "club.admin.removed",
        club=club.name,
        reason=reason,
    )
    return Done(
        [
            context.say(
                "club.admin.removed_told_reason" if shared else "club.admin.removed_done",
                name=context.data["name"],
                club=club.name,
            )
        ]
    )


# /club membres


def _day(context: Context, moment: datetime | None) -> str:
    if moment is None:
        return "?"
    return moment.astimezone(context.settings.tz).strftime("%d/%m/%Y")


async def roster(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club membres [CLUB]``: who is in the club. Its members see the names and companies
    of the others; the pôle's animators see everyone's status, and the reasons of removals."""
    animator = context.has_role("animator")
    if animator:
        clubs = [
            club for club, _ in await repo.pole_clubs(context.session, pole_id=context.pole_id)
        ]
    else:
        clubs = [club for club, _ in await member_clubs(context)]
    # The same answers whether a club of that name exists elsewhere or not.
    if not clubs:
        return [context.say("club.admin.no_club" if animator else "club.admin.none")]
    if args:
        club = pick_club(clubs, " ".join(args))
        if club is None:
            return [context.say("club.admin.unknown")]
    elif len(clubs) == 1:
        club = clubs[0]
    else:
        buttons = [context.command_button(c.name, f"club membres {c.id}") for c in clubs]
        return [context.say("club.admin.roster_which", buttons=buttons)]
    rows = await repo.club_roster(context.session, club_id=club.id or 0)
    if animator:
        return [await _animator_roster(context, club, rows)]
    current = await repo.club_member_ids(
        context.session, pole_id=context.pole_id, club_id=club.id or 0
    )
    lines = [
        context.texts("club.admin.roster_line", person=person_label(person))
        for person, _ in rows
        if person.id in current
    ]
    title = context.texts("club.admin.roster_title", club=club.name, count=len(lines))
    return [Reply(Text.join([title, *lines]))]


async def _animator_roster(
    context: Context, club: Club, rows: list[tuple[Person, ClubMember]]
) -> Reply:
    texts = context.texts
    latest = (await repo.latest_charter(context.session, club_id=club.id or 0)).version
    lines = []
    for person, member in rows:
        status = member.status
        if status == "member" and member.charter_version != latest:
            status = "outdated"
        line = texts(
            f"club.admin.status.{status}",
            person=person_label(person),
            version=member.charter_version or 0,
            day=_day(context, member.accepted_at),
            latest=latest,
            reason=member.removal_reason or "",
        )
        if member.hosting is not None and status != "removed":
            line = line + texts(f"club.admin.hosting.{'yes' if member.hosting else 'no'}")
        lines.append(line)
    members = sum(1 for _, member in rows if member.status == "member")
    title = texts("club.admin.roster_title_animator", club=club.name, count=members)
    hint = texts("club.admin.roster_hint")
    return Reply(Text.join([title, *lines, hint]))


ACTIONS = (
    Action(("inviter", "invite"), invite, role="animator"),
    Action(("retirer", "remove"), remove, role="animator"),
    Action(("membres", "members"), roster),
)
FLOWS = (
    Flow(
        INVITE_FLOW,
        "club.admin.invite_title",
        "club",
        {"club": club_step("people", _anyone_to_invite), "people": Step(ask_people, answer_people)},
        role="animator",
    ),
    Flow(
        REMOVE_FLOW,
        "club.admin.remove_title",
        "club",
        {
            "club": club_step("member", _anyone_to_remove),
            "member": Step(ask_member, answer_member),
            "reason": Step(ask_reason, answer_reason),
            "confirm": Step(ask_remove_confirm, answer_remove_confirm),
        },
        role="animator",
    ),
)
