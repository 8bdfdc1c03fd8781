"""The date poll of /club reunion through the router: slots and a deadline checked, every member
asked with three buttons per slot, answers changed until the poll closes, the animators' tally
and who has not answered, the best slot proposed and fixed, the meeting's invitations with the
poll's UID, the voters told; nothing for those outside the club."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Event, PollSlot, PollVote
from tests.handlers.club.test_meetings import club as club  # the fixture, re-exported
from tests.handlers.club.test_meetings import describe_meeting
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

PARIS = ZoneInfo("Europe/Paris")
# The animator opens the poll on Monday 1 February 2027, 10:00 in Paris.
OPENED = datetime(2027, 2, 1, 10, tzinfo=PARIS)
SLOTS = "12/03/2027 9h30\n19/03/2027 14h ; 26/03/2027 9h30"

Club = tuple[Chat, Chat, Chat]


@pytest.fixture(autouse=True)
def monday(time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(OPENED, tick=False)


async def open_poll(animator: Chat, slots: str = SLOTS, deadline: str | None = None) -> int:
    """Describe a meeting, poll its date among ``slots`` until ``deadline`` (the default
    offered if None), and start it; the event's number."""
    await ask_slots(animator)
    await animator.say(slots)
    if deadline is None:
        await animator.press("Jusqu'au")
    else:
        await animator.say(deadline)
    await animator.press("Lancer le sondage")
    assert "Sondage n° " in animator.text, animator.text
    return int(animator.text.split("Sondage n° ")[1].split()[0])


async def ask_slots(animator: Chat) -> None:
    await describe_meeting(animator)
    await animator.press("Sans limite")
    await animator.press("Sondage de dates")


async def event(app: App, number: int) -> Event:
    async with app.database.transaction() as session:
        found = await session.get(Event, number)
    assert found is not None
    return found


async def test_opening_a_poll_asks_every_member_with_three_buttons_per_slot(
    app: App, club: Club
) -> None:
    claire, _, _ = club
    number = await open_poll(claire)

    assert "2 membre(s) consulté(s), réponses jusqu'au 05/03/2027 09:00" in claire.text
    polled = await event(app, number)
    assert (polled.status, polled.starts_at) == ("polling", None)
    async with app.database.transaction() as session:
        slots = list(await session.scalars(select(PollSlot.starts_at).order_by(PollSlot.id)))
    assert [slot.astimezone(PARIS).strftime("%d/%m %H:%M") for slot in slots] == [
        "12/03 09:30",
        "19/03 14:00",
        "26/03 09:30",
    ]
    asked = await queued(app, "poll_invitation")
    assert [chat_id for chat_id, _ in asked] == ["7391846032", "7391846033"]
    _, campaign = asked[0]
    assert campaign.subject_id is not None
    assert "Chez Scop Les Tisserands, qui présente" in campaign.text
    assert "2. 19/03/2027 14:00 : pas encore répondu" in campaign.text
    assert [value for _, value in campaign.buttons][:3] == [
        f"/club dispo {number} 1 oui",
        f"/club dispo {number} 1 sinecessaire",
        f"/club dispo {number} 1 non",
    ]
    assert len(campaign.buttons) == 9


async def test_the_deadline_offered_is_halfway_when_the_first_slot_is_near(club: Club) -> None:
    claire, _, _ = club
    await ask_slots(claire)
    await claire.say("11/02/2027 10h; 12/02/2027 10h")

    # Ten days ahead: a week before would leave three days to answer, halfway leaves five.
    assert claire.button("Jusqu'au").label == "Jusqu'au 06/02/2027 10:00"


async def test_slots_that_cannot_be_polled_are_explained_and_asked_again(
    app: App, club: Club
) -> None:
    claire, _, _ = club
    await ask_slots(claire)

    for typed, told in (
        ("12/03/2027 9h30", "Proposez au moins 2 créneaux (vous en proposez 1)."),
        (
            "; ".join(f"{day}/03/2027 9h" for day in range(10, 17)),
            "Proposez au plus 6 créneaux (vous en proposez 7)",
        ),
        (
            "12/03/2027 9h30; 12/03/2027 09:30",
            "Le créneau du 12/03/2027 09:30 est proposé deux fois.",
        ),
        ("12/01/2027 9h30; 12/03/2027 9h30", "Le créneau du 12/01/2027 09:30 est déjà passé."),
        ("12/03/2027 9h30; vendredi", "Je n'ai pas compris le créneau « vendredi »"),
    ):
        await claire.say(typed)
        assert told in claire.text, typed
        assert "Proposez de 2 à 6 créneaux" in claire.text
    assert await queued(app, "poll_invitation") == []


