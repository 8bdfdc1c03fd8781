"""The reminder jobs through the real scheduler on a fake clock: a meeting's D-7 and D-1 fire
once each, across a restart too; one missed while the bot was down goes out late before the
meeting and is dropped after it; never to someone who declined; a moved meeting is reminded
for its new date, a cancelled one not at all. And the clubs' rhythm, each quarter."""

from __future__ import annotations

from datetime import datetime

import pytest
from time_machine import TimeMachineFixture

from bot.app import App
from handlers.club import rhythm
from handlers.events import invitations, reminders
from scheduler.jobs import JOBS, JobSpec
from scheduler.service import Scheduler
from tests.handlers.club import test_meetings
from tests.handlers.club.test_meetings import meeting_id, plan_meeting
from tests.handlers.events.test_invitations import event_and_pole
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued
from tests.scheduler.conftest import PARIS, StartScheduler

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club
REMINDERS = next(spec for spec in JOBS if spec.id == "event-reminders")
RHYTHM = next(spec for spec in JOBS if spec.id == "club-rhythm")
BOB, CHLOE, CLAIRE = "7391846032", "7391846033", "7391846031"


def march(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` March 2027 at hour:minute in Paris; the meeting is on the 12th at 9:30."""
    return datetime(2027, 3, day, hour, minute, tzinfo=PARIS)


D7, D1 = march(5, 9, 30), march(11, 9, 30)


@pytest.fixture
async def meeting(app: App, club: tuple[Chat, Chat, Chat], time_machine: TimeMachineFixture) -> int:
    """On Monday 1 March 2027, Claire plans the meeting of Friday 12 March at 9:30 and invites
    Bob and Chloé; its number."""
    claire, _, _ = club
    time_machine.move_to(march(1, 10), tick=False)
    await plan_meeting(claire)
    await claire.press("Inviter")
    return await meeting_id(app)


async def started_at(
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    moment: datetime,
    job: JobSpec = REMINDERS,
) -> Scheduler:
    """A scheduler running ``job``, started at ``moment``. The tests start it shortly before
    what they watch: after a jump of the clock, APScheduler walks every missed minute of a
    per-minute job, some 10,000 steps for a week."""
    time_machine.move_to(moment, tick=False)
    return await start_scheduler(job)


async def run_at(
    scheduler: Scheduler, time_machine: TimeMachineFixture, *moments: datetime
) -> None:
    """Move the clock to each moment and run the jobs due then."""
    for moment in moments:
        time_machine.move_to(moment, tick=False)
        await scheduler.run_due_jobs()


async def sent(app: App, kind: str = reminders.KIND) -> list[tuple[str, str]]:
    """Each message of ``kind`` queued: to which chat, and its first line."""
    return [
        (chat_id, campaign.text.split("\n")[0]) for chat_id, campaign in await queued(app, kind)
    ]


async def back_after_a_stop(
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    back: datetime,
    *then: datetime,
) -> None:
    """The bot ran on 5 March at 9:00, before any reminder was due, and stopped; back at
    ``back``, it runs the jobs due then and at each of ``then``."""
    before = await started_at(start_scheduler, time_machine, march(5, 9))
    await before.stop()
    after = await started_at(start_scheduler, time_machine, back)
    await run_at(after, time_machine, back, *then)


def each(line: str) -> list[tuple[str, str]]:
    return [(BOB, line), (CHLOE, line)]


IN_7_DAYS = "Rappel : rendez-vous dans 7 jours."
TOMORROW = "Rappel : rendez-vous demain."


async def test_d7_and_d1_each_fire_once_at_their_time(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    scheduler = await started_at(start_scheduler, time_machine, march(5, 9, 28))

    await run_at(scheduler, time_machine, march(5, 9, 29))
    assert await sent(app) == []
    await run_at(scheduler, time_machine, D7, march(5, 9, 31), march(8, 9, 30))
    assert await sent(app) == each(IN_7_DAYS)
    await run_at(scheduler, time_machine, D1, march(11, 9, 31), march(12, 9, 0))

    assert await sent(app) == each(IN_7_DAYS) + each(TOMORROW)


async def test_a_reminder_sent_before_a_restart_is_not_sent_again(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    before = await started_at(start_scheduler, time_machine, march(5, 9, 29))
    await run_at(before, time_machine, D7)
    await before.stop()

    after = await started_at(start_scheduler, time_machine, march(5, 9, 45))
    await run_at(after, time_machine, march(5, 9, 45), march(5, 9, 46))

    assert await sent(app) == each(IN_7_DAYS)


async def test_a_reminder_missed_while_the_bot_was_down_goes_out_late_before_the_meeting(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    # Back on Monday 8 March: the meeting is in 4 days.
    await back_after_a_stop(start_scheduler, time_machine, march(8, 14), march(8, 14, 1))

    assert await sent(app) == each("Rappel : rendez-vous dans 4 jours.")


async def test_when_both_were_missed_only_the_nearer_reminder_goes_out(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    await back_after_a_stop(start_scheduler, time_machine, march(11, 12), march(11, 12, 1))

    assert await sent(app) == each(TOMORROW)


async def test_reminders_missed_until_the_meeting_started_are_dropped(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    await back_after_a_stop(start_scheduler, time_machine, march(12, 9, 30), march(12, 10))

    assert await sent(app) == []


async def test_nobody_who_declined_is_ever_reminded(
    app: App,
    club: tuple[Chat, Chat, Chat],
    meeting: int,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
) -> None:
    _, _, chloe = club
    await chloe.say(f"/club rsvp {meeting} non")
    scheduler = await started_at(start_scheduler, time_machine, march(5, 9, 29))

    await run_at(scheduler, time_machine, D7, D1)

    assert await sent(app) == [(BOB, IN_7_DAYS), (BOB, TOMORROW)]


async def change(app: App, number: int, *, starts_at: datetime | None = None) -> None:
    """What the animator's change of the meeting does: move it, or else cancel it."""
    async with app.database.transaction() as session:
        event, pole = await event_and_pole(session, number)
        if starts_at is None:
            await invitations.cancel(session, app.settings, app.content, event=event, pole=pole)
        else:
            await invitations.update(
                session,
                app.settings,
                app.content,
                event=event,
                pole=pole,
                changes=invitations.Changes(starts_at=starts_at),
            )


async def test_a_moved_meeting_is_reminded_for_its_new_date_only(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    scheduler = await started_at(start_scheduler, time_machine, march(5, 9, 29))
    await run_at(scheduler, time_machine, D7)
    time_machine.move_to(march(6, 11), tick=False)
    await change(app, meeting, starts_at=march(19, 9, 30))

    # The old date's D-1 is gone; the new date's D-7 comes.
    await run_at(scheduler, time_machine, D1, march(12, 9, 29))
    assert await sent(app) == each(IN_7_DAYS)
    await run_at(scheduler, time_machine, march(12, 9, 30))

    assert await sent(app) == each(IN_7_DAYS) * 2


async def test_a_cancelled_meeting_is_not_reminded(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(march(4, 18), tick=False)
    await change(app, meeting)
    scheduler = await started_at(start_scheduler, time_machine, march(5, 9, 29))

    await run_at(scheduler, time_machine, D7, D1)

    assert await sent(app) == []


async def test_the_rhythm_reminder_comes_on_the_first_monday_of_the_quarter_once(
    app: App, meeting: int, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    # One meeting in 2027 for a target of 5: 3 are due by the end of June.
    scheduler = await started_at(start_scheduler, time_machine, march(30, 12), RHYTHM)

    await run_at(scheduler, time_machine, datetime(2027, 4, 1, 9, tzinfo=PARIS))
    assert await sent(app, rhythm.KIND) == []
    monday = datetime(2027, 4, 5, 9, tzinfo=PARIS)
    await run_at(scheduler, time_machine, monday)
    first = await sent(app, rhythm.KIND)
    await scheduler.stop()
    again = await started_at(start_scheduler, time_machine, monday, RHYTHM)
    await run_at(again, time_machine, monday, datetime(2027, 4, 12, 9, tzinfo=PARIS))

    assert first == [(CLAIRE, first[0][1])]
    assert "1 réunion(s) tenue(s) ou prévue(s) en 2027" in first[0][1]
    assert await sent(app, rhythm.KIND) == first
