"""A wave's results as people read them: the message after the close, ``/enquete resultats``
(text and charts) and ``/enquete export`` (XLSX and CSV), for the animators and, aggregated
only and when enough partners answered, for the partners' respondents.

Who sees what: the animators of the project's pôle see every closed wave's results; a partner's
respondents see them only when at least ``RSEBOT_MIN_GROUP_SIZE`` partners answered
(``shareable_results``), else the participation alone. Nobody is shown another partner's answers;
the animators see them in the export only for a wave opened while the project was « non
anonyme ». A member's own client survey (handlers/readiness/clients.py) is seen by that member
alone, as its partners would see it, and by neither its animators nor its clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from bot.conversation import Context, Flow
from bot.messages import Attachment, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import SurveyPartner, SurveyProject, SurveyResponse, SurveyWave
from bot.storage.session import Session
from content.loader import Texts
from content.surveys.models import SurveySet
from handlers.actions import Action
from handlers.survey.charts import TEXT_FIELDS as chart_fields
from handlers.survey.charts import ChartTexts, diverging_png, trend_png
from handlers.survey.exports import TEXT_FIELDS as export_fields
from handlers.survey.exports import (
    ExportTexts,
    NamedAnswers,
    file_name,
    results_csv,
    workbook_xlsx,
)
from handlers.survey.projects import chosen_project, on_project
from handlers.survey.questionnaire import indicator_infos
from handlers.survey.scoring import (
    Agreement,
    Counts,
    WaveResults,
    moved_most,
    percent,
    score_wave,
    shareable_results,
    trend,
)

PNG, XLSX = "image/png", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
# How many indicators the message names among those that moved most since the last wave.
MOVED_SHOWN = 3


def wave_label(texts: Texts, wave: SurveyWave, zone: tzinfo) -> str:
    """« Vague 2 (15/09/2027) »: its number and the day it opened."""
    opened = wave.opened_at.astimezone(zone)
    return texts.label("survey.results.wave_label", number=wave.number, date=f"{opened:%d/%m/%Y}")


def names(survey: SurveySet, locale: str) -> dict[str, str]:
    """The indicators' statements and the axes' and levels' names, by id, in ``locale``."""
    shown = {indicator.id: indicator.text(locale) for indicator in survey.indicators}
    shown |= {axis.id: axis.title(locale) for axis in survey.axes}
    shown |= {level.id: level.title(locale) for level in survey.levels}
    return shown


def partner_answers(
    survey: SurveySet, responses: Sequence[SurveyResponse]
) -> dict[Hashable, dict[str, Agreement]]:
    """Each partner's answers to the indicators the set still has (content may drop one)."""
    known = {indicator.id for indicator in survey.indicators}
    return {
        response.partner_id: {
            indicator: Agreement(choice)
            for indicator, choice in response.answers.items()
            if indicator in known
        }
        for response in responses
    }


@dataclass(frozen=True, slots=True)
class WaveFigures:
    """A closed wave's results for the animators, and for the partners (None: too few
    partners answered for them to see more than the participation)."""

    wave: SurveyWave
    all: WaveResults
    shared: WaveResults | None


async def closed_figures(
    session: Session,
    *,
    project: SurveyProject,
    survey: SurveySet,
    texts: Texts,
    zone: tzinfo,
    minimum: int,
) -> list[WaveFigures]:
    """The project's closed waves, oldest first, with their results."""
    assert project.id is not None
    figures = []
    infos = indicator_infos(survey)
    for wave in await repo.project_waves(session, project_id=project.id):
        if wave.closed_at is None:
            continue
        assert wave.id is not None
        answers = partner_answers(survey, await repo.wave_responses(session, wave_id=wave.id))
        label = wave_label(texts, wave, zone)
        invited = max(wave.invited, len(answers))
        figures.append(
            WaveFigures(
                wave,
                score_wave(answers, infos, invited=invited, label=label),
                shareable_results(answers, infos, invited=invited, minimum=minimum, label=label),
            )
        )
    return figures


