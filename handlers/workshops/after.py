"""A workshop from its start on, for its animators and those who came.

``/atelier participants N`` and ``/atelier presences N`` are the events' own (the headcount
and sign-in sheet of handlers/club/participants.py, the attendance of handlers/events/
attendance.py), N being the workshop's number. Once attendance is recorded, the
``workshop-surveys`` job sends those who came the satisfaction survey
(content/questionnaires/satisfaction_atelier.yaml, once each, a late-ticked participant
too), which ``/atelier avis N`` answers through the questionnaire engine; ``/atelier resultats
N`` shows the animators its figures per company under the anonymity rule; ``/atelier
documents N`` sends the slides or documents the animator uploads to those who came."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Event, Workshop, utcnow
from bot.storage.session import Session
from content.loader import Content, Texts
from content.questionnaires.models import Questionnaire
from handlers.actions import Action
from handlers.anonymity import aggregate
from handlers.club import participants as sheets
from handlers.events import attendance
from handlers.events.invitations import local_time
from handlers.questionnaire import Runner
from handlers.validation import fetch_file
from handlers.workshops.notify import send_file, tell

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

SURVEY_FLOW = "workshop_survey"
DOCUMENTS_FLOW = "workshop_documents"
# The survey goes to those recorded present within this long after the attendance was taken.
SURVEY_WITHIN = timedelta(days=14)
# The largest file sent to participants, as for a broadcast.
DOCUMENT_MAX = 20_000_000


async def workshop(context: Context, typed: str) -> tuple[Workshop, Event] | None:
    """The pôle's workshop numbered ``typed`` (its event's number); None otherwise, whether it
    exists or not."""
    if not typed.isdigit():
        return None
    event = await repo.pole_event(context.session, pole_id=context.pole_id, event_id=int(typed))
    if event is None or event.kind != "workshop":
        return None
    found = await repo.workshop_of_event(context.session, event_id=int(typed))
    return None if found is None else (found, event)


async def _named(
    context: Context, args: Sequence[str], usage: str
) -> tuple[Workshop, Event] | Reply:
    """The workshop an action's one argument names; else its ``usage``, or that it is
    unknown."""
    if len(args) != 1:
        return context.say(usage)
    found = await workshop(context, args[0])
    return found if found is not None else context.say("workshops.unknown")


async def participants(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier participants N``: who comes, and the sign-in sheet."""
    found = await _named(context, args, "workshops.after.participants_usage")
    if isinstance(found, Reply):
        return [found]
    return await sheets.participants(context, [str(found[1].id)])


