"""``/diagnostic historique`` and ``/diagnostic synthese``: a member's own results over time, and
for the pôle's animators an anonymous synthesis of their members' latest results.

Anonymity (issue 5): pôle figures exist only from MIN_COMPANIES distinct companies, so that no
company's answers can be worked out from them; they are aggregates only, never a company name,
a sector or a row per company. A member only ever sees their own diagnostics.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from statistics import fmean

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.conversation import Context, fold
from bot.messages import Attachment, Reply, Text
from bot.storage.models import Diagnostic
from content.questionnaires.models import Level, Questionnaire, Section
from handlers import charts
from handlers.scoring import grade

MIN_COMPANIES = 5
WEAKEST = 3
NO_SCORE = "—"
_VERSIONS = {"quick": "diagnostic_reports.quick", "full": "diagnostic_reports.full"}


@dataclass(frozen=True, slots=True)
class PoleAverage:
    """The anonymous mean of a pôle's latest diagnostics, one per member."""

    companies: int
    diagnostics: int
    percent: float
    # Section id -> mean percent; None when no diagnostic has a score in that section.
    sections: Mapping[str, float | None]


async def history(context: Context) -> list[Reply]:
    """The member's own diagnostics, oldest first, with the change since the previous one and
    an evolution chart; with none yet, a button to start one."""
    texts, locale = context.texts, context.locale
    if context.person is None:
        return [context.say("errors.members_only")]
    rows = await context.session.scalars(
        select(Diagnostic)
        .where(Diagnostic.person_id == context.person.id)
        .order_by(Diagnostic.completed_at, Diagnostic.id)
    )
    done = list(rows)
    if not done:
        start = context.command_button(texts.label("diagnostic_reports.start_button"), "diagnostic")
        return [context.say("diagnostic_reports.none", buttons=[start])]

    questionnaire = context.content.diagnostic
    lines = [texts("diagnostic_reports.history_title", count=len(done))]
    for diagnostic in done:
        lines.append(
            texts(
                "diagnostic_reports.history_line",
                date=_day(context, diagnostic).strftime("%d/%m/%Y"),
                version=texts.label(_VERSIONS.get(diagnostic.version, _VERSIONS["full"])),
                level=_level(questionnaire, diagnostic).label(locale),
                percent=_whole(diagnostic.score),
            )
        )
    if len(done) == 1:
        return [Reply(Text.join([*lines, "", texts("diagnostic_reports.only_one")]))]

    previous, latest = done[-2], done[-1]
    lines += [
        "",
        texts(
            "diagnostic_reports.changes_title",
            date=_day(context, previous).strftime("%d/%m/%Y"),
        ),
        _change(context, texts.label("diagnostic_reports.overall"), previous.score, latest.score),
    ]
    lines += [
        _change(
            context,
            section.title(locale),
            previous.section_scores.get(section.id),
            latest.section_scores.get(section.id),
        )
        for section in questionnaire.sections
    ]
    # The overall score first: the chart gives the first series the most visible colour.
    series = {texts.label("diagnostic_reports.overall"): [d.score for d in done]}
    for section in questionnaire.sections:
        series[section.title(locale)] = [d.section_scores.get(section.id) for d in done]
    png = await asyncio.to_thread(
        charts.evolution_png,
        [_day(context, d) for d in done],
        series,
        title=texts.label("diagnostic_reports.evolution_title"),
    )
    chart = Attachment("evolution-autodiagnostic.png", "image/png", png)
    return [Reply(Text.join(lines), attachments=(chart,))]


