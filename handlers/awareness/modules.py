"""A module as a flow: its steps one message at a time, each with its sources and the date they
were checked, « Suite », « En savoir plus » when the step goes deeper, « Arrêter »; then its quiz,
one question at a time, each answer told right or wrong and explained, and the score.

Where the member is lives in the flow's data (``module``, ``at``: the step shown, ``deeper``,
then ``q`` and ``right`` in the quiz) and, step by step, in their ``module_progress`` row, so
that « Arrêter » (or /annuler, or a flow begun elsewhere) ends the flow and /decouvrir takes
them back there later. Stopped during the quiz, they resume at its first question."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from bot.conversation import Answer, Context, Done, Next, Outcome, Retry, Step
from bot.messages import Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import ModuleProgress, utcnow
from content.awareness.models import Module, Source

FLOW = "awareness"
STOP = "stop"
# The buttons offered after a quiz, besides « Tous les modules ».
OTHERS_SHOWN = 3


def module_of(context: Context) -> Module | None:
    """The module of the flow under way (None if the content no longer has it)."""
    return context.content.modules.get(context.data.get("module", ""))


def open_button(context: Context, module: Module, progress: ModuleProgress | None) -> Button:
    """A button opening ``module``: « Reprendre » when it was begun and not finished since."""
    title = module.title(context.locale)
    if progress is not None and progress.step > 0:
        title = context.texts.label("awareness.modules.resume_button", title=title)
    return context.command_button(title, f"decouvrir {module.id}")


def axis_buttons(context: Context, section_ids: Iterable[str]) -> list[Button]:
    """« Module : TITRE » for every module deepening one of these diagnostic sections, each once,
    in the sections' order."""
    found: dict[str, Module] = {}
    for section_id in section_ids:
        for module in context.content.modules.values():
            if section_id in module.subjects:
                found.setdefault(module.id, module)
    return [
        context.command_button(
            context.texts.label(
                "awareness.modules.axis_button", title=module.title(context.locale)
            ),
            f"decouvrir {module.id}",
        )
        for module in found.values()
    ]


async def open_module(context: Context, module: Module) -> Reply | None:
    """Begin ``module`` where the member left it (recorded as seen the first time); say so when
    they resume."""
    progress = await repo.module_begun(
        context.session, person_id=context.person_id, module_id=module.id
    )
    at = min(progress.step, len(module.steps))
    context.start_flow(FLOW, {"module": module.id, "at": at, "deeper": False})
    if at == len(module.steps):
        context.data.update(q=0, right=0)
    context.state.step = "quiz" if at == len(module.steps) else "step"
    if at == 0:
        return None
    return context.say("awareness.modules.resumed", title=module.title(context.locale))


def _date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def sources_line(context: Context, sources: Sequence[Source]) -> Text:
    """« Sources : A ; B (vérifié le 01/12/2026) », one date for the sources checked that day."""
    by_day: dict[date, list[str]] = {}
    for source in sources:
        by_day.setdefault(source.checked, []).append(source.name(context.locale))
    groups = " ; ".join(
        context.texts.label(
            "awareness.modules.source_group", titles=" ; ".join(titles), checked=_date(day)
        )
        for day, titles in by_day.items()
    )
    key = "awareness.modules.source" if len(sources) == 1 else "awareness.modules.sources"
    return context.texts(key, groups=groups)


def _gone(context: Context) -> Reply:
    return context.say(
        "awareness.modules.gone",
        buttons=[
            context.command_button(context.texts.label("awareness.modules.all_button"), "decouvrir")
        ],
    )


def _stop_button(context: Context) -> Button:
    return context.choice(context.texts.label("awareness.modules.stop_button"), STOP)


def _stopped(context: Context, module: Module) -> Done:
    resume = context.command_button(
        context.texts.label("awareness.modules.resume_now"), f"decouvrir {module.id}"
    )
    return Done(
        [
            context.say(
                "awareness.modules.stopped", title=module.title(context.locale), buttons=[resume]
            )
        ]
    )


async def ask_step(context: Context) -> Reply:
    """One step of the module (or its « en savoir plus »), its sources, and where to go next."""
    module = module_of(context)
    if module is None:
        return _gone(context)
    texts, locale = context.texts, context.locale
    at, deeper = context.data["at"], context.data.get("deeper", False)
    step = module.steps[at]
    body = step.deeper(locale) if deeper and step.deeper is not None else step.text(locale)
    last = at == len(module.steps) - 1
    buttons = [
        context.choice(
            texts.label(
                "awareness.modules.quiz_button" if last else "awareness.modules.next_button"
            ),
            f"next:{at}",
        )
    ]
    if step.deeper is not None and not deeper:
        buttons.append(
            context.choice(texts.label("awareness.modules.deeper_button"), f"deeper:{at}")
        )
    buttons.append(_stop_button(context))
    text = Text.join(
        [
            texts(
                "awareness.modules.step_title",
                title=module.title(locale),
                number=at + 1,
                count=len(module.steps),
            ),
            Text.parse(body),
            sources_line(context, step.sources),
        ]
    )
    return Reply(text, tuple(buttons))


