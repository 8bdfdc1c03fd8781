"""Club invitations by e-mail: the iTIP message (RFC 6047) that Outlook, Gmail and Apple Mail
show as a meeting to accept, and its sending over SMTP.

The outbox calls :func:`send` and retries it: a :class:`MailError` may go through later, a
:class:`MailRefused` (the server refused this message or recipient for good) never will. Neither
ever names the SMTP password, nor does this module's log.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import get_args
from urllib.parse import unquote, urlsplit

import aiosmtplib
from icalendar import Calendar

from bot.transports.base import DeliveryError, Refused
from handlers.events.calendar import Method

logger = logging.getLogger(__name__)

# The attachment's name in Google Calendar's invitations, which every client knows.
ATTACHMENT_NAME = "invite.ics"
# Seconds for the whole exchange: a server silent that long is down, and the outbox retries.
TIMEOUT = 30.0
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailError(DeliveryError):
    """The message did not reach the SMTP server; trying again later may work."""


class MailRefused(MailError, Refused):
    """The SMTP server refused this recipient or this content for good (5xx to RCPT or DATA)."""


def itip_message(
    data: bytes, *, sender: str, recipient: str, subject: str, text: str
) -> EmailMessage:
    """The e-mail carrying the calendar file ``data``: ``text`` for people, the file for clients.

    Laid out as Google Calendar's invitations are: multipart/mixed holding a multipart/
    alternative (text/plain, then text/calendar with the file's METHOD, which Outlook and Gmail
    turn into a meeting with Accept/Decline buttons) and the same file as ``invite.ics``, for
    clients that only open attachments. ``sender`` should be the organizer's address: clients
    check it before applying an update or a cancellation to the event they hold. ValueError for
    a file that is not an iTIP REQUEST or CANCEL.
    """
    method, stamp = _method_and_stamp(data)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(stamp)
    # make_msgid's default domain is this machine's name: slow to look up and nobody's business.
    message["Message-ID"] = make_msgid(domain=message["From"].addresses[0].domain or None)
    # Quoted-printable keeps the French text readable in the source, as mail clients write it.
    message.set_content(text, cte="quoted-printable")
    # Bytes in base64, so that the file's CRLF line ends and folding reach the client intact.
    message.add_alternative(
        data,
        maintype="text",
        subtype="calendar",
        params={"method": method, "charset": "UTF-8"},
    )
    message.add_attachment(
        data,
        maintype="application",
        subtype="ics",
        filename=ATTACHMENT_NAME,
        # The name again in Content-Type, where older clients look for it.
        params={"name": ATTACHMENT_NAME},
    )
    return message


def _method_and_stamp(data: bytes) -> tuple[Method, datetime]:
    """The file's METHOD, which the part must repeat, and its event's DTSTAMP, the mail's date."""
    calendar = Calendar.from_ical(data)
    method = str(calendar.get("METHOD", ""))
    if method not in get_args(Method):
        raise ValueError(f"not an iTIP REQUEST or CANCEL: METHOD {method or 'missing'}")
    if len(calendar.events) != 1:
        raise ValueError(f"an invitation holds one event, not {len(calendar.events)}")
    return method, calendar.events[0].DTSTAMP  # type: ignore[return-value]


async def send(message: EmailMessage, *, smtp_url: str) -> None:
    """Hand ``message`` to the server of ``smtp_url``; MailError or MailRefused if it fails.

    ``smtp://[user:password@]host[:port]`` (port 25 by default) upgrades to TLS with STARTTLS
    when the server offers it; ``smtps://`` (465) speaks TLS from the start. User and password
    are percent-encoded in the URL (``%40`` for an ``@``).
    """
    server = smtp_server(smtp_url)
    try:
        # aiosmtplib's timeout bounds each step; ours bounds them all, for a server that
        # answers every command just in time.
        async with asyncio.timeout(TIMEOUT):
            errors, _ = await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                use_tls=server.tls,
                username=server.username,
                password=server.password,
                timeout=TIMEOUT,
            )
    # OSError covers TLS failures and the overall timeout too.
    except (aiosmtplib.SMTPException, OSError) as exc:
        # `from None`: the cause's traceback is not ours to vouch for, and the reason is kept.
        raise _error(server, exc) from None
    if errors:
        # Some recipients of several refused: the others have it, so a retry would send twice.
        # The outbox sends one message per recipient; anyone else is told all the same.
        raise _error(server, aiosmtplib.SMTPRecipientsRefused(_refused(errors)))
    logger.debug("mail handed to %s:%s", server.host, server.port)


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def smtp_server(url: str) -> SmtpServer:
    """The host, port, TLS and credentials an SMTP URL names."""
    # Every message here leaves the URL out: it may hold the password.
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("SMTP URL unreadable (expected smtp://user:password@host:port)") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise ValueError(f"SMTP URL scheme {parts.scheme!r} unknown (smtp or smtps)")
    if not parts.hostname:
        raise ValueError("SMTP URL without a host")
    return SmtpServer(
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[parts.scheme],
        tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _refused(
    errors: dict[str, aiosmtplib.SMTPResponse],
) -> list[aiosmtplib.SMTPRecipientRefused]:
    return [
        aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
        for recipient, response in errors.items()
    ]


def _error(server: SmtpServer, exc: Exception) -> MailError:
    where = f"SMTP {server.host}:{server.port}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        reason = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        permanent = bool(codes) and all(code >= 500 for code in codes)
    elif isinstance(exc, aiosmtplib.SMTPResponseException):
        reason = f"{exc.code} {exc.message}"
        # Only a refusal of the recipient or of the content is this message's for good. A
        # refused login, sender or greeting is the operator's to fix, and then every message
        # goes out again.
        permanent = exc.code >= 500 and isinstance(
            exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError
        )
    elif isinstance(exc, TimeoutError):
        reason, permanent = f"no answer within {TIMEOUT:g} s", False
    else:
        reason, permanent = f"{type(exc).__name__}: {exc}", False
    if server.password:
        # Servers echo what they were sent, sometimes; a password must not ride along.
        reason = reason.replace(server.password, "***")
    return (MailRefused if permanent else MailError)(f"{where}: {reason}")
