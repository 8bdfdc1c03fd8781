"""A member's calendar feed (/club agenda), fetched over real HTTP from the bot's server: their
clubs' meetings with their answer, cancelled ones marked so, nothing of a club they are not in;
a renewed address and a stranger's token get a 404."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientSession
from icalendar import Calendar
from sqlmodel import select

from bot.app import App
from bot.config import Settings
from bot.logs import SECRET_LOGGERS
from bot.messages import Platform
from bot.runner import build_transports
from bot.storage import repositories as repo
from bot.storage.models import Club, Event, utcnow
from handlers.events import invitations
from tests.handlers.club.test_clubs import BOB, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat
from tests.transports.conftest import free_port

PUBLIC_URL = "https://rse.montblanc-industries.fr"
PARIS = ZoneInfo("Europe/Paris")
MEETING_START = datetime(2027, 3, 12, 9, 30, tzinfo=PARIS)
BILAN = "Bilan carbone des PME industrielles"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return Settings.model_validate(
        settings.model_dump()
        | {
            "_env_file": None,
            "public_url": PUBLIC_URL + "/",
            "http_host": "127.0.0.1",
            "http_port": free_port(),
        }
    )


@pytest.fixture
async def local_url(app: App) -> AsyncIterator[str]:
    """The bot's HTTP server, started as ``rse-bot run`` starts it; the feeds' public address
    as reached here."""
    transports, http = build_transports(app)
    assert transports == [] and http is not None  # the feeds alone need the server
    await http.start()
    try:
        yield f"http://127.0.0.1:{http.port}"
    finally:
        await http.stop()


async def add_meeting(
    app: App, *, title: str, starts_at: datetime, invite: bool = True, club: str = "Club BouRSE"
) -> Event:
    """A scheduled meeting of the club, as /club reunion records it; its invitations queued."""
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        found = await session.scalar(select(Club).where(Club.name == club))
        assert pole is not None and pole.id is not None and found is not None
        event = Event(
            pole_id=pole.id,
            club_id=found.id,
            uid=f"{secrets.token_hex(8)}@rse-bot",
            title=title,
            host_company="Scop Les Tisserands",
            practice="Un plan de mobilité pour les salariés",
            place="12 rue des Tisserands, 74000 Annecy",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
        )
        session.add(event)
        await session.flush()
        if invite:
            await invitations.invite(session, app.settings, app.content, event=event, pole=pole)
        return event


@pytest.fixture
async def bob(app: App) -> Chat:
    """Bob is a member of the Club BouRSE, which meets on 12 March 2027."""
    claire = await an_animator(app)
    (bob,) = await join_club(app, await create_club(claire), [BOB])
    await add_meeting(app, title=BILAN, starts_at=MEETING_START)
    return bob


def feed_address(chat: Chat) -> str:
    (line,) = [line for line in chat.text.splitlines() if line.startswith(PUBLIC_URL)]
    return line


async def fetch(local_url: str, address: str) -> tuple[int, dict[str, str], bytes]:
    assert address.startswith(PUBLIC_URL + "/agenda/")
    async with ClientSession() as client:
        response = await client.get(local_url + address.removeprefix(PUBLIC_URL))
        return response.status, dict(response.headers), await response.read()


async def events_of(local_url: str, chat: Chat) -> list:  # type: ignore[type-arg]
    await chat.say("/club agenda")
    status, _, body = await fetch(local_url, feed_address(chat))
    assert status == 200
    return Calendar.from_ical(body).events


async def meeting_id(app: App) -> int:
    async with app.database.transaction() as session:
        meeting = await session.scalar(select(Event).where(Event.title == BILAN))
    assert meeting is not None and meeting.id is not None
    return meeting.id


async def test_the_feed_lists_the_members_meeting_with_their_answer(
    app: App, bob: Chat, local_url: str
) -> None:
    await bob.say(f"/club rsvp {await meeting_id(app)} oui")
    await bob.say("/club agenda")
    assert "Google Agenda" in bob.text and "Outlook" in bob.text and "Apple" in bob.text

    status, headers, body = await fetch(local_url, feed_address(bob))

    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in headers["Cache-Control"]
    calendar = Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "Mes réunions de club"
    (event,) = calendar.events
    assert str(event["SUMMARY"]) == f"Club BouRSE : {BILAN}"
    assert event.start == MEETING_START
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["ATTENDEE"].params["CN"] == "Bob Lefèvre"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


async def test_a_cancelled_meeting_stays_marked_cancelled_and_older_ones_go(
    app: App, bob: Chat, local_url: str
) -> None:
    # Met a month ago, and in the spring: only the recent one is still of interest.
    now = utcnow()
    for title, days in (("Achats responsables", 30), ("Mobilité douce", 100)):
        await add_meeting(app, title=title, starts_at=now - timedelta(days=days), invite=False)
    bilan = await meeting_id(app)
    async with app.database.transaction() as session:
        meeting = await session.get(Event, bilan)
        pole = await repo.default_pole(session)
        assert meeting is not None and pole is not None
        await invitations.cancel(session, app.settings, app.content, event=meeting, pole=pole)

    events = await events_of(local_url, bob)

    assert [(str(e["SUMMARY"]), str(e["STATUS"])) for e in events] == [
        ("Club BouRSE : Achats responsables", "CONFIRMED"),
        (f"Club BouRSE : {BILAN}", "CANCELLED"),
    ]
    assert events[1]["SEQUENCE"] == 1


async def test_a_club_one_is_not_in_stays_out_of_ones_feed(
    app: App, bob: Chat, local_url: str
) -> None:
    # Dora is of the same pôle and never accepted the Club BouRSE's charter; she is a member
    # of another club, which meets too.
    dora = Chat(app, Platform.TELEGRAM, "7391846034")
    await dora.sign_up("Dora Meyer", "Hydreos Conseil")
    claire = Chat(app, Platform.TELEGRAM, "7391846031")
    code = await create_club(claire, "Club Climat")
    await dora.say(f"/club rejoindre {code}")
    await dora.press("J'accepte la charte")
    await add_meeting(app, title="Fresque du climat", starts_at=MEETING_START, club="Club Climat")

    assert [str(e["SUMMARY"]) for e in await events_of(local_url, dora)] == [
        "Club Climat : Fresque du climat"
    ]
    assert [str(e["SUMMARY"]) for e in await events_of(local_url, bob)] == [
        f"Club BouRSE : {BILAN}"
    ]


async def test_the_address_stays_the_same_until_renewed_and_the_old_one_then_fails(
    bob: Chat, local_url: str
) -> None:
    await bob.say("/club agenda")
    first = feed_address(bob)
    await bob.say("/club agenda")
    assert feed_address(bob) == first

    await bob.press("Renouveler l'adresse")
    renewed = feed_address(bob)

    assert "L'ancienne ne fonctionne plus" in bob.text
    assert renewed != first
    assert (await fetch(local_url, first))[0] == 404
    assert (await fetch(local_url, renewed))[0] == 200


async def test_a_strangers_random_token_is_refused(bob: Chat, local_url: str) -> None:
    await bob.say("/club agenda")  # a feed exists: the stranger's token is not it

    status, headers, body = await fetch(
        local_url, f"{PUBLIC_URL}/agenda/{secrets.token_urlsafe(32)}.ics"
    )

    assert status == 404
    assert "private" in headers["Cache-Control"]
    assert b"VEVENT" not in body


async def test_the_token_is_never_logged(
    bob: Chat, local_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await bob.say("/club agenda")
    address = feed_address(bob)
    token = address.rsplit("/", 1)[1].removesuffix(".ics")

    # Logging as `rse-bot run` sets it up at RSEBOT_LOG_LEVEL=DEBUG.
    caplog.set_level(logging.DEBUG)
    for name in SECRET_LOGGERS:
        caplog.set_level(logging.WARNING, logger=name)
    assert (await fetch(local_url, address))[0] == 200

    assert token not in caplog.text


async def test_without_a_public_address_the_agenda_is_not_offered(
    settings: Settings,
) -> None:
    without = settings.model_copy(update={"public_url": None})
    app = await App.start(without)
    try:
        member = Chat(app, Platform.TELEGRAM, "7391846032")
        await member.sign_up("Bob Lefèvre", "Scop Les Tisserands")
        await member.say("/club agenda")
        _, http = build_transports(app)
    finally:
        await app.close()

    assert "n'est pas activé" in member.text
    assert "RSEBOT_PUBLIC_URL" in member.text
    assert http is None
