"""The date polls' job through the scheduler, on a fake clock: one reminder halfway to the
members who left a slot unanswered, the proposal of the best slot to the animators at the
deadline; each once, across a restart and another instance deciding it again."""

from __future__ import annotations

from datetime import datetime

from time_machine import TimeMachineFixture

from bot.app import App
from handlers.club import date_poll
from scheduler.jobs import JOBS
from scheduler.service import Scheduler
from tests.handlers.club.test_date_poll import OPENED, PARIS, Club, open_poll
from tests.handlers.club.test_meetings import club as club  # the fixture, re-exported
from tests.helpers.outbox import queued
from tests.scheduler.conftest import StartScheduler

POLLS = next(spec for spec in JOBS if spec.id == "event-polls")
DEADLINE = "01/03/2027 10h"
# Halfway between the opening (1 February, 10:00) and the deadline (1 March, 10:00).
HALFWAY = datetime(2027, 2, 15, 10, tzinfo=PARIS)


async def opened(club: Club, time_machine: TimeMachineFixture) -> int:
    """The poll Claire opens on 1 February; Bob answers every slot, Chloé only the first."""
    claire, bob, chloe = club
    time_machine.move_to(OPENED, tick=False)
    number = await open_poll(claire, deadline=DEADLINE)
    for slot, word in ((1, "oui"), (2, "non"), (3, "sinecessaire")):
        await bob.say(f"/club dispo {number} {slot} {word}")
    await chloe.say(f"/club dispo {number} 1 oui")
    return number


async def run_at(scheduler: Scheduler, time_machine: TimeMachineFixture, *times: datetime) -> None:
    for moment in times:
        time_machine.move_to(moment, tick=False)
        await scheduler.run_due_jobs()


async def sent(app: App, kind: str) -> list[tuple[str, str]]:
    return [(chat_id, campaign.text) for chat_id, campaign in await queued(app, kind)]


def minutes(moment: datetime, *offsets: int) -> list[datetime]:
    return [moment.replace(minute=moment.minute + offset) for offset in offsets]


async def test_the_reminder_goes_once_halfway_to_those_who_left_a_slot_unanswered(
    app: App, club: Club, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    await opened(club, time_machine)
    time_machine.move_to(HALFWAY.replace(hour=9, minute=58), tick=False)
    scheduler = await start_scheduler(POLLS)
    await run_at(scheduler, time_machine, HALFWAY.replace(hour=9, minute=59))
    assert await sent(app, "poll_reminder") == []

    await run_at(scheduler, time_machine, HALFWAY)
    await scheduler.stop()
    restarted = await start_scheduler(POLLS)
    await run_at(restarted, time_machine, *minutes(HALFWAY, 1, 2))
    # Another instance deciding it again, as without the scheduler's leader.
    await date_poll.send_due(app)

    reminders = await sent(app, "poll_reminder")
    assert [chat_id for chat_id, _ in reminders] == ["7391846033"]
    (_, text), *_ = reminders
    assert "Répondez avant le 01/03/2027 10:00" in text
    assert "1. 12/03/2027 09:30 : oui" in text
    assert "2. 19/03/2027 14:00 : pas encore répondu" in text


async def test_at_the_deadline_the_best_slot_is_proposed_once_to_the_animators(
    app: App, club: Club, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    claire, _, _ = club
    number = await opened(club, time_machine)
    deadline = datetime(2027, 3, 1, 10, tzinfo=PARIS)
    time_machine.move_to(deadline.replace(hour=9, minute=58), tick=False)
    scheduler = await start_scheduler(POLLS)
    await run_at(scheduler, time_machine, deadline.replace(hour=9, minute=59))
    assert await sent(app, "poll_proposal") == []

    await run_at(scheduler, time_machine, deadline)
    await scheduler.stop()
    restarted = await start_scheduler(POLLS)
    await run_at(restarted, time_machine, *minutes(deadline, 1, 2))
    await date_poll.send_due(app)

    proposals = await sent(app, "poll_proposal")
    assert [chat_id for chat_id, _ in proposals] == [claire.user_id]
    (_, text), *_ = proposals
    assert "Meilleur créneau : le 12/03/2027 09:30" in text
    # Kept when members are erased: it counts them without naming them.
    assert "1 membre(s) n'ont pas répondu à tous les créneaux" in text
    assert "Chloé" not in text
    await claire.press_value(f"/club sondage {number} fixer 1")
    assert "Réunion fixée au 12/03/2027 09:30" in claire.text


async def test_a_poll_closed_early_is_neither_reminded_nor_proposed_again(
    app: App, club: Club, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    claire, _, _ = club
    number = await opened(club, time_machine)
    await claire.say(f"/club sondage {number} clore")
    assert "Meilleur créneau" in claire.text

    time_machine.move_to(HALFWAY.replace(hour=9), tick=False)
    scheduler = await start_scheduler(POLLS)
    await run_at(scheduler, time_machine, HALFWAY, datetime(2027, 3, 1, 10, tzinfo=PARIS))

    assert await sent(app, "poll_reminder") == []
    assert await sent(app, "poll_proposal") == []
