"""Clubs of a pôle: created by an animator with the default charter, joined with the club's
code after reading and accepting the charter, left at will. Nothing of a club is shown to
someone who is not its member, except to the pôle's animators."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Answer, Context, Done, Flow, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Club, utcnow
from handlers.actions import Action
from handlers.club.hosting import hosting_line
from handlers.events.invitations import local_time, rsvp_buttons

CHARTER_FLOW = "club_charter"
NAME_MAX = 80


async def overview(context: Context) -> list[Reply]:
    """The member's clubs (those whose charter they accepted), invitations to read a charter,
    and for animators every club of the pôle with its code."""
    texts = context.texts
    mine = await repo.clubs_of(
        context.session, person_id=context.person_id, pole_id=context.pole_id
    )
    lines: list[Text] = []
    buttons = []
    for club, member in mine:
        charter = await repo.latest_charter(context.session, club_id=club.id or 0)
        if member.status == "member" and member.charter_version == charter.version:
            meeting = await repo.next_event(context.session, club_id=club.id or 0, after=utcnow())
            if meeting is None:
                lines.append(texts("club.line_member", club=club.name))
            else:
                assert meeting.starts_at is not None
                when = local_time(context.settings, meeting.starts_at)
                lines.append(
                    texts(
                        "club.line_next",
                        club=club.name,
                        when=when,
                        host=meeting.host_company,
                        theme=meeting.title,
                        place=meeting.place,
                    )
                )
                buttons += rsvp_buttons(texts, meeting)
            for poll in await repo.polling_events(context.session, club_id=club.id):
                if poll.poll_closed_at is None and poll.poll_deadline is not None:
                    deadline = local_time(context.settings, poll.poll_deadline)
                    lines.append(
                        texts("club.line_poll", club=club.name, theme=poll.title, when=deadline)
                    )
                    label = texts.label("club.poll_button", theme=poll.title)
                    buttons.append(context.command_button(label, f"club dispo {poll.id}"))
            lines.append(hosting_line(context, member))
            buttons.append(
                context.command_button(
                    texts.label("club.leave_button", club=club.name), f"club quitter {club.code}"
                )
            )
        elif member.status != "removed":
            # A new version of the charter, or an invitation: the charter comes first.
            lines.append(texts("club.line_charter", club=club.name))
            buttons.append(
                context.command_button(
                    texts.label("club.read_charter", club=club.name), f"club rejoindre {club.code}"
                )
            )
    if context.has_role("animator"):
        clubs = await repo.pole_clubs(context.session, pole_id=context.pole_id)
        lines.append(texts("club.pole_title", pole=context.pole.name if context.pole else ""))
        lines += [
            texts("club.pole_line", club=c.name, code=c.code, count=count) for c, count in clubs
        ]
        lines.append(texts("club.create_hint"))
        lines.append(texts("club.admin.overview_hint"))
    if not lines:
        return [context.say("club.none", pole=context.pole.name if context.pole else "")]
    if context.settings.public_url and any(m.status == "member" for _, m in mine):
        buttons.append(context.command_button(texts.label("club.agenda_button"), "club agenda"))
    return [Reply(Text.join([texts("club.title"), *lines]), tuple(buttons))]


async def create(context: Context, name: str) -> Reply:
    """``/club creer NOM``: a new club of the pôle, with the default charter in the animator's
    language as its version 1."""
    name = " ".join(name.split())
    if not name:
        return context.say("club.create_usage")
    if len(name) > NAME_MAX:
        return context.say("errors.too_long", length=len(name), maximum=NAME_MAX)
    try:
        club = await repo.create_club(
            context.session,
            pole_id=context.pole_id,
            name=name,
            charter=context.content.charter(context.locale),
        )
    except repo.ClubNameTaken:
        return context.say("club.name_taken", club=name)
    return context.say("club.created", club=club.name, code=club.code)


async def join(context: Context, code: str) -> list[Reply]:
    """``/club rejoindre CODE``: the charter to read and accept, before anything of the club."""
    club = await repo.club_by_code(context.session, pole_id=context.pole_id, code=code)
    # The same answer for a code of another pôle's club: it tells nothing of that club.
    if club is None:
        return [context.say("club.unknown_code", code=code[:20])]
    member = await repo.club_member(
        context.session, club_id=club.id or 0, person_id=context.person_id
    )
    charter = await repo.latest_charter(context.session, club_id=club.id or 0)
    if member is not None and member.status == "removed":
        return [context.say("club.removed", club=club.name)]
    if (
        member is not None
        and member.status == "member"
        and member.charter_version == charter.version
    ):
        return [context.say("club.already_member", club=club.name)]
    context.start_flow(CHARTER_FLOW, {"club_id": club.id, "version": charter.version})
    return []


async def _charter_club(context: Context) -> Club | None:
    return await context.session.get(Club, context.data["club_id"])


async def ask_charter(context: Context) -> Reply:
    """Shows the charter and asks to accept it."""
    club = await _charter_club(context)
    charter = await repo.latest_charter(context.session, club_id=context.data["club_id"])
    intro = context.texts(
        "club.charter_intro", club=club.name if club else "", version=charter.version
    )
    question = context.yes_no("club.charter_question", "club.charter_accept", "club.charter_refuse")
    return Reply(
        Text.join([intro, Text.parse(charter.text), question.text], "\n\n"), question.buttons
    )


async def answer_charter(context: Context, answer: Answer) -> Outcome:
    club = await _charter_club(context)
    if club is None:
        return Done([context.say("club.gone")])
    if answer.choice == "no":
        return Done([context.say("club.charter_refused", club=club.name)])
    if answer.choice != "yes":
        return Retry(context.say("errors.pick_a_button"))
    charter = await repo.latest_charter(context.session, club_id=club.id or 0)
    if charter.version != context.data["version"]:
        # Changed while it was being read: the new version is the one to accept.
        context.data["version"] = charter.version
        return Retry(context.say("club.charter_changed"))
    await repo.accept_charter(
        context.session,
        club_id=club.id or 0,
        person_id=context.person_id,
        version=charter.version,
    )
    return Done([context.say("club.joined", club=club.name, version=charter.version)])


async def leave(context: Context, code: str) -> Reply:
    """``/club quitter [CODE]``: leave a club (the only one, without a code)."""
    mine = [
        (club, member)
        for club, member in await repo.clubs_of(
            context.session, person_id=context.person_id, pole_id=context.pole_id
        )
        if member.status != "removed"
    ]
    if code:
        wanted = repo.normalize_invite_code(code)
        mine = [(club, member) for club, member in mine if club.code == wanted]
    if not mine:
        return context.say("club.leave_none")
    if len(mine) > 1:
        names = ", ".join(club.name for club, _ in mine)
        return context.say("club.leave_which", clubs=names)
    club, member = mine[0]
    await repo.leave_club(context.session, member=member)
    return context.say("club.left", club=club.name)


async def _create(context: Context, args: Sequence[str]) -> list[Reply]:
    return [await create(context, " ".join(args))]


async def _join(context: Context, args: Sequence[str]) -> list[Reply]:
    if not args:
        return [context.say("club.join_usage")]
    return await join(context, " ".join(args))


async def _leave(context: Context, args: Sequence[str]) -> list[Reply]:
    return [await leave(context, " ".join(args))]


async def _help(context: Context, args: Sequence[str]) -> list[Reply]:
    return [context.say("club.help")]


ACTIONS = (
    Action(("aide", "help"), _help),
    Action(("creer", "create"), _create, role="animator"),
    Action(("rejoindre", "join"), _join),
    Action(("quitter", "leave"), _leave),
)
FLOWS = (
    Flow(
        CHARTER_FLOW,
        "club.charter_title",
        "charter",
        {"charter": Step(ask_charter, answer_charter)},
        role="member",
    ),
)
