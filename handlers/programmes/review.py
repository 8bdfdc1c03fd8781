"""The closing review of a run (« /programme bilan RUN »): the member's steps done and not done,
then one question, what they take from the programme and what comes next, in their own words,
which does the run's review step (and is shown to the animators only if the member shares)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Answer, Context, Done, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import ProgrammeEnrolment, ProgrammeRun, utcnow
from content.awareness.programmes import Programme
from handlers.actions import Action
from handlers.programmes.members import find_enrolment, progress, step_lines
from handlers.programmes.steps import statuses

FLOW = "programme_review"
MIN_LENGTH = 3
MAX_LENGTH = 1000


async def start(context: Context, args: Sequence[str]) -> list[Reply]:
    """``bilan RUN``: begins the closing review of a run the member follows."""
    found = await find_enrolment(context, args)
    if isinstance(found, Reply):
        return [found]
    run, programme, _ = found
    step = next((step for step in programme.steps if step.kind == "review"), None)
    if step is None:
        return [context.say("programmes.review.none", title=programme.title(context.locale))]
    context.start_flow(FLOW, {"run": run.id, "step": step.id})
    return []


async def _found(
    context: Context,
) -> tuple[ProgrammeRun, Programme, ProgrammeEnrolment] | None:
    """The review's run and enrolment, unless the member left it meanwhile."""
    found = await find_enrolment(context, [str(context.data.get("run"))])
    return None if isinstance(found, Reply) else found


async def ask_comment(context: Context) -> Reply:
    """The member's steps, then what they take from the programme."""
    found = await _found(context)
    if found is None:
        return context.say("programmes.review.gone")
    run, programme, enrolment = found
    steps = await statuses(context.session, programme, run, enrolment, zone=context.settings.tz)
    lines = [
        context.texts("programmes.review.title", title=programme.title(context.locale)),
        *step_lines(context, steps),
        Text(),
        context.texts("programmes.review.ask"),
    ]
    return Reply(Text.join(lines))


async def answer_comment(context: Context, answer: Answer) -> Outcome:
    found = await _found(context)
    if found is None:
        return Done([context.say("programmes.review.gone")])
    text = answer.text.strip()
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        return Retry(context.say("programmes.review.length", most=MAX_LENGTH))
    run, programme, enrolment = found
    assert enrolment.id is not None
    await repo.record_programme_step(
        context.session,
        enrolment_id=enrolment.id,
        step_id=context.data["step"],
        now=utcnow(),
        comment=text,
    )
    thanks = context.say("programmes.review.thanks")
    return Done([thanks, await progress(context, run, programme, enrolment)])


STEPS = {"comment": Step(ask_comment, answer_comment)}
ACTIONS = [Action(("bilan", "review"), start)]
