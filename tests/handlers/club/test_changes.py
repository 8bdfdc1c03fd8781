"""/club modifier and /club annuler through the router: an animator moves a meeting, changes its
place or theme, or cancels it; every invited member gets an update of the same calendar event
(same UID, SEQUENCE + 1), a new date asking everyone to answer again, a cancellation reaching
those who declined too; nothing for anyone else."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from icalendar import Event as VEvent
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Event, EventAnswer
from tests.handlers.club.test_clubs import BOB, CHLOE, create_club, join_club
from tests.handlers.club.test_meetings import an_animator, describe_meeting, meeting_id
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

PLACE = "12 rue des Tisserands, 74000 Annecy"
NEW_PLACE = "Fromagerie Berthaut, 3 route des Aravis, 74230 Thônes"


@pytest.fixture
async def meeting(app: App) -> tuple[Chat, Chat, Chat, int]:
    """Claire invited the Club BouRSE (Bob and Chloé) to a meeting on 20/03/2027 at 9h30,
    Paris time (winter: UTC+1), of 20 places; Bob comes, Chloé does not."""
    claire = await an_animator(app)
    bob, chloe = await join_club(app, await create_club(claire), [BOB, CHLOE])
    await describe_meeting(claire)
    await claire.say("20")
    await claire.say("20/03/2027 9h30")
    await claire.press("Inviter")
    number = await meeting_id(app)
    await bob.say(f"/club rsvp {number} oui")
    await chloe.say(f"/club rsvp {number} non")
    return claire, bob, chloe, number


def parsed(campaign: Campaign) -> tuple[Calendar, VEvent]:
    assert campaign.attachment_data is not None
    calendar = Calendar.from_ical(campaign.attachment_data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def partstat(campaign: Campaign) -> str:
    return str(parsed(campaign)[1]["ATTENDEE"].params["PARTSTAT"])


async def answers(app: App, number: int) -> list[tuple[str | None, bool]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(
            select(EventAnswer).where(EventAnswer.event_id == number).order_by(EventAnswer.id)
        )
        return [(row.answer, row.waiting) for row in rows]


async def stored(app: App, number: int) -> Event:
    async with app.database.transaction() as session:
        event = await session.get(Event, number)
    assert event is not None
    return event


async def change(claire: Chat, number: int, what: str, *typed: str) -> None:
    """Begin /club modifier ``number``, choose ``what`` to change and type each of ``typed``."""
    await claire.say(f"/club modifier {number}")
    await claire.press(what)
    for text in typed:
        await claire.say(text)


async def move(claire: Chat, number: int, when: str = "02/04/2027 9h30") -> None:
    await change(claire, number, "La date et l'heure", when)


async def cancel(claire: Chat, number: int) -> None:
    """Cancel meeting ``number`` without a reason."""
    await claire.say(f"/club annuler {number}")
    await claire.press("Sans raison")
    await claire.press("Annuler la réunion")


async def test_a_new_date_updates_the_same_event_at_the_right_time_across_the_dst_change(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, _, _, number = meeting
    await move(claire, number)
    assert "Date : 20/03/2027 09:30 → 02/04/2027 09:30" in claire.text
    await claire.press("Envoyer la mise à jour")

    assert "2 message(s) partent maintenant" in claire.text
    (_, invitation), _ = await queued(app, "event_invitation")
    updates = await queued(app, "event_update")
    assert [chat_id for chat_id, _ in updates] == ["7391846032", "7391846033"]
    before, first = parsed(invitation)
    after, moved = parsed(updates[0][1])
    assert (before["METHOD"], after["METHOD"]) == ("REQUEST", "REQUEST")
    assert str(moved["UID"]) == str(first["UID"])
    assert (first["SEQUENCE"], moved["SEQUENCE"]) == (0, 1)
    # Paris is UTC+1 on 20 March 2027 and UTC+2 from 28 March: 9h30 is 08:30, then 07:30 UTC.
    assert first.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 20, 8, 30, tzinfo=UTC)
    assert moved.decoded("DTSTART").astimezone(UTC) == datetime(2027, 4, 2, 7, 30, tzinfo=UTC)
    assert moved.decoded("DTEND").astimezone(UTC) == datetime(2027, 4, 2, 9, 30, tzinfo=UTC)
    assert {str(tz["TZID"]) for tz in after.walk("VTIMEZONE")} == {"Europe/Paris"}


async def test_a_new_date_resets_every_answer_and_the_waiting_list_and_asks_again(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, bob, chloe, number = meeting
    async with app.database.transaction() as session:
        event = await session.get(Event, number)
        assert event is not None
        event.capacity = 1
    await chloe.say(f"/club rsvp {number} oui")
    assert "liste d'attente" in chloe.text

    await move(claire, number)
    assert "leurs réponses seront effacées, liste d'attente comprise" in claire.text
    await claire.press("Envoyer la mise à jour")

    assert await answers(app, number) == [(None, False), (None, False)]
    updates = await queued(app, "event_update")
    assert [partstat(campaign) for _, campaign in updates] == ["NEEDS-ACTION", "NEEDS-ACTION"]
    _, campaign = updates[0]
    assert "Dites-nous à nouveau si vous venez" in campaign.text
    assert [value for _, value in campaign.buttons] == [
        f"/club rsvp {number} oui",
        f"/club rsvp {number} peutetre",
        f"/club rsvp {number} non",
    ]
    await bob.press_value(f"/club rsvp {number} oui")
    assert "vous venez à la réunion du 02/04/2027 09:30" in bob.text


async def test_a_new_place_keeps_the_answers(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, _, _, number = meeting
    await change(claire, number, "Le lieu", NEW_PLACE)
    assert f"Lieu : {PLACE} → {NEW_PLACE}" in claire.text
    assert "leurs réponses restent enregistrées" in claire.text
    await claire.press("Envoyer la mise à jour")

    assert await answers(app, number) == [("yes", False), ("no", False)]
    updates = await queued(app, "event_update")
    assert [partstat(campaign) for _, campaign in updates] == ["ACCEPTED", "DECLINED"]
    _, campaign = updates[0]
    calendar, event = parsed(campaign)
    assert calendar["METHOD"] == "REQUEST"
    assert (str(event["LOCATION"]), event["SEQUENCE"]) == (NEW_PLACE, 1)
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 20, 8, 30, tzinfo=UTC)
    assert campaign.buttons == []
    assert "Votre réponse reste enregistrée" in campaign.text


async def test_date_and_place_change_together_in_one_update(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, _, _, number = meeting
    await change(claire, number, "La date et le lieu", "20/03/2027 9h30")
    assert "C'est déjà la date de la réunion" in claire.text
    await claire.say("02/04/2027 14h")
    await claire.say(NEW_PLACE)
    await claire.press("Envoyer la mise à jour")

    (_, campaign), _ = await queued(app, "event_update")
    assert "Date : 20/03/2027 09:30 → 02/04/2027 14:00" in campaign.text
    assert f"Lieu : {PLACE} → {NEW_PLACE}" in campaign.text
    assert (await stored(app, number)).sequence == 1


async def test_a_new_theme_keeps_the_answers_and_renames_the_event(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, _, _, number = meeting
    await change(claire, number, "Le thème", "Sobriété énergétique des ateliers")
    await claire.press("Envoyer la mise à jour")

    assert await answers(app, number) == [("yes", False), ("no", False)]
    (_, campaign), _ = await queued(app, "event_update")
    _, event = parsed(campaign)
    assert str(event["SUMMARY"]) == "Club BouRSE : Sobriété énergétique des ateliers"
    assert campaign.buttons == []


async def test_a_change_or_a_cancellation_given_up_sends_nothing(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, _, _, number = meeting
    await move(claire, number)
    await claire.press("Abandonner")
    assert "personne n'a été prévenu" in claire.text
    await claire.say(f"/club annuler {number}")
    await claire.press("Sans raison")
    await claire.press("Garder la réunion")
    assert "La réunion est maintenue" in claire.text

    assert await queued(app, "event_update") == []
    assert await queued(app, "event_cancellation") == []
    event = await stored(app, number)
    assert (event.status, event.sequence) == ("scheduled", 0)


async def test_a_cancellation_reaches_everyone_invited_the_decliner_too(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, _, _, number = meeting
    await claire.say(f"/club annuler {number}")
    assert "Club BouRSE — Bilan carbone des PME industrielles" in claire.text
    await claire.say("Les locaux de Scop Les Tisserands sont en travaux ce jour-là")
    assert "y compris celles qui ont dit ne pas venir" in claire.text
    await claire.press("Annuler la réunion")

    assert "La réunion du 20/03/2027 09:30 est annulée : 2 personne(s) prévenue(s)" in claire.text
    cancellations = await queued(app, "event_cancellation")
    assert [chat_id for chat_id, _ in cancellations] == ["7391846032", "7391846033"]
    (_, invitation), _ = await queued(app, "event_invitation")
    _, first = parsed(invitation)
    _, declined = cancellations[1]
    calendar, event = parsed(declined)
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert str(event["UID"]) == str(first["UID"])
    assert event["SEQUENCE"] == 1
    assert partstat(declined) == "DECLINED"
    assert "Raison : Les locaux de Scop Les Tisserands sont en travaux" in declined.text
    assert declined.buttons == []
    assert (await stored(app, number)).status == "cancelled"


async def test_a_cancelled_meeting_takes_no_answer_no_longer_shows_and_cannot_change(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    claire, bob, _, number = meeting
    await cancel(claire, number)

    await bob.say(f"/club rsvp {number} peutetre")
    assert "La réunion du 20/03/2027 09:30 a été annulée" in bob.text
    await bob.say("/club")
    assert "Aucune réunion n'est encore prévue" in bob.text
    assert not [b for b in bob.buttons if "rsvp" in b.value]
    for word in ("modifier", "annuler"):
        await claire.say(f"/club {word} {number}")
        assert "est annulée : il n'y a plus rien à y changer" in claire.text
    assert len(await queued(app, "event_cancellation")) == 2


async def test_a_meeting_that_has_begun_cannot_be_changed_or_cancelled(
    app: App, meeting: tuple[Chat, Chat, Chat, int], time_machine: TimeMachineFixture
) -> None:
    """Even when it began while the animator was preparing the change."""
    claire, _, _, number = meeting
    await change(claire, number, "Le lieu", NEW_PLACE)
    time_machine.move_to(datetime(2027, 3, 20, 8, 45, tzinfo=UTC))
    await claire.press("Envoyer la mise à jour")

    assert "La réunion du 20/03/2027 09:30 a commencé ou a déjà eu lieu" in claire.text
    assert await queued(app, "event_update") == []
    for word in ("modifier", "annuler"):
        await claire.say(f"/club {word} {number}")
        assert "a commencé ou a déjà eu lieu : on ne peut plus la modifier" in claire.text
    assert (await stored(app, number)).sequence == 0


async def test_without_a_number_the_meetings_to_come_are_offered(
    meeting: tuple[Chat, Chat, Chat, int],
) -> None:
    claire, _, _, _ = meeting
    await claire.say("/club modifier")

    assert "Quelle réunion ?" in claire.text
    await claire.press("20/03/2027 09:30 · Club BouRSE : Bilan carbone")
    assert "Que voulez-vous changer ?" in claire.text


async def test_members_who_are_not_animators_cannot_change_or_cancel(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    _, bob, _, number = meeting
    for word in ("modifier", "annuler"):
        await bob.say(f"/club {word} {number}")
        about_the_meeting = bob.text
        await bob.say(f"/club {word} {number + 40}")
        assert about_the_meeting == bob.text
        assert "réservée aux personnes ayant le rôle animateur" in bob.text
    assert (await stored(app, number)).sequence == 0


async def test_an_animator_of_another_pole_learns_nothing_and_changes_nothing(
    app: App, meeting: tuple[Chat, Chat, Chat, int]
) -> None:
    _, _, _, number = meeting
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    bruno = Chat(app, Platform.SLACK, "U07KLEIN")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.grant("animator")

    for word in ("modifier", "annuler"):
        await bruno.say(f"/club {word} {number}")
        about_the_meeting = bruno.text
        await bruno.say(f"/club {word} {number + 40}")
        assert about_the_meeting == bruno.text
        assert "Je ne connais pas cette réunion parmi celles de votre pôle" in bruno.text
        await bruno.say(f"/club {word}")
        assert "Aucune réunion n'est prévue dans votre pôle" in bruno.text
    event = await stored(app, number)
    assert (event.status, event.sequence) == ("scheduled", 0)
