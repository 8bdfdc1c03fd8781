"""A member's personal calendar feed: ``RSEBOT_PUBLIC_URL/agenda/TOKEN.ics``, which Google
Agenda, Outlook or Apple Calendar read again by themselves, so that a new date, a new place or a
cancellation reaches the member's calendar without any file to open.

The token is the only key: whoever has the address sees the events, until the member renews it
(``/club agenda``). The server keeps no access log and this module never logs the token; an
unknown token and a renewed one get the same 404.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from aiohttp import web

from bot.config import Settings
from bot.storage import repositories as repo
from bot.storage.models import Club, Pole, utcnow
from bot.storage.session import Session
from bot.transports.http import Route
from content.loader import Content
from handlers.events import calendar
from handlers.events.invitations import invitation
from handlers.language import texts_for

# The route of the bot's HTTP server; a token is what secrets.token_urlsafe writes.
PATH = "/agenda/{token:[A-Za-z0-9_-]{16,64}}.ics"
# How far back the feed goes: last term's meetings stay in the calendar, older ones go.
PAST = timedelta(days=90)
# Private: a proxy or a shared cache must not keep one member's events for others.
HEADERS = {"Cache-Control": "private, no-cache"}

Transaction = Callable[[], AbstractAsyncContextManager[Session]]


def address(settings: Settings, token: str) -> str:
    """The feed's subscription address: under RSEBOT_PUBLIC_URL, which must be set."""
    assert settings.public_url is not None
    return f"{settings.public_url}/agenda/{token}.ics"


async def calendar_of(
    session: Session, settings: Settings, content: Content, *, token: str
) -> bytes | None:
    """The feed ``token`` opens: its owner's events from ``PAST`` ago on (their clubs' meetings,
    scheduled or cancelled), each with the PARTSTAT of their answer; None for a token that
    opens nothing."""
    person = await repo.feed_owner(session, token=token)
    if person is None or person.id is None:
        return None
    events = await repo.person_events(session, person_id=person.id, since=utcnow() - PAST)
    invitations = []
    for event, answer in events:
        # Both are in the session's identity map after the first event of a pôle or a club.
        pole = await session.get(Pole, event.pole_id)
        club = await session.get(Club, event.club_id) if event.club_id is not None else None
        assert pole is not None
        method = "CANCEL" if event.status == "cancelled" else "REQUEST"
        invitations.append(
            invitation(
                settings, event, pole=pole, club=club, person=person, answer=answer, method=method
            )
        )
    texts = texts_for(content, settings, person)
    return calendar.feed(invitations, name=texts.label("club.agenda.calendar_name"))


def route(transaction: Transaction, settings: Settings, content: Content) -> Route:
    """The HTTP route serving the feeds, each read in a transaction of ``transaction``."""

    async def serve(request: web.Request) -> web.Response:
        async with transaction() as session:
            data = await calendar_of(session, settings, content, token=request.match_info["token"])
        if data is None:
            raise web.HTTPNotFound(headers=HEADERS)
        return web.Response(
            body=data, content_type="text/calendar", charset="utf-8", headers=HEADERS
        )

    return serve