async def presences(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier presences N``: tick who came, once it has started."""
    found = await _named(context, args, "workshops.after.presences_usage")
    if isinstance(found, Reply):
        return [found]
    return await attendance.begin(context, found[1])


# The survey, sent by the job and answered in chat.


def survey_buttons(event: Event) -> Callable[[Texts], list[Button]]:
    """« Donner mon avis », in each participant's language."""

    def buttons(texts: Texts) -> list[Button]:
        label = texts.label("workshops.survey.button")
        return [Button(label, f"/atelier avis {event.id}")]

    return buttons


async def send_surveys(app: App) -> None:
    """Queue the survey to whoever was recorded present at a workshop and has not had it."""
    async with app.database.transaction() as session:
        queued = await queue_surveys(session, app.settings, app.content)
    if queued:
        logger.info("Queued %d workshop survey(s)", queued)


async def queue_surveys(session: Session, settings: Settings, content: Content) -> int:
    """The survey to those present at each workshop whose attendance was recorded lately, once
    each (a campaign's once-only key per person)."""
    queued = 0
    for found, event in await repo.workshops_attended_since(
        session, since=utcnow() - SURVEY_WITHIN
    ):
        assert event.starts_at is not None
        queued += await tell(
            session,
            settings,
            content,
            pole_id=found.pole_id,
            people=await repo.event_present(session, event_id=event.id or 0),
            kind="workshop_survey",
            key="workshops.survey.invitation",
            values={"title": event.title, "when": local_time(settings, event.starts_at)},
            audience=f"workshop:{found.id}:survey",
            buttons=survey_buttons(event),
            once=True,
        )
    return queued


def _questionnaire(context: Context) -> Questionnaire:
    return context.content.workshop_survey


async def answer_survey(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier avis N``: the satisfaction survey of workshop N, for those who came, once."""
    found = await _named(context, args, "workshops.survey.usage")
    if isinstance(found, Reply):
        return [found]
    workshop_row, event = found
    present = await repo.event_present(context.session, event_id=event.id or 0)
    if context.person_id not in present:
        return [context.say("workshops.survey.not_present", title=event.title)]
    done = await repo.workshop_feedback(context.session, workshop_id=workshop_row.id or 0)
    if any(feedback.person_id == context.person_id for feedback in done):
        return [context.say("workshops.survey.already", title=event.title)]
    context.start_flow(SURVEY_FLOW, {"workshop_id": workshop_row.id, "title": event.title})
    RUNNER.begin(context.data)
    return [context.say("workshops.survey.intro", title=event.title)]


async def finish(context: Context, questionnaire: Questionnaire) -> list[Reply]:
    """Keep the answers, with the member's company for the figures per company."""
    assert context.person is not None
    saved = await repo.save_workshop_feedback(
        context.session,
        workshop_id=context.data["workshop_id"],
        person_id=context.person_id,
        company=context.person.company,
        answers=context.data["answers"],
        comments=context.data.get("comments", {}),
    )
    key = "workshops.survey.thanks" if saved else "workshops.survey.already"
    return [context.say(key, title=context.data["title"])]


RUNNER = Runner(_questionnaire, finish)


async def results(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier resultats N``: each question's mean per company and the remarks, only when
    enough companies answered (handlers/anonymity.py)."""
    found = await _named(context, args, "workshops.results.usage")
    if isinstance(found, Reply):
        return [found]
    workshop_row, event = found
    answers = await repo.workshop_feedback(context.session, workshop_id=workshop_row.id or 0)
    questionnaire = context.content.workshop_survey
    minimum = context.settings.min_group_size
    texts, locale = context.texts, context.locale
    lines = [texts("workshops.results.title", title=event.title)]
    best = questionnaire.scale[0].points
    shown = False
    for _, question in questionnaire.questions():
        per_company: dict[str, list[int]] = {}
        for feedback in answers:
            points = questionnaire.points(feedback.answers.get(question.id, ""))
            if points is not None:
                company = feedback.company or f"person:{feedback.person_id}"
                per_company.setdefault(company, []).append(points)
        figure = aggregate(
            {company: sum(p) / len(p) for company, p in per_company.items()}, minimum=minimum
        )
        if figure.mean is None:
            continue
        shown = True
        lines.append(
            texts(
                "workshops.results.line",
                question=question.text(locale),
                mean=f"{figure.mean:.1f}".replace(".", "," if locale == "fr" else "."),
                best=best,
                companies=figure.companies,
            )
        )
    if not shown:
        return [context.say("workshops.results.too_few", title=event.title, minimum=minimum)]
    remarks = sorted(
        remark
        for feedback in answers
        for closing, remark in feedback.comments.items()
        if closing == "remark"
    )
    if remarks:
        lines.append(texts("workshops.results.remarks"))
        lines += [texts("workshops.results.remark", text=remark) for remark in remarks]
    return [Reply(Text.join(lines))]


# The documents, sent to those who came.


async def documents(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier documents N``: send files to those who came, once attendance is recorded."""
    found = await _named(context, args, "workshops.documents.usage")
    if isinstance(found, Reply):
        return [found]
    _, event = found
    if event.attendance_at is None:
        return [context.say("workshops.documents.no_attendance", title=event.title)]
    present = await repo.event_present(context.session, event_id=event.id or 0)
    if not present:
        return [context.say("workshops.documents.nobody", title=event.title)]
    context.start_flow(DOCUMENTS_FLOW, {"event_id": event.id, "title": event.title, "sent": []})
    return []


async def ask_file(context: Context) -> Reply:
    done = context.choice(context.texts.label("workshops.documents.done"), "done")
    return context.say(
        "workshops.documents.ask",
        title=context.data["title"],
        maximum=DOCUMENT_MAX // 1_000_000,
        buttons=[done],
    )


async def answer_file(context: Context, answer: Answer) -> Outcome:
    sent: list[str] = context.data["sent"]
    if answer.choice == "done":
        return Done([context.say("workshops.documents.finished", count=len(sent))])
    if not answer.files:
        return Retry(context.say("workshops.documents.file_expected"))
    event = await repo.pole_event(
        context.session, pole_id=context.pole_id, event_id=context.data["event_id"]
    )
    if event is None:
        return Done([context.say("workshops.unknown")])
    file = answer.files[0]
    data = await fetch_file(
        context,
        file,
        maximum=DOCUMENT_MAX,
        too_big="workshops.documents.too_big",
        failed="workshops.documents.failed",
    )
    if isinstance(data, Reply):
        return Retry(data)
    present = await repo.event_present(context.session, event_id=event.id or 0)
    queued = await send_file(
        context.session,
        context.settings,
        context.content,
        pole_id=context.pole_id,
        people=present,
        key="workshops.documents.message",
        values={"title": event.title, "name": file.filename},
        audience=f"workshop:{event.id}:document:{len(sent) + 1}",
        file=(file.filename[:200], file.mime_type[:100], data),
        author_id=context.person_id,
    )
    context.data["sent"] = [*sent, file.filename]
    return Next("file", [context.say("workshops.documents.sent", name=file.filename, count=queued)])


ACTIONS = (
    Action(("participants",), participants, role="animator"),
    Action(("presences", "attendance"), presences, role="animator"),
    Action(("avis", "feedback"), answer_survey),
    Action(("resultats", "results"), results, role="animator"),
    Action(("documents", "docs"), documents, role="animator"),
)
FLOWS = (
    Flow(SURVEY_FLOW, "workshops.survey.flow_title", "question", RUNNER.steps, role="member"),
    Flow(
        DOCUMENTS_FLOW,
        "workshops.documents.flow_title",
        "file",
        {"file": Step(ask_file, answer_file, takes_files=True)},
        role="animator",
    ),
)
