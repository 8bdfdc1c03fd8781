"""Who came to an event: after it has started, an animator ticks the people who were there
(buttons ✅ / ⬜, or their numbers typed) and validates; each invited person's answer row then
says whether they came, and the event when it was recorded. Running it again shows what was
recorded, to correct it. Also the order in which an event's invited people are listed: those
who said they come first, those who declined last."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Event, EventAnswer, Person, utcnow
from handlers.events.invitations import kind_key

FLOW = "event_attendance"
# Where an invited person stands, in the order they are listed: coming, maybe, waiting for a
# place, silent, declined.
STANDINGS: tuple[str, ...] = ("yes", "maybe", "waiting", "none", "no")
STANDING_LABELS = {
    "yes": "club.attendance.standing.yes",
    "maybe": "club.attendance.standing.maybe",
    "waiting": "club.attendance.standing.waiting",
    "none": "club.attendance.standing.none",
    "no": "club.attendance.standing.no",
}
PRESENT, ABSENT = "✅", "⬜"
# « 1 3 5 », « 1, 3 et 5 », « 2-4 ».
_NUMBERS = re.compile(r"^\s*\d+(?:\s*-\s*\d+)?(?:\s*(?:,|;|\bet\b|\s)\s*\d+(?:\s*-\s*\d+)?)*\s*$")
_RANGE = re.compile(r"(\d+)(?:\s*-\s*(\d+))?")


def local_when(context: Context, start: datetime | None) -> str:
    """The event's start as people read it here (« 12/03/2027 09:30 »); « date à fixer »
    while it is polled."""
    if start is None:
        return context.texts.label("club.attendance.no_date")
    return start.astimezone(context.settings.tz).strftime("%d/%m/%Y %H:%M")


def standing(answer: EventAnswer | None) -> str:
    """One of ``STANDINGS``."""
    if answer is None or answer.answer is None:
        return "none"
    if answer.answer == "yes" and answer.waiting:
        return "waiting"
    return answer.answer


def in_order(
    invitees: Sequence[tuple[Person, EventAnswer | None]],
) -> list[tuple[Person, EventAnswer | None]]:
    """The invited people by standing (those coming first), each standing by name as given."""
    return sorted(invitees, key=lambda pair: STANDINGS.index(standing(pair[1])))


def name_of(context: Context, person: Person) -> str:
    """The person as listed: name, and company in brackets when given."""
    name = person.display_name or context.texts.label("club.attendance.no_name")
    if not person.company:
        return name
    return context.texts.label("club.attendance.name_company", name=name, company=person.company)


async def begin(context: Context, event: Event) -> list[Reply]:
    """Start recording who came to ``event`` (the caller checked the animator may): refused
    before it starts and once cancelled; asks next who was there."""
    assert event.id is not None
    when = local_when(context, event.starts_at)
    if event.status == "cancelled":
        return [context.say(kind_key(event, "was_cancelled"), when=when)]
    if event.starts_at is None or event.starts_at > utcnow():
        return [context.say(kind_key(event, "not_started"), when=when)]
    invitees = in_order(await repo.event_invitees(context.session, event=event))
    if not invitees:
        return [context.say(kind_key(event, "nobody"))]
    present = [person.id for person, answer in invitees if answer is not None and answer.attended]
    context.start_flow(
        FLOW,
        {
            "event_id": event.id,
            # Numbers stay those shown first, even if the club changes meanwhile.
            "order": [person.id for person, _ in invitees],
            "present": present,
        },
    )
    return []


async def _event(context: Context) -> Event | None:
    assert context.pole is not None and context.pole.id is not None
    return await repo.pole_event(
        context.session, pole_id=context.pole.id, event_id=context.data["event_id"]
    )


async def ask_present(context: Context) -> Reply:
    """The invited people numbered, a box each to tick, and « Valider »."""
    event = await _event(context)
    if event is None:
        # No longer there: the next answer ends the flow.
        return context.say("club.meeting_unknown")
    order: list[int] = context.data["order"]
    present = set(context.data["present"])
    people = {
        person.id: (person, answer)
        for person, answer in await repo.event_invitees(context.session, event=event)
    }
    texts = context.texts
    lines = [
        texts(
            kind_key(event, "attendance_ask"),
            theme=event.title,
            when=local_when(context, event.starts_at),
        )
    ]
    if event.attendance_at is not None:
        lines.append(
            texts("club.attendance.recorded", when=local_when(context, event.attendance_at))
        )
    buttons = []
    for number, person_id in enumerate(order, start=1):
        person, answer = people.get(person_id, (None, None))
        name = name_of(context, person) if person else texts.label("club.attendance.no_name")
        box = PRESENT if person_id in present else ABSENT
        lines.append(
            texts(
                "club.attendance.line",
                box=box,
                number=number,
                name=name,
                answer=texts.label(STANDING_LABELS[standing(answer)]),
            )
        )
        short = person.display_name if person and person.display_name else name
        buttons.append(context.choice(f"{box} {number}. {short}", f"t{number}"))
    lines.append(texts("club.attendance.how"))
    buttons.append(
        context.choice(texts.label("club.attendance.validate", count=len(present)), "done")
    )
    return Reply(Text.join(lines), tuple(buttons))


def _typed_numbers(text: str, maximum: int) -> set[int] | None:
    """The numbers typed (« 1 3 5 », « 1, 3 et 5 », « 2-4 »); None if that is not it or one
    is out of 1..maximum."""
    if not _NUMBERS.match(text):
        return None
    numbers: set[int] = set()
    for first, last in _RANGE.findall(text):
        low, high = int(first), int(last or first)
        if not 1 <= low <= high <= maximum:
            return None
        numbers |= set(range(low, high + 1))
    return numbers


async def answer_present(context: Context, answer: Answer) -> Outcome:
    event = await _event(context)
    if event is None:
        return Done([context.say("club.meeting_unknown")])
    order: list[int] = context.data["order"]
    present: list[int] = context.data["present"]
    if answer.choice == "done":
        # Someone whose data was erased since the list was shown is left out.
        invited = {person.id for person in await repo.people_by_id(context.session, ids=order)}
        came = invited & set(present)
        await repo.record_attendance(
            context.session, event=event, invited=[i for i in order if i in invited], present=came
        )
        return Done(
            [
                context.say(
                    "club.attendance.saved",
                    count=len(came),
                    invited=len(invited),
                    when=local_when(context, event.starts_at),
                )
            ]
        )
    if answer.choice is not None and answer.choice.startswith("t"):
        number = answer.choice[1:]
        if not number.isdigit() or not 1 <= int(number) <= len(order):
            return Retry(context.say("errors.pick_a_button"))
        person_id = order[int(number) - 1]
        if person_id in present:
            context.data["present"] = [other for other in present if other != person_id]
        else:
            context.data["present"] = [*present, person_id]
        return Next("present")
    typed = _typed_numbers(answer.text, len(order))
    if typed is None:
        return Retry(context.say("club.attendance.bad_numbers", maximum=len(order)))
    context.data["present"] = [order[number - 1] for number in sorted(typed)]
    return Next("present")


FLOWS = (
    Flow(
        FLOW,
        "club.attendance.title",
        "present",
        {"present": Step(ask_present, answer_present)},
        role="animator",
    ),
)
