"""The programme-steps job (handlers/programmes/reminders.py): each enrolled member is told
their next step on its day, once, through the outbox; a missed run is made up by the next; a
step done is not told; only the next step, not every later one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from handlers.programmes import reminders
from scheduler.jobs import JOBS
from tests.handlers.programmes.conftest import open_run
from tests.handlers.test_diagnostic import answer_quick
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

PARIS = ZoneInfo("Europe/Paris")


async def run_at(app: App, now: datetime) -> int:
    async with app.database.transaction() as session:
        return await reminders.queue_due(session, app.settings, app.content, now=now)


async def enrolled(animator: Chat, member: Chat, time_machine: TimeMachineFixture) -> int:
    time_machine.move_to(datetime(2027, 1, 4, 10, tzinfo=PARIS), tick=True)
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")
    return run


async def test_the_first_step_is_told_on_its_day_and_once(
    app: App, animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    run = await enrolled(animator, member, time_machine)

    assert await run_at(app, datetime(2027, 1, 4, 9, 30, tzinfo=PARIS)) == 0
    assert await run_at(app, datetime(2027, 1, 5, 9, 30, tzinfo=PARIS)) == 1
    assert await run_at(app, datetime(2027, 1, 6, 9, 30, tzinfo=PARIS)) == 0

    ((chat_id, campaign),) = await queued(app, reminders.KIND)
    assert chat_id == "5001"
    assert campaign.text.startswith(
        "📋 Programme RSE en 3 temps (modèle Cluster Bio) · étape 1/3 : "
        "Acquérir les fondamentaux RSE, pour le 05/01/2027."
    )
    assert "Suivez le module « Qu'est-ce que la RSE ? »" in campaign.text
    assert campaign.buttons == [
        ["Ouvrir le module", "/decouvrir qu_est_ce_que_la_rse"],
        ["Mon programme", "/programme"],
    ]
    assert campaign.audience == f"programme:{run}"


async def test_a_step_done_before_its_day_is_not_told_the_next_one_is(
    app: App, animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    await enrolled(animator, member, time_machine)
    await member.say("/decouvrir 1")
    await member.press("Arrêter")
    await answer_quick(member)
    # The module is not finished: step 1 is still the next one, told on its day.
    assert await run_at(app, datetime(2027, 1, 5, 9, 30, tzinfo=PARIS)) == 1

    # Nothing more until it is done, even when step 2's day comes (step 2 is done anyway).
    assert await run_at(app, datetime(2027, 2, 5, 9, 30, tzinfo=PARIS)) == 0
    await member.say("/decouvrir 1")
    for _ in range(3):
        await member.press("Suite")
    await member.press("Passer au quiz")
    for answer in ("7", "Des lignes directrices", "La redevabilité"):
        await member.press(answer)

    # Step 3's day: step 2 is done, so step 3 is told.
    assert await run_at(app, datetime(2027, 3, 5, 9, 30, tzinfo=PARIS)) == 1
    texts = [campaign.text for _, campaign in await queued(app, reminders.KIND)]
    assert "étape 3/3 : Valoriser ses démarches RSE, pour le 05/03/2027" in texts[-1]


async def test_a_missed_morning_is_made_up_by_the_next(
    app: App, animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    await enrolled(animator, member, time_machine)

    # The bot was down on the 5th: told on the 7th all the same.
    assert await run_at(app, datetime(2027, 1, 7, 9, 30, tzinfo=PARIS)) == 1


async def test_a_member_who_left_is_told_nothing(
    app: App, animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    run = await enrolled(animator, member, time_machine)
    await member.say(f"/programme quitter {run} oui")

    assert await run_at(app, datetime(2027, 1, 5, 9, 30, tzinfo=PARIS)) == 0


async def test_an_english_member_is_told_in_english(
    app: App, animator: Chat, time_machine: TimeMachineFixture
) -> None:
    bob = Chat(app, Platform.SLACK, "U07BOB")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await bob.say("/langue en")
    await enrolled(animator, bob, time_machine)

    assert await run_at(app, datetime(2027, 1, 5, 9, 30, tzinfo=PARIS)) == 1

    ((_, campaign),) = await queued(app, reminders.KIND)
    assert campaign.text.startswith("📋 Three-step CSR programme (Cluster Bio model) · step 1/3:")
    assert campaign.buttons[-1] == ["My programme", "/programme"]


async def test_the_job_runs_every_morning_at_half_past_nine() -> None:
    spec = next(spec for spec in JOBS if spec.id == "programme-steps")
    trigger = spec.trigger(PARIS)

    after = trigger.get_next_fire_time(None, datetime(2027, 1, 5, 10, tzinfo=PARIS))

    assert after == datetime(2027, 1, 6, 9, 30, tzinfo=PARIS)
