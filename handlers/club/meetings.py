"""Club meetings: an animator describes one (theme, host company, good practice, place, agenda,
capacity, date), every member of the club is invited through the outbox with answer buttons
and their calendar file, and answers « je viens », « peut-être » or « je ne viens pas » until
the meeting starts; beyond the capacity a « je viens » waits in line and is let in, and told,
as soon as someone who was coming declines."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Club, Event, Person, utcnow
from content.loader import Texts
from content.text import fold
from handlers.audiences import recipient_of
from handlers.club.actions import Action
from handlers.events.calendar import Invitation, Party, ics

FLOW = "club_meeting"
# A meeting lasts a morning unless said otherwise.
DURATION = timedelta(hours=2)
CAPACITY_MAX = 500
LIMITS = {"theme": 200, "host": 150, "practice": 300, "place": 300, "agenda": 2000}
# « 12/03/2027 9h », « 12/03/2027 à 9h30 », « 12/03/2027 09:30 ».
_WHEN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(?:a\s+)?(\d{1,2})(?:h|:)(\d{2})?$")
# What « /club rsvp N MOT » and the invitation's buttons say, folded, to the stored answer.
ANSWER_WORDS = {"oui": "yes", "yes": "yes", "peutetre": "maybe", "maybe": "maybe", "non": "no"}
ANSWER_BUTTONS = {"yes": "oui", "maybe": "peutetre", "no": "non"}
_PARTSTAT = {"yes": "ACCEPTED", "maybe": "TENTATIVE", "no": "DECLINED"}


def _pole_id(context: Context) -> int:
    assert context.pole is not None and context.pole.id is not None
    return context.pole.id


async def start(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/club reunion``: describe a meeting of one of the pôle's clubs."""
    clubs = await repo.pole_clubs(context.session, pole_id=_pole_id(context))
    if not clubs:
        return [context.say("club.meeting_no_club")]
    context.start_flow(FLOW)
    if len(clubs) == 1:
        context.data["club_id"] = clubs[0][0].id
        context.state.step = "theme"
    return []


async def ask_club(context: Context) -> Reply:
    """Asks which club meets."""
    clubs = await repo.pole_clubs(context.session, pole_id=_pole_id(context))
    buttons = [context.choice(club.name, str(club.id)) for club, _ in clubs]
    return context.say("club.meeting_ask_club", buttons=buttons)


async def answer_club(context: Context, answer: Answer) -> Outcome:
    clubs = await repo.pole_clubs(context.session, pole_id=_pole_id(context))
    chosen = next((club for club, _ in clubs if str(club.id) == answer.choice), None)
    if chosen is None:
        return Retry(context.say("errors.pick_a_button"))
    context.data["club_id"] = chosen.id
    return Next("theme")


def _text_step(field: str, next_step: str):  # type: ignore[no-untyped-def]
    """The ask and answer of a step taking one line of text into ``field``."""

    async def ask(context: Context) -> Reply:
        return context.say(f"club.meeting_ask.{field}", maximum=LIMITS[field])

    async def answer(context: Context, given: Answer) -> Outcome:
        text = " ".join(given.text.split()) if field != "agenda" else given.text.strip()
        if given.choice == "skip" and field == "agenda":
            text = ""
        elif not text:
            return Retry(context.say("errors.empty_answer"))
        if len(text) > LIMITS[field]:
            return Retry(context.say("errors.too_long", length=len(text), maximum=LIMITS[field]))
        context.data[field] = text
        return Next(next_step)

    return ask, answer


ask_theme, answer_theme = _text_step("theme", "host")
ask_host, answer_host = _text_step("host", "practice")
ask_practice, answer_practice = _text_step("practice", "place")
ask_place, answer_place = _text_step("place", "agenda")
_ask_agenda_text, answer_agenda = _text_step("agenda", "capacity")


