"""The methodological booklet (« livret méthodologique RSE »): every awareness module of
/decouvrir in one PDF, to print or pass on. A title page with the modules and the date of the
edition, then each module: its summary, its steps with their « En savoir plus », its sources
with the date each was checked, its quiz and, after it, the answers explained.

``booklet_pdf`` is pure and synchronous (fpdf2, like the charts with matplotlib): the day is
given, never read from a clock, and the same content and day give the same bytes. The chat
builds it in a worker thread. The font is matplotlib's DejaVu Sans, which has every French
letter, « », € and …: fpdf2's own fonts are Latin-1 only.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from bot.conversation import Context
from bot.messages import Attachment, Reply
from bot.storage.models import utcnow
from content.awareness.models import Module
from content.loader import Content, Texts
from content.text import Text

# The words after /decouvrir that ask for the booklet rather than a module.
WORDS = frozenset({"livret", "booklet"})
PDF = "application/pdf"

FONT = "DejaVu"
_FACES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
# Colours: headings in a dark green, notes in grey.
GREEN = (20, 90, 60)
GREY = (90, 90, 90)
BLACK = (0, 0, 0)
# Line heights (mm) for body text and small print.
LINE = 5.5
SMALL = 4.5
# Room a heading needs below it, so that it never ends a page alone.
KEEP_WITH_NEXT = 30


def _date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


class _Booklet:
    """An A4 document whose every page but the first has « Page N sur M » at its foot, and the
    ways this booklet writes on it."""

    def __init__(self, texts: Texts) -> None:
        # Imported here, in the worker thread: fpdf2 (numpy, Pillow) and matplotlib take a
        # third of a second to import, which the bot's start and its other tests need not pay.
        import matplotlib
        from fpdf import FPDF

        self.texts = texts
        self.pdf = pdf = FPDF(format="A4")
        fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for style, name in _FACES.items():
            pdf.add_font(FONT, style, str(fonts / name))
        pdf.set_margins(20, 20, 20)
        pdf.set_auto_page_break(auto=True, margin=20)
        # FPDF calls its own footer() at the end of each page.
        pdf.footer = self.footer

    def footer(self) -> None:
        pdf = self.pdf
        if pdf.page_no() == 1:
            return
        pdf.set_y(-14)
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*GREY)
        line = self.texts.label(
            "awareness.booklet.footer", page=pdf.page_no(), total=pdf.str_alias_nb_pages
        )
        pdf.cell(0, SMALL, line, align="C")

    def rich(self, text: Text, height: float = LINE, size: float = 10.5) -> None:
        """A paragraph of spans in their bold and italic, links clickable; then a new line."""
        for span in text.spans:
            style = ("B" if span.bold else "") + ("I" if span.italic else "")
            self.pdf.set_font(FONT, style, size)
            self.pdf.write(height, span.text, link=span.link or "")
        self.pdf.ln(height)

    def keep_room(self, height: float = KEEP_WITH_NEXT) -> None:
        """A new page if this one has no room for ``height`` (by default, a heading and a few
        lines after it)."""
        if self.pdf.will_page_break(height):
            self.pdf.add_page()

    def height_of(self, texts: list[str], indent: float = 6) -> float:
        """How tall these paragraphs will be, in body text, indented: to keep them together."""
        self.pdf.set_font(FONT, "", 10.5)
        width = self.pdf.epw - indent
        lines = sum(
            len(self.pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES"))
            for text in texts
        )
        return lines * LINE

    def heading(self, text: str, size: float, *, colour: tuple[int, int, int] = GREEN) -> None:
        self.keep_room()
        self.pdf.set_font(FONT, "B", size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(*BLACK)
        self.pdf.ln(1.5)

    def indented(self, text: Text, indent: float = 6) -> None:
        pdf = self.pdf
        pdf.set_left_margin(pdf.l_margin + indent)
        pdf.set_x(pdf.l_margin)
        self.rich(text)
        pdf.set_left_margin(pdf.l_margin - indent)
        pdf.set_x(pdf.l_margin)


def _title_page(book: _Booklet, content: Content, locale: str, today: date) -> None:
    texts = book.texts
    book.pdf.add_page()
    book.pdf.set_y(70)
    book.pdf.set_font(FONT, "B", 26)
    book.pdf.set_text_color(*GREEN)
    book.pdf.multi_cell(0, 12, texts.label("awareness.booklet.title"), align="C", new_x="LMARGIN")
    book.pdf.ln(4)
    book.pdf.set_font(FONT, "", 13)
    book.pdf.set_text_color(*BLACK)
    book.pdf.multi_cell(0, 7, texts.label("awareness.booklet.subtitle"), align="C", new_x="LMARGIN")
    book.pdf.ln(3)
    book.pdf.set_font(FONT, "I", 11)
    book.pdf.set_text_color(*GREY)
    edition = texts.label("awareness.booklet.edition", date=_date(today))
    book.pdf.multi_cell(0, 6, edition, align="C", new_x="LMARGIN")
    book.pdf.set_text_color(*BLACK)
    book.pdf.ln(16)
    book.heading(texts.label("awareness.booklet.contents"), 13)
    for number, module in enumerate(content.modules.values(), start=1):
        line = texts("awareness.booklet.contents_line", number=number, title=module.title(locale))
        book.rich(line)
        book.pdf.set_text_color(*GREY)
        book.indented(Text.plain(module.summary(locale)))
        book.pdf.set_text_color(*BLACK)
        book.pdf.ln(1.5)
    book.pdf.ln(6)
    book.pdf.set_font(FONT, "", 9)
    book.pdf.set_text_color(*GREY)
    book.pdf.multi_cell(0, SMALL, texts.label("awareness.booklet.how_to"), new_x="LMARGIN")
    book.pdf.set_text_color(*BLACK)


def _module(book: _Booklet, module: Module, number: int, locale: str) -> None:
    texts = book.texts
    title = texts.label("awareness.booklet.module_title", number=number, title=module.title(locale))
    book.pdf.add_page()
    book.pdf.start_section(title)
    book.heading(title, 18)
    book.pdf.set_text_color(*GREY)
    book.rich(Text.plain(module.summary(locale)), size=11)
    book.rich(
        texts(
            "awareness.booklet.reviewed",
            reviewed=_date(module.reviewed),
            review_by=_date(module.review_by),
        ),
        height=SMALL,
        size=8.5,
    )
    book.pdf.set_text_color(*BLACK)
    book.pdf.ln(3)
    for index, step in enumerate(module.steps, start=1):
        book.heading(
            texts.label("awareness.booklet.step", number=index, count=len(module.steps)), 12
        )
        book.rich(Text.parse(step.text(locale)))
        if step.deeper is not None:
            book.pdf.ln(2)
            book.keep_room()
            book.pdf.set_text_color(*GREEN)
            book.indented(texts("awareness.booklet.deeper"))
            book.pdf.set_text_color(*BLACK)
            book.indented(Text.parse(step.deeper(locale)))
        book.pdf.ln(3)

    book.heading(texts.label("awareness.booklet.sources"), 12)
    for source in module.sources:
        line = texts(
            "awareness.booklet.source", title=source.name(locale), checked=_date(source.checked)
        )
        if source.url is not None:
            line = line + " " + Text.link(source.url, source.url)
        book.indented(Text.plain("• ") + line, indent=2)
    book.pdf.ln(3)

    book.heading(texts.label("awareness.booklet.quiz"), 12)
    for index, question in enumerate(module.quiz, start=1):
        # A question and its choices on one page.
        book.keep_room(book.height_of([question.question(locale)]) + LINE * len(question.choices))
        book.rich(
            texts("awareness.booklet.question", number=index, question=question.question(locale))
        )
        for letter, choice in zip("abcd", question.choices, strict=False):
            book.indented(Text.plain(f"{letter}) {choice.text(locale)}"))
        book.pdf.ln(2)

    book.heading(texts.label("awareness.booklet.answers"), 12)
    for index, question in enumerate(module.quiz, start=1):
        letters = dict(zip((choice.id for choice in question.choices), "abcd", strict=False))
        right = next(choice for choice in question.choices if choice.id == question.answer)
        book.keep_room(book.height_of([right.text(locale), question.explanation(locale)]))
        book.rich(
            texts(
                "awareness.booklet.answer",
                number=index,
                letter=letters[question.answer],
                answer=right.text(locale),
            )
        )
        book.indented(Text.plain(question.explanation(locale)))
        book.pdf.ln(2)


def booklet_pdf(content: Content, locale: str, *, today: date) -> bytes:
    """The booklet of every module in ``locale``, dated ``today``, as PDF bytes."""
    texts = content.texts(locale)
    book = _Booklet(texts)
    title = texts.label("awareness.booklet.title")
    book.pdf.set_title(title)
    book.pdf.set_author("rse-bot")
    book.pdf.set_subject(texts.label("awareness.booklet.subtitle"))
    book.pdf.set_lang(locale)
    # The edition's day, not the clock's instant: the same day gives the same file.
    book.pdf.set_creation_date(datetime(today.year, today.month, today.day, tzinfo=UTC))
    _title_page(book, content, locale, today)
    for number, module in enumerate(content.modules.values(), start=1):
        _module(book, module, number, locale)
    return bytes(book.pdf.output())


async def send_booklet(context: Context) -> Reply:
    """``/decouvrir livret``: the booklet as a PDF, built away from the event loop."""
    today = utcnow().astimezone(context.settings.tz).date()
    data = await asyncio.to_thread(booklet_pdf, context.content, context.locale, today=today)
    file = Attachment(context.texts.label("awareness.booklet.file_name"), PDF, data)
    return context.say("awareness.booklet.sent", attachments=[file])