async def test_a_deadline_that_cannot_be_is_explained_and_asked_again(club: Club) -> None:
    claire, _, _ = club
    await ask_slots(claire)
    await claire.say(SLOTS)

    for typed, told in (
        (
            "13/03/2027 9h",
            "La date limite de réponse (le 13/03/2027 09:00) doit venir au plus tard au premier "
            "créneau (le 12/03/2027 09:30).",
        ),
        ("31/01/2027 18h", "La date limite de réponse (le 31/01/2027 18:00) est déjà passée."),
        ("dans deux semaines", "Je n'ai pas compris cette date limite"),
    ):
        await claire.say(typed)
        assert told in claire.text, typed
        assert "Jusqu'à quand" in claire.text


async def test_a_member_changes_their_answers_and_sees_them_all(app: App, club: Club) -> None:
    claire, bob, _ = club
    number = await open_poll(claire)

    await bob.say(f"/club dispo {number} 1 oui")
    await bob.press_value(f"/club dispo {number} 1 non")
    await bob.press("19/03/2027 14:00 : si nécessaire")

    assert "1. 12/03/2027 09:30 : non" in bob.text
    assert "2. 19/03/2027 14:00 : si nécessaire" in bob.text
    assert "3. 26/03/2027 09:30 : pas encore répondu" in bob.text
    assert len(bob.buttons) == 9
    async with app.database.transaction() as session:
        votes = list(await session.scalars(select(PollVote.choice).order_by(PollVote.slot_id)))
    assert votes == ["no", "if_needed"]


async def test_club_shows_the_open_poll_and_its_button_shows_ones_answers(club: Club) -> None:
    claire, bob, _ = club
    number = await open_poll(claire)
    await bob.say(f"/club dispo {number} 2 oui")

    await bob.say("/club")
    assert "sondage de dates en cours pour « Bilan carbone des PME industrielles »" in bob.text
    assert "réponses jusqu'au 05/03/2027 09:00" in bob.text
    await bob.press("Répondre au sondage")

    assert "Date à choisir ensemble" in bob.text
    assert "1. 12/03/2027 09:30 : pas encore répondu" in bob.text
    assert "2. 19/03/2027 14:00 : oui" in bob.text
    assert len(bob.buttons) == 9


async def test_the_animators_see_the_tally_and_who_has_not_answered(club: Club) -> None:
    claire, bob, chloe = club
    number = await open_poll(claire)
    for slot, word in ((1, "oui"), (2, "sinecessaire"), (3, "non")):
        await bob.say(f"/club dispo {number} {slot} {word}")
    await chloe.say(f"/club dispo {number} 1 oui")

    await claire.say(f"/club sondage {number}")

    assert "• 12/03/2027 09:30 : 2 oui, 0 si nécessaire, 0 non, 0 sans réponse" in claire.text
    assert "• 19/03/2027 14:00 : 0 oui, 1 si nécessaire, 0 non, 1 sans réponse" in claire.text
    assert "N'ont pas répondu à tous les créneaux : Chloé Durand." in claire.text
    assert [b.label for b in claire.buttons] == ["Clore le sondage maintenant"]


async def test_an_answer_after_the_close_is_refused(
    app: App, club: Club, time_machine: TimeMachineFixture
) -> None:
    claire, bob, _ = club
    number = await open_poll(claire)
    time_machine.move_to(datetime(2027, 2, 3, 17, 45, tzinfo=PARIS), tick=False)
    await claire.say(f"/club sondage {number}")
    await claire.press("Clore le sondage")

    await bob.say(f"/club dispo {number} 1 oui")

    assert "Ce sondage est clos depuis le 03/02/2027 17:45" in bob.text
    async with app.database.transaction() as session:
        assert await session.scalar(select(PollVote.id)) is None


async def test_an_answer_after_the_deadline_is_refused(
    club: Club, time_machine: TimeMachineFixture
) -> None:
    claire, bob, _ = club
    number = await open_poll(claire, deadline="01/03/2027 12h")
    time_machine.move_to(datetime(2027, 3, 1, 12, tzinfo=PARIS), tick=False)

    await bob.say(f"/club dispo {number} 1 oui")

    assert "Ce sondage est clos depuis le 01/03/2027 12:00" in bob.text


