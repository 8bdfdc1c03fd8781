"""When each pôle's editions go out: the pôle's own calendar, else the default of
content/veille/editions.yaml; which editions are due, and when a failed one is tried again; the
calendar in words, and ``/veille horaire`` to see or change it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from bot.conversation import Context
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import EditionSchedule, Pole, utcnow
from content.loader import Content, Texts
from content.schedules import Schedule, ScheduleError, parse_schedule
from content.text import fold
from content.veille.models import EDITION_KINDS
from handlers.veille.access import animator_refusal

if TYPE_CHECKING:
    from bot.storage.session import Session

logger = logging.getLogger(__name__)

# How animators name the edition kinds.
KIND_WORDS = {
    **{"note": "note", "hebdo": "note"},
    **{"lettre": "newsletter", "newsletter": "newsletter"},
}
# What an animator may write instead of days and a time.
OFF_WORDS = frozenset({"aucune", "aucun", "stop", "jamais", "off", "none", "never"})
DEFAULT_WORDS = frozenset({"defaut", "default"})
# An edition that failed is tried again after 5 minutes, then 10, 20, 40, 80, then every 2 hours:
# soon enough for a passing fault (a feed host or the database restarting), few enough for a
# lasting one to fetch the pôle's feeds 7 times in the 6 hours of RSEBOT_MISFIRE_GRACE_HOURS
# instead of 360; and an operator's fix is picked up within 2 hours.
RETRY_FIRST = timedelta(minutes=5)
RETRY_MOST = timedelta(hours=2)


@dataclass(frozen=True)
class Planned:
    """An edition kind's calendar for a pôle; ``schedule`` None: not sent."""

    kind: str
    schedule: Schedule | None
    custom: bool


@dataclass(frozen=True)
class Due:
    pole_id: int
    kind: str
    at: datetime


def _planned(content: Content, kind: str, row: EditionSchedule | None) -> Planned:
    if row is not None and not row.active:
        return Planned(kind, None, row.schedule is not None)
    if row is None or row.schedule is None:
        return Planned(kind, content.editions[kind], False)
    try:
        return Planned(kind, parse_schedule(row.schedule, content.weekdays), True)
    except ScheduleError:
        # Stored by us, so readable unless the day names of content/texts changed since.
        logger.error(
            "Unreadable %s calendar %r of pôle %d: default used", kind, row.schedule, row.pole_id
        )
        return Planned(kind, content.editions[kind], False)


async def _rows(
    session: Session, pole_id: int | None = None
) -> dict[tuple[int, str], EditionSchedule]:
    rows = await repo.edition_schedules(session, pole_id=pole_id)
    return {(row.pole_id, row.kind): row for row in rows}


async def calendar(session: Session, content: Content, *, pole_id: int) -> list[Planned]:
    """The pôle's calendar of every edition kind."""
    rows = await _rows(session, pole_id)
    return [_planned(content, kind, rows.get((pole_id, kind))) for kind in EDITION_KINDS]


async def change(
    session: Session, content: Content, *, pole_id: int, kind: str, words: str, now: datetime
) -> Planned:
    """Set the calendar of ``kind`` from what an animator wrote: days and a time, an off word
    or a default word. Raises bot.schedules.ScheduleError for anything else.

    A time the new calendar names before ``now`` is not due: changing the calendar at 10:00 for
    « 9h » sends the next edition at the next 9h, not at once.
    """
    folded = fold(words).strip()
    rows = await _rows(session, pole_id)
    row = rows.get((pole_id, kind)) or EditionSchedule(pole_id=pole_id, kind=kind)
    if folded in OFF_WORDS:
        row.active = False
    elif folded in DEFAULT_WORDS:
        row.schedule, row.active = None, True
    else:
        row.schedule, row.active = str(parse_schedule(words, content.weekdays)), True
    row.handled_until = max(row.handled_until or now, now)
    row.updated_at = now
    session.add(row)
    return _planned(content, kind, row)


async def due(
    session: Session, content: Content, *, now: datetime, zone: tzinfo, grace: timedelta
) -> list[Due]:
    """The editions whose calendar named a time since they were last dealt with, each at the
    latest such time. Times older than ``grace`` (the bot was down) are let go: their items
    go into the next edition. An edition that failed waits for its retry time."""
    rows = await _rows(session)
    found = []
    for pole in await repo.list_poles(session):
        assert pole.id is not None
        for kind in EDITION_KINDS:
            row = rows.get((pole.id, kind))
            schedule = _planned(content, kind, row).schedule
            if schedule is None or (row and row.retry_at and row.retry_at > now):
                continue
            since = (row and row.handled_until) or pole.created_at
            at = schedule.latest(max(since, now - grace), now, zone)
            if at is not None:
                found.append(Due(pole.id, kind, at))
    return found


async def mark_done(session: Session, edition: Due) -> None:
    """The edition's time is dealt with: it will not be due again, and a failing streak ends."""
    rows = await _rows(session, edition.pole_id)
    row = rows.get((edition.pole_id, edition.kind)) or EditionSchedule(
        pole_id=edition.pole_id, kind=edition.kind
    )
    row.handled_until = max(row.handled_until or edition.at, edition.at)
    row.failures, row.retry_at = 0, None
    session.add(row)


