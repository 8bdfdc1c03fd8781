"""Club invitations by e-mail, sent to a local SMTP server and read back from what it got."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from email.message import EmailMessage
from urllib.parse import quote

import pytest
from icalendar import Calendar

from bot.transports.base import Refused
from handlers.events import mail
from handlers.events.calendar import Invitation, ics
from handlers.events.mail import MailError, MailRefused, itip_message, send
from tests.helpers.fake_smtp import FakeSmtp
from tests.helpers.invitations import MEETING

PASSWORD = "p@ss:w0rd/Mulhouse"


def _message(invitation: Invitation = MEETING) -> EmailMessage:
    return itip_message(
        ics(invitation),
        sender="Pôle Véhicule du Futur <club-rse@vehiculedufutur.com>",
        recipient="Camille Lefèvre <c.lefevre@alsace-emballages.fr>",
        subject="Invitation : Club RSE du jeudi 25 mars, 10 h",
        text="Bonjour Camille,\n\nLe club RSE se réunit le jeudi 25 mars à 10 h.\n",
    )


def _calendar_part(message: EmailMessage) -> EmailMessage:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert isinstance(part, EmailMessage)
    return part


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSmtp]:
    async with FakeSmtp() as server:
        yield server


async def test_the_invitation_arrives_with_its_headers(smtp: FakeSmtp) -> None:
    await send(_message(), smtp_url=smtp.url)

    (received,) = smtp.received
    assert received.mail_from == "club-rse@vehiculedufutur.com"
    assert received.rcpt_tos == ("c.lefevre@alsace-emballages.fr",)
    message = received.message
    assert message["From"] == "Pôle Véhicule du Futur <club-rse@vehiculedufutur.com>"
    assert message["To"] == "Camille Lefèvre <c.lefevre@alsace-emballages.fr>"
    assert message["Subject"] == "Invitation : Club RSE du jeudi 25 mars, 10 h"
    assert message["Date"].datetime == MEETING.dtstamp
    assert message["Message-ID"].endswith("@vehiculedufutur.com>")


async def test_the_text_comes_first_then_the_calendar_then_the_file(smtp: FakeSmtp) -> None:
    await send(_message(), smtp_url=smtp.url)

    (message,) = smtp.messages
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/calendar",
        "application/ics",
    ]
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert "jeudi 25 mars à 10 h" in text.get_content()
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"


async def test_the_calendar_part_is_inline_and_says_the_files_method(smtp: FakeSmtp) -> None:
    await send(_message(), smtp_url=smtp.url)

    part = _calendar_part(smtp.messages[0])
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    assert part.get_content_disposition() is None
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.events
    assert str(event["ATTENDEE"]) == "mailto:c.lefevre@alsace-emballages.fr"
    assert event["ATTENDEE"].params["CN"] == "Camille Lefèvre"
    assert str(event["LOCATION"]) == "Technopôle de Mulhouse, salle Rhin"


async def test_the_attached_file_is_the_same_as_the_calendar_part(smtp: FakeSmtp) -> None:
    await send(_message(), smtp_url=smtp.url)

    (message,) = smtp.messages
    attachment = next(message.iter_attachments())
    assert attachment.get_content() == _calendar_part(message).get_content().encode()


async def test_a_cancellation_says_cancel_in_the_part_and_in_the_file(smtp: FakeSmtp) -> None:
    await send(_message(replace(MEETING, method="CANCEL", sequence=1)), smtp_url=smtp.url)

    part = _calendar_part(smtp.messages[0])
    assert part.get_param("method") == "CANCEL"
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.events[0]["STATUS"]) == "CANCELLED"
    assert str(calendar.events[0]["ATTENDEE"]) == "mailto:c.lefevre@alsace-emballages.fr"


async def test_it_logs_in_with_the_credentials_of_the_url() -> None:
    async with FakeSmtp(login=("club-rse@vehiculedufutur.com", PASSWORD)) as smtp:
        await send(_message(), smtp_url=smtp.url)

    (received,) = smtp.received
    assert received.login == "club-rse@vehiculedufutur.com"


async def test_a_refused_login_is_a_mail_error_without_the_password() -> None:
    async with FakeSmtp(login=("club-rse", "le-bon-mot-de-passe")) as smtp:
        wrong = f"smtp://club-rse:{quote(PASSWORD, safe='')}@127.0.0.1:{smtp.port}"
        with pytest.raises(MailError) as raised:
            await send(_message(), smtp_url=wrong)

    assert not isinstance(raised.value, MailRefused)
    assert "535" in str(raised.value)
    assert PASSWORD not in str(raised.value)
    assert smtp.received == []


async def test_a_refused_connection_is_a_mail_error_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"smtp://club-rse:{quote(PASSWORD, safe='')}@127.0.0.1:{_closed_port()}"

    with caplog.at_level(logging.DEBUG), pytest.raises(MailError) as raised:
        await send(_message(), smtp_url=url)

    assert str(raised.value).startswith("SMTP 127.0.0.1:")
    assert "onnect" in str(raised.value)
    assert not raised.value.permanent
    for shown in (str(raised.value), repr(raised.value), caplog.text):
        assert PASSWORD not in shown
        assert "w0rd" not in shown


async def test_an_unknown_mailbox_is_refused_for_good(smtp: FakeSmtp) -> None:
    smtp.refuse(550, "5.1.1 c.lefevre@alsace-emballages.fr: mailbox unknown")

    with pytest.raises(MailRefused, match=r"550 5\.1\.1") as raised:
        await send(_message(), smtp_url=smtp.url)

    # The outbox records a Refused as failed instead of trying again.
    assert isinstance(raised.value, Refused)
    assert raised.value.permanent


async def test_a_full_mailbox_is_a_mail_error_to_try_again(smtp: FakeSmtp) -> None:
    smtp.refuse(452, "4.2.2 mailbox full")

    with pytest.raises(MailError, match=r"452 4\.2\.2") as raised:
        await send(_message(), smtp_url=smtp.url)

    assert not isinstance(raised.value, Refused)


async def test_a_server_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    monkeypatch.setattr(mail, "TIMEOUT", 0.2)
    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(MailError, match=r"no answer within 0\.2 s"):
            await send(_message(), smtp_url=f"smtp://127.0.0.1:{port}")


async def test_smtps_speaks_tls_from_the_first_byte(smtp: FakeSmtp) -> None:
    with pytest.raises(MailError):
        await send(_message(), smtp_url=f"smtps://127.0.0.1:{smtp.port}")

    assert smtp.received == []


@pytest.mark.parametrize(
    "url",
    [
        f"imap://club-rse:{PASSWORD}@mail.vehiculedufutur.com",
        f"smtp://club-rse:{PASSWORD}@mail.vehiculedufutur.com:submission",
        f"smtp://club-rse:{PASSWORD}@",
    ],
)
async def test_a_wrong_url_is_refused_without_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL") as raised:
        await send(_message(), smtp_url=url)

    assert "w0rd" not in str(raised.value)
