"""The respondents' side: ``/enquete`` shows the partners one answers for and their waves,
``/enquete CODE`` (or the code typed at /start) makes one a partner's respondent, and
``/enquete repondre P`` fills in partner P's response, one affirmation at a time on the
diagnostic's engine, resumed days later, with a comment at the end of each axis.

A partner answers once per wave, as an organisation: any of its respondents fills the response
in and sees who else started it; the last submission before the close is the partner's answer.
Respondents need not be members of the pôle, so the flow needs no role: its guard, which the
router checks before every step, is that the person still answers for the partner and that the
wave is still open; a submission after the close is refused, the wave's row locked against the
close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.conversation import Answer, Context, Flow, Next, Outcome, Step
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import SurveyPartner, SurveyProject, SurveyWave, utcnow
from content.questionnaires.models import Questionnaire
from handlers.actions import Action
from handlers.events.invitations import local_time
from handlers.questionnaire import Runner
from handlers.survey.questionnaire import agreements_of, questionnaire

FLOW = "survey"


async def overview(context: Context) -> list[Reply]:
    """The partners the person answers for, each with its open wave and a button to answer."""
    if context.person is None:
        return [context.say("survey.respond.sign_up")]
    partners = await repo.respondent_partners(context.session, person_id=context.person_id)
    if not partners:
        return []
    lines = [context.texts("survey.respond.overview")]
    buttons = []
    for partner, project in partners:
        wave = await repo.current_wave(context.session, project_id=project.id or 0)
        lines.append(
            context.texts("survey.respond.partner_line", partner=partner.name, project=project.name)
        )
        if wave is None or wave.closes_at <= utcnow():
            lines.append(context.texts("survey.respond.no_wave"))
            continue
        lines += await _status(context, partner, wave)
        buttons.append(
            context.command_button(
                context.texts.label("survey.respond.answer_for", partner=partner.name),
                f"enquete repondre {partner.id}",
            )
        )
    return [Reply(Text.join(lines), tuple(buttons))]


async def _status(context: Context, partner: SurveyPartner, wave: SurveyWave) -> list[Text]:
    """Where the partner's response to the wave stands: sent (by whom, when), and who of its
    respondents is filling one in."""
    assert wave.id is not None and partner.id is not None
    texts = context.texts
    lines = [
        texts(
            "survey.respond.wave_open",
            wave=wave.number,
            closes=local_time(context.settings, wave.closes_at),
        )
    ]
    response = await repo.partner_response(context.session, wave_id=wave.id, partner_id=partner.id)
    if response is not None:
        author = await repo.people_by_id(
            context.session, ids=[response.submitted_by] if response.submitted_by else []
        )
        lines.append(
            texts(
                "survey.respond.sent",
                when=local_time(context.settings, response.submitted_at),
                by=author[0].display_name if author else texts.label("survey.respond.someone"),
            )
        )
    for person, draft in await repo.partner_drafts(
        context.session, wave_id=wave.id, partner_id=partner.id
    ):
        if person.id == context.person_id:
            continue
        lines.append(
            texts(
                "survey.respond.started_by",
                name=person.display_name or "?",
                answered=draft.answered,
                when=local_time(context.settings, draft.updated_at),
            )
        )
    return lines


async def join(context: Context, code: str) -> list[Reply] | None:
    """``/enquete CODE``: answer for the partner of that code; None when it is no code."""
    found = await repo.survey_partner_by_code(context.session, code=code)
    if found is None:
        return None
    if context.person is None:
        return [context.say("survey.respond.sign_up")]
    partner, project = found
    assert partner.id is not None
    await repo.add_respondent(context.session, partner_id=partner.id, person_id=context.person_id)
    return [joined(context, partner, project), *await overview(context)]


def joined(context: Context, partner: SurveyPartner, project: SurveyProject) -> Reply:
    """What a new respondent reads (at /start with the code too)."""
    return context.say("survey.respond.joined", partner=partner.name, project=project.name)


async def begin(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/enquete repondre P``: fill in partner P's response to its open wave."""
    if context.person is None:
        return [context.say("survey.respond.sign_up")]
    if not args or not args[0].isdigit():
        return [context.say("survey.respond.which"), *await overview(context)]
    found = await repo.respondent_of(
        context.session, person_id=context.person_id, partner_id=int(args[0])
    )
    if found is None:
        return [context.say("survey.respond.not_yours")]
    partner, project = found
    wave = await repo.current_wave(context.session, project_id=project.id or 0)
    if wave is None or wave.closes_at <= utcnow():
        return [context.say("survey.respond.closed_now", project=project.name)]
    if project.survey not in context.content.surveys:
        return [context.say("errors.internal")]
    survey = context.content.surveys[project.survey]
    intro = survey.intro(context.locale) if survey.intro else ""
    lines = [
        context.texts(
            "survey.respond.intro",
            project=project.name,
            partner=partner.name,
            wave=wave.number,
            count=len(survey.indicators),
        ),
        Text.plain(intro),
        *await _status(context, partner, wave),
    ]
    context.start_flow(
        FLOW, {"partner_id": partner.id, "wave_id": wave.id, "survey": project.survey}
    )
    Runner.begin(context.data)
    assert wave.id is not None and partner.id is not None
    await repo.save_survey_draft(
        context.session,
        wave_id=wave.id,
        partner_id=partner.id,
        person_id=context.person_id,
        answered=0,
    )
    return [Reply(Text.join(lines))]