@pytest.mark.parametrize(
    ("bob", "chloe", "best"),
    [
        # Most who can come (oui or si nécessaire) first, then most oui: slot 3 over 2 and 1.
        (
            ("oui", "sinecessaire", "oui"),
            ("non", "sinecessaire", "sinecessaire"),
            "26/03/2027 09:30",
        ),
        # All alike: the earliest.
        (("oui", "oui", "oui"), ("non", "non", "non"), "12/03/2027 09:30"),
    ],
)
async def test_at_the_close_the_best_slot_is_proposed_first(
    club: Club, bob: tuple[str, ...], chloe: tuple[str, ...], best: str
) -> None:
    claire, bob_chat, chloe_chat = club
    number = await open_poll(claire)
    for member, words in ((bob_chat, bob), (chloe_chat, chloe)):
        for slot, word in enumerate(words, 1):
            await member.say(f"/club dispo {number} {slot} {word}")

    await claire.say(f"/club sondage {number} clore")

    assert f"Meilleur créneau : le {best}" in claire.text
    labels = [b.label for b in claire.buttons]
    assert labels[0] == f"Confirmer le {best}"
    assert len(labels) == 3 and all(label.startswith("Choisir plutôt") for label in labels[1:])


async def test_fixing_the_date_invites_everyone_with_the_polls_uid_and_tells_the_voters(
    app: App, club: Club
) -> None:
    claire, bob, _ = club
    number = await open_poll(claire)
    uid = (await event(app, number)).uid
    await bob.say(f"/club dispo {number} 3 oui")
    await claire.say(f"/club sondage {number} clore")

    await claire.press("Confirmer le 26/03/2027 09:30")

    assert "Réunion fixée au 26/03/2027 09:30 : 2 invitation(s)" in claire.text
    fixed = await event(app, number)
    assert fixed.status == "scheduled" and fixed.uid == uid
    assert fixed.starts_at == datetime(2027, 3, 26, 8, 30, tzinfo=UTC)
    invited = await queued(app, "event_invitation")
    assert [chat_id for chat_id, _ in invited] == ["7391846032", "7391846033"]
    for _, campaign in invited:
        assert campaign.attachment_data is not None
        (vevent,) = Calendar.from_ical(campaign.attachment_data).walk("VEVENT")
        assert str(vevent["UID"]) == uid
        assert vevent.decoded("DTSTART").astimezone(UTC) == fixed.starts_at
    told = await queued(app, "poll_result")
    assert [chat_id for chat_id, _ in told] == ["7391846032"]
    assert "est fixée : le 26/03/2027 09:30" in told[0][1].text


async def test_a_date_fixed_stays_fixed(app: App, club: Club) -> None:
    claire, _, _ = club
    number = await open_poll(claire)
    await claire.say(f"/club sondage {number} clore")
    await claire.press("Confirmer")

    await claire.say(f"/club sondage {number} fixer 2")

    assert "Date fixée : le 12/03/2027 09:30." in claire.text
    assert len(await queued(app, "event_invitation")) == 2


async def test_someone_outside_the_club_learns_nothing_of_its_polls(club: Club) -> None:
    claire, _, _ = club
    number = await open_poll(claire)
    dora = Chat(claire.app, Platform.TELEGRAM, "7391846034")

    answers = []
    for command in (f"/club dispo {number} 1 oui", f"/club sondage {number}"):
        await dora.say(command)
        real = dora.text
        await dora.say(command.replace(str(number), str(number + 40)))
        answers.append((real, dora.text))

    assert all(real == unknown for real, unknown in answers)
    assert "Je ne connais pas ce sondage" in answers[0][0]
    assert "réservée aux personnes ayant le rôle animateur" in answers[1][0]


async def test_forgetting_a_member_erases_their_answers(app: App, club: Club) -> None:
    claire, bob, chloe = club
    number = await open_poll(claire)
    await bob.say(f"/club dispo {number} 1 oui")
    await chloe.say(f"/club dispo {number} 1 non")

    await bob.say("/oublier")
    await bob.press("Oui, tout effacer")

    async with app.database.transaction() as session:
        assert list(await session.scalars(select(PollVote.choice))) == ["no"]


async def test_a_fixed_date_is_still_asked_as_before(club: Club) -> None:
    claire, _, _ = club
    await describe_meeting(claire)
    await claire.press("Sans limite")
    await claire.press("Date fixe")
    await claire.say("12/03/2027 9h30")

    assert "Le 12/03/2027 09:30" in claire.text
