"""Invitations to an event and the answers to them, for any event of a pôle (a club meeting
today, the pôle's workshops tomorrow): each person of the event's audience is sent a message
with three answer buttons and their own calendar file; an update or a cancellation reaches the
same people with the same UID and a higher SEQUENCE, so that calendars change the event they
hold instead of adding one; beyond the capacity a « je viens » waits in line and is let in,
and told, as soon as someone who was coming declines.

A chat handler, a scheduled job or another flow (a date poll's confirmation) calls these
functions alike: they take the session, settings and content, never a chat's context.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from bot.config import Settings
from bot.messages import Button, Platform, Reply, Text
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Club, Event, EventAnswer, Person, Pole, utcnow
from bot.storage.session import Session
from content.loader import Content, Texts
from handlers.audiences import recipient_of
from handlers.events.calendar import Invitation, Method, PartStat, Party, ics
from handlers.language import texts_for

# Campaign kinds, one per message an event sends.
INVITATION = "event_invitation"
UPDATE = "event_update"
CANCELLATION = "event_cancellation"
WAITING_LIST = "event_waiting_list"

# The command answering an event of each kind, as its invitation's and reminders' buttons
# send it: « /club rsvp 12 non » for a club meeting, « /atelier rsvp 12 non » for a workshop.
ANSWER_COMMANDS: dict[str, str] = {"club_meeting": "club rsvp", "workshop": "atelier rsvp"}
# What an event says in the words of its kind (« la réunion du… est complète », « l'atelier
# du… est complet »): content/texts/*/events/kinds.yaml, one set per kind of ANSWER_COMMANDS.
KIND_TEXTS = (
    "closed",
    "waiting",
    "promoted",
    "done.yes",
    "done.maybe",
    "done.no",
    "update",
    "cancellation",
    "was_cancelled",
    "attendance_ask",
    "not_started",
    "nobody",
)


def kind_key(event: Event, name: str) -> str:
    """The text key of ``name`` (one of KIND_TEXTS) for ``event``'s kind."""
    return f"events.kinds.{event.kind}.{name}"


# What « /club rsvp N MOT » and the answer buttons say, folded, to the stored answer.
ANSWER_WORDS = {"oui": "yes", "yes": "yes", "peutetre": "maybe", "maybe": "maybe", "non": "no"}
_BUTTON_WORDS = {"yes": "oui", "maybe": "peutetre", "no": "non"}
_PARTSTAT: dict[str, PartStat] = {"yes": "ACCEPTED", "maybe": "TENTATIVE", "no": "DECLINED"}


@dataclass(frozen=True, slots=True)
class Changes:
    """What an update changes, None for what stays; a new start asks everyone to answer
    again, the rest keeps their answers."""

    starts_at: datetime | None = None
    place: str | None = None
    title: str | None = None
    agenda: str | None = None

    @classmethod
    def of(cls, event: Event) -> Changes:
        """``event``'s changeable fields as they are now."""
        return cls(**{name: getattr(event, name) for name in CHANGEABLE})


# Each is named in a message as events.invitations.changed.FIELD.
CHANGEABLE = tuple(field.name for field in fields(Changes))


def differences(old: Changes, new: Changes) -> dict[str, object]:
    """The new value of each field that ``new`` changes from ``old``."""
    return {
        name: value
        for name in CHANGEABLE
        if (value := getattr(new, name)) is not None and value != getattr(old, name)
    }


def change_lines(texts: Texts, settings: Settings, old: Changes, new: Changes) -> list[Text]:
    """Each change from ``old`` to ``new``, as « Lieu : ancien → nouveau »."""
    return [
        texts(
            f"events.invitations.changed.{name}",
            old=_shown(texts, settings, getattr(old, name)),
            new=_shown(texts, settings, value),
        )
        for name, value in differences(old, new).items()
    ]


def local_time(settings: Settings, moment: datetime) -> str:
    """``moment`` as people read it where the bot runs: « 12/03/2027 09:30 »."""
    return moment.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")


async def agenda_of(session: Session, event: Event) -> list[str]:
    """The members' topics an animator put on a club meeting's agenda, in their order."""
    if event.club_id is None or event.id is None:
        return []
    on_agenda = await repo.agenda_topics(session, club_id=event.club_id, event_id=event.id)
    return [topic.text for topic in on_agenda]


def details(
    texts: Texts, settings: Settings, event: Event, *, club: str, topics: Sequence[str] = ()
) -> Text:
    """The event as every message about it shows it: ``club`` (its club's name, or the pôle's)
    and theme, date (or that it is to be chosen together), host, place, agenda, the members'
    ``topics`` put on it (handlers/club/topics.py) and capacity."""
    if event.starts_at is None:
        lines = [texts("club.date_poll.heading", club=club, theme=event.title)]
    else:
        when = local_time(settings, event.starts_at)
        lines = [texts("club.meeting_details", club=club, theme=event.title, when=when)]
    if event.host_company:
        lines.append(texts("club.meeting_host", host=event.host_company, practice=event.practice))
    lines.append(texts("club.meeting_place", place=event.place))
    if event.agenda:
        lines.append(texts("club.meeting_agenda", agenda=event.agenda))
    if topics:
        lines.append(texts("club.topics.invitation"))
        lines += [texts("club.topics.invitation_line", text=topic) for topic in topics]
    if event.capacity:
        lines.append(texts("club.meeting_capacity", capacity=event.capacity))
    return Text.join(lines)


