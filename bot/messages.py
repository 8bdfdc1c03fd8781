"""Our own message types: what a transport hands to the router, and what handlers answer.

Handlers only ever see these; each transport translates them to and from its platform.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"


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


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    # The address the text links to (a watch item's article), shown as each platform shows links.
    link: str | None = None

    def with_text(self, text: str) -> Span:
        return Span(text, self.bold, self.italic, self.link)


_MARKUP = re.compile(
    r"\*\*(?P<bold>.+?)\*\*|__(?P<italic>.+?)__"
    r"|\[(?P<label>[^\[\]\n]+)\]\((?P<url>https?://[^\s()<>]+)\)",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Text:
    """Lightly formatted text: a sequence of spans, each plain, bold or italic.

    Values inserted into a template are never parsed as markup, so a name containing
    ``**`` or ``<b>`` comes out literally on every platform.
    """

    spans: tuple[Span, ...] = ()

    @classmethod
    def plain(cls, text: str) -> Text:
        return cls((Span(text),)) if text else cls()

    @classmethod
    def link(cls, label: str, url: str) -> Text:
        return cls((Span(label, link=url),))

    @classmethod
    def parse(cls, template: str) -> Text:
        """Parse ``**gras**``, ``__italique__`` and ``[texte](https://lien)`` into spans."""
        spans: list[Span] = []
        position = 0
        for match in _MARKUP.finditer(template):
            if match.start() > position:
                spans.append(Span(template[position : match.start()]))
            if match["bold"] is not None:
                spans.append(Span(match["bold"], bold=True))
            elif match["italic"] is not None:
                spans.append(Span(match["italic"], italic=True))
            else:
                spans.append(Span(match["label"], link=match["url"]))
            position = match.end()
        if position < len(template):
            spans.append(Span(template[position:]))
        return cls(tuple(spans))

    def format(self, values: Mapping[str, object]) -> Text:
        """Fill ``{placeholders}`` span by span, leaving the inserted values unparsed."""
        return Text(tuple(s.with_text(s.text.format_map(values)) for s in self.spans))

    def __add__(self, other: Text | str) -> Text:
        other_text = Text.plain(other) if isinstance(other, str) else other
        return Text(self.spans + other_text.spans)

    def __str__(self) -> str:
        return "".join(span.text for span in self.spans)

    def split(self, separator: str) -> list[Text]:
        """Cut at every ``separator`` (which may fall inside a span), keeping each span's style."""
        parts: list[list[Span]] = [[]]
        for span in self.spans:
            pieces = span.text.split(separator)
            for index, piece in enumerate(pieces):
                if index:
                    parts.append([])
                if piece:
                    parts[-1].append(span.with_text(piece))
        return [Text(tuple(part)) for part in parts]

    def cut(self, size: int) -> list[Text]:
        """Cut into pieces of at most ``size`` characters, keeping each span's style."""
        pieces: list[Text] = []
        current: list[Span] = []
        room = size
        for span in self.spans:
            text = span.text
            while text:
                taken, text = text[:room], text[room:]
                current.append(span.with_text(taken))
                room -= len(taken)
                if room == 0:
                    pieces.append(Text(tuple(current)))
                    current, room = [], size
        if current:
            pieces.append(Text(tuple(current)))
        return pieces

    @classmethod
    def join(cls, parts: Iterable[Text], separator: str = "\n") -> Text:
        result = cls()
        for index, part in enumerate(parts):
            result = part if index == 0 else result + separator + part
        return result


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
