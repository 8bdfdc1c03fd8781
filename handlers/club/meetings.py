"""Club meetings: an animator describes one (theme, host company, good practice, place, agenda,
capacity, date), and every member of the club is invited (handlers/events/invitations.py) with
answer buttons and their calendar file; ``/club rsvp N oui|peutetre|non`` answers until the
meeting starts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Club, Event, utcnow
from handlers.actions import Action
from handlers.club import date_poll
from handlers.club.draft import described_meeting, parse_moment
from handlers.club.hosting import suggested_hosts
from handlers.events import invitations
from handlers.events import rsvp as answering
from handlers.validation import clean_line

FLOW = "club_meeting"
CAPACITY_MAX = 500
LIMITS = {"theme": 200, "host": 150, "practice": 300, "place": 300, "agenda": 2000}


async def start(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/club reunion``: describe a meeting of one of the pôle's clubs."""
    clubs = await repo.pole_clubs(context.session, pole_id=context.pole_id)
    if not clubs:
        return [context.say("club.meeting_no_club")]
    context.start_flow(FLOW)
    if len(clubs) == 1:
        context.data["club_id"] = clubs[0][0].id
        context.state.step = "theme"
    return []


async def ask_club(context: Context) -> Reply:
    """Asks which club meets."""
    clubs = await repo.pole_clubs(context.session, pole_id=context.pole_id)
    buttons = [context.choice(club.name, str(club.id)) for club, _ in clubs]
    return context.say("club.meeting_ask_club", buttons=buttons)


async def answer_club(context: Context, answer: Answer) -> Outcome:
    clubs = await repo.pole_clubs(context.session, pole_id=context.pole_id)
    chosen = next((club for club, _ in clubs if str(club.id) == answer.choice), None)
    if chosen is None:
        return Retry(context.say("errors.pick_a_button"))
    context.data["club_id"] = chosen.id
    return Next("theme")


def text_step(field: str, next_step: str):  # type: ignore[no-untyped-def]
    """The ask and answer of a step taking one line of text into ``field`` (the agenda may be
    left empty with its button); also the change flow's (handlers/club/changes.py)."""

    async def ask(context: Context) -> Reply:
        reply = context.say(f"club.meeting_ask.{field}", maximum=LIMITS[field])
        if field != "agenda":
            return reply
        skip = context.choice(context.texts.label("club.meeting_no_agenda"), "skip")
        return Reply(reply.text, (skip,))

    async def answer(context: Context, given: Answer) -> Outcome:
        if field != "agenda":
            cleaned = clean_line(context, given.text, max_length=LIMITS[field])
            if isinstance(cleaned, Retry):
                return cleaned
            text = cleaned.value
        elif given.choice == "skip":
            text = ""
        else:
            # The agenda keeps its lines.
            text = given.text.strip()
            if not text:
                return Retry(context.say("errors.empty_answer"))
            if len(text) > LIMITS[field]:
                return Retry(
                    context.say("errors.too_long", length=len(text), maximum=LIMITS[field])
                )
        context.data[field] = text
        return Next(next_step)

    return ask, answer


ask_theme, answer_theme = text_step("theme", "host")
_ask_host_text, _answer_host_text = text_step("host", "practice")
ask_practice, answer_practice = text_step("practice", "place")
ask_place, answer_place = text_step("place", "agenda")
ask_agenda, answer_agenda = text_step("agenda", "capacity")


async def ask_host(context: Context) -> Reply:
    """Asks which company hosts, suggesting as buttons the willing member companies that
    hosted least recently (handlers/club/rotation.py); any other name may be typed."""
    reply = await _ask_host_text(context)
    suggested = await suggested_hosts(context, club_id=context.data["club_id"])
    # Kept so that the pressed button means the name it showed, whatever happens meanwhile.
    context.data["suggested_hosts"] = suggested
    if not suggested:
        return reply
    buttons = tuple(context.choice(name, str(index)) for index, name in enumerate(suggested))
    return Reply(Text.join([reply.text, context.texts("club.hosting.suggest")], "\n\n"), buttons)


async def answer_host(context: Context, answer: Answer) -> Outcome:
    suggested = context.data.get("suggested_hosts", [])
    if answer.choice in {str(index) for index in range(len(suggested))}:
        context.data["host"] = suggested[int(answer.choice or 0)]
        return Next("practice")
    return await _answer_host_text(context, answer)


