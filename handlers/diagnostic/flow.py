"""The diagnostic's conversation: quick or full version, the member's sector pack, one question
at a time (handlers/questionnaire.py asks them), then the completed diagnostic stored and its
result shown."""

from __future__ import annotations

from bot.conversation import Answer, Context, Next, Outcome, Retry
from bot.messages import Reply, Text
from bot.storage.models import Diagnostic
from content.questionnaires.models import Questionnaire
from handlers.diagnostic.result import result
from handlers.diagnostic.scoring import score
from handlers.questionnaire import Runner

FLOW = "diagnostic"


def questionnaire_of(context: Context) -> Questionnaire:
    """The questionnaire being answered: the member's sector pack, quick or full."""
    chosen = context.content.diagnostic.for_sector(context.data.get("sector"))
    return chosen.quick() if context.data.get("version") == "quick" else chosen


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


RUNNER = Runner(questionnaire_of, finish)
