"""/plan: the member picks actions among their last diagnostic's recommendations and sets a
target date; every month the bot asks how each one is going, as a six-month accompaniment
would; /plan shows where the plan stands."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.conversation import (
    Answer,
    Command,
    Context,
    Done,
    Feature,
    Flow,
    Next,
    Outcome,
    Retry,
    Step,
)
from bot.messages import Reply, Text
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Diagnostic, PlannedAction, utcnow
from content.loader import Content
from content.text import fold
from handlers.audiences import recipient_of
from handlers.diagnostic.result import recommended

if TYPE_CHECKING:
    from bot.app import App

FLOW = "plan"
HORIZONS = (1, 3, 6)  # months
AXES = 3
ACTIONS_PER_AXIS = 3
# What people type or press after "/plan maj <n>", folded, to the stored status.
STATUS_WORDS = {
    "fait": "done",
    "faite": "done",
    "done": "done",
    "encours": "in_progress",
    "en_cours": "in_progress",
    "inprogress": "in_progress",
    "pas": "not_started",
    "pascommence": "not_started",
    "notstarted": "not_started",
}
# The words our own follow-up buttons send.
STATUS_BUTTONS = {"done": "fait", "in_progress": "encours", "not_started": "pas"}


def action_text(
    content: Content, sector: str | None, section_id: str, action_id: str, locale: str
) -> str:
    """An action's text in the content, found by its section and id."""
    try:
        section = content.diagnostic.for_sector(sector).section(section_id)
        return section.action(action_id).text(locale)
    except KeyError:
        return action_id  # removed from the content since it was chosen


async def _sector(context: Context) -> str | None:
    """The sector of the member's last diagnostic, whose pack may hold their actions."""
    assert context.person is not None and context.person.id is not None
    diagnostic = await repo.latest_diagnostic(context.session, person_id=context.person.id)
    return diagnostic.sector if diagnostic else None


async def show_plan(context: Context) -> list[Reply]:
    """``/plan``: the plan with each action's status, or the choice of actions if none yet;
    ``/plan ajouter`` adds actions; ``/plan maj N fait|encours|pas`` records progress."""
    assert context.person is not None and context.person.id is not None
    args = [fold(arg) for arg in context.incoming.args]
    if args[:1] == ["maj"]:
        return [await _update(context, args[1:])]
    if args[:1] == ["ajouter"] or not await repo.planned_actions(
        context.session, person_id=context.person.id
    ):
        return await _choose(context)
    return [await plan_summary(context)]


async def plan_summary(context: Context) -> Reply:
    """Every action of the plan with its status and target date."""
    assert context.person is not None and context.person.id is not None
    sector, texts = await _sector(context), context.texts
    lines = [texts("plan.title")]
    for number, action in enumerate(
        await repo.planned_actions(context.session, person_id=context.person.id), start=1
    ):
        text = action_text(
            context.content, sector, action.section, action.action_id, context.locale
        )
        lines.append(
            texts(
                "plan.line",
                number=number,
                text=text,
                status=texts.label(f"plan.statuses.{action.status}"),
                due=action.due_on.strftime("%d/%m/%Y"),
            )
        )
    lines.append(texts("plan.how_to_update"))
    buttons = (context.command_button(texts.label("plan.add_button"), "plan ajouter"),)
    return Reply(Text.join(lines), buttons)


async def _update(context: Context, args: Sequence[str]) -> Reply:
    """``maj 2 en cours``: the plan's 2nd action; ``maj #17 fait`` (follow-up buttons): the
    action whose id is 17. Only the member's own actions can be found either way."""
    assert context.person is not None and context.person.id is not None
    actions = await repo.planned_actions(context.session, person_id=context.person.id)
    which = args[0] if args else ""
    status = STATUS_WORDS.get("".join(args[1:]))
    target = None
    if which.startswith("#"):
        target = next((a for a in actions if str(a.id) == which[1:]), None)
    elif which.isdigit() and 1 <= int(which) <= len(actions):
        target = actions[int(which) - 1]
    if target is None or status is None:
        return context.say("plan.update_usage")
    target.status, target.updated_at = status, utcnow()
    context.session.add(target)
    text = action_text(
        context.content, await _sector(context), target.section, target.action_id, context.locale
    )
    return context.say(
        "plan.updated", text=text, status=context.texts.label(f"plan.statuses.{status}")
    )


async def _choose(context: Context) -> list[Reply]:
    assert context.person is not None and context.person.id is not None
    diagnostic = await repo.latest_diagnostic(context.session, person_id=context.person.id)
    if diagnostic is None:
        button = context.command_button(context.texts.label("plan.diagnostic_button"), "diagnostic")
        return [context.say("plan.no_diagnostic", buttons=[button])]
    already = {
        action.action_id
        for action in await repo.planned_actions(context.session, person_id=context.person.id)
        if action.status != "done"
    }
    candidates = [
        [section, action]
        for section, action in _candidates(context.content, diagnostic)
        if action not in already
    ]
    if not candidates:
        return [context.say("plan.nothing_new")]
    context.start_flow(FLOW, {"diagnostic": diagnostic.id, "candidates": candidates, "chosen": []})
    return []


