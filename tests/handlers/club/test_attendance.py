"""/club presences through the router: once a meeting has started, an animator ticks who came
(buttons or typed numbers) and validates; each invited person's answer says whether they came,
the meeting when it was recorded, and running it again shows it to correct."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Event, EventAnswer, Person
from tests.handlers.club import test_meetings
from tests.handlers.club.test_meetings import meeting_id, plan_meeting
from tests.helpers.chat import Chat
from tests.helpers.rows import new_pole

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club
# The meeting planned by plan_meeting starts on 12/03/2027 at 9:30 in Paris.
DURING_THE_MEETING = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)


@pytest.fixture
async def meeting(app: App, club: tuple[Chat, Chat, Chat]) -> int:
    """The meeting of 12/03/2027: Chloé said she comes, Bob has not answered."""
    claire, _, chloe = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    number = await meeting_id(app)
    await chloe.say(f"/club rsvp {number} oui")
    return number


async def attendance(app: App) -> tuple[dict[str, bool | None], datetime | None]:
    """Who came, by name, and when it was recorded."""
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(Person.display_name, EventAnswer.attended).join(
                EventAnswer, EventAnswer.person_id == Person.id
            )
        )
        event = await session.scalar(select(Event))
        assert event is not None
        return {name or "": attended for name, attended in rows}, event.attendance_at


async def open_the_list(claire: Chat, meeting: int, time_machine: TimeMachineFixture) -> None:
    """During the meeting, Claire opens its attendance list."""
    time_machine.move_to(DURING_THE_MEETING, tick=False)
    await claire.say(f"/club presences {meeting}")


async def test_attendance_waits_for_the_meeting_to_start(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club presences {meeting}")

    assert "La réunion du 12/03/2027 09:30 n'a pas encore commencé" in claire.text
    assert not claire.buttons
    assert await attendance(app) == ({"Chloé Durand": None}, None)


async def test_an_animator_ticks_who_came_and_validates(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int, time_machine: TimeMachineFixture
) -> None:
    claire, _, _ = club
    await open_the_list(claire, meeting, time_machine)

    # Those who said they come first.
    assert "⬜ 1. Chloé Durand (Fromagerie Berthaut) — Je viens" in claire.text
    assert "⬜ 2. Bob Lefèvre (Scop Les Tisserands) — Sans réponse" in claire.text
    await claire.press("⬜ 2. Bob Lefèvre")
    assert "✅ 2. Bob Lefèvre" in claire.text
    await claire.press("Valider (1 présent(s))")

    assert "1 présent(s) sur 2 invité(s)" in claire.text
    # Bob came without answering: his answer row is made, and says so.
    assert await attendance(app) == (
        {"Chloé Durand": False, "Bob Lefèvre": True},
        DURING_THE_MEETING,
    )


async def test_typed_numbers_tick_exactly_those_people(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int, time_machine: TimeMachineFixture
) -> None:
    claire, _, _ = club
    await open_the_list(claire, meeting, time_machine)
    await claire.press("⬜ 2. Bob Lefèvre")

    await claire.say("1")
    assert "✅ 1. Chloé Durand" in claire.text and "⬜ 2. Bob Lefèvre" in claire.text
    await claire.say("3")
    assert "Tapez des numéros entre 1 et 2" in claire.text
    await claire.say("1-2")
    await claire.press("Valider")

    assert (await attendance(app))[0] == {"Chloé Durand": True, "Bob Lefèvre": True}


async def test_running_it_again_shows_what_was_recorded_to_correct_it(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int, time_machine: TimeMachineFixture
) -> None:
    claire, _, _ = club
    await open_the_list(claire, meeting, time_machine)
    await claire.say("1 et 2")
    await claire.press("Valider")

    await claire.say("/club presences")
    await claire.press("12/03/2027 09:30 — Bilan carbone")
    assert "Présences déjà relevées le 12/03/2027 11:00" in claire.text
    assert "✅ 1. Chloé Durand" in claire.text and "✅ 2. Bob Lefèvre" in claire.text
    await claire.press("✅ 1. Chloé Durand")
    await claire.press("Valider (1 présent(s))")

    assert (await attendance(app))[0] == {"Chloé Durand": False, "Bob Lefèvre": True}


async def test_only_the_poles_animators_record_attendance(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int, time_machine: TimeMachineFixture
) -> None:
    _, bob, _ = club
    other = await new_pole(app, "Cluster Lumière Grand Est")
    eve = Chat(app, Platform.TELEGRAM, "7391846050")
    await eve.sign_up("Ève Garnier", "Lumière Conseil", "Industrie", code=other.invite_code)
    await eve.grant("animator")
    time_machine.move_to(DURING_THE_MEETING, tick=False)

    await bob.say(f"/club presences {meeting}")
    assert "réservée aux personnes ayant le rôle animateur" in bob.text
    await eve.say(f"/club presences {meeting}")
    told_of_a_real_meeting = eve.replies
    await eve.say(f"/club presences {meeting + 40}")
    assert told_of_a_real_meeting == eve.replies
    assert "Je ne connais pas cette réunion" in eve.text
    assert (await attendance(app))[1] is None
