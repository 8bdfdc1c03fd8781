"""``/club bilan [ANNÉE]``: a club's year, for its members and the pôle's animators. The
meetings held (dated, started, not cancelled) against the club's yearly target, the
participation at each (present out of invited once attendance is recorded, else the « je
viens »), the host companies; then what the club brought: topics proposed and treated,
directory entries added, introductions accepted, service offers and requests, cafés RSE; as
text, bar charts (PNG) and tables (CSV for French Excel). Only counts and companies: nothing
about a named person."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.conversation import Context
from bot.messages import Attachment, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Club, Event, utcnow
from handlers.actions import Action
from handlers.diagnostic import charts
from handlers.events.attendance import standing
from handlers.events.sheets import csv_bytes, slug

YEARS = range(2000, 2100)


@dataclass(frozen=True, slots=True)
class Brought:
    """What the club brought in a year, beyond its meetings."""

    topics_proposed: int
    topics_treated: int
    entries: int
    introductions: int
    offers: int
    requests: int
    cafes: int

    def rows(self) -> list[tuple[str, int]]:
        """(text key under club.bilan.brought., count), in the report's order."""
        return [
            ("topics_proposed", self.topics_proposed),
            ("topics_treated", self.topics_treated),
            ("entries", self.entries),
            ("introductions", self.introductions),
            ("offers", self.offers),
            ("requests", self.requests),
            ("cafes", self.cafes),
        ]


BROUGHT_ROWS: tuple[str, ...] = tuple(key for key, _ in Brought(0, 0, 0, 0, 0, 0, 0).rows())


async def brought(context: Context, club: Club, year: int) -> Brought:
    """The club's year beyond its meetings, in the bot's time zone."""
    assert club.id is not None
    tz = context.settings.tz
    period = {
        "club_id": club.id,
        "start": datetime(year, 1, 1, tzinfo=tz),
        "end": datetime(year + 1, 1, 1, tzinfo=tz),
    }
    session = context.session
    proposed, treated = await repo.club_topic_counts(session, **period)
    offers, requests = await repo.exchange_count(session, **period)
    return Brought(
        topics_proposed=proposed,
        topics_treated=treated,
        entries=await repo.directory_entry_count(session, **period),
        introductions=await repo.introduction_count(session, **period),
        offers=offers,
        requests=requests,
        cafes=await repo.cafe_pair_count(session, **period),
    )


@dataclass(frozen=True, slots=True)
class MeetingFigures:
    """One meeting of the year: whether it was held, how many were invited, said « je
    viens » or « peut-être », and came (None until attendance is recorded)."""

    event: Event
    held: bool
    invited: int
    coming: int
    maybe: int
    present: int | None

    @property
    def participants(self) -> int:
        """Those who came, or else those who said they would."""
        return self.present if self.present is not None else self.coming

    @property
    def percent(self) -> float:
        return 100 * self.participants / self.invited if self.invited else 0.0


async def bilan(context: Context, args: Sequence[str]) -> list[Reply]:
    """The year's report of each club the person may see (this year unless said)."""
    year = datetime.now(context.settings.tz).year
    if args:
        if len(args) != 1 or not args[0].isdigit() or int(args[0]) not in YEARS:
            return [context.say("club.bilan.usage")]
        year = int(args[0])
    clubs = await _visible_clubs(context)
    if not clubs:
        return [context.say("club.bilan.no_club")]
    return [await _report(context, club, year) for club in clubs]


async def _visible_clubs(context: Context) -> list[Club]:
    """Every club of the pôle for its animators; for a member, the clubs whose current charter
    they accepted."""
    assert context.pole is not None and context.pole.id is not None
    assert context.person is not None and context.person.id is not None
    if context.has_role("animator"):
        return [club for club, _ in await repo.pole_clubs(context.session, pole_id=context.pole.id)]
    person_id, pole_id = context.person.id, context.pole.id
    visible = []
    for club, _ in await repo.clubs_of(context.session, person_id=person_id, pole_id=pole_id):
        members = await repo.club_member_ids(context.session, pole_id=pole_id, club_id=club.id or 0)
        if person_id in members:
            visible.append(club)
    return visible


async def year_figures(context: Context, club: Club, year: int) -> list[MeetingFigures]:
    """The club's dated meetings of ``year`` (in the bot's time zone), cancelled ones left out."""
    tz = context.settings.tz
    events = await repo.pole_events_between(
        context.session,
        pole_id=club.pole_id,
        club_id=club.id,
        start=datetime(year, 1, 1, tzinfo=tz),
        end=datetime(year + 1, 1, 1, tzinfo=tz),
    )
    now = utcnow()
    figures = []
    for event in events:
        if event.status == "cancelled" or event.starts_at is None:
            continue
        standings = [
            (standing(answer), answer)
            for _, answer in await repo.event_invitees(context.session, event=event)
        ]
        present = None
        if event.attendance_at is not None:
            present = sum(1 for _, answer in standings if answer is not None and answer.attended)
        figures.append(
            MeetingFigures(
                event=event,
                held=event.starts_at <= now,
                invited=len(standings),
                coming=sum(1 for kind, _ in standings if kind == "yes"),
                maybe=sum(1 for kind, _ in standings if kind == "maybe"),
                present=present,
            )
        )
    return figures


def _day(context: Context, event: Event) -> str:
    assert event.starts_at is not None
    return event.starts_at.astimezone(context.settings.tz).strftime("%d/%m/%Y")