async def synthesis(context: Context) -> list[Reply]:
    """For the pôle's animators: levels, mean scores and weakest subjects over each member's
    latest diagnostic, as text, bar chart and CSV; only from MIN_COMPANIES companies."""
    texts, locale = context.texts, context.locale
    # The command already asks for the role; checked again because this shows pôle data.
    if context.pole is None or context.pole.id is None or not context.has_role("animator"):
        return [context.say("diagnostic_reports.not_animator")]
    pole = context.pole
    latest = await latest_diagnostics(context.session, pole_id=pole.id)
    companies = _companies(latest)
    if companies < MIN_COMPANIES:
        # Nothing but the count: even a level distribution would expose the first companies.
        return [
            context.say(
                "diagnostic_reports.too_few",
                pole=pole.name,
                count=companies,
                minimum=MIN_COMPANIES,
            )
        ]

    questionnaire = context.content.diagnostic
    by_section = _scores_by_section(latest)
    subjects = [(section, by_section.get(section.id, [])) for section in questionnaire.sections]
    levels = Counter(_level(questionnaire, d).id for d in latest)
    overall = fmean(d.score for d in latest)

    lines = [
        texts("diagnostic_reports.synthesis_title", pole=pole.name),
        texts("diagnostic_reports.synthesis_counts", diagnostics=len(latest), companies=companies),
        "",
        texts("diagnostic_reports.mean_overall", percent=_whole(overall)),
        "",
        texts("diagnostic_reports.levels_title"),
    ]
    lines += [
        texts("diagnostic_reports.level_line", level=level.label(locale), count=levels[level.id])
        for level in questionnaire.levels
    ]
    lines += ["", texts("diagnostic_reports.subjects_title")]
    for section, scores in subjects:
        if not scores:
            lines.append(
                texts("diagnostic_reports.subject_unscored", subject=section.title(locale))
            )
            continue
        mean = fmean(scores)
        lines.append(
            texts(
                "diagnostic_reports.subject_line",
                subject=section.title(locale),
                percent=_whole(mean),
                grade=grade(questionnaire, mean).id,
            )
        )
    scored = [(section.title(locale), fmean(scores)) for section, scores in subjects if scores]
    # sorted() is stable: between equal means, the questionnaire's order decides.
    weakest = sorted(scored, key=lambda pair: pair[1])[:WEAKEST]
    lines += [
        "",
        texts("diagnostic_reports.weakest", subjects=", ".join(title for title, _ in weakest)),
        "",
        texts("diagnostic_reports.csv_note"),
    ]

    png = await asyncio.to_thread(
        charts.bars_png,
        [title for title, _ in scored],
        [mean for _, mean in scored],
        title=texts.label("diagnostic_reports.bars_title", pole=pole.name),
        value_label=texts.label("diagnostic_reports.bars_axis"),
        format_value=_whole,
    )
    name = f"synthese-diagnostics-{_slug(pole.name)}"
    table = _csv(context, questionnaire, latest, subjects, levels)
    return [
        Reply(
            Text.join(lines),
            attachments=(
                Attachment(f"{name}.png", "image/png", png),
                Attachment(f"{name}.csv", "text/csv", table),
            ),
        )
    ]


async def pole_average(
    session: AsyncSession, *, pole_id: int, exclude_person_id: int | None = None
) -> PoleAverage | None:
    """The pôle's anonymous average over each member's latest diagnostic, or None under
    MIN_COMPANIES companies.

    The member's own latest diagnostic is included by default: they are one of the pôle's
    companies, and it is what the animators' synthesis counts too. Pass ``exclude_person_id`` to
    compare them with the others only; the MIN_COMPANIES rule then applies to the others.
    """
    latest = await latest_diagnostics(session, pole_id=pole_id, exclude_person_id=exclude_person_id)
    companies = _companies(latest)
    if companies < MIN_COMPANIES:
        return None
    return PoleAverage(
        companies=companies,
        diagnostics=len(latest),
        percent=fmean(d.score for d in latest),
        sections={
            section_id: fmean(scores) if scores else None
            for section_id, scores in _scores_by_section(latest).items()
        },
    )


async def latest_diagnostics(
    session: AsyncSession, *, pole_id: int, exclude_person_id: int | None = None
) -> list[Diagnostic]:
    """The latest diagnostic of each person in the pôle: an older one would count a company
    twice, with answers it has since improved."""
    query = select(Diagnostic).where(Diagnostic.pole_id == pole_id)
    if exclude_person_id is not None:
        query = query.where(Diagnostic.person_id != exclude_person_id)
    rows = await session.scalars(query.order_by(Diagnostic.completed_at, Diagnostic.id))
    # Oldest first, so each person's latest overwrites the ones before it.
    latest = {diagnostic.person_id: diagnostic for diagnostic in rows}
    return list(latest.values())


