"""Who comes to a club meeting. ``/club participants N``, for the pôle's animators and the
club members of the host company: the headcount by answer, the names with their companies,
and the sign-in sheet as CSV and as XLSX to print. ``/club presences N``, for animators once
the meeting has started: who came (handlers/events/attendance.py). Anyone else is told the
meeting is unknown, whether it exists or not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.conversation import Context
from bot.messages import Attachment, Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Club, Event, EventAnswer, Person, utcnow
from content.text import fold
from handlers.actions import Action
from handlers.events import attendance
from handlers.events.attendance import STANDING_LABELS, in_order, local_when, name_of, standing
from handlers.events.sheets import Sheet, csv_bytes, slug, xlsx_bytes

# The meetings offered by /club participants without a number: from a week ago onwards;
# by /club presences: those of the last three months.
PICK_SINCE = timedelta(days=7)
PICK_AHEAD = timedelta(days=400)
ATTENDANCE_SINCE = timedelta(days=90)
PICK_MAX = 8
# Empty lines at the end of the printed sheet, for those who come unannounced.
BLANK_ROWS = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TITLE_IN_BUTTON = 40


async def may_see_participants(context: Context, event: Event) -> bool:
    """The pôle's animators see who comes (the caller took the event from their pôle), and
    so do the leaders of the host company who are of the meeting's audience."""
    if context.has_role("animator"):
        return True
    person = context.person
    if person is None or not person.company or not event.host_company:
        return False
    if fold(person.company) != fold(event.host_company):
        return False
    return person.id in await repo.event_audience(context.session, event=event)


async def _meeting(context: Context, typed: str) -> Event | None:
    """Meeting number ``typed`` if this person may see its participants; None otherwise,
    whether it exists or not."""
    if not typed.isdigit():
        return None
    event = await repo.pole_event(context.session, pole_id=context.pole_id, event_id=int(typed))
    if event is None or not await may_see_participants(context, event):
        return None
    return event


async def _pick(context: Context, command: str, events: Sequence[Event], empty_key: str) -> Reply:
    """The meetings to choose from, one button each (« /club participants 12 »)."""
    if not events:
        return context.say(empty_key)
    buttons: list[Button] = []
    for event in events[:PICK_MAX]:
        title = event.title if len(event.title) <= _TITLE_IN_BUTTON else event.title[:39] + "…"
        label = f"{local_when(context, event.starts_at)} — {title}"
        buttons.append(context.command_button(label, f"club {command} {event.id}"))
    return context.say("club.participants.pick", buttons=buttons)


async def _club_name(context: Context, event: Event) -> str:
    club = await context.session.get(Club, event.club_id) if event.club_id else None
    if club is not None:
        return club.name
    return context.pole.name if context.pole else ""


async def participants(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club participants N``: the headcount, the names by answer and the sign-in sheet;
    without a number, the meetings to choose from."""
    if not args:
        now = utcnow()
        events = await repo.pole_events_between(
            context.session, pole_id=context.pole_id, start=now - PICK_SINCE, end=now + PICK_AHEAD
        )
        visible = [
            event
            for event in events
            if event.status != "cancelled" and await may_see_participants(context, event)
        ]
        return [await _pick(context, "participants", visible, "club.participants.pick_none")]
    if len(args) != 1:
        return [context.say("club.participants.usage")]
    event = await _meeting(context, args[0])
    if event is None:
        return [context.say("club.meeting_unknown")]
    invitees = in_order(await repo.event_invitees(context.session, event=event))
    club = await _club_name(context, event)
    return [
        Reply(
            _summary(context, club, event, invitees),
            attachments=_sign_in_sheets(context, club, event, invitees),
        )
    ]


def _summary(
    context: Context, club: str, event: Event, invitees: Sequence[tuple[Person, EventAnswer | None]]
) -> Text:
    texts = context.texts
    groups: dict[str, list[Person]] = {key: [] for key in STANDING_LABELS}
    for person, answer in invitees:
        groups[standing(answer)].append(person)
    count = {key: len(people) for key, people in groups.items()}
    lines = [
        texts(
            "club.participants.title",
            club=club,
            theme=event.title,
            when=local_when(context, event.starts_at),
            host=event.host_company,
        )
    ]
    if event.status == "cancelled":
        lines.append(texts("club.participants.cancelled"))
    lines.append(
        texts(
            "club.participants.headcount",
            coming=count["yes"],
            maybe=count["maybe"],
            declined=count["no"],
            silent=count["none"],
        )
    )
    if count["waiting"]:
        lines.append(texts("club.participants.waiting", count=count["waiting"]))
    if event.capacity is not None:
        lines.append(
            texts("club.participants.capacity", coming=count["yes"], capacity=event.capacity)
        )
    if not invitees:
        lines.append(texts("club.participants.nobody"))
        return Text.join(lines)
    for key, people in groups.items():
        if not people:
            continue
        lines.append(Text.plain(""))
        lines.append(
            texts(
                "club.participants.group",
                answer=texts.label(STANDING_LABELS[key]),
                count=len(people),
            )
        )
        lines += [
            texts("club.participants.line", name=name_of(context, person)) for person in people
        ]
    lines += [Text.plain(""), texts("club.participants.files")]
    return Text.join(lines)


def _sign_in_sheets(
    context: Context, club: str, event: Event, invitees: Sequence[tuple[Person, EventAnswer | None]]
) -> tuple[Attachment, ...]:
    """The sign-in sheet, everyone invited in the order listed: CSV and XLSX."""
    texts = context.texts
    header = [
        texts.label("club.participants.sheet.name"),
        texts.label("club.participants.sheet.company"),
        texts.label("club.participants.sheet.answer"),
        texts.label("club.participants.sheet.signature"),
    ]
    rows = [
        [
            person.display_name or "",
            person.company or "",
            texts.label(STANDING_LABELS[standing(answer)]),
            "",
        ]
        for person, answer in invitees
    ]
    when = local_when(context, event.starts_at)
    sheet = Sheet(
        name=texts.label("club.participants.sheet.tab"),
        title=texts.label("club.participants.sheet.title", club=club, theme=event.title),
        details=[
            texts.label("club.participants.sheet.when", when=when),
            texts.label("club.participants.sheet.host", host=event.host_company),
            texts.label("club.participants.sheet.place", place=event.place),
        ],
        header=header,
        rows=rows,
        blank_rows=BLANK_ROWS,
        signature=True,
    )
    day = (
        event.starts_at.astimezone(context.settings.tz).date().isoformat()
        if event.starts_at
        else str(event.id)
    )
    name = f"{texts.label('club.participants.sheet.file')}-{slug(club)}-{day}"
    return (
        Attachment(f"{name}.csv", "text/csv", csv_bytes([header, *rows])),
        Attachment(f"{name}.xlsx", XLSX, xlsx_bytes(sheet)),
    )


async def presences(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club presences N`` (animators): record who came to a meeting that has started;
    without a number, the meetings of the last three months to choose from."""
    if not args:
        now = utcnow()
        events = await repo.pole_events_between(
            context.session, pole_id=context.pole_id, start=now - ATTENDANCE_SINCE, end=now
        )
        held = [event for event in reversed(events) if event.status == "scheduled"]
        return [await _pick(context, "presences", held, "club.attendance.pick_none")]
    if len(args) != 1:
        return [context.say("club.attendance.usage")]
    event = await _meeting(context, args[0])
    if event is None:
        return [context.say("club.meeting_unknown")]
    return await attendance.begin(context, event)


ACTIONS = (
    Action(("participants",), participants),
    Action(("presences", "attendance"), presences, role="animator"),
)
FLOWS = attendance.FLOWS