def retry_delay(failures: int) -> timedelta:
    """How long to wait after the ``failures``-th failure in a row (see RETRY_FIRST)."""
    return min(RETRY_FIRST * 2 ** min(failures - 1, 16), RETRY_MOST)


async def mark_failed(session: Session, edition: Due, *, now: datetime) -> EditionSchedule:
    """The edition failed: not tried again before a delay growing with each failure in a row;
    the row says how many and when."""
    rows = await _rows(session, edition.pole_id)
    row = rows.get((edition.pole_id, edition.kind)) or EditionSchedule(
        pole_id=edition.pole_id, kind=edition.kind
    )
    row.failures += 1
    row.retry_at = now + retry_delay(row.failures)
    session.add(row)
    return row


def describe(texts: Texts, schedule: Schedule) -> str:
    """« chaque lundi à 08:30 », « le 1er et le 15 de chaque mois à 09:00 »."""
    if len(schedule.weekdays) == 7:
        return texts.label("schedules.daily", time=schedule.time)
    if schedule.weekdays:
        names = _weekday_names(texts)
        days = _enumerate(texts, [names[day] for day in schedule.weekdays])
        return texts.label("schedules.weekly", days=days, time=schedule.time)
    days = _enumerate(
        texts,
        [
            texts.label("schedules.monthday_first")
            if day == 1
            else texts.label("schedules.monthday", day=day)
            for day in schedule.monthdays
        ],
    )
    return texts.label("schedules.monthly", days=days, time=schedule.time)


def moment(texts: Texts, when: datetime, zone: tzinfo) -> str:
    """« lundi 07/12 à 08:30 » in the bot's time zone."""
    local = when.astimezone(zone)
    day = _weekday_names(texts)[local.weekday()]
    return texts.label("schedules.moment", day=day, date=f"{local:%d/%m}", time=f"{local:%H:%M}")


def summary(texts: Texts, planned: Sequence[Planned]) -> str:
    """Every edition sent and when, in one phrase, for the subscription messages."""
    parts = [
        f"{texts.label(f'digest.names.{p.kind}')} {describe(texts, p.schedule)}"
        for p in planned
        if p.schedule is not None
    ]
    return (
        texts.label("schedules.separator").join(parts)
        if parts
        else texts.label("veille.calendar_none")
    )


def calendar_text(
    texts: Texts, pole: Pole, planned: Sequence[Planned], *, now: datetime, zone: tzinfo
) -> Text:
    """The calendar of every edition kind and its next time."""
    lines = [texts("veille.calendar_title", pole=pole.name)]
    for entry in planned:
        edition = _capitalized(texts.label(f"digest.names.{entry.kind}"))
        if entry.schedule is None:
            lines.append(texts("veille.calendar_off", edition=edition))
            continue
        lines.append(
            texts(
                "veille.calendar_line",
                edition=edition,
                when=describe(texts, entry.schedule),
                default="" if entry.custom else texts.label("veille.calendar_default"),
                next=moment(texts, entry.schedule.next_time(now, zone), zone),
            )
        )
    return Text.join(lines)


def _weekday_names(texts: Texts) -> list[str]:
    return [name.strip() for name in texts.label("schedules.weekdays").split(",")]


def _enumerate(texts: Texts, items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {texts.label('schedules.and')} {items[-1]}"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- in the chat: /veille horaire ----------------------------------------------------------


async def calendar_summary(context: Context) -> str:
    """When the pôle's editions go out, in one phrase of the member's language."""
    assert context.pole is not None and context.pole.id is not None
    planned = await calendar(context.session, context.content, pole_id=context.pole.id)
    return summary(context.texts, planned)


async def schedule(context: Context, args: Sequence[str]) -> Reply:
    """The pôle's calendar; ``note|lettre JOURS HEURE`` (or ``aucune``, ``défaut``) changes
    it, for animators."""
    assert context.pole is not None and context.pole.id is not None
    now, zone = utcnow(), context.settings.tz
    kind = KIND_WORDS.get(fold(args[0])) if args else None
    # « /veille horaire lettre » alone asks to see the calendar, not to change it.
    if not args or (kind is not None and len(args) == 1):
        planned = await calendar(context.session, context.content, pole_id=context.pole.id)
        text = calendar_text(context.texts, context.pole, planned, now=now, zone=zone)
        return Reply(Text.join([text, context.texts("veille.calendar_help")]))
    if refusal := animator_refusal(context):
        return refusal
    if kind is None:
        return context.say("veille.schedule_usage")
    try:
        planned = await change(
            context.session,
            context.content,
            pole_id=context.pole.id,
            kind=kind,
            words=" ".join(args[1:]),
            now=now,
        )
    except ScheduleError as error:
        return context.say(error.key, **error.values)
    edition = context.texts.label(f"digest.names.{kind}")
    if planned.schedule is None:
        return context.say(
            "veille.schedule_off", edition=edition, pole=context.pole.name, word=args[0]
        )
    return context.say(
        "veille.schedule_set",
        edition=edition,
        pole=context.pole.name,
        when=describe(context.texts, planned.schedule),
        next=moment(context.texts, planned.schedule.next_time(now, zone), zone),
    )
