"""/plan: actions chosen after a diagnostic, their target date, progress and the monthly
follow-up through the outbox."""

from datetime import date

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Campaign, OutboxMessage, PlannedAction
from handlers.plan import add_months, follow_up
from tests.handlers.test_diagnostic import answer_quick
from tests.helpers.chat import Chat


@pytest.fixture
async def member(app: App) -> Chat:
    member = Chat(app, Platform.TELEGRAM, "5002")
    await member.sign_up("Bob Lefèvre", "Scop Les Tisserands", "Industrie")
    return member


async def plan_of(app: App) -> list[tuple[str, str, date]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(PlannedAction).order_by(PlannedAction.id))
        return [(row.action_id, row.status, row.due_on) for row in rows]


async def choose_two(member: Chat, months: str = "Dans 3 mois") -> None:
    await member.say("/plan")
    await member.press("1")
    await member.press("3")
    await member.press("Valider")
    await member.press(months)


async def test_without_a_diagnostic_the_plan_starts_with_one(member: Chat) -> None:
    await member.say("/plan")

    assert member.text.startswith("Votre plan d'actions se construit à partir de votre")
    assert [b.label for b in member.buttons] == ["Faire mon autodiagnostic"]


async def test_the_recommended_actions_are_offered_numbered(member: Chat) -> None:
    await answer_quick(member)

    await member.press("Construire mon plan d'actions")

    assert member.text.startswith("Choisissez les actions de votre plan")
    assert "☐ 1. " in member.text
    assert member.buttons[-1].label == "Valider (0)"


async def test_chosen_actions_are_ticked_and_counted(member: Chat) -> None:
    await answer_quick(member)
    await member.say("/plan")

    await member.press("2")

    assert "☑ 2. " in member.text and "☐ 1. " in member.text
    assert member.buttons[-1].label == "Valider (1)"
    await member.press("2")
    assert "☐ 2. " in member.text


async def test_validating_nothing_is_refused(member: Chat) -> None:
    await answer_quick(member)
    await member.say("/plan")

    await member.press("Valider")

    assert member.text.startswith("Choisissez au moins une action")


async def test_the_plan_is_stored_with_its_target_date(
    app: App, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(date(2026, 11, 30), tick=True)
    await answer_quick(member)

    await choose_two(member)

    assert "C'est noté : 2 action(s) pour le 28/02/2027." in member.text
    assert "Votre plan d'actions" in member.text
    assert [(status, due) for _, status, due in await plan_of(app)] == [
        ("not_started", date(2027, 2, 28)),
        ("not_started", date(2027, 2, 28)),
    ]


async def test_progress_is_recorded_by_number(app: App, member: Chat) -> None:
    await answer_quick(member)
    await choose_two(member)

    await member.say("/plan maj 2 en cours")

    assert member.text.startswith("C'est noté : « ")
    assert member.text.endswith("» — En cours.")
    assert [status for _, status, _ in await plan_of(app)] == ["not_started", "in_progress"]


async def test_an_unreadable_update_explains_the_syntax(member: Chat) -> None:
    await answer_quick(member)
    await choose_two(member)

    await member.say("/plan maj 9 fini")

    assert member.text.startswith("Je n'ai pas compris. Écrivez par exemple « /plan maj 1 fait »")


async def test_the_monthly_follow_up_asks_once_per_action_with_three_buttons(
    app: App, member: Chat
) -> None:
    await answer_quick(member)
    await choose_two(member)
    await member.say("/plan maj 1 fait")

    assert await follow_up(app) == 1
    assert await follow_up(app) == 0  # the same month: nothing asked twice

    async with app.database.transaction() as session:
        (campaign,) = await session.scalars(select(Campaign).where(Campaign.kind == "follow_up"))
        (row,) = await session.scalars(select(OutboxMessage))
    assert campaign.text.startswith("Suivi de votre plan d'actions RSE : où en est l'action")
    assert [label for label, _ in campaign.buttons] == ["Faite", "En cours", "Pas commencée"]
    assert (row.platform, row.chat_id, row.status) == ("telegram", "5002", "pending")


async def test_a_follow_up_button_updates_that_action(app: App, member: Chat) -> None:
    await answer_quick(member)
    await choose_two(member)
    await follow_up(app)
    async with app.database.transaction() as session:
        campaign = await session.scalar(select(Campaign).where(Campaign.kind == "follow_up"))
    assert campaign is not None
    done_value = campaign.buttons[0][1]

    await member.press_value(done_value)

    assert member.text.endswith("» — Faite.")
    assert [status for _, status, _ in await plan_of(app)] == ["done", "not_started"]


async def test_someone_else_cannot_update_my_actions(app: App, member: Chat) -> None:
    await answer_quick(member)
    await choose_two(member)
    other = Chat(app, member.platform, "5009")
    await other.sign_up("Denis Roux", "Vergers du Lyonnais")
    async with app.database.transaction() as session:
        first = await session.scalar(select(PlannedAction.id).order_by(PlannedAction.id))

    await other.say(f"/plan maj #{first} fait")

    assert other.text.startswith("Je n'ai pas compris.")
    assert [status for _, status, _ in await plan_of(app)] == ["not_started", "not_started"]


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 6, 15), 6, date(2026, 12, 15)),
    ],
)
def test_target_dates_fall_on_the_same_day_or_the_months_last(
    day: date, months: int, due: date
) -> None:
    assert add_months(day, months) == due