async def ask_agenda(context: Context) -> Reply:
    """Asks for the agenda, which may be left empty."""
    reply = await _ask_agenda_text(context)
    skip = context.choice(context.texts.label("club.meeting_no_agenda"), "skip")
    return Reply(reply.text, (skip,))


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
    match = _WHEN.match(fold(text))
    if match is None:
        return "club.meeting_bad_date"
    day, month, year, hour, minute = (int(part or 0) for part in match.groups())
    try:
        start = datetime(year, month, day, hour, minute, tzinfo=context.settings.tz)
    except ValueError:
        return "club.meeting_bad_date"
    if start <= utcnow():
        return "club.meeting_past_date"
    return start


async def ask_when(context: Context) -> Reply:
    """Asks the date and time."""
    return context.say("club.meeting_ask_when")


async def answer_when(context: Context, answer: Answer) -> Outcome:
    start = parse_when(answer.text, context)
    if isinstance(start, str):
        return Retry(context.say(start))
    context.data["starts_at"] = start.isoformat()
    return Next("confirm")


def _when(context: Context, start: datetime) -> str:
    return start.astimezone(context.settings.tz).strftime("%d/%m/%Y %H:%M")


def _details(
    context: Context, texts: Texts, club: Club, data: dict[str, object], start: datetime
) -> Text:
    capacity = data.get("capacity")
    lines = [
        texts(
            "club.meeting_details", club=club.name, theme=data["theme"], when=_when(context, start)
        ),
        texts("club.meeting_host", host=data["host"], practice=data["practice"]),
        texts("club.meeting_place", place=data["place"]),
    ]
    if data.get("agenda"):
        lines.append(texts("club.meeting_agenda", agenda=data["agenda"]))
    if capacity:
        lines.append(texts("club.meeting_capacity", capacity=capacity))
    return Text.join(lines)


async def ask_confirm(context: Context) -> Reply:
    """Shows the meeting and how many members will be invited, and asks to send."""
    club = await context.session.get(Club, context.data["club_id"])
    assert club is not None
    invited = await repo.club_member_ids(
        context.session, pole_id=_pole_id(context), club_id=club.id or 0
    )
    start = datetime.fromisoformat(context.data["starts_at"])
    texts = context.texts
    summary = texts(
        "club.meeting_invited" if invited else "club.meeting_nobody", count=len(invited)
    )
    buttons = [context.choice(texts.label("broadcast.cancel"), "cancel")]
    if invited:
        buttons.insert(
            0, context.choice(texts.label("club.meeting_send", count=len(invited)), "send")
        )
    body = Text.join(
        [texts("broadcast.preview"), _details(context, texts, club, context.data, start), summary],
        "\n\n",
    )
    return Reply(body, tuple(buttons))


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("club.meeting_dropped")])
    if answer.choice != "send":
        return Retry(context.say("errors.pick_a_button"))
    club = await context.session.get(Club, context.data["club_id"])
    assert club is not None and club.id is not None
    start = datetime.fromisoformat(context.data["starts_at"])
    meeting = Event(
        pole_id=_pole_id(context),
        club_id=club.id,
        uid=f"{uuid.uuid4()}@rse-bot",
        title=context.data["theme"],
        host_company=context.data["host"],
        practice=context.data["practice"],
        place=context.data["place"],
        agenda=context.data.get("agenda", ""),
        capacity=context.data.get("capacity"),
        starts_at=start,
        ends_at=start + DURATION,
    )
    context.session.add(meeting)
    await context.session.flush()
    sent = await invite(context, club, meeting)
    return Done([context.say("club.meeting_sent", count=sent, when=_when(context, start))])


def _invitation(
    context: Context, club: Club, meeting: Event, person: Person, answer: str | None
) -> Invitation:
    assert context.pole is not None
    return Invitation(
        uid=meeting.uid,
        sequence=meeting.sequence,
        summary=f"{club.name} : {meeting.title}",
        start=meeting.starts_at,
        end=meeting.ends_at,
        organizer=Party(context.pole.name),
        attendee=Party(person.display_name or ""),
        dtstamp=utcnow(),
        partstat=_PARTSTAT.get(answer or "", "NEEDS-ACTION"),  # type: ignore[arg-type]
        location=meeting.place,
        description=meeting.agenda,
        timezone=context.settings.timezone,
    )


