"""``/diagnostic historique`` and ``/diagnostic synthese``: a member's own results over time, and
for the pôle's animators an anonymous synthesis of their members' latest results.

Anonymity (issues 5 and 11): every pôle figure comes from ``figures.py``, through
``handlers.anonymity``, and is shown only when at least ``min_group_size`` companies contribute
to that very figure; figures are means and counts only, never a minimum, a maximum, a company
name, a sector or a row per company. A member only ever sees their own diagnostics.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Sequence
from datetime import date

from bot.conversation import Context
from bot.messages import Attachment, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Diagnostic
from content.questionnaires.models import Questionnaire
from content.text import fold
from handlers.anonymity import Aggregate, Band
from handlers.diagnostic import charts
from handlers.diagnostic.figures import PoleFigures, level_of, pole_figures
from handlers.diagnostic.scoring import grade

WEAKEST = 3
NO_SCORE = "—"
_VERSIONS = {"quick": "diagnostic_reports.quick", "full": "diagnostic_reports.full"}


async def history(context: Context) -> list[Reply]:
    """The member's own diagnostics, oldest first, with the change since the previous one and
    an evolution chart; with none yet, a button to start one."""
    texts, locale = context.texts, context.locale
    if context.person is None:
        return [context.say("errors.members_only")]
    done = await repo.diagnostics_of(context.session, person_id=context.person.id)
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
                level=level_of(questionnaire, diagnostic).label(locale),
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
    """For the pôle's animators: levels, mean scores and weakest subjects over each company's
    latest diagnostic, as text, bar chart and CSV; each figure only from ``min_group_size``
    companies."""
    texts, locale = context.texts, context.locale
    # The command already asks for the role; checked again because this shows pôle data.
    if context.pole is None or context.pole.id is None or not context.has_role("animator"):
        return [context.say("diagnostic_reports.not_animator")]
    pole = context.pole
    minimum = context.settings.min_group_size
    questionnaire = context.content.diagnostic
    latest = await repo.latest_pole_diagnostics(context.session, pole_id=pole.id)
    figures = pole_figures(latest, questionnaire=questionnaire, minimum=minimum)
    if figures.overall.mean is None:
        # Nothing but the count: even a level distribution would expose the first companies.
        return [
            context.say(
                "diagnostic_reports.too_few",
                pole=pole.name,
                count=figures.companies,
                minimum=minimum,
            )
        ]

    lines = [
        texts("diagnostic_reports.synthesis_title", pole=pole.name),
        texts("diagnostic_reports.synthesis_counts", companies=figures.companies, minimum=minimum),
        "",
        texts("diagnostic_reports.mean_overall", percent=_whole(figures.overall.mean)),
        "",
        texts("diagnostic_reports.levels_title"),
        *_level_lines(context, questionnaire, figures.levels, minimum),
        "",
        texts("diagnostic_reports.subjects_title"),
    ]
    shown: list[tuple[str, float]] = []
    for section in questionnaire.sections:
        mean = figures.sections[section.id].mean
        if mean is None:
            lines.append(
                texts(
                    "diagnostic_reports.subject_hidden",
                    subject=section.title(locale),
                    minimum=minimum,
                )
            )
            continue
        shown.append((section.title(locale), mean))
        lines.append(
            texts(
                "diagnostic_reports.subject_line",
                subject=section.title(locale),
                percent=_whole(mean),
                grade=grade(questionnaire, mean).id,
            )
        )
    # sorted() is stable: between equal means, the questionnaire's order decides.
    weakest = sorted(shown, key=lambda pair: pair[1])[:WEAKEST]
    if weakest:
        lines += [
            "",
            texts("diagnostic_reports.weakest", subjects=", ".join(title for title, _ in weakest)),
        ]
    lines += ["", texts("diagnostic_reports.csv_note")]

    # Hidden subjects have no bar: the message above names them.
    png = await asyncio.to_thread(
        charts.bars_png,
        [title for title, _ in shown],
        [mean for _, mean in shown],
        title=texts.label("diagnostic_reports.bars_title", pole=pole.name),
        value_label=texts.label("diagnostic_reports.bars_axis"),
        format_value=_whole,
    )
    name = f"synthese-diagnostics-{_slug(pole.name)}"
    table = _csv(context, questionnaire, figures, minimum)
    return [
        Reply(
            Text.join(lines),
            attachments=(
                Attachment(f"{name}.png", "image/png", png),
                Attachment(f"{name}.csv", "text/csv", table),
            ),
        )
    ]


def _level_lines(
    context: Context, questionnaire: Questionnaire, bands: Sequence[Band], minimum: int
) -> list[Text]:
    """One line per band of levels; a line saying it is hidden when there is no band."""
    if not bands:
        return [context.texts("diagnostic_reports.levels_hidden", minimum=minimum)]
    lines = [
        context.texts(
            "diagnostic_reports.level_line",
            level=_band_label(context, questionnaire, band),
            count=band.companies,
        )
        for band in bands
    ]
    if any(len(band.categories) > 1 for band in bands):
        lines.append(context.texts("diagnostic_reports.levels_merged", minimum=minimum))
    return lines


def _band_label(context: Context, questionnaire: Questionnaire, band: Band) -> str:
    """``Débutant`` for one level, ``Débutant à Confirmé`` for merged ones."""
    labels = {level.id: level.label(context.locale) for level in questionnaire.levels}
    first, last = labels[band.categories[0]], labels[band.categories[-1]]
    if len(band.categories) == 1:
        return first
    return context.texts.label("diagnostic_reports.level_band", first=first, last=last)


def _csv(
    context: Context, questionnaire: Questionnaire, figures: PoleFigures, minimum: int
) -> bytes:
    """Aggregates only, for Excel: ``;`` and a decimal comma as French Excel expects, and a BOM
    so that it reads the accents as UTF-8. A hidden figure's cells are blank, with a note."""
    texts, locale = context.texts, context.locale
    hidden = texts.label("diagnostic_reports.csv.hidden", minimum=minimum)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            texts.label("diagnostic_reports.csv.kind"),
            texts.label("diagnostic_reports.csv.name"),
            texts.label("diagnostic_reports.csv.mean"),
            texts.label("diagnostic_reports.csv.count"),
            texts.label("diagnostic_reports.csv.note"),
        ]
    )

    def figure_row(kind: str, name: str, figure: Aggregate) -> list[str]:
        if figure.mean is None:
            # The count is left out too: it would tell how many companies said "je ne sais pas".
            return [kind, name, "", "", hidden]
        return [kind, name, _decimal(figure.mean), str(figure.companies), ""]

    writer.writerow(
        figure_row(
            texts.label("diagnostic_reports.csv.overall"),
            texts.label("diagnostic_reports.overall"),
            figures.overall,
        )
    )
    for section in questionnaire.sections:
        writer.writerow(
            figure_row(
                texts.label("diagnostic_reports.csv.subject"),
                section.title(locale),
                figures.sections[section.id],
            )
        )
    kind = texts.label("diagnostic_reports.csv.level")
    if not figures.levels:
        for level in questionnaire.levels:
            writer.writerow([kind, level.label(locale), "", "", hidden])
    merged = texts.label("diagnostic_reports.csv.merged", minimum=minimum)
    for band in figures.levels:
        note = merged if len(band.categories) > 1 else ""
        label = _band_label(context, questionnaire, band)
        writer.writerow([kind, label, "", str(band.companies), note])
    return buffer.getvalue().encode("utf-8-sig")


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


def _day(context: Context, diagnostic: Diagnostic) -> date:
    return diagnostic.completed_at.astimezone(context.settings.tz).date()


def _percent_or_dash(context: Context, percent: float | None) -> str:
    if percent is None:
        return NO_SCORE
    return context.texts.label("diagnostic_reports.percent", percent=_whole(percent))


def _whole(percent: float) -> str:
    # As on the result screen (result.py), so that the same score reads the same.
    return f"{percent:.0f}"


def _decimal(percent: float) -> str:
    return f"{percent:.1f}".replace(".", ",")


def _slug(name: str) -> str:
    """``Pôle Végépolys`` -> ``pole-vegepolys``, for a file name."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "pole"