async def _report(context: Context, club: Club, year: int) -> Reply:
    texts = context.texts
    figures = await year_figures(context, club, year)
    held = [figure for figure in figures if figure.held]
    planned = len(figures) - len(held)
    target = club.meetings_per_year
    lines = [
        texts("club.bilan.title", club=club.name, year=year),
        texts("club.bilan.held", held=len(held), target=target),
    ]
    if planned:
        lines.append(texts("club.bilan.planned", count=planned))
    lines.append(_against_target(context, len(held), planned, target, year))
    name = f"{texts.label('club.bilan.file')}-{slug(club.name)}-{year}"
    files: list[Attachment] = []
    if not held:
        lines.append(texts("club.bilan.none_held", year=year))
    else:
        lines += [Text.plain(""), texts("club.bilan.participation_title")]
        for figure in held:
            values = {
                "day": _day(context, figure.event),
                "host": figure.event.host_company,
                "theme": figure.event.title,
                "invited": figure.invited,
            }
            if figure.present is None:
                lines.append(texts("club.bilan.line_answers", coming=figure.coming, **values))
            else:
                lines.append(texts("club.bilan.line_present", present=figure.present, **values))
        hosts = list(dict.fromkeys(f.event.host_company for f in held if f.event.host_company))
        if hosts:
            lines += [Text.plain(""), texts("club.bilan.hosts", hosts=", ".join(hosts))]
        png = await asyncio.to_thread(
            charts.bars_png,
            [_bar_label(context, figure) for figure in held],
            [figure.percent for figure in held],
            title=texts.label("club.bilan.chart_title", club=club.name, year=year),
            value_label=texts.label(
                "club.bilan.chart_axis"
                if all(figure.present is not None for figure in held)
                else "club.bilan.chart_axis_answers"
            ),
            format_value=lambda percent: texts.label(
                "club.bilan.percent", percent=f"{percent:.0f}"
            ),
        )
        files += [
            Attachment(f"{name}.png", "image/png", png),
            Attachment(f"{name}.csv", "text/csv", _table(context, figures)),
        ]
    year_brought = await brought(context, club, year)
    lines += [Text.plain(""), texts("club.bilan.brought_title", year=year)]
    lines += [texts(f"club.bilan.brought.{key}", count=count) for key, count in year_brought.rows()]
    files += await _brought_files(context, club, year, year_brought, name)
    lines += [Text.plain(""), texts("club.bilan.files")]
    return Reply(Text.join(lines), attachments=tuple(files))


async def _brought_files(
    context: Context, club: Club, year: int, year_brought: Brought, name: str
) -> list[Attachment]:
    """The year's contributions as a bar chart and a two-column table."""
    texts = context.texts
    rows = [(texts.label(f"club.bilan.csv.brought.{key}"), n) for key, n in year_brought.rows()]
    png = await asyncio.to_thread(
        charts.bars_png,
        [label for label, _ in rows],
        [float(count) for _, count in rows],
        title=texts.label("club.bilan.brought_chart_title", club=club.name, year=year),
        value_label=texts.label("club.bilan.brought_chart_axis"),
        maximum=None,
        format_value=lambda count: f"{count:.0f}",
    )
    table = csv_bytes(
        [
            [texts.label("club.bilan.csv.what"), texts.label("club.bilan.csv.count")],
            *([label, str(count)] for label, count in rows),
        ]
    )
    suffix = texts.label("club.bilan.brought_file")
    return [
        Attachment(f"{name}-{suffix}.png", "image/png", png),
        Attachment(f"{name}-{suffix}.csv", "text/csv", table),
    ]


def _against_target(context: Context, held: int, planned: int, target: int, year: int) -> Text:
    """Whether the target is reached, will be with the planned meetings, or how many are
    missing (to plan, in the current year)."""
    texts = context.texts
    if held >= target:
        return texts("club.bilan.reached")
    missing = target - held - planned
    if missing <= 0:
        return texts("club.bilan.on_track")
    if year < datetime.now(context.settings.tz).year:
        return texts("club.bilan.missed", missing=missing)
    return texts("club.bilan.short", missing=missing)


def _bar_label(context: Context, figure: MeetingFigures) -> str:
    """« 12/03/2027 · Scop Les Tisserands (8/20) », with a star when the figure is the « je
    viens » as attendance was not recorded."""
    return context.texts.label(
        "club.bilan.bar" if figure.present is not None else "club.bilan.bar_answers",
        day=_day(context, figure.event),
        host=figure.event.host_company,
        count=figure.participants,
        invited=figure.invited,
    )


def _table(context: Context, figures: Sequence[MeetingFigures]) -> bytes:
    """One line per meeting of the year, held or still to come."""
    texts = context.texts
    header = [
        texts.label("club.bilan.csv.day"),
        texts.label("club.bilan.csv.theme"),
        texts.label("club.bilan.csv.host"),
        texts.label("club.bilan.csv.status"),
        texts.label("club.bilan.csv.invited"),
        texts.label("club.bilan.csv.coming"),
        texts.label("club.bilan.csv.maybe"),
        texts.label("club.bilan.csv.present"),
        texts.label("club.bilan.csv.percent"),
    ]
    rows = [header]
    for figure in figures:
        status = "club.bilan.csv.held" if figure.held else "club.bilan.csv.planned"
        rows.append(
            [
                _day(context, figure.event),
                figure.event.title,
                figure.event.host_company,
                texts.label(status),
                str(figure.invited),
                str(figure.coming),
                str(figure.maybe),
                "" if figure.present is None else str(figure.present),
                f"{figure.percent:.0f}" if figure.present is not None else "",
            ]
        )
    return csv_bytes(rows)


ACTIONS = (Action(("bilan", "report"), bilan),)
FLOWS = ()
