"""The general invitation functions, called as a date poll's confirmation or a job would call
them (a session, the settings and the content, no chat): one campaign per person with their own
calendar file carrying the PARTSTAT of their answer; RSVP while the date is polled."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.outbox import Recipient
from bot.storage import repositories as repo
from bot.storage.models import Event, EventAnswer, Person, Pole
from bot.storage.session import Session
from handlers.events import invitations
from handlers.events.calendar import ics
from handlers.events.invitations import Changes
from tests.handlers.club.test_clubs import BOB, CHLOE, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

START = datetime(2027, 3, 12, 8, 30, tzinfo=UTC)


@pytest.fixture
async def club_event(app: App) -> tuple[Chat, Chat, int]:
    """Bob and Chloé joined the Club BouRSE, whose meeting of 12/03/2027 is stored but not
    yet announced, as a date poll leaves it once its date is confirmed."""
    claire = await an_animator(app)
    bob, chloe = await join_club(app, await create_club(claire), [BOB, CHLOE])
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        ((club, _),) = await repo.pole_clubs(session, pole_id=pole.id)
        event = Event(
            pole_id=pole.id,
            club_id=club.id,
            uid="club-bourse-2027-03@rse-bot",
            title="Bilan carbone des PME industrielles",
            host_company="Scop Les Tisserands",
            practice="Une GPEC partagée entre ateliers",
            place="12 rue des Tisserands, 74000 Annecy",
            starts_at=START,
            ends_at=START + timedelta(hours=2),
        )
        session.add(event)
        await session.flush()
        assert event.id is not None
        number = event.id
    return bob, chloe, number


async def event_and_pole(session: Session, number: int) -> tuple[Event, Pole]:
    """The stored event ``number`` and its pôle, read in ``session``."""
    event = await session.get(Event, number)
    assert event is not None
    pole = await session.get(Pole, event.pole_id)
    assert pole is not None
    return event, pole


async def test_invite_outside_a_chat_queues_each_person_their_own_invitation(
    app: App, club_event: tuple[Chat, Chat, int]
) -> None:
    _, _, number = club_event
    async with app.database.transaction() as session:
        event, pole = await event_and_pole(session, number)
        count = await invitations.invite(session, app.settings, app.content, event=event, pole=pole)

    assert count == 2
    sent = await queued(app, "event_invitation")
    assert [chat_id for chat_id, _ in sent] == ["7391846032", "7391846033"]
    for (_, campaign), name in zip(sent, ("Bob Lefèvre", "Chloé Durand"), strict=True):
        assert campaign.subject_id is not None
        assert campaign.buttons[0] == ["Je viens", f"/club rsvp {number} oui"]
        assert campaign.attachment_data is not None
        calendar = Calendar.from_ical(campaign.attachment_data)
        assert calendar["METHOD"] == "REQUEST"
        (vevent,) = calendar.walk("VEVENT")
        assert str(vevent["UID"]) == "club-bourse-2027-03@rse-bot"
        assert vevent["ATTENDEE"].params["CN"] == name
        assert vevent["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
        assert str(vevent["SUMMARY"]) == "Club BouRSE : Bilan carbone des PME industrielles"
        assert "Chez Scop Les Tisserands, qui présente" in campaign.text


@pytest.mark.parametrize(
    ("answer", "waiting", "partstat"),
    [
        (None, False, "NEEDS-ACTION"),
        ("yes", False, "ACCEPTED"),
        ("yes", True, "TENTATIVE"),
        ("maybe", False, "TENTATIVE"),
        ("no", False, "DECLINED"),
    ],
)
def test_the_calendar_file_carries_the_partstat_of_the_answer(
    settings: Settings, answer: str | None, waiting: bool, partstat: str
) -> None:
    pole = Pole(id=1, name="Pôle Mont-Blanc Industries")
    event = Event(
        id=7,
        pole_id=1,
        uid="club-bourse-2027-03@rse-bot",
        title="Bilan carbone",
        place="Annecy",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
    )
    person = Person(id=3, display_name="Bob Lefèvre", email="bob@tisserands.coop")
    given = EventAnswer(event_id=7, person_id=3, answer=answer, waiting=waiting)

    file = invitations.invitation(
        settings, event, pole=pole, club=None, person=person, answer=given
    )

    (vevent,) = Calendar.from_ical(ics(file)).walk("VEVENT")
    assert vevent["ATTENDEE"].params["PARTSTAT"] == partstat
    assert str(vevent["ATTENDEE"]) == "mailto:bob@tisserands.coop"


async def test_rsvp_while_the_date_is_polled_says_so(
    app: App, club_event: tuple[Chat, Chat, int]
) -> None:
    bob, _, number = club_event
    async with app.database.transaction() as session:
        event = await session.get(Event, number)
        assert event is not None
        event.status, event.starts_at, event.ends_at = "polling", None, None

    await bob.say(f"/club rsvp {number} oui")

    assert "est encore en sondage" in bob.text
    async with app.database.transaction() as session:
        assert await repo.event_answers(session, event_id=number) == {}


async def test_an_update_that_changes_nothing_sends_nothing(
    app: App, club_event: tuple[Chat, Chat, int]
) -> None:
    _, _, number = club_event
    async with app.database.transaction() as session:
        event, pole = await event_and_pole(session, number)
        same = Changes(starts_at=START, place="12 rue des Tisserands, 74000 Annecy")
        count = await invitations.update(
            session, app.settings, app.content, event=event, pole=pole, changes=same
        )
        assert (count, event.sequence) == (0, 0)
    assert await queued(app, "event_update") == []


async def test_recipients_of_a_person_is_their_chat_account(
    app: App, club_event: tuple[Chat, Chat, int]
) -> None:
    bob, _, _ = club_event
    person = await bob.person()
    assert person is not None
    async with app.database.transaction() as session:
        found = await invitations.recipients(session, app.settings, person)

    assert found == [Recipient(Platform.TELEGRAM, "7391846032")]
