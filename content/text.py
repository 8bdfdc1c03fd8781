"""Text as the content writes it: light markup (``**gras**``, ``__italique__``,
``[texte](https://lien)``) kept as styled spans, and the one way to fold words to compare what
people type with the content and with each other. Depends on nothing of the bot."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_ACCENTS = re.compile(r"[\u0300-\u036f]+")


def fold(text: str) -> str:
    """Lower-case, accent-free, space-collapsed text, to compare what people type with the
    content and with each other: « Économie » and « economie » compare equal."""
    # NFKD splits "é" into "e" and a combining accent, which goes. Written with C-level calls
    # only: every item goes through here, and a str.translate table was 3 to 5 times slower.
    text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    # Ligatures NFKD keeps whole, which a French reader takes as two letters.
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    return " ".join(text.casefold().split())


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
