"""/club reunion through the router: a meeting described by an animator, every club member
invited through the outbox with answer buttons and a calendar file, answers changed until the
meeting, a waiting list beyond the capacity; nothing for those outside the club."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Event
from tests.handlers.club.test_clubs import BOB, CHLOE, DORA, create_club, join_club
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

WHEN = "12/03/2027 9h30"


@pytest.fixture
async def club(app: App) -> tuple[Chat, Chat, Chat]:
    """Claire animates the Club BouRSE; Bob and Chloé joined it; Dora refused its charter."""
    claire = await an_animator(app)
    bob, chloe = await join_club(app, await create_club(claire), [BOB, CHLOE], refusing=[DORA])
    return claire, bob, chloe


async def describe_meeting(claire: Chat) -> None:
    """Start /club reunion and answer up to the capacity question."""
    await claire.say("/club reunion")
    await claire.say("Bilan carbone des PME industrielles")
    await claire.say("Scop Les Tisserands")
    await claire.say("Un logiciel de gestion prévisionnelle des emplois et des compétences")
    await claire.say("12 rue des Tisserands, 74000 Annecy")
    await claire.press("Sans ordre du jour")


async def plan_meeting(claire: Chat, capacity: str = "20") -> None:
    await describe_meeting(claire)
    await claire.say(capacity)
    await claire.say(WHEN)


async def an_animator(app: App) -> Chat:
    claire = Chat(app, Platform.TELEGRAM, "7391846031")
    await claire.sign_up("Claire Roux", "Pôle Mont-Blanc Industries")
    await claire.grant("animator")
    return claire


async def meeting_id(app: App) -> int:
    """The first event stored (the one meeting most tests plan): in id order, since a
    database returns unordered rows in any order."""
    async with app.database.transaction() as session:
        meeting = await session.scalar(select(Event).order_by(Event.id))
    assert meeting is not None and meeting.id is not None
    return meeting.id


async def test_the_preview_shows_the_meeting_and_the_members_invited(
    club: tuple[Chat, Chat, Chat],
) -> None:
    claire, _, _ = club
    await plan_meeting(claire)

    assert "Club BouRSE — Bilan carbone des PME industrielles" in claire.text
    assert "Le 12/03/2027 09:30" in claire.text
    assert "Chez Scop Les Tisserands, qui présente : Un logiciel" in claire.text
    assert "À inviter : 2 membre(s) du club" in claire.text


async def test_every_member_under_the_charter_is_invited_with_buttons_and_calendar_file(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter 2 membre(s)")

    assert "2 invitation(s) partent maintenant" in claire.text
    sent = await queued(app, "event_invitation")
    assert [chat_id for chat_id, _ in sent] == ["7391846032", "7391846033"]
    _, campaign = sent[0]
    number = await meeting_id(app)
    assert [value for _, value in campaign.buttons] == [
        f"/club rsvp {number} oui",
        f"/club rsvp {number} peutetre",
        f"/club rsvp {number} non",
    ]
    assert campaign.attachment_data is not None
    calendar = Calendar.from_ical(campaign.attachment_data)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["LOCATION"]) == "12 rue des Tisserands, 74000 Annecy"
    assert event["ATTENDEE"].params["CN"] == "Bob Lefèvre"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 12, 8, 30, tzinfo=UTC)
    assert calendar.walk("VTIMEZONE")


async def test_an_answer_can_be_changed_until_the_meeting(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    number = await meeting_id(app)

    await bob.say(f"/club rsvp {number} oui")
    assert "vous venez à la réunion du 12/03/2027 09:30" in bob.text
    await bob.say(f"/club rsvp {number} peutetre")
    assert "peut-être" in bob.text
    await bob.say(f"/club rsvp {number} non")
    assert "vous ne venez pas" in bob.text


async def test_beyond_capacity_a_member_waits_and_is_let_in_when_a_place_frees(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, chloe = club
    await plan_meeting(claire, capacity="1")
    await claire.press("Inviter")
    number = await meeting_id(app)

    await bob.say(f"/club rsvp {number} oui")
    await chloe.say(f"/club rsvp {number} oui")
    assert "liste d'attente" in chloe.text
    await bob.say(f"/club rsvp {number} non")

    told = await queued(app, "event_waiting_list")
    assert [chat_id for chat_id, _ in told] == ["7391846033"]


async def test_someone_outside_the_club_learns_nothing_of_its_meetings(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    number = await meeting_id(app)
    dora = Chat(app, Platform.TELEGRAM, "7391846034")

    await dora.say(f"/club rsvp {number} oui")
    told_of_a_real_meeting = dora.text
    await dora.say(f"/club rsvp {number + 40} oui")

    assert told_of_a_real_meeting == dora.text
    assert "Je ne connais pas cette réunion" in dora.text


async def test_only_animators_plan_meetings(club: tuple[Chat, Chat, Chat]) -> None:
    _, bob, _ = club
    await bob.say("/club reunion")

    assert "réservée aux personnes ayant le rôle animateur" in bob.text


@pytest.mark.parametrize(
    ("typed", "told"),
    [
        ("demain matin", "Je n'ai pas compris cette date"),
        ("31/02/2027 9h", "Je n'ai pas compris cette date"),
        ("12/03/2020 9h30", "Cette date est passée"),
    ],
)
async def test_a_bad_date_is_explained_and_asked_again(
    club: tuple[Chat, Chat, Chat], typed: str, told: str
) -> None:
    claire, _, _ = club
    await describe_meeting(claire)
    await claire.press("Sans limite")
    await claire.say(typed)

    assert told in claire.text
    assert "Quand ?" in claire.text


async def test_a_bad_capacity_is_explained(club: tuple[Chat, Chat, Chat]) -> None:
    claire, _, _ = club
    await describe_meeting(claire)
    await claire.say("vingt")

    assert "Écrivez un nombre de places entre 1 et 500" in claire.text


async def test_club_shows_the_next_meeting_with_its_answer_buttons(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    await bob.say("/club")

    assert "prochaine réunion le 12/03/2027 09:30 chez Scop Les Tisserands" in bob.text
    await bob.press("Je viens")
    assert "vous venez à la réunion du 12/03/2027 09:30" in bob.text


async def test_a_club_without_members_has_nobody_to_invite(app: App) -> None:
    claire = await an_animator(app)
    await create_club(claire)
    await plan_meeting(claire)

    assert "personne à inviter" in claire.text
    assert [b.label for b in claire.buttons] == ["Annuler"]