def _questionnaire(context: Context) -> Questionnaire:
    return questionnaire(context.content.surveys[context.data["survey"]])


async def lapsed(context: Context) -> Reply | None:
    """Why the response may not go on, checked by the router before every step: the person no
    longer answers for the partner, or the wave closed."""
    if context.person is None:
        return context.say("survey.respond.no_longer")
    found = await repo.respondent_of(
        context.session, person_id=context.person_id, partner_id=context.data["partner_id"]
    )
    if found is None:
        return context.say("survey.respond.no_longer")
    wave = await repo.survey_wave(context.session, wave_id=context.data["wave_id"])
    if wave is None or wave.closed_at is not None or wave.closes_at <= utcnow():
        return context.say("survey.respond.too_late", project=found[1].name)
    return None


async def finish(context: Context, questionnaire: Questionnaire) -> list[Reply]:
    """Submit the partner's response, replacing an earlier one, unless the wave closed."""
    wave = await repo.locked_wave(context.session, wave_id=context.data["wave_id"])
    found = await repo.respondent_of(
        context.session, person_id=context.person_id, partner_id=context.data["partner_id"]
    )
    if found is None:
        return [context.say("survey.respond.no_longer")]
    partner, project = found
    if wave is None or wave.closed_at is not None or wave.closes_at <= utcnow():
        return [context.say("survey.respond.too_late", project=project.name)]
    assert wave.id is not None and partner.id is not None
    earlier = await repo.partner_response(context.session, wave_id=wave.id, partner_id=partner.id)
    replaced = earlier is not None
    answers = {k: v.value for k, v in agreements_of(context.data["answers"]).items()}
    await repo.submit_response(
        context.session,
        wave_id=wave.id,
        partner_id=partner.id,
        person_id=context.person_id,
        answers=answers,
        comments=dict(context.data.get("comments", {})),
        now=utcnow(),
    )
    key = "survey.respond.replaced" if replaced else "survey.respond.submitted"
    return [
        context.say(
            key,
            partner=partner.name,
            project=project.name,
            closes=local_time(context.settings, wave.closes_at),
        )
    ]


RUNNER = Runner(_questionnaire, finish)


def _recorded(step: Step) -> Step:
    """The engine's step, recording how far the response has come for the partner's other
    respondents."""

    async def answer(context: Context, given: Answer) -> Outcome:
        outcome = await step.answer(context, given)
        if isinstance(outcome, Next):
            await repo.save_survey_draft(
                context.session,
                wave_id=context.data["wave_id"],
                partner_id=context.data["partner_id"],
                person_id=context.person_id,
                answered=len(context.data.get("answers", {})),
            )
        return outcome

    return replace(step, answer=answer)


ACTIONS = (Action(("repondre", "answer"), begin, role=None),)
FLOWS = (
    Flow(
        FLOW,
        "survey.respond.flow_title",
        "question",
        {name: _recorded(step) for name, step in RUNNER.steps.items()},
        guard=lapsed,
    ),
)