async def invite(context: Context, club: Club, meeting: Event) -> int:
    """Queue each member's invitation: the meeting, three answer buttons and their calendar
    file (one campaign each, about them: the file names them)."""
    assert meeting.id is not None
    invited = await repo.club_member_ids(
        context.session, pole_id=_pole_id(context), club_id=club.id or 0
    )
    data = {
        "theme": meeting.title,
        "host": meeting.host_company,
        "practice": meeting.practice,
        "place": meeting.place,
        "agenda": meeting.agenda,
        "capacity": meeting.capacity,
    }
    queued = 0
    for person_id in sorted(invited):
        person = await context.session.get(Person, person_id)
        recipient = await recipient_of(context.session, person_id=person_id)
        if person is None or recipient is None:
            continue
        member_texts = context.content.texts(person.locale or context.settings.locale)
        body = Text.join(
            [
                member_texts("club.meeting_invitation"),
                _details(context, member_texts, club, data, meeting.starts_at),
            ],
            "\n\n",
        )
        campaign = Campaign(
            pole_id=_pole_id(context),
            kind="club_invitation",
            subject_id=person_id,
            audience=f"meeting:{meeting.id}:{meeting.sequence}:{person_id}",
            text=str(body),
            attachment_name="invitation.ics",
            attachment_type="text/calendar",
            attachment_data=ics(_invitation(context, club, meeting, person, None)),
            buttons=[
                [member_texts.label(f"club.rsvp.{answer}"), f"/club rsvp {meeting.id} {word}"]
                for answer, word in ANSWER_BUTTONS.items()
            ],
        )
        queued += await enqueue(context.session, campaign=campaign, recipients=[recipient])
    return queued


async def rsvp(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club rsvp N oui|peutetre|non`` (the invitation's buttons): the member's answer,
    changeable until the meeting starts."""
    return [await _rsvp(context, args)]


async def _rsvp(context: Context, args: Sequence[str]) -> Reply:
    if len(args) != 2 or not args[0].isdigit() or fold(args[1]) not in ANSWER_WORDS:
        return context.say("club.rsvp_usage")
    assert context.person is not None and context.person.id is not None
    meeting = await repo.event_for(
        context.session,
        event_id=int(args[0]),
        person_id=context.person.id,
        pole_id=_pole_id(context),
    )
    # The same answer whether the meeting does not exist or is another club's.
    if meeting is None:
        return context.say("club.meeting_unknown")
    when = _when(context, meeting.starts_at)
    if meeting.status == "cancelled":
        return context.say("club.meeting_was_cancelled", when=when)
    if meeting.starts_at <= utcnow():
        return context.say("club.rsvp_closed", when=when)
    answer, promoted = await repo.answer_event(
        context.session,
        event=meeting,
        person_id=context.person.id,
        answer=ANSWER_WORDS[fold(args[1])],
    )
    if promoted is not None:
        await _tell_promoted(context, meeting, promoted.person_id)
    if answer.waiting:
        return context.say("club.rsvp_waiting", when=when)
    return context.say(f"club.rsvp_done.{answer.answer}", when=when, theme=meeting.title)


async def _tell_promoted(context: Context, meeting: Event, person_id: int) -> None:
    """A place freed up: the first in line comes, and is told at once."""
    person = await context.session.get(Person, person_id)
    recipient = await recipient_of(context.session, person_id=person_id)
    if person is None or recipient is None:
        return
    texts = context.content.texts(person.locale or context.settings.locale)
    campaign = Campaign(
        pole_id=_pole_id(context),
        kind="club_waiting_list",
        subject_id=person_id,
        audience=f"meeting:{meeting.id}:promoted:{person_id}:{utcnow().isoformat()}",
        text=texts.label(
            "club.rsvp_promoted", when=_when(context, meeting.starts_at), theme=meeting.title
        ),
    )
    await enqueue(context.session, campaign=campaign, recipients=[recipient])


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
            "confirm": Step(ask_confirm, answer_confirm),
        },
        role="animator",
    ),
)
