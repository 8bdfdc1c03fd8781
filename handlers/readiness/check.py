"""« Suis-je prêt ? »: one label's readiness self-check, asked one requirement at a time by the
questionnaire engine (handlers/questionnaire.py), resumed where the member left it, even after a
restart (the answers are in the conversation state). The result says which requirements look met
and, for each other one, what to prepare, with its sources; the member's last result per label
is kept for /pret and /accueil."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.conversation import Context, Flow
from bot.messages import Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import ReadinessResult, utcnow
from content.awareness.readiness import MET, ReadinessCheck, Requirement
from content.questionnaires.models import DONT_KNOW, Questionnaire
from handlers.awareness import labels
from handlers.awareness.modules import sources_line
from handlers.questionnaire import Runner

FLOW = "readiness"
# The requirement whose « to prepare » leads to the client survey of handlers/readiness/clients.
CLIENTS_REQUIREMENT = "nr_clients"


def find(context: Context, word: str) -> ReadinessCheck | None:
    """A label's check by the label's id (what the buttons send) or its number in /labels."""
    label = labels.find(context, word)
    return context.content.readiness.get(label.id) if label is not None else None


def _check_of(context: Context) -> ReadinessCheck:
    return context.content.readiness[context.data["label"]]


def questionnaire_of(context: Context) -> Questionnaire:
    """The check being answered, as the engine asks it."""
    return _check_of(context).questionnaire()


async def begin(context: Context, check: ReadinessCheck) -> list[Reply]:
    """Start the label's check from its first requirement; the router then asks it."""
    context.start_flow(FLOW, {"label": check.label})
    Runner.begin(context.data)
    return [
        Reply(
            Text.join(
                [
                    context.texts("readiness.check.intro_title", title=check.title(context.locale)),
                    Text.plain(check.intro(context.locale)),
                ]
            )
        )
    ]


async def finish(context: Context, questionnaire: Questionnaire) -> list[Reply]:
    """Keep the member's result for the label and show it."""
    check = _check_of(context)
    answers: dict[str, str] = dict(context.data["answers"])
    met = sum(answers.get(r.id) == MET for r in check.requirements)
    await repo.save_readiness_result(
        context.session,
        person_id=context.person_id,
        label_id=check.label,
        answers=answers,
        met=met,
        now=utcnow(),
    )
    return [result(context, check, answers)]


def _answer_label(context: Context, check: ReadinessCheck, answer: str | None) -> str:
    assert check.answers is not None
    if answer == DONT_KNOW or answer is None:
        return check.answers.dont_know(context.locale)
    return next(c.label(context.locale) for c in check.answers.scale if c.id == answer)


def result(context: Context, check: ReadinessCheck, answers: Mapping[str, str]) -> Reply:
    """What looks met, what to prepare (with each one's sources), and buttons to the modules
    that help, the client survey when it is among them, the label's page and a new check."""
    texts, locale = context.texts, context.locale
    label = context.content.labels[check.label]
    met = [r for r in check.requirements if answers.get(r.id) == MET]
    gaps = [r for r in check.requirements if answers.get(r.id) != MET]
    lines = [
        texts(
            "readiness.check.result_title",
            title=label.title(locale),
            met=len(met),
            total=len(check.requirements),
        )
    ]
    if met:
        lines += [Text(), texts("readiness.check.met_title")]
        lines += [texts("readiness.check.met_line", title=r.title(locale)) for r in met]
    if gaps:
        lines += [Text(), texts("readiness.check.gaps_title")]
        for requirement in gaps:
            lines += [
                texts(
                    "readiness.check.gap_line",
                    title=requirement.title(locale),
                    answer=_answer_label(context, check, answers.get(requirement.id)),
                    prepare=requirement.prepare(locale),
                ),
                sources_line(context, requirement.sources),
            ]
    else:
        lines += [Text(), texts("readiness.check.all_met")]
    lines += [Text(), texts("readiness.check.disclaimer")]
    return Reply(Text.join(lines), tuple(_buttons(context, check, gaps)))


def _buttons(context: Context, check: ReadinessCheck, gaps: Sequence[Requirement]) -> list[Button]:
    texts, locale = context.texts, context.locale
    modules = context.content.modules
    related = dict.fromkeys(m for r in gaps for m in r.modules if m in modules)
    buttons = [
        context.command_button(
            texts.label("awareness.modules.axis_button", title=modules[m].title(locale)),
            f"decouvrir {m}",
        )
        for m in related
    ]
    if any(r.id == CLIENTS_REQUIREMENT for r in gaps):
        buttons.append(
            context.command_button(texts.label("readiness.clients.button"), "pret clients")
        )
    buttons += [
        context.command_button(
            texts.label("readiness.check.label_button"), f"labels {check.label}"
        ),
        context.command_button(texts.label("readiness.check.again_button"), f"pret {check.label}"),
    ]
    return buttons


def result_line(context: Context, label_title: str, row: ReadinessResult | None) -> Text:
    """« Label LUCIE 26000 : 4 exigences sur 6 remplies (le 01/12/2026) », or not done yet."""
    if row is None:
        return context.texts("readiness.check.line_none", title=label_title)
    day = row.completed_at.astimezone(context.settings.tz).strftime("%d/%m/%Y")
    return context.texts(
        "readiness.check.line", title=label_title, met=row.met, total=row.total, day=day
    )


async def home_line(context: Context) -> Text:
    """/accueil's line: each label checked with how many requirements looked met, or an
    invitation when none is."""
    done = await repo.readiness_results(context.session, person_id=context.person_id)
    checked = [
        context.texts(
            "readiness.check.home_item",
            title=context.content.labels[label_id].title(context.locale),
            met=row.met,
            total=row.total,
        )
        for label_id, row in done.items()
        if label_id in context.content.readiness
    ]
    if not checked:
        return context.texts("readiness.check.home_none")
    return context.texts("readiness.check.home", labels=Text.join(checked, ", "))


RUNNER = Runner(questionnaire_of, finish)
# A check is kept per member: the flow needs one, in the pôle it began in.
FLOWS = (Flow(FLOW, "readiness.check.title", "question", RUNNER.steps, role="member"),)
