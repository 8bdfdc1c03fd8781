"""What every transport shares: the sending contract, delivery errors, pacing and chunking."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal, Protocol, TypeVar

from bot.messages import Incoming, Platform, Reply, Text

logger = logging.getLogger(__name__)
T = TypeVar("T")

Handle = Callable[[Incoming], Awaitable[list[Reply]]]
# Called when a platform says an account can no longer be reached (blocked the bot...).
OnUnreachable = Callable[[Platform, str, str], Awaitable[None]]


class Transport(Protocol):
    platform: Platform

    async def start(self, *, receive: bool = True) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver ``reply``, waiting out the platform's limits; raise DeliveryError if it can't."""


class CredentialsRefused(Exception):
    """The platform refused the bot's credentials at start; the message says which setting to
    check, in French, and never holds the secret itself."""


class DeliveryError(Exception):
    """A message could not be delivered; ``permanent`` ones must not be retried."""

    permanent = False


class Unreachable(DeliveryError):
    """The account or chat can no longer receive messages (blocked bot, deleted chat...)."""

    permanent = True


class Refused(DeliveryError):
    """The platform refused this message for good (malformed, too big...)."""

    permanent = True


# How late a turn may be and still keep to the schedule (see Pacer.wait).
CATCH_UP = 0.005


class Pacer:
    """Spaces events ``interval`` seconds apart, in the order they asked: any n + 1 consecutive
    events span at least n x interval - CATCH_UP."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._queue = asyncio.Lock()
        # Held by whoever is sending to the chat: one message in flight per chat keeps the
        # spacing true even when a send is retried after a 429.
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        # The next turn is counted from when this one was due, not from when the loop woke us:
        # every sleep ends late (epoll rounds up to the millisecond, a busy loop adds more), and
        # counting from the wake-up lost that much at every turn, 20 % at 300/s. A turn later
        # than CATCH_UP counts from now less CATCH_UP: after the event loop has been held up,
        # late turns must not leave in a burst.
        # A loop rather than one sleep: defer() may push the turn back while we sleep.
        async with self._queue:
            while (delay := self._next - time.monotonic()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(delay)
            self._next = max(self._next, time.monotonic() - CATCH_UP) + self.interval

    def defer(self, seconds: float) -> None:
        """The platform asked us to hold off: no event before ``seconds`` from now."""
        self._next = max(self._next, time.monotonic() + seconds)

    @property
    def idle(self) -> bool:
        return self._next < time.monotonic() and not (self.lock.locked() or self._queue.locked())


class Pacers:
    """One Pacer per chat, forgotten once idle so that the map stays small."""

    def __init__(self, interval: Callable[[str], float]) -> None:
        self._interval = interval
        self._pacers: dict[str, Pacer] = {}

    def __getitem__(self, key: str) -> Pacer:
        pacer = self._pacers.get(key)
        if pacer is None:
            if len(self._pacers) > 10_000:
                self._pacers = {k: p for k, p in self._pacers.items() if not p.idle}
            pacer = self._pacers[key] = Pacer(self._interval(key))
        return pacer


@dataclass(frozen=True)
class RetryPolicy:
    transient_attempts: int = 5
    flood_attempts: int = 20
    backoff: float = 0.5


@dataclass(frozen=True)
class Failure:
    """How a platform error is to be treated: ``flood`` (wait ``delay``, retry), ``transient``
    (back off, retry), ``unreachable`` (mark the account, give up) or ``refused`` (give up)."""

    kind: Literal["flood", "transient", "unreachable", "refused"]
    delay: float = 0.0


async def deliver(
    request: Callable[[], Awaitable[T]],
    *,
    chat_id: str,
    chat: Pacer,
    everyone: Pacer | None,
    classify: Callable[[Exception], Failure | None],
    policy: RetryPolicy,
    on_unreachable: Callable[[str, str], Awaitable[None]],
    on_retry: Callable[[str], None],
) -> T:
    """Make one API call to ``chat_id`` within the chat's and the platform's pace, retrying
    what can be; ``on_unreachable(chat_id, reason)`` hears of chats that are gone, and
    ``on_retry`` of each call tried again, ``"rate_limited"`` (429) or ``"unavailable"``."""
    transient = flood = 0
    async with chat.lock:
        while True:
            await chat.wait()
            if everyone is not None:
                await everyone.wait()
            try:
                return await request()
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                error = exc
            if failure.kind == "flood":
                flood += 1
                logger.warning("rate limited, retrying in %.1f s: %s", failure.delay, error)
                if flood >= policy.flood_attempts:
                    raise DeliveryError(f"still rate limited: {error}") from error
                on_retry("rate_limited")
                chat.defer(failure.delay)
                if everyone is not None:
                    everyone.defer(failure.delay)
            elif failure.kind == "transient":
                transient += 1
                if transient >= policy.transient_attempts:
                    raise DeliveryError(f"unavailable: {error}") from error
                on_retry("unavailable")
                await asyncio.sleep(policy.backoff * 2 ** (transient - 1))
            elif failure.kind == "unreachable":
                await on_unreachable(chat_id, str(error))
                raise Unreachable(str(error)) from error
            else:
                raise Refused(str(error)) from error


def coalesce(replies: list[Reply]) -> list[Reply]:
    """Join consecutive replies into one message until one carries buttons or files.

    Platforms limit messages per chat to about one a second: a confirmation followed by the
    next question is better sent as one message than as two a second apart.
    """
    merged: list[Reply] = []
    for reply in replies:
        previous = merged[-1] if merged else None
        if previous is not None and not previous.buttons and not previous.attachments:
            merged[-1] = replace(reply, text=previous.text + "\n\n" + reply.text)
        else:
            merged.append(reply)
    return merged


def chunk(text: Text, render: Callable[[Text], str], limit: int) -> list[str]:
    """Render ``text`` in pieces of at most ``limit`` characters, cut between paragraphs if
    possible, else between lines, else anywhere."""
    pieces: list[str] = []
    current = ""
    for separator, part in _parts(text, render, limit):
        rendered = render(part)
        candidate = f"{current}{separator}{rendered}" if current else rendered
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                pieces.append(current)
            current = rendered
    if current or not pieces:
        pieces.append(current)
    return pieces


def _parts(text: Text, render: Callable[[Text], str], limit: int) -> list[tuple[str, Text]]:
    """The pieces to pack, each with the separator that came before it."""
    parts: list[tuple[str, Text]] = []
    for paragraph in text.split("\n\n"):
        separator = "\n\n"
        for line in paragraph.split("\n"):
            if len(render(line)) <= limit:
                parts.append((separator, line))
            else:
                # Escaping can grow a character up to 5-fold (& → &amp;): cut small enough.
                pieces = line.cut(limit // 5)
                parts.append((separator, pieces[0]))
                parts.extend(("", piece) for piece in pieces[1:])
            separator = "\n"
    return parts
