"""Meeting reminders as the job decides them (handlers/events/reminders.py): who is reminded,
what each reads, once each; the job's clock is passed in (the scheduler's own runs are in
tests/scheduler/test_reminder_jobs.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage.models import Campaign
from handlers.events import reminders
from tests.handlers.club import test_meetings
from tests.handlers.club.test_changes import move
from tests.handlers.club.test_meetings import meeting_id, plan_meeting
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club
PARIS = ZoneInfo("Europe/Paris")
# plan_meeting's meeting starts on Friday 12/03/2027 at 9:30 in Paris.
D7 = datetime(2027, 3, 5, 9, 30, tzinfo=PARIS)
D1 = datetime(2027, 3, 11, 9, 30, tzinfo=PARIS)
BOB, CHLOE = "7391846032", "7391846033"


async def remind_at(app: App, now: datetime) -> int:
    """What the per-minute job queues at ``now``."""
    async with app.database.transaction() as session:
        return await reminders.queue_due(session, app.settings, app.content, now=now)


async def invited(app: App, claire: Chat, capacity: str = "20") -> int:
    """Claire plans the meeting of 12/03/2027 and invites the club; its number."""
    await plan_meeting(claire, capacity)
    await claire.press("Inviter")
    return await meeting_id(app)


def to(sent: list[tuple[str, Campaign]], chat_id: str) -> Campaign:
    (campaign,) = [campaign for chat, campaign in sent if chat == chat_id]
    return campaign


async def test_at_d7_those_coming_and_those_who_have_not_answered_are_reminded(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    number = await invited(app, claire)
    await bob.say(f"/club rsvp {number} oui")

    assert await remind_at(app, D7) == 2

    sent = await queued(app, reminders.KIND)
    assert sorted(chat for chat, _ in sent) == [BOB, CHLOE]
    coming, silent = to(sent, BOB), to(sent, CHLOE)
    assert "Rappel : rendez-vous dans 7 jours." in coming.text
    assert "Bilan carbone des PME industrielles" in coming.text
    assert "Le 12/03/2027 09:30" in coming.text
    assert "Lieu : 12 rue des Tisserands, 74000 Annecy" in coming.text
    assert "Vous avez répondu « je viens »" in coming.text
    assert coming.buttons == []
    assert "Vous n'avez pas encore répondu" in silent.text
    assert [value for _, value in silent.buttons] == [
        f"/club rsvp {number} oui",
        f"/club rsvp {number} peutetre",
        f"/club rsvp {number} non",
    ]


async def test_nobody_who_declined_is_reminded(app: App, club: tuple[Chat, Chat, Chat]) -> None:
    claire, _, chloe = club
    number = await invited(app, claire)
    await chloe.say(f"/club rsvp {number} non")

    await remind_at(app, D7)
    await remind_at(app, D1)

    assert [chat for chat, _ in await queued(app, reminders.KIND)] == [BOB, BOB]


async def test_a_maybe_is_asked_to_confirm_with_the_buttons(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    number = await invited(app, claire)
    await bob.say(f"/club rsvp {number} peutetre")

    await remind_at(app, D1)

    campaign = to(await queued(app, reminders.KIND), BOB)
    assert "rendez-vous demain" in campaign.text
    assert "Vous avez répondu « peut-être » : pouvez-vous confirmer ?" in campaign.text
    assert len(campaign.buttons) == 3


async def test_someone_waiting_in_line_is_told_they_still_are(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, chloe = club
    number = await invited(app, claire, capacity="1")
    await bob.say(f"/club rsvp {number} oui")
    await chloe.say(f"/club rsvp {number} oui")

    await remind_at(app, D7)

    waiting = to(await queued(app, reminders.KIND), CHLOE)
    assert "Vous êtes toujours sur la liste d'attente" in waiting.text
    assert f"/club rsvp {number} non" in waiting.text
    assert waiting.buttons == []


async def test_each_member_reads_the_reminder_in_their_language(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, chloe = club
    await invited(app, claire)
    await chloe.say("/langue en")

    await remind_at(app, D7)

    sent = await queued(app, reminders.KIND)
    assert "rendez-vous dans 7 jours" in to(sent, BOB).text
    assert "Reminder: see you in 7 days." in to(sent, CHLOE).text
    assert "You have not answered yet" in to(sent, CHLOE).text


async def test_a_reminder_is_queued_once_however_often_the_job_runs(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await invited(app, claire)

    counts = [
        await remind_at(app, moment)
        for moment in (D7, D7, datetime(2027, 3, 8, 14, 0, tzinfo=PARIS))
    ]

    assert counts == [2, 0, 0]
    assert len(await queued(app, reminders.KIND)) == 2


async def test_a_late_reminder_says_how_far_off_the_meeting_really_is(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await invited(app, claire)

    await remind_at(app, datetime(2027, 3, 9, 8, 0, tzinfo=PARIS))

    assert "rendez-vous dans 3 jours" in to(await queued(app, reminders.KIND), BOB).text


async def test_a_meeting_planned_three_days_ahead_has_no_d7_reminder(
    app: App, club: tuple[Chat, Chat, Chat], time_machine: TimeMachineFixture
) -> None:
    claire, _, _ = club
    time_machine.move_to(datetime(2027, 3, 9, 10, 0, tzinfo=PARIS), tick=False)
    await invited(app, claire)

    assert await remind_at(app, datetime(2027, 3, 9, 10, 1, tzinfo=PARIS)) == 0
    assert await remind_at(app, D1) == 2
    assert "rendez-vous demain" in to(await queued(app, reminders.KIND), BOB).text


async def test_a_reminder_keeps_its_local_time_across_the_change_to_summer_time() -> None:
    # Friday 2 April 2027 at 9:30 in Paris (summer time since 28 March): D-7 is on 26 March at
    # 9:30 too, winter time, an hour later in UTC than 7 × 24 hours before.
    starts_at = datetime(2027, 4, 2, 9, 30, tzinfo=PARIS)

    assert reminders.reminder_time(starts_at, 7, PARIS) == datetime(2027, 3, 26, 8, 30, tzinfo=UTC)
    assert reminders.reminder_time(starts_at, 0, PARIS) == datetime(2027, 4, 2, 5, 30, tzinfo=UTC)


async def test_a_meeting_moved_nearer_gets_no_reminder_whose_time_had_passed(
    app: App, club: tuple[Chat, Chat, Chat], time_machine: TimeMachineFixture
) -> None:
    claire, _, _ = club
    time_machine.move_to(datetime(2027, 3, 1, 10, 0, tzinfo=PARIS), tick=False)
    number = await invited(app, claire)
    # On 8 March the meeting of the 12th moves to the 10th: its D-7 (3 March) had passed.
    time_machine.move_to(datetime(2027, 3, 8, 10, 0, tzinfo=PARIS), tick=False)
    await move(claire, number, "10/03/2027 9h30")
    await claire.press("Envoyer la mise à jour")

    assert await remind_at(app, datetime(2027, 3, 8, 10, 1, tzinfo=PARIS)) == 0
    assert await remind_at(app, datetime(2027, 3, 9, 9, 30, tzinfo=PARIS)) == 2
    assert "rendez-vous demain" in to(await queued(app, reminders.KIND), BOB).text