def _candidates(content: Content, diagnostic: Diagnostic) -> list[tuple[str, str]]:
    """(section, action) pairs recommended for the diagnostic's weakest subjects."""
    questionnaire = content.diagnostic.for_sector(diagnostic.sector)
    scored = [
        (percent, section_id)
        for section_id, percent in diagnostic.section_scores.items()
        if percent is not None
    ]
    pairs = []
    for _, section_id in sorted(scored)[:AXES]:
        section = questionnaire.section(section_id)
        for action in recommended(questionnaire, section, diagnostic.answers)[:ACTIONS_PER_AXIS]:
            pairs.append((section_id, action.id))
    return pairs


async def ask_pick(context: Context) -> Reply:
    """Lists the recommended actions, numbered, those already picked ticked."""
    diagnostic = await context.session.get(Diagnostic, context.data["diagnostic"])
    sector = diagnostic.sector if diagnostic else None
    texts, chosen = context.texts, set(context.data["chosen"])
    lines = [texts("plan.ask_pick")]
    for number, (section, action_id) in enumerate(context.data["candidates"], start=1):
        text = action_text(context.content, sector, section, action_id, context.locale)
        mark = "☑" if number in chosen else "☐"
        lines.append(texts("plan.candidate", number=number, mark=mark, text=text))
    buttons = [
        context.choice(str(number), str(number))
        for number in range(1, len(context.data["candidates"]) + 1)
    ]
    buttons.append(context.choice(texts.label("plan.validate", count=len(chosen)), "validate"))
    return Reply(Text.join(lines), tuple(buttons))


async def answer_pick(context: Context, answer: Answer) -> Outcome:
    chosen: list[int] = context.data["chosen"]
    if answer.choice == "validate":
        if not chosen:
            return Retry(context.say("plan.pick_one"))
        return Next("when")
    count = len(context.data["candidates"])
    if answer.choice is None or not answer.choice.isdigit() or not 1 <= int(answer.choice) <= count:
        return Retry(context.say("plan.pick_numbers"))
    number = int(answer.choice)
    if number in chosen:
        chosen.remove(number)
    else:
        chosen.append(number)
    return Next("pick")


async def ask_when(context: Context) -> Reply:
    """Asks for the target date of the chosen actions."""
    texts = context.texts
    buttons = [
        context.choice(texts.label("plan.horizon", months=months), str(months))
        for months in HORIZONS
    ]
    return context.say("plan.ask_when", buttons=buttons)


async def answer_when(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in {str(months) for months in HORIZONS}:
        return Retry(context.say("errors.pick_a_button"))
    assert context.person is not None and context.person.id is not None
    today = utcnow().astimezone(context.settings.tz).date()
    due = add_months(today, int(answer.choice))
    for number in sorted(context.data["chosen"]):
        section, action_id = context.data["candidates"][number - 1]
        context.session.add(
            PlannedAction(
                diagnostic_id=context.data["diagnostic"],
                person_id=context.person.id,
                section=section,
                action_id=action_id,
                due_on=due,
            )
        )
    await context.session.flush()
    saved = context.say(
        "plan.saved", count=len(context.data["chosen"]), due=due.strftime("%d/%m/%Y")
    )
    return Done([saved, await plan_summary(context)])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def follow_up(app: App) -> int:
    """Ask each member, once a month, how each action not done yet is going: one message per
    action, with its three answers as buttons. Run twice in a month, it asks nothing new."""
    month = utcnow().astimezone(app.settings.tz).strftime("%Y-%m")
    queued = 0
    async with app.database.transaction() as session:
        for action, diagnostic, person in await repo.actions_to_follow(session):
            audience = f"follow_up:{action.id}:{month}"
            if await repo.campaign_for(session, audience=audience):
                continue
            recipient = await recipient_of(session, person_id=action.person_id)
            if recipient is None:
                continue
            locale = person.locale or app.settings.locale
            texts = app.content.texts(locale)
            campaign = Campaign(
                pole_id=diagnostic.pole_id,
                kind="follow_up",
                # It names the person's actions: erased with them.
                subject_id=person.id,
                audience=audience,
                text=texts.label(
                    "plan.follow_up",
                    text=action_text(
                        app.content, diagnostic.sector, action.section, action.action_id, locale
                    ),
                    due=action.due_on.strftime("%d/%m/%Y"),
                    status=texts.label(f"plan.statuses.{action.status}"),
                ),
                buttons=[
                    [texts.label(f"plan.statuses.{status}"), f"/plan maj #{action.id} {word}"]
                    for status, word in STATUS_BUTTONS.items()
                ],
            )
            queued += await enqueue(session, campaign=campaign, recipients=[recipient])
    return queued


feature = Feature(
    commands=[
        Command("plan", show_plan, "help.plan", role="member", starts_flow=FLOW, private_only=True)
    ],
    flows=[
        Flow(
            FLOW,
            "plan.flow_title",
            "pick",
            {"pick": Step(ask_pick, answer_pick), "when": Step(ask_when, answer_when)},
            role="member",
        )
    ],
)