def summary(
    texts: Texts,
    *,
    project: SurveyProject,
    survey: SurveySet,
    results: WaveResults,
    previous: WaveResults | None,
) -> Text:
    """The results of a wave in a message: participation, each axis and its levels, and the
    indicators that moved most since ``previous``."""
    shown = names(survey, texts.locale)
    lines = [
        texts("survey.results.title", project=project.name, wave=results.label),
        texts(
            "survey.results.participation",
            submitted=results.submitted,
            invited=results.invited,
            rate=percent(results.participation_rate, decimals=0),
        ),
        texts("survey.results.legend"),
    ]
    for group in results.axes:
        lines.append(_figures(texts, "survey.results.axis", shown[group.axis], group.counts))
        for level in results.axis_levels:
            if level.axis == group.axis and level.level is not None:
                lines.append(
                    _figures(texts, "survey.results.level", shown[level.level], level.counts)
                )
    if previous is not None:
        moved = [
            row
            for row in moved_most(trend(previous, results), limit=MOVED_SHOWN)
            if row.top2_change
        ]
        if moved:
            lines.append(texts("survey.results.moved", wave=previous.label))
            lines += [
                texts(
                    "survey.results.moved_line",
                    indicator=shown.get(row.indicator.id, row.indicator.id),
                    before=percent(row.top2_before, decimals=0),
                    after=percent(row.top2_after, decimals=0),
                )
                for row in moved
            ]
        else:
            lines.append(texts("survey.results.unchanged", wave=previous.label))
    return Text.join(lines)


def _figures(texts: Texts, key: str, name: str, counts: Counts) -> Text:
    return texts(
        key,
        name=name,
        top2=percent(counts.top2_box, decimals=0),
        net=percent(counts.net_agreement, decimals=0, signed=True),
        non_answer=percent(counts.non_answer_rate, decimals=0),
    )


def participation_only(texts: Texts, *, project: SurveyProject, results: WaveResults) -> Text:
    """What partners read of a wave too few partners answered (or the member owning a client
    survey, which no animator sees either)."""
    return texts(
        "survey.results.too_few" if project.owner_id is None else "survey.results.too_few_owned",
        project=project.name,
        wave=results.label,
        submitted=results.submitted,
        invited=results.invited,
        rate=percent(results.participation_rate, decimals=0),
    )


def choice_labels(survey: SurveySet, locale: str) -> dict[Agreement, str]:
    """The five answers as the indicator set words them."""
    return {Agreement(choice.id): choice.label(locale) for choice in survey.scale}


def chart_texts(texts: Texts, survey: SurveySet) -> ChartTexts:
    """The charts' labels in the reader's language."""
    labels = {name: texts.label(f"survey.charts.{name}") for name in chart_fields}
    return ChartTexts(choices=choice_labels(survey, texts.locale), **labels)


def export_texts(texts: Texts, survey: SurveySet) -> ExportTexts:
    """The exports' labels in the reader's language; sheet names keep their ``{wave}``."""
    labels = {name: texts.label(f"survey.exports.{name}", wave="{wave}") for name in export_fields}
    return ExportTexts(choices=choice_labels(survey, texts.locale), **labels)


def charts(
    texts: Texts, *, project: SurveyProject, survey: SurveySet, waves: Sequence[WaveResults]
) -> list[Attachment]:
    """The latest wave's diverging bars, one per axis, and the trend across ``waves`` when
    there are several (oldest first). Drawn synchronously: run it in a worker thread."""
    shown = names(survey, texts.locale)
    labels = chart_texts(texts, survey)
    latest = waves[-1]
    files = []
    for group in latest.axes:
        title = texts.label(
            "survey.results.chart_title",
            project=project.name,
            axis=shown.get(group.axis, group.axis),
            wave=latest.label,
        )
        data = diverging_png(latest, group.axis, title=title, names=shown, texts=labels)
        name = file_name(project.name, f"{latest.label} {group.axis}", "png")
        files.append(Attachment(name, PNG, data))
    if len(waves) > 1:
        trend_title = texts.label("survey.results.trend_title", project=project.name)
        data = trend_png(waves, title=trend_title, names=shown, texts=labels)
        files.append(Attachment(file_name(project.name, "tendances", "png"), PNG, data))
    return files


def export_files(
    texts: Texts,
    *,
    project: SurveyProject,
    survey: SurveySet,
    waves: Sequence[WaveResults],
    wave: WaveResults,
    by_partner: NamedAnswers | None = None,
) -> list[Attachment]:
    """The workbook of every closed wave and the CSV of ``wave``; ``by_partner``, each
    partner's answers to ``wave``, only for a wave opened « non anonyme ». Synchronous: run it
    in a worker thread from the event loop."""
    shown = names(survey, texts.locale)
    labels = export_texts(texts, survey)
    workbook = workbook_xlsx(
        waves, indicator_infos(survey), names=shown, texts=labels, by_partner=by_partner
    )
    table = results_csv(wave, names=shown, texts=labels)
    return [
        Attachment(file_name(project.name, None, "xlsx"), XLSX, workbook),
        Attachment(file_name(project.name, wave.label, "csv"), CSV, table),
    ]


