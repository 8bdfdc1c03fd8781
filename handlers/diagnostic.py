"""/diagnostic: the RSE self-diagnostic in chat (quick or full, adapted to the member's sector),
one question at a time, then the level, a radar chart, strengths and improvement axes;
``/diagnostic historique`` and ``/diagnostic synthese`` show past results and the pôle's."""

from __future__ import annotations

import asyncio

from bot.conversation import Answer, Command, Context, Feature, Flow, Next, Outcome, Retry, Step
from bot.messages import Attachment, Reply, Text
from bot.storage.models import Diagnostic
from content.questionnaires.models import Action, Questionnaire, Section
from content.text import fold
from handlers import charts, diagnostic_reports
from handlers.questionnaire import Runner
from handlers.scoring import Scores, grade, score

FLOW = "diagnostic"
SHOWN = 3
ACTIONS_PER_AXIS = 2
HISTORY_WORDS = frozenset({"historique", "history", "progres", "progress"})
SYNTHESIS_WORDS = frozenset({"synthese", "synthesis", "pole"})


def questionnaire_of(context: Context) -> Questionnaire:
    """The questionnaire being answered: the member's sector pack, quick or full."""
    chosen = context.content.diagnostic.for_sector(context.data.get("sector"))
    return chosen.quick() if context.data.get("version") == "quick" else chosen


async def start(context: Context) -> list[Reply]:
    """Start a diagnostic; ``historique`` and ``synthese`` show results instead."""
    word = fold(context.incoming.args[0]) if context.incoming.args else ""
    if word in HISTORY_WORDS:
        return await diagnostic_reports.history(context)
    if word in SYNTHESIS_WORDS:
        return await diagnostic_reports.synthesis(context)
    assert context.person is not None
    context.start_flow(FLOW, {"sector": context.person.sector})
    return []


async def ask_version(context: Context) -> Reply:
    """Presents the diagnostic and asks for the quick or the full version."""
    diagnostic = context.content.diagnostic
    full = diagnostic.for_sector(context.data.get("sector"))
    texts = context.texts
    intro = Text.plain(diagnostic.intro(context.locale)) if diagnostic.intro else Text()
    return Reply(
        Text.join([intro, texts("diagnostic.ask_version")], "\n\n"),
        (
            context.choice(
                texts.label("diagnostic.quick", count=len(full.quick().questions())), "quick"
            ),
            context.choice(texts.label("diagnostic.full", count=len(full.questions())), "full"),
        ),
    )


async def answer_version(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in ("quick", "full"):
        return Retry(context.say("errors.pick_a_button"))
    context.data["version"] = answer.choice
    Runner.begin(context.data)
    return Next("question")


async def finish(context: Context, questionnaire: Questionnaire) -> list[Reply]:
    """Store the diagnostic and show its result."""
    answers: dict[str, str] = context.data["answers"]
    try:
        scores = score(questionnaire, answers)
    except ValueError:
        return [context.say("diagnostic.no_score")]
    assert context.person is not None and context.person.id is not None
    assert context.pole is not None and context.pole.id is not None
    context.session.add(
        Diagnostic(
            person_id=context.person.id,
            pole_id=context.pole.id,
            company=context.person.company,
            sector=questionnaire.sector,
            questionnaire=questionnaire.id,
            version=context.data["version"],
            answers=answers,
            comments=context.data.get("comments", {}),
            score=scores.percent,
            level=scores.level.id,
            section_scores=scores.by_section(),
        )
    )
    await context.session.flush()
    return await result(context, questionnaire, scores, answers)


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
    others = await diagnostic_reports.pole_average(
        context.session,
        pole_id=context.pole.id,
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
    others: diagnostic_reports.PoleFigures,
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


RUNNER = Runner(questionnaire_of, finish)


feature = Feature(
    commands=[
        Command(
            "diagnostic",
            start,
            "help.diagnostic",
            role="member",
            starts_flow=FLOW,
            aliases=("autodiagnostic",),
            private_only=True,
        )
    ],
    flows=[
        Flow(
            FLOW,
            "diagnostic.title",
            "version",
            {
                "version": Step(ask_version, answer_version),
                **RUNNER.steps,
            },
        )
    ],
)