async def recipients(
    session: Session, settings: Settings, person: Person, *, calendar: bool = True
) -> list[Recipient]:
    """Where one person's messages about an event go: their chat account and, for a message
    carrying their calendar file, their e-mail too when the bot sends e-mail and they gave one
    (their calendar then applies the invitation, update or cancellation by itself)."""
    assert person.id is not None
    found = await recipient_of(session, person_id=person.id)
    to = [found] if found is not None else []
    if calendar and settings.mail_enabled and person.email:
        to.append(Recipient(Platform.EMAIL, person.email))
    return to


def rsvp_buttons(texts: Texts, event: Event) -> list[Button]:
    """« Je viens », « Peut-être », « Je ne viens pas »: the answers to ``event``."""
    command = ANSWER_COMMANDS[event.kind]
    return [
        Button(texts.label(f"events.invitations.answers.{answer}"), f"/{command} {event.id} {word}")
        for answer, word in _BUTTON_WORDS.items()
    ]


def invitation(
    settings: Settings,
    event: Event,
    *,
    pole: Pole,
    club: Club | None,
    person: Person,
    answer: EventAnswer | None,
    method: Method = "REQUEST",
) -> Invitation:
    """``event`` as ``person``'s calendar should hold it, with the PARTSTAT of their answer."""
    assert event.starts_at is not None and event.ends_at is not None
    partstat: PartStat = "NEEDS-ACTION"
    if answer is not None and answer.answer is not None:
        # A « je viens » waiting in line is not sure to come until let in.
        partstat = "TENTATIVE" if answer.waiting else _PARTSTAT[answer.answer]
    return Invitation(
        uid=event.uid,
        sequence=event.sequence,
        summary=f"{club.name} : {event.title}" if club else event.title,
        start=event.starts_at,
        end=event.ends_at,
        # The sender of the e-mails, which calendars check before applying an update.
        organizer=Party(pole.name, settings.mail_address),
        attendee=Party(person.display_name or "", person.email),
        dtstamp=utcnow(),
        method=method,
        partstat=partstat,
        location=event.place,
        description=event.agenda,
        timezone=settings.timezone,
    )


async def invite(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    event: Event,
    pole: Pole,
    intro: str = "events.invitations.invitation",
) -> int:
    """Queue the invitation of each person of ``event``'s audience: ``intro`` (the key of what
    the event is: a club meeting by default, a workshop), the event, the answer buttons and
    their calendar file (METHOD:REQUEST). Returns how many were queued."""
    return await _send(
        session,
        settings,
        content,
        event=event,
        pole=pole,
        kind=INVITATION,
        method="REQUEST",
        message=lambda texts: texts(intro),
        ask_again=True,
    )


async def update(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    event: Event,
    pole: Pole,
    changes: Changes,
) -> int:
    """Apply ``changes`` to a scheduled ``event`` and send everyone invited what changed (old
    → new) with a new calendar file: same UID, SEQUENCE + 1. A new start keeps the length of
    the event, resets every answer and the waiting list, and asks again with the buttons.
    Returns how many updates were queued; none when nothing differs."""
    assert event.id is not None and event.status == "scheduled"
    before = Changes.of(event)
    changed = differences(before, changes)
    if not changed:
        return 0
    new_date = changes.starts_at is not None and "starts_at" in changed
    if new_date:
        assert event.starts_at is not None and event.ends_at is not None
        event.ends_at = changes.starts_at + (event.ends_at - event.starts_at)
        event.dated_at = utcnow()
    for name, value in changed.items():
        setattr(event, name, value)
    event.sequence += 1
    session.add(event)
    await session.flush()
    if new_date:
        await repo.reset_event_answers(session, event_id=event.id)

    def message(texts: Texts) -> Text:
        return Text.join(
            [
                texts(kind_key(event, "update")),
                *change_lines(texts, settings, before, changes),
                texts("events.invitations.answer_again" if new_date else "events.invitations.kept"),
            ]
        )

    return await _send(
        session,
        settings,
        content,
        event=event,
        pole=pole,
        kind=UPDATE,
        method="REQUEST",
        message=message,
        ask_again=new_date,
    )