async def ask_capacity(context: Context) -> Reply:
    """Asks how many can come at most."""
    unlimited = context.choice(context.texts.label("club.meeting_unlimited"), "none")
    return context.say("club.meeting_ask_capacity", buttons=[unlimited])


async def answer_capacity(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "none":
        context.data["capacity"] = None
        return Next("when")
    typed = answer.text.strip()
    if not typed.isdigit() or not 1 <= int(typed) <= CAPACITY_MAX:
        return Retry(context.say("club.meeting_bad_capacity", maximum=CAPACITY_MAX))
    context.data["capacity"] = int(typed)
    return Next("when")


def parse_when(text: str, context: Context) -> datetime | str:
    """The start typed as « 12/03/2027 9h30 », in the bot's time zone; else the key of the
    error to say."""
    start = parse_moment(text, context.settings.tz)
    if start is None:
        return "club.meeting_bad_date"
    if start <= utcnow():
        return "club.meeting_past_date"
    return start


async def ask_when(context: Context) -> Reply:
    """Asks for a fixed date or a date poll (handlers/club/date_poll.py); a date may be typed
    straight away."""
    return context.say(
        "club.date_poll.ask_mode",
        buttons=[
            context.choice(context.texts.label("club.date_poll.fixed_date"), "fixed"),
            context.choice(context.texts.label("club.date_poll.poll"), "poll"),
        ],
    )


async def ask_fixed_when(context: Context) -> Reply:
    """Asks the date and time."""
    return context.say("club.meeting_ask_when")


async def answer_when(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "fixed":
        return Next("fixed_when")
    if answer.choice == "poll":
        return Next("poll_slots")
    start = parse_when(answer.text, context)
    if isinstance(start, str):
        return Retry(context.say(start))
    context.data["starts_at"] = start.isoformat()
    return Next("confirm")


def _meeting(context: Context) -> Event:
    """The meeting described in this flow, not stored yet."""
    return described_meeting(context.data, pole_id=context.pole_id)


async def ask_confirm(context: Context) -> Reply:
    """Shows the meeting and how many members will be invited, and asks to send."""
    club = await context.session.get(Club, context.data["club_id"])
    assert club is not None
    invited = await repo.club_member_ids(
        context.session, pole_id=context.pole_id, club_id=club.id or 0
    )
    texts = context.texts
    summary = texts(
        "club.meeting_invited" if invited else "club.meeting_nobody", count=len(invited)
    )
    buttons = [context.choice(texts.label("broadcast.cancel"), "cancel")]
    if invited:
        buttons.insert(
            0, context.choice(texts.label("club.meeting_send", count=len(invited)), "send")
        )
    details = invitations.details(texts, context.settings, _meeting(context), club=club.name)
    body = Text.join([texts("broadcast.preview"), details, summary], "\n\n")
    return Reply(body, tuple(buttons))


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("club.meeting_dropped")])
    if answer.choice != "send":
        return Retry(context.say("errors.pick_a_button"))
    assert context.pole is not None
    meeting = _meeting(context)
    context.session.add(meeting)
    await context.session.flush()
    sent = await invitations.invite(
        context.session, context.settings, context.content, event=meeting, pole=context.pole
    )
    assert meeting.starts_at is not None
    when = invitations.local_time(context.settings, meeting.starts_at)
    return Done([context.say("club.meeting_sent", count=sent, when=when)])


async def rsvp(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club rsvp N oui|peutetre|non`` (the invitation's buttons): the member's answer,
    changeable until the meeting starts."""
    command = invitations.ANSWER_COMMANDS["club_meeting"]
    return await answering.answer(context, args, command=command, unknown="club.meeting_unknown")


ACTIONS = (
    Action(("reunion", "meeting"), start, role="animator"),
    Action(("rsvp",), rsvp),
)
FLOWS = (
    Flow(
        FLOW,
        "club.meeting_title",
        "club",
        {
            "club": Step(ask_club, answer_club),
            "theme": Step(ask_theme, answer_theme),
            "host": Step(ask_host, answer_host),
            "practice": Step(ask_practice, answer_practice),
            "place": Step(ask_place, answer_place),
            "agenda": Step(ask_agenda, answer_agenda),
            "capacity": Step(ask_capacity, answer_capacity),
            "when": Step(ask_when, answer_when),
            "fixed_when": Step(ask_fixed_when, answer_when),
            **date_poll.STEPS,
            "confirm": Step(ask_confirm, answer_confirm),
        },
        role="animator",
    ),
)
