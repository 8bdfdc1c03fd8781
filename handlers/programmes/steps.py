"""Where a member stands in a run: each step's due date and whether it is done, read from the
features' own data rather than from copies, so that erasing a diagnostic or a plan undoes the
steps it made, and nothing is kept twice.

- ``module``: the module's quiz finished (module_progress);
- ``diagnostic``: a diagnostic in the run's pôle completed since the member's start;
- ``plan``: an action of their plan chosen since then;
- ``follow_up``: one of their actions updated (« /plan maj », the monthly follow-up's buttons)
  on or after the step's date;
- ``workshop``: a workshop of the step's theme attended in the pôle;
- ``label`` and ``review``: recorded by the programme itself (the label aimed at, the review).

The member's start is the run's start, or their enrolment if earlier: what they do for the
programme once enrolled counts even before the first day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.messages import Button
from bot.storage import repositories as repo
from bot.storage.models import ProgrammeEnrolment, ProgrammeRun, ProgrammeStepRecord
from bot.storage.session import Session
from content.awareness.programmes import Programme, ProgrammeStep
from content.loader import Texts
from handlers.plan import add_months


@dataclass(frozen=True, slots=True)
class StepStatus:
    step: ProgrammeStep
    due_on: date
    done: bool
    # What a recorded step holds: the label aimed at.
    record: ProgrammeStepRecord | None = None


def due_on(run: ProgrammeRun, step: ProgrammeStep) -> date:
    """The day the step is due: its months after the run's start, then its days."""
    return add_months(run.starts_on, step.due.months) + timedelta(days=step.due.days)


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


async def statuses(
    session: Session,
    programme: Programme,
    run: ProgrammeRun,
    enrolment: ProgrammeEnrolment,
    *,
    zone: tzinfo,
) -> list[StepStatus]:
    """Every step of the programme for this enrolment, in order, done or not."""
    person_id, pole_id = enrolment.person_id, run.pole_id
    since = min(_local_midnight(run.starts_on, zone), enrolment.enrolled_at)
    kinds = {step.kind for step in programme.steps}
    modules = await repo.module_progress(session, person_id=person_id)
    diagnostics = (
        await repo.diagnostics_of(session, person_id=person_id) if "diagnostic" in kinds else []
    )
    actions = (
        await repo.planned_actions(session, person_id=person_id)
        if kinds & {"plan", "follow_up"}
        else []
    )
    themes = (
        await repo.attended_workshop_themes(session, person_id=person_id, pole_id=pole_id)
        if "workshop" in kinds
        else set()
    )
    assert enrolment.id is not None
    records = await repo.programme_step_records(session, enrolment_id=enrolment.id)
    found: list[StepStatus] = []
    for step in programme.steps:
        day = due_on(run, step)
        if step.kind == "module":
            progress = modules.get(step.module or "")
            done = progress is not None and progress.completed_at is not None
        elif step.kind == "diagnostic":
            done = any(d.pole_id == pole_id and d.completed_at >= since for d in diagnostics)
        elif step.kind == "plan":
            done = any(action.created_at >= since for action in actions)
        elif step.kind == "follow_up":
            after = _local_midnight(day, zone)
            done = any(
                action.updated_at >= after and action.updated_at > action.created_at
                for action in actions
            )
        elif step.kind == "workshop":
            done = step.theme in themes
        else:
            done = step.id in records
        found.append(StepStatus(step, day, done, records.get(step.id)))
    return found


def next_step(found: Sequence[StepStatus]) -> StepStatus | None:
    """The first step not done yet, None once all are."""
    return next((status for status in found if not status.done), None)


def do_buttons(
    texts: Texts, run: ProgrammeRun, step: ProgrammeStep, labels: Mapping[str, str]
) -> list[Button]:
    """The buttons doing the step: the module, the diagnostic, the plan, the workshops, the
    review; for a label step, one per label to aim at (``labels``: every label's title by id,
    offered when the step names none) and the label pages."""
    if step.kind == "label":
        return [
            Button(
                texts.label("programmes.steps.aim_button", label=labels[label_id]),
                f"/programme label {run.id} {label_id}",
            )
            for label_id in step.labels or labels
        ] + [Button(texts.label("programmes.steps.labels_button"), "/labels")]
    commands = {
        "module": f"decouvrir {step.module}",
        "diagnostic": "diagnostic",
        "plan": "plan",
        "follow_up": "plan",
        "workshop": "atelier",
        "review": f"programme bilan {run.id}",
    }
    label = texts.label(f"programmes.steps.do.{step.kind}")
    return [Button(label, f"/{commands[step.kind]}")]
