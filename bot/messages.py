"""Our own message types: what a transport hands to the router, and what handlers answer.

Handlers only ever see these; each transport translates them to and from its platform.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from content.text import Span, Text

# Text and Span are the content's own formatted text, which replies carry.
__all__ = [
    "BUTTON_VALUE_MAX_BYTES",
    "CHAT_PLATFORMS",
    "Attachment",
    "Button",
    "ForwardedFrom",
    "Incoming",
    "IncomingFile",
    "Platform",
    "Reply",
    "Span",
    "Text",
]


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"
    # Not a chat: where the outbox sends calendar invitations by e-mail, its chat_id the
    # address. Nobody writes to the bot from there, and no account, conversation or broadcast
    # is ever on it.
    EMAIL = "email"


# Where people talk with the bot: their accounts, conversations and broadcasts are on these.
CHAT_PLATFORMS: tuple[Platform, ...] = (Platform.CONSOLE, Platform.TELEGRAM, Platform.SLACK)


_COMMAND = re.compile(r"^/(?P<name>[A-Za-zÀ-ÿ0-9_]+)(?:@\S+)?(?:\s+(?P<rest>.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file someone sent; fetched from the platform only when a step wants it."""

    filename: str
    mime_type: str
    size: int | None
    fetch: Callable[[], Awaitable[bytes]] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ForwardedFrom:
    """The channel a forwarded post came from: how a Telegram channel, where nobody can be
    told apart, is shown to the bot by one of its animators."""

    chat_id: str
    title: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: typed a text or a command, sent files, or pressed a button."""

    platform: Platform
    user_id: str
    chat_id: str
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    button: str | None = None
    display_name: str | None = None
    is_group: bool = False
    # A sticker, voice note or other media with no text: something we cannot read.
    unreadable: bool = False
    # Documents and photos, with their caption as text.
    files: tuple[IncomingFile, ...] = ()
    forwarded_from: ForwardedFrom | None = None

    @classmethod
    def typed(
        cls, platform: Platform, user_id: str, chat_id: str, text: str, **extra: object
    ) -> Incoming:
        """Build a message from typed text, recognising ``/commande@bot args``."""
        match = _COMMAND.match(text.strip())
        if match is None:
            return cls(platform, user_id, chat_id, text=text, **extra)  # type: ignore[arg-type]
        rest = (match["rest"] or "").strip()
        return cls(
            platform,
            user_id,
            chat_id,
            text=text,
            command=match["name"].lower(),
            args=tuple(rest.split()) if rest else (),
            **extra,  # type: ignore[arg-type]
        )

    def retyped(self, text: str) -> Incoming:
        """This message as if ``text`` had been typed here (a pressed command button): same
        account, same chat, same group or private conversation."""
        return Incoming.typed(
            self.platform,
            self.user_id,
            self.chat_id,
            text,
            display_name=self.display_name,
            is_group=self.is_group,
        )

    @classmethod
    def pressed(
        cls, platform: Platform, user_id: str, chat_id: str, value: str, **extra: object
    ) -> Incoming:
        """Build a message from a pressed button carrying ``value``."""
        return cls(platform, user_id, chat_id, button=value, **extra)  # type: ignore[arg-type]


BUTTON_VALUE_MAX_BYTES = 64


@dataclass(frozen=True, slots=True)
class Button:
    """A choice; ``value`` fits Telegram's 64-byte callback data, the smallest platform limit."""

    label: str
    value: str

    def __post_init__(self) -> None:
        if len(self.value.encode()) > BUTTON_VALUE_MAX_BYTES:
            raise ValueError(f"button value over {BUTTON_VALUE_MAX_BYTES} bytes: {self.value!r}")


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the bot: text, optional choices shown as buttons, optional files."""

    text: Text
    buttons: tuple[Button, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())
