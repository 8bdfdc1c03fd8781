"""Reminders of an event, some days before it (a club's ``reminder_days``: D-7 and D-1 unless
its animators chose otherwise with /club rappels), to everyone invited who has not declined.

A job runs every minute (scheduler/jobs.py) and queues the reminders whose time has come. Each
goes out once across restarts and instances: its campaigns carry a once-only key naming the
event, the days before and the date (``event:12:reminder:7:20270312T0830Z:yes:fr``), so a new
date makes new reminders due and the old ones are never sent. A reminder missed while the bot
was down goes out late, saying how far off the meeting really is, as long as the meeting has
not started; when a nearer reminder's time has come meanwhile, only that one is sent. A
reminder whose time had already passed when the date was set (a meeting planned 3 days ahead
has no D-7) is not sent.

Who hears what: « je viens » and « peut-être » are reminded of their answer, those who have not
answered are asked with the answer buttons (so are the « peut-être », for whom the reminder is
the moment to settle), someone waiting in line is told they still are; nobody who declined.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.messages import Text
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Club, Event, EventAnswer, Pole, utcnow
from bot.storage.session import Session
from content.loader import Content, Texts
from handlers.audiences import recipient_of
from handlers.events.invitations import ANSWER_COMMANDS, agenda_of, details, rsvp_buttons

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

KIND = "event_reminder"
# An event without a club (the pôle's workshops) is reminded like a club that chose nothing.
DEFAULT_DAYS: tuple[int, ...] = (7, 1)
# What /club rappels accepts: up to a month ahead, three reminders at most.
MAX_DAYS = 30
MAX_REMINDERS = 3
# « 0 day before » is the day itself: a little before the start, not at it.
SAME_DAY_LEAD = timedelta(hours=2)
# How each person stands when reminded; those who declined are not.
STATUSES: tuple[str, ...] = ("yes", "maybe", "waiting", "unanswered")
_ASKED = frozenset({"maybe", "unanswered"})


def reminder_time(starts_at: datetime, days: int, zone: tzinfo) -> datetime:
    """When the reminder ``days`` before an event starting at ``starts_at`` is due: that many
    days before on the local calendar, at the same local time (a D-7 across a change to summer
    time stays at 09:30); for 0, SAME_DAY_LEAD before the start."""
    if days == 0:
        return starts_at - SAME_DAY_LEAD
    # Arithmetic on a datetime of the zone is wall-clock arithmetic.
    return (starts_at.astimezone(zone) - timedelta(days=days)).astimezone(UTC)


def date_set_at(event: Event) -> datetime:
    """When the event's current date was set (planned, fixed by its poll, or moved)."""
    return event.dated_at or event.created_at


@dataclass(frozen=True, slots=True)
class Wave:
    """The reminder ``days`` before ``event``, for its current date."""

    event: Event
    pole: Pole
    club: Club | None
    days: int

    @property
    def key(self) -> str:
        assert self.event.starts_at is not None
        return f"event:{self.event.id}:reminder:{self.days}:{_stamp(self.event.starts_at)}"

    def keys(self, locales: Sequence[str]) -> list[str]:
        """Every once-only key its campaigns can carry: one per status and language."""
        return [f"{self.key}:{status}:{locale}" for status in STATUSES for locale in locales]


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%MZ}"


def due_wave(
    event: Event, pole: Pole, club: Club | None, *, now: datetime, zone: tzinfo
) -> Wave | None:
    """The reminder of ``event`` to send at ``now``, if any: the latest whose time has come
    (an earlier one missed meanwhile is superseded), unless that time had passed when the date
    was set. The event has not started (the caller's query)."""
    assert event.starts_at is not None
    days = club.reminder_days if club is not None else DEFAULT_DAYS
    come = [(at, n) for n in days if (at := reminder_time(event.starts_at, n, zone)) <= now]
    if not come:
        return None
    at, n = max(come)
    if at < date_set_at(event):
        return None
    return Wave(event, pole, club, n)


async def remind(app: App) -> None:
    """Queue the reminders whose time has come (every minute)."""
    async with app.database.transaction() as session:
        queued = await queue_due(session, app.settings, app.content, now=utcnow())
    if queued:
        logger.info("Queued %d event reminder(s)", queued)