async def answer_step(context: Context, answer: Answer) -> Outcome:
    """« Suite » shows the next step (the quiz after the last), « En savoir plus » this step's
    deeper text, « Arrêter » ends the flow, the place kept."""
    module = module_of(context)
    if module is None:
        return Done([_gone(context)])
    if answer.choice == STOP:
        return _stopped(context, module)
    at = context.data["at"]
    kind, _, index = (answer.choice or "").partition(":")
    if answer.choice is None:
        return Retry(context.say("awareness.modules.use_buttons"))
    if kind not in ("next", "deeper") or index != str(at):
        return Retry(context.say("errors.stale_button"))
    if kind == "deeper":
        context.data["deeper"] = True
        return Next("step")
    context.data.update(at=at + 1, deeper=False)
    await repo.module_step_reached(
        context.session, person_id=context.person_id, module_id=module.id, step=at + 1
    )
    if at + 1 < len(module.steps):
        return Next("step")
    context.data.update(q=0, right=0)
    return Next("quiz")


async def ask_question(context: Context) -> Reply:
    """One question of the quiz, its choices as buttons."""
    module = module_of(context)
    if module is None:
        return _gone(context)
    locale, number = context.locale, context.data["q"]
    question = module.quiz[number]
    buttons = [
        context.choice(choice.text(locale), f"{number}:{choice.id}") for choice in question.choices
    ]
    return context.say(
        "awareness.modules.question",
        number=number + 1,
        count=len(module.quiz),
        question=question.question(locale),
        buttons=[*buttons, _stop_button(context)],
    )


async def answer_question(context: Context, answer: Answer) -> Outcome:
    """Right or wrong, explained; then the next question, or the score and other modules."""
    module = module_of(context)
    if module is None:
        return Done([_gone(context)])
    if answer.choice == STOP:
        return _stopped(context, module)
    if answer.choice is None:
        return Retry(context.say("awareness.modules.use_buttons"))
    locale, number = context.locale, context.data["q"]
    question = module.quiz[number]
    index, _, chosen = answer.choice.partition(":")
    choices = {choice.id: choice for choice in question.choices}
    if index != str(number) or chosen not in choices:
        return Retry(context.say("errors.stale_button"))
    right = chosen == question.answer
    feedback = context.say(
        "awareness.modules.right" if right else "awareness.modules.wrong",
        answer=choices[question.answer].text(locale),
        explanation=question.explanation(locale),
    )
    context.data["right"] = context.data.get("right", 0) + int(right)
    if number + 1 < len(module.quiz):
        context.data["q"] = number + 1
        return Next("quiz", [feedback])
    return Done([feedback, await _finished(context, module, context.data["right"])])


async def _finished(context: Context, module: Module, score: int) -> Reply:
    """The score, the best one if it was higher, and buttons to the other modules (those not
    finished first)."""
    texts, total = context.texts, len(module.quiz)
    best = await repo.module_completed(
        context.session,
        person_id=context.person_id,
        module_id=module.id,
        score=score,
        total=total,
        now=utcnow(),
    )
    lines = [
        texts(
            "awareness.modules.score", score=score, total=total, title=module.title(context.locale)
        )
    ]
    if best.quiz_score is not None and best.quiz_score > score:
        lines.append(
            texts("awareness.modules.best", score=best.quiz_score, total=best.quiz_total or total)
        )
    progress = await repo.module_progress(context.session, person_id=context.person_id)
    others = [m for m in context.content.modules.values() if m.id != module.id]
    others.sort(key=lambda m: m.id in progress and progress[m.id].completed_at is not None)
    buttons = [open_button(context, m, progress.get(m.id)) for m in others[:OTHERS_SHOWN]]
    if others:
        lines.append(texts("awareness.modules.others"))
    buttons.append(context.command_button(texts.label("awareness.modules.all_button"), "decouvrir"))
    return Reply(Text.join(lines), tuple(buttons))


STEPS = {
    "step": Step(ask_step, answer_step),
    "quiz": Step(ask_question, answer_question),
}
