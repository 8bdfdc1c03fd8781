"""/club rappels through the router: the pôle's animators see and set each club's reminder
days (0 to 30, three at most, or none), which the reminder job then follows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Club
from handlers.events import reminders
from tests.handlers.club import test_meetings
from tests.handlers.club.test_clubs import create_club
from tests.handlers.club.test_meetings import an_animator, plan_meeting
from tests.handlers.events.test_reminders import remind_at
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
async def claire(app: App) -> Chat:
    """The pôle's animator, with one club."""
    claire = await an_animator(app)
    await create_club(claire)
    return claire


async def reminder_days(app: App) -> dict[str, list[int]]:
    async with app.database.transaction() as session:
        return {club.name: club.reminder_days for club in await session.scalars(select(Club))}


async def test_the_club_reminds_7_days_and_the_day_before_unless_told_otherwise(
    claire: Chat,
) -> None:
    await claire.say("/club rappels")

    assert "Club BouRSE" in claire.text
    assert "un rappel 7 jours avant et la veille" in claire.text


async def test_an_animator_sets_the_reminder_days(app: App, claire: Chat) -> None:
    for typed, stored, said in (
        ("3", [3], "un rappel 3 jours avant."),
        ("1, 14, 0", [14, 1, 0], "14 jours avant, la veille et le jour même (2 heures avant)"),
        ("aucun", [], "n'enverra plus de rappel"),
        ("7 1", [7, 1], "un rappel 7 jours avant et la veille."),
    ):
        await claire.say(f"/club rappels {typed}")

        assert said in claire.text, typed
        assert await reminder_days(app) == {"Club BouRSE": stored}


async def test_days_out_of_bounds_are_refused_in_french(app: App, claire: Chat) -> None:
    for typed in ("31", "7 3 2 1", "demain", "-1", "aucun 7"):
        await claire.say(f"/club rappels {typed}")

        assert "Je n'ai pas compris. Donnez jusqu'à 3 nombres de jours" in claire.text, typed
        assert "de 0 (le jour même) à 30" in claire.text
    assert await reminder_days(app) == {"Club BouRSE": [7, 1]}


async def test_with_several_clubs_the_animator_picks_one_or_names_its_code(
    app: App, claire: Chat
) -> None:
    code = await create_club(claire, "Club Achats responsables")

    await claire.say("/club rappels 3")
    assert "Les rappels de quel club ?" in claire.text
    assert [button.label for button in claire.buttons] == [
        "Club Achats responsables",
        "Club BouRSE",
    ]
    await claire.press("Club BouRSE")
    await claire.say(f"/club rappels {code.lower()} aucun")

    assert await reminder_days(app) == {"Club BouRSE": [3], "Club Achats responsables": []}


async def test_members_cannot_change_the_reminders(app: App, claire: Chat) -> None:
    bob = Chat(app, Platform.TELEGRAM, "7391846032")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")

    await bob.say("/club rappels aucun")

    assert "Club BouRSE" not in bob.text
    assert await reminder_days(app) == {"Club BouRSE": [7, 1]}


async def test_the_reminders_follow_the_days_set(app: App, club: tuple[Chat, Chat, Chat]) -> None:
    claire, _, _ = club
    await claire.say("/club rappels 3")
    await plan_meeting(claire)
    await claire.press("Inviter")

    # The meeting is on 12/03/2027 at 9:30: no D-7 any more, a D-3.
    assert await remind_at(app, datetime(2027, 3, 5, 9, 30, tzinfo=PARIS)) == 0
    assert await remind_at(app, datetime(2027, 3, 9, 9, 30, tzinfo=PARIS)) == 2
    assert "rendez-vous dans 3 jours" in (await queued(app, reminders.KIND))[0][1].text