async def queue_due(
    session: Session, settings: Settings, content: Content, *, now: datetime
) -> int:
    """Queue every reminder due at ``now`` and not queued yet; return how many messages.

    Costs, each minute, one query on the events starting within MAX_DAYS (by the index on
    their start) and one on the campaigns' unique keys of the reminders due."""
    upcoming = await repo.events_to_remind(
        session, now=now, within=timedelta(days=MAX_DAYS, hours=1)
    )
    waves = [
        wave
        for event, club, pole in upcoming
        if (wave := due_wave(event, pole, club, now=now, zone=settings.tz)) is not None
    ]
    locales = tuple(content.texts_by_locale)
    done = await repo.stored_dedupe_keys(
        session, keys=[key for wave in waves for key in wave.keys(locales)]
    )
    queued = 0
    for wave in waves:
        if done.isdisjoint(wave.keys(locales)):
            queued += await _send(session, settings, content, wave, now=now)
    return queued


def status_of(answer: EventAnswer | None) -> str | None:
    """How a person stands for the reminder; None if they declined."""
    if answer is None or answer.answer is None:
        return "unanswered"
    if answer.answer == "no":
        return None
    return "waiting" if answer.waiting else answer.answer


async def _send(
    session: Session, settings: Settings, content: Content, wave: Wave, *, now: datetime
) -> int:
    """Queue one wave: one campaign per status and language, to everyone in it."""
    event = wave.event
    starts_at = event.starts_at
    # Another instance deciding the same wave waits here, then finds its keys stored; an event
    # moved or cancelled meanwhile has no such reminder any more.
    await session.refresh(event, with_for_update=True)
    if event.status != "scheduled" or event.starts_at != starts_at:
        return 0
    locales = tuple(content.texts_by_locale)
    if await repo.stored_dedupe_keys(session, keys=wave.keys(locales)):
        return 0
    assert event.id is not None
    answers = await repo.event_answers(session, event_id=event.id)
    audience = await repo.event_audience(session, event=event)
    groups: dict[tuple[str, str], list[Recipient]] = {}
    for person in await repo.people_by_id(session, ids=audience):
        status = status_of(answers.get(person.id or 0))
        recipient = await recipient_of(session, person_id=person.id or 0)
        if status is None or recipient is None:
            continue
        locale = person.locale if person.locale in locales else settings.locale
        groups.setdefault((status, locale), []).append(recipient)
    topics = await agenda_of(session, event)
    queued = 0
    for (status, locale), recipients in sorted(groups.items()):
        texts = content.texts(locale)
        buttons = rsvp_buttons(texts, event) if status in _ASKED else []
        campaign = Campaign(
            pole_id=event.pole_id,
            kind=KIND,
            audience=f"event:{event.id}:reminder:{wave.days}:{status}",
            text=str(message(texts, settings, wave, status, now=now, topics=topics)),
            buttons=[[button.label, button.value] for button in buttons],
        )
        queued += await enqueue(
            session,
            campaign=campaign,
            recipients=recipients,
            dedupe_key=f"{wave.key}:{status}:{locale}",
        )
    return queued


def message(
    texts: Texts,
    settings: Settings,
    wave: Wave,
    status: str,
    *,
    now: datetime,
    topics: Sequence[str] = (),
) -> Text:
    """The reminder as someone of ``status`` reads it: how far off the event really is (a late
    reminder says so), the event with the ``topics`` on its agenda, and where they stand."""
    event = wave.event
    assert event.starts_at is not None
    zone = settings.tz
    days = (event.starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days == 0:
        delay = texts.label("events.reminders.today")
    elif days == 1:
        delay = texts.label("events.reminders.tomorrow")
    else:
        delay = texts.label("events.reminders.in_days", days=days)
    club = wave.club.name if wave.club is not None else wave.pole.name
    return Text.join(
        [
            texts("events.reminders.title", delay=delay),
            details(texts, settings, event, club=club, topics=topics),
            texts(
                f"events.reminders.status.{status}",
                command=ANSWER_COMMANDS[event.kind],
                number=event.id,
            ),
        ],
        "\n\n",
    )