def _companies(diagnostics: Iterable[Diagnostic]) -> int:
    """Distinct companies: names compared folded ("Biocoop  lyon" is "Biocoop Lyon"); a person
    who gave no company counts as one."""
    keys: set[tuple[str, object]] = set()
    for diagnostic in diagnostics:
        name = fold(diagnostic.company or "")
        keys.add(("company", name) if name else ("person", diagnostic.person_id))
    return len(keys)


def _scores_by_section(diagnostics: Iterable[Diagnostic]) -> dict[str, list[float]]:
    """Every score given per section; a section left at "je ne sais pas" adds none."""
    by_section: dict[str, list[float]] = {}
    for diagnostic in diagnostics:
        for section_id, percent in diagnostic.section_scores.items():
            scores = by_section.setdefault(section_id, [])
            if percent is not None:
                scores.append(percent)
    return by_section


def _csv(
    context: Context,
    questionnaire: Questionnaire,
    latest: list[Diagnostic],
    subjects: list[tuple[Section, list[float]]],
    levels: Counter[str],
) -> bytes:
    """Aggregates only, for Excel: ``;`` and a decimal comma as French Excel expects, and a BOM
    so that it reads the accents as UTF-8."""
    texts, locale = context.texts, context.locale
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            texts.label("diagnostic_reports.csv.kind"),
            texts.label("diagnostic_reports.csv.name"),
            texts.label("diagnostic_reports.csv.mean"),
            texts.label("diagnostic_reports.csv.minimum"),
            texts.label("diagnostic_reports.csv.maximum"),
            texts.label("diagnostic_reports.csv.count"),
        ]
    )
    overall = [d.score for d in latest]
    writer.writerow(
        [
            texts.label("diagnostic_reports.csv.overall"),
            texts.label("diagnostic_reports.overall"),
            *_spread(overall),
            len(overall),
        ]
    )
    for section, scores in subjects:
        writer.writerow(
            [
                texts.label("diagnostic_reports.csv.subject"),
                section.title(locale),
                *_spread(scores),
                len(scores),
            ]
        )
    for level in questionnaire.levels:
        writer.writerow(
            [
                texts.label("diagnostic_reports.csv.level"),
                level.label(locale),
                "",
                "",
                "",
                levels[level.id],
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _spread(scores: list[float]) -> list[str]:
    """Mean, minimum and maximum with one decimal; empty cells when there is no score."""
    if not scores:
        return ["", "", ""]
    return [_decimal(fmean(scores)), _decimal(min(scores)), _decimal(max(scores))]


def _change(context: Context, subject: str, before: float | None, after: float | None) -> Text:
    """``Subject : 45 % → 62 % (+17)``; no difference unless both diagnostics scored it."""
    if before is None or after is None:
        return context.texts(
            "diagnostic_reports.change_unscored",
            subject=subject,
            before=_percent_or_dash(context, before),
            after=_percent_or_dash(context, after),
        )
    # The difference of the rounded scores, so that it matches the two numbers shown.
    delta = int(_whole(after)) - int(_whole(before))
    return context.texts(
        "diagnostic_reports.change",
        subject=subject,
        before=_whole(before),
        after=_whole(after),
        delta=f"{delta:+d}",
    )


def _level(questionnaire: Questionnaire, diagnostic: Diagnostic) -> Level:
    """The level given at the time; from the score if the content no longer has that level."""
    for level in questionnaire.levels:
        if level.id == diagnostic.level:
            return level
    return questionnaire.level_for(diagnostic.score)


def _day(context: Context, diagnostic: Diagnostic) -> date:
    return diagnostic.completed_at.astimezone(context.settings.tz).date()


def _percent_or_dash(context: Context, percent: float | None) -> str:
    if percent is None:
        return NO_SCORE
    return context.texts.label("diagnostic_reports.percent", percent=_whole(percent))


def _whole(percent: float) -> str:
    # As on the result screen (handlers/diagnostic.py), so that the same score reads the same.
    return f"{percent:.0f}"


def _decimal(percent: float) -> str:
    return f"{percent:.1f}".replace(".", ",")


def _slug(name: str) -> str:
    """``Pôle Végépolys`` -> ``pole-vegepolys``, for a file name."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "pole"
