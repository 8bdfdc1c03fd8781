"""E-mail as an outbox platform: an event's invitation, update or cancellation queued for a
member's address (``Platform.EMAIL``, the address as chat_id) leaves as a real iTIP message, which
calendars apply to the event they hold instead of importing a copy.

Only messages carrying a calendar file go this way: the rest of what the bot says stays in the
chats. Each message is one SMTP session (a few a day, no connection worth keeping open), and
nothing is ever received here.
"""

from __future__ import annotations

import logging
from email.utils import formataddr

from icalendar import Calendar

from bot.messages import Platform, Reply
from bot.transports.base import Refused
from bot.transports.console import render
from handlers.events.mail import itip_message, send

logger = logging.getLogger(__name__)

CALENDAR_TYPE = "text/calendar"


class MailTransport:
    platform = Platform.EMAIL

    def __init__(self, *, smtp_url: str, sender: str) -> None:
        # Never logged nor put in an error: it holds the mail account's password.
        self._smtp_url = smtp_url
        self.sender = sender

    async def start(self, *, receive: bool = True) -> None:
        """Nothing to open or listen to: each message connects on its own."""

    async def stop(self) -> None:
        """Nothing held open."""

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Mail ``reply``'s calendar file to the address ``chat_id``, its text as the body.

        Refused (recorded as failed) for a message without a calendar file or with one that is
        no invitation, and when the server refuses the address for good; any other failure
        (server down, mailbox full) is a MailError, which the outbox tries again later.
        """
        calendar = next((a for a in reply.attachments if a.mime_type == CALENDAR_TYPE), None)
        if calendar is None:
            raise Refused("only calendar invitations go by e-mail")
        try:
            summary, attendee = _summary_and_attendee(calendar.data)
            message = itip_message(
                calendar.data,
                sender=self.sender,
                recipient=formataddr((attendee, chat_id)),
                subject=summary,
                # The answer buttons are the chat's: calendars bring their own.
                text=render(reply.text),
            )
        except ValueError as exc:
            raise Refused(f"calendar file unusable: {exc}") from None
        await send(message, smtp_url=self._smtp_url)


def _summary_and_attendee(data: bytes) -> tuple[str, str]:
    """The event's title, the mail's subject, and its attendee's name, for the To header."""
    events = Calendar.from_ical(data).events
    if not events:
        raise ValueError("no event in the calendar file")
    # One attendee per invitation: the member it was built for.
    attendees = events[0].attendees
    return events[0].summary or "", attendees[0].name if attendees else ""