async def cancel(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    event: Event,
    pole: Pole,
    reason: str = "",
) -> int:
    """Cancel ``event`` and tell everyone invited, those who declined too (their calendar
    holds it, declined), with ``reason`` and a calendar file METHOD:CANCEL, STATUS:CANCELLED,
    same UID, SEQUENCE + 1. Returns how many were queued."""
    assert event.status == "scheduled" and event.starts_at is not None
    event.status = "cancelled"
    event.sequence += 1
    session.add(event)
    await session.flush()
    when = local_time(settings, event.starts_at)

    def message(texts: Texts) -> Text:
        lines = [texts(kind_key(event, "cancellation"), when=when, theme=event.title)]
        if reason:
            lines.append(texts("events.invitations.cancellation_reason", reason=reason))
        lines.append(texts("events.invitations.cancellation_file"))
        return Text.join(lines)

    return await _send(
        session,
        settings,
        content,
        event=event,
        pole=pole,
        kind=CANCELLATION,
        method="CANCEL",
        message=message,
        ask_again=False,
    )


def _shown(texts: Texts, settings: Settings, value: object) -> str:
    if isinstance(value, datetime):
        return local_time(settings, value)
    return str(value) if value else texts.label("events.invitations.nothing")


async def _send(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    event: Event,
    pole: Pole,
    kind: str,
    method: Method,
    message: Callable[[Texts], Text],
    ask_again: bool,
) -> int:
    """Queue ``message`` about ``event`` to each person of its audience, then the event, their
    calendar file and, if ``ask_again``, the answer buttons: one campaign each, about them
    (the file names them and their answer), erased with them."""
    assert event.id is not None and event.pole_id == pole.id
    club = await session.get(Club, event.club_id) if event.club_id is not None else None
    answers = await repo.event_answers(session, event_id=event.id)
    topics = await agenda_of(session, event)
    queued = 0
    for person_id in sorted(await repo.event_audience(session, event=event)):
        person = await session.get(Person, person_id)
        if person is None:
            continue
        to = await recipients(session, settings, person)
        if not to:
            continue
        texts = texts_for(content, settings, person)
        body = Text.join(
            [
                message(texts),
                details(
                    texts, settings, event, club=club.name if club else pole.name, topics=topics
                ),
            ],
            "\n\n",
        )
        calendar = invitation(
            settings,
            event,
            pole=pole,
            club=club,
            person=person,
            answer=answers.get(person_id),
            method=method,
        )
        campaign = Campaign(
            pole_id=event.pole_id,
            kind=kind,
            subject_id=person_id,
            audience=f"event:{event.id}:{event.sequence}:{person_id}",
            text=str(body),
            attachment_name="invitation.ics",
            attachment_type="text/calendar",
            attachment_data=ics(calendar),
            buttons=[[b.label, b.value] for b in rsvp_buttons(texts, event)] if ask_again else [],
        )
        queued += await enqueue(session, campaign=campaign, recipients=to)
    return queued


async def rsvp(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    pole: Pole,
    person: Person,
    event_id: int,
    answer: str,
    unknown: str = "club.meeting_unknown",
) -> Reply:
    """``person``'s ``answer`` (yes, maybe, no) to the invitation to event ``event_id``,
    changeable until the event starts; beyond the capacity a « yes » waits in line, and the
    first in line is let in, and told, when someone coming declines. ``unknown`` is the key
    of what an event the person is not invited to gets (a club meeting's, a workshop's)."""
    assert person.id is not None and pole.id is not None
    texts = texts_for(content, settings, person)
    event = await repo.event_for(session, event_id=event_id, person_id=person.id, pole_id=pole.id)
    # The same answer whether the event does not exist or is for others.
    if event is None:
        return Reply(texts(unknown))
    if event.status == "polling" or event.starts_at is None:
        return Reply(texts("events.invitations.polling", theme=event.title))
    when = local_time(settings, event.starts_at)
    if event.status == "cancelled":
        return Reply(texts(kind_key(event, "was_cancelled"), when=when))
    if event.starts_at <= utcnow():
        return Reply(texts(kind_key(event, "closed"), when=when))
    mine, promoted = await repo.answer_event(
        session, event=event, person_id=person.id, answer=answer
    )
    if promoted is not None:
        await _tell_promoted(session, settings, content, event=event, person_id=promoted.person_id)
    if mine.waiting:
        return Reply(texts(kind_key(event, "waiting"), when=when))
    return Reply(texts(kind_key(event, f"done.{mine.answer}"), when=when, theme=event.title))


async def _tell_promoted(
    session: Session, settings: Settings, content: Content, *, event: Event, person_id: int
) -> None:
    """A place freed up: the first in line comes, and is told at once."""
    person = await session.get(Person, person_id)
    if person is None:
        return
    assert event.starts_at is not None
    texts = texts_for(content, settings, person)
    campaign = Campaign(
        pole_id=event.pole_id,
        kind=WAITING_LIST,
        subject_id=person_id,
        audience=f"event:{event.id}:promoted:{person_id}:{utcnow().isoformat()}",
        text=texts.label(
            kind_key(event, "promoted"),
            when=local_time(settings, event.starts_at),
            theme=event.title,
        ),
    )
    # Nothing for the calendar to apply: the chat only.
    to = await recipients(session, settings, person, calendar=False)
    await enqueue(session, campaign=campaign, recipients=to)