async def named_answers(
    session: Session,
    *,
    survey: SurveySet,
    wave: SurveyWave,
    label: str,
    partners: Sequence[SurveyPartner],
) -> NamedAnswers:
    """Each partner's answers to the wave by the partner's name, for a wave opened « non
    anonyme »."""
    assert wave.id is not None
    answers = partner_answers(survey, await repo.wave_responses(session, wave_id=wave.id))
    return NamedAnswers(label, {p.name: answers[p.id] for p in partners if p.id in answers})


# --- /enquete resultats and /enquete export -----------------------------------------------------


async def _visible_project(
    context: Context, args: Sequence[str]
) -> tuple[SurveyProject, list[str], bool] | Reply:
    """The project whose results the person asks for, what follows its number, and whether they
    see it as an animator (everything) or as a partner's respondent or the member owning a
    client survey (shared results only)."""
    if context.has_role("animator"):
        found = await chosen_project(context, args, "survey.results.usage")
        if not isinstance(found, Reply) or context.person is None:
            return found if isinstance(found, Reply) else (*found, True)
    if context.person is None:
        return context.say("survey.respond.sign_up")
    # A member's own client survey is the member's to read, not its clients'.
    mine = {
        project.id: project
        for _, project in await repo.respondent_partners(
            context.session, person_id=context.person_id
        )
        if project.owner_id is None
    }
    mine |= {
        project.id: project
        for project in await repo.owned_survey_projects(context.session, owner_id=context.person_id)
    }
    if args and args[0].isdigit() and int(args[0]) in mine:
        return mine[int(args[0])], list(args[1:]), False
    if len(mine) == 1 and not (args and args[0].isdigit()):
        return next(iter(mine.values())), list(args), False
    return context.say("survey.results.usage")


def _wave_chosen(
    context: Context, figures: Sequence[WaveFigures], rest: Sequence[str]
) -> int | Reply:
    """The index in ``figures`` of the wave asked (its number), the latest by default."""
    if not figures:
        return context.say("survey.results.none_closed")
    if not rest:
        return len(figures) - 1
    numbers = [f.wave.number for f in figures]
    if rest[0].isdigit() and int(rest[0]) in numbers:
        return numbers.index(int(rest[0]))
    return context.say("survey.results.unknown_wave", numbers=", ".join(map(str, numbers)))


async def _figures_for(context: Context, project: SurveyProject) -> list[WaveFigures]:
    return await closed_figures(
        context.session,
        project=project,
        survey=context.content.surveys[project.survey],
        texts=context.texts,
        zone=context.settings.tz,
        minimum=context.settings.min_group_size,
    )


async def show_results(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/enquete resultats N [VAGUE]``: a closed wave's results, its charts and the trend."""
    found = await _visible_project(context, args)
    if isinstance(found, Reply):
        return [found]
    project, rest, as_animator = found
    survey = context.content.surveys[project.survey]
    figures = await _figures_for(context, project)
    index = _wave_chosen(context, figures, rest)
    if isinstance(index, Reply):
        return [index]
    seen = [f.all if as_animator else f.shared for f in figures[: index + 1]]
    results = seen[-1]
    if results is None:
        text = participation_only(context.texts, project=project, results=figures[index].all)
        return [Reply(text)]
    shown = [r for r in seen if r is not None]
    previous = shown[-2] if len(shown) > 1 else None
    text = summary(
        context.texts, project=project, survey=survey, results=results, previous=previous
    )
    files = await asyncio.to_thread(
        charts, context.texts, project=project, survey=survey, waves=shown
    )
    return [Reply(text, attachments=tuple(files))]


async def export(context: Context, project: SurveyProject, rest: Sequence[str]) -> list[Reply]:
    """``/enquete export N [VAGUE]``: the workbook of every closed wave and a wave's CSV."""
    survey = context.content.surveys[project.survey]
    figures = await _figures_for(context, project)
    index = _wave_chosen(context, figures, rest)
    if isinstance(index, Reply):
        return [index]
    chosen = figures[index]
    by_partner = None
    if not chosen.wave.anonymous:
        partners = await repo.survey_partners(context.session, project_id=project.id or 0)
        by_partner = await named_answers(
            context.session,
            survey=survey,
            wave=chosen.wave,
            label=chosen.all.label,
            partners=partners,
        )
    files = await asyncio.to_thread(
        export_files,
        context.texts,
        project=project,
        survey=survey,
        waves=[f.all for f in figures],
        wave=chosen.all,
        by_partner=by_partner,
    )
    key = "survey.results.export_named" if by_partner else "survey.results.export_done"
    return [context.say(key, project=project.name, wave=chosen.all.label, attachments=files)]


ACTIONS = (
    Action(("resultats", "results"), show_results, role=None),
    Action(
        ("export", "exporter"),
        on_project("survey.results.export_usage", export),
        role="animator",
    ),
)
FLOWS: tuple[Flow, ...] = ()
