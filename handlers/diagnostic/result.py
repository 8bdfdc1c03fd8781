"""The result of a completed diagnostic: level and score, each subject's grade, the comparison
with the pôle's other companies, the radar chart, strengths and improvement axes with their
recommended actions."""

from __future__ import annotations

import asyncio

from bot.conversation import Context
from bot.messages import Attachment, Reply, Text
from bot.storage import repositories as repo
from content.questionnaires.models import Action, Questionnaire, Section
from handlers.awareness.modules import axis_buttons
from handlers.diagnostic import charts
from handlers.diagnostic.figures import PoleFigures, compared_with
from handlers.diagnostic.scoring import Scores, grade

SHOWN = 3
ACTIONS_PER_AXIS = 2


async def result(
    context: Context, questionnaire: Questionnaire, scores: Scores, answers: dict[str, str]
) -> list[Reply]:
    """Level and score, each subject's grade, the radar chart, strengths and improvement axes."""
    locale, texts = context.locale, context.texts
    level = scores.level
    lines = [
        texts("diagnostic.level", level=level.label(locale), percent=_percent(scores.percent)),
        Text.plain(level.description(locale)),
    ]
    if level.afaq_label is not None:
        lines.append(texts("diagnostic.afaq", level=level.afaq_label(locale)))
    lines += ["", texts("diagnostic.by_subject")]
    for section, section_score in zip(questionnaire.sections, scores.sections, strict=True):
        if section_score.percent is None:
            lines.append(texts("diagnostic.subject_unknown", subject=section.title(locale)))
            continue
        lines.append(
            texts(
                "diagnostic.subject",
                subject=section.title(locale),
                percent=_percent(section_score.percent),
                grade=grade(questionnaire, section_score.percent).id,
            )
        )
    if scores.unknown:
        lines += ["", texts("diagnostic.unknown", count=scores.unknown)]
    assert context.pole is not None and context.pole.id is not None
    assert context.person is not None and context.person.id is not None
    minimum = context.settings.min_group_size
    latest = await repo.latest_pole_diagnostics(context.session, pole_id=context.pole.id)
    others = compared_with(
        latest,
        questionnaire=questionnaire,
        minimum=minimum,
        company=context.person.company,
        person_id=context.person.id,
    )
    lines.append("")
    if others.overall.mean is None:
        lines.append(texts("diagnostic.pole_average_hidden", minimum=minimum))
    else:
        lines.append(
            texts(
                "diagnostic.pole_average",
                count=others.companies,
                percent=_percent(others.overall.mean),
            )
        )
        hidden = [
            s.title(locale) for s in questionnaire.sections if not others.sections[s.id].shown
        ]
        if hidden:
            lines.append(
                texts(
                    "diagnostic.pole_subjects_hidden", subjects=", ".join(hidden), minimum=minimum
                )
            )
    chart = await _radar(context, questionnaire, scores, others)
    return [
        Reply(Text.join(lines), attachments=(chart,)),
        _advice(context, questionnaire, scores, answers),
    ]


async def _radar(
    context: Context,
    questionnaire: Questionnaire,
    scores: Scores,
    others: PoleFigures,
) -> Attachment:
    texts, locale = context.texts, context.locale
    labels = [section.title(locale) for section in questionnaire.sections]
    values = [s.percent for s in scores.sections]
    # A hidden subject's mean is None: the pôle's line is not drawn there.
    reference = (
        [others.sections[section.id].mean for section in questionnaire.sections]
        if others.overall.shown
        else None
    )
    png = await asyncio.to_thread(
        charts.radar_png,
        labels,
        values,
        title=texts.label("diagnostic.chart_title"),
        series_label=texts.label("diagnostic.chart_you"),
        reference=reference,
        reference_label=texts.label("diagnostic.chart_pole") if reference else None,
    )
    return Attachment("diagnostic-rse.png", "image/png", png)


def _advice(
    context: Context, questionnaire: Questionnaire, scores: Scores, answers: dict[str, str]
) -> Reply:
    """The best subjects, then the weakest with the actions that would improve them most."""
    locale, texts = context.locale, context.texts
    scored = [
        (section_score.percent, section)
        for section, section_score in zip(questionnaire.sections, scores.sections, strict=True)
        if section_score.percent is not None
    ]
    ranked = sorted(scored, key=lambda pair: -pair[0])
    strengths = ranked[:SHOWN]
    axes = [pair for pair in reversed(ranked) if pair not in strengths][:SHOWN]
    lines = [texts("diagnostic.strengths")]
    lines += [
        texts("diagnostic.strength", subject=section.title(locale), percent=_percent(percent))
        for percent, section in strengths
    ]
    lines += ["", texts("diagnostic.axes")]
    for percent, section in axes:
        lines.append(
            texts("diagnostic.axis", subject=section.title(locale), percent=_percent(percent))
        )
        lines += [
            texts("diagnostic.action", text=action.text(locale))
            for action in recommended(questionnaire, section, answers)[:ACTIONS_PER_AXIS]
        ]
    buttons = (
        # Each axis a module deepens leads to it (content/awareness/modules, ``subjects``).
        *axis_buttons(context, [section.id for _, section in axes]),
        context.command_button(texts.label("diagnostic.plan_button"), "plan"),
        context.command_button(texts.label("diagnostic.history_button"), "diagnostic historique"),
    )
    return Reply(Text.join(lines), buttons)


def recommended(
    questionnaire: Questionnaire, section: Section, answers: dict[str, str]
) -> list[Action]:
    """The section's actions, those linked to its weakest answers first ("je ne sais pas" just
    above the worst answer: finding out is a first step)."""

    def weakness(question_id: str) -> float:
        choice = answers.get(question_id)
        if choice is None:
            return questionnaire.max_points
        points = questionnaire.points(choice)
        return 0.5 if points is None else points

    weakest = sorted(section.questions, key=lambda question: weakness(question.id))
    chosen = [action for question in weakest for action in section.actions_for(question)]
    return list(dict.fromkeys([*chosen, *section.actions]))


def _percent(value: float) -> str:
    return f"{value:.0f}"
