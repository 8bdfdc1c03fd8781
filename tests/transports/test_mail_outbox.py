"""Invitations by e-mail through the outbox: a member who gave an address receives, on a local
SMTP server (aiosmtpd), a real iTIP message for the invitation and for the cancellation; a
refused address is recorded as failed, a full mailbox tried again later; broadcasts never go
by e-mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from icalendar import Calendar
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.identities import parse_account
from bot.messages import Platform
from bot.outbox import OutboxWorker, Tuning
from bot.runner import mail_transport
from bot.storage import repositories as repo
from bot.storage.models import Event, OutboxMessage, utcnow
from handlers.events import invitations
from tests.handlers.club.test_clubs import BOB as CLUB_BOB
from tests.handlers.club.test_clubs import CHLOE, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.handlers.events.test_feed import BILAN, MEETING_START, add_meeting
from tests.handlers.test_broadcast import compose
from tests.helpers.chat import Chat
from tests.helpers.fake_smtp import FakeSmtp

MAIL_FROM = "Pôle Mont-Blanc Industries <club-rse@montblanc-industries.fr>"
BOB = "bob.lefevre@scop-tisserands.fr"


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSmtp]:
    async with FakeSmtp() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: FakeSmtp) -> Settings:
    return Settings.model_validate(
        settings.model_dump() | {"_env_file": None, "smtp_url": smtp.url, "mail_from": MAIL_FROM}
    )


@pytest.fixture
async def claire(app: App) -> Chat:
    """Claire animates the Club BouRSE; Bob (who gave his e-mail) and Chloé (who did not)
    joined it, and it meets on 12 March 2027."""
    claire = await an_animator(app)
    code = await create_club(claire)
    await join_club(app, code, [CLUB_BOB._replace(email=BOB), CHLOE])
    await add_meeting(app, title=BILAN, starts_at=MEETING_START)
    return claire


async def deliver(app: App) -> None:
    """What the outbox worker of `rse-bot run` sends by e-mail, until nothing is due."""
    mail = mail_transport(app)
    assert mail is not None
    worker = OutboxWorker(app.database, {mail.platform: mail}, Tuning(poll_interval=0.01))
    await worker.drain()


async def mail_rows(app: App) -> list[OutboxMessage]:
    async with app.database.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.platform == Platform.EMAIL.value)
                .order_by(OutboxMessage.id)
            )
        )


def calendar_part(message: EmailMessage) -> EmailMessage:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert isinstance(part, EmailMessage)
    return part


async def test_the_invitation_reaches_the_members_mailbox_as_a_calendar_request(
    app: App, claire: Chat, smtp: FakeSmtp
) -> None:
    await deliver(app)

    (received,) = smtp.received
    assert received.mail_from == "club-rse@montblanc-industries.fr"
    assert received.rcpt_tos == (BOB,)
    message = received.message
    assert message["From"] == MAIL_FROM
    assert message["To"] == f"Bob Lefèvre <{BOB}>"
    assert message["Subject"] == f"Club BouRSE : {BILAN}"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert "Vous êtes invité(e)" in text.get_content()
    part = calendar_part(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_disposition() is None  # inline: the client shows a meeting
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.events
    assert str(event["ATTENDEE"]) == f"mailto:{BOB}"
    assert str(event["ORGANIZER"]) == "mailto:club-rse@montblanc-industries.fr"
    assert [row.status for row in await mail_rows(app)] == ["sent"]


async def test_only_members_who_gave_an_address_are_mailed(app: App, claire: Chat) -> None:
    assert [row.chat_id for row in await mail_rows(app)] == [BOB]


async def test_a_cancellation_reaches_the_mailbox_as_a_calendar_cancel(
    app: App, claire: Chat, smtp: FakeSmtp
) -> None:
    await deliver(app)
    async with app.database.transaction() as session:
        meeting = await session.scalar(select(Event).where(Event.title == BILAN))
        pole = await repo.default_pole(session)
        assert meeting is not None and pole is not None
        await invitations.cancel(session, app.settings, app.content, event=meeting, pole=pole)

    await deliver(app)

    invitation, cancellation = (calendar_part(m) for m in smtp.messages)
    assert cancellation.get_param("method") == "CANCEL"
    calendar = Calendar.from_ical(cancellation.get_content())
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.events
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert event["UID"] == Calendar.from_ical(invitation.get_content()).events[0]["UID"]


async def test_an_address_refused_for_good_is_recorded_as_failed(
    app: App, claire: Chat, smtp: FakeSmtp
) -> None:
    smtp.refuse(550, "5.1.1 bob.lefevre@scop-tisserands.fr: mailbox unknown")

    await deliver(app)

    (row,) = await mail_rows(app)
    assert row.status == "failed"
    assert row.last_error is not None and "550 5.1.1" in row.last_error
    assert smtp.received == []


async def test_a_full_mailbox_is_tried_again_later(
    app: App, claire: Chat, smtp: FakeSmtp, time_machine: TimeMachineFixture
) -> None:
    smtp.refuse(452, "4.2.2 mailbox full")
    await deliver(app)
    (row,) = await mail_rows(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "452 4.2.2" in row.last_error

    smtp.accept()
    await deliver(app)  # not yet: the retry is due later
    assert smtp.received == []
    time_machine.move_to(utcnow() + timedelta(minutes=5), tick=True)
    await deliver(app)

    (received,) = smtp.received
    assert received.rcpt_tos == (BOB,)
    assert [row.status for row in await mail_rows(app)] == ["sent"]


async def test_a_broadcast_never_goes_by_email(app: App, claire: Chat) -> None:
    await compose(claire, "Club RSE jeudi 4 décembre à 9 h : retour sur le bilan carbone.")
    await claire.press("Telegram et Slack")
    await claire.press("Envoyer")

    assert "lancée" in claire.text
    assert [row.chat_id for row in await mail_rows(app)] == [BOB]  # the invitation only


async def test_without_smtp_settings_nothing_is_queued_for_email(settings: Settings) -> None:
    app = await App.start(settings.model_copy(update={"smtp_url": None, "mail_from": None}))
    try:
        claire = await an_animator(app)
        code = await create_club(claire)
        (bob,) = await join_club(app, code, [CLUB_BOB])
        # Given while the bot sent e-mail, say: kept, and unused while it sends none.
        person = await bob.person()
        assert person is not None
        async with app.database.transaction() as session:
            person.email = BOB
            session.add(person)
        await add_meeting(app, title=BILAN, starts_at=MEETING_START)

        assert await mail_rows(app) == []
        assert mail_transport(app) is None
    finally:
        await app.close()


def test_an_email_address_is_never_an_account_to_name() -> None:
    # « /role animateur email:… » or `rse-bot admin grant`: e-mail is no platform to sign up on.
    assert parse_account(f"email:{BOB}") is None
    assert parse_account("telegram:7391846032") == (Platform.TELEGRAM, "7391846032")
