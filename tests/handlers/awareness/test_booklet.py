"""The methodological booklet (handlers/awareness/booklet.py): every module in one PDF, read back
with pypdf: the title page and its date, each module's title, steps, « En savoir plus », sources
with their check dates, quiz and answers; numbered pages; the same day gives the same file; and
/decouvrir livret sends it, in French or in English."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date

import pytest
from pypdf import PdfReader

from bot.app import App
from bot.messages import Attachment, Platform
from content.loader import Content, load_content
from handlers.awareness.booklet import booklet_pdf
from tests.helpers.chat import Chat

DAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """The text with its line breaks as spaces: pypdf cuts lines where the page did."""
    return " ".join(text.split())


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def attachment(chat: Chat) -> Attachment:
    [file] = [a for reply in chat.replies for a in reply.attachments]
    return file


def test_the_french_booklet_holds_every_module_its_sources_and_its_answers(
    content: Content,
) -> None:
    data = booklet_pdf(content, "fr", today=DAY)
    text = flat(text_of(data))

    first = flat(pages(data)[0])
    assert first.startswith("Livret méthodologique RSE")
    assert "Édition du 01/12/2026" in first
    for number, module in enumerate(content.modules.values(), start=1):
        title = module.title("fr")
        assert f"{number}. {title}" in first
        assert f"Module {number} · {title}" in text
        assert flat(module.summary("fr")) in text
        for source in module.sources:
            assert flat(f"{source.name('fr')} (vérifié le {source.checked:%d/%m/%Y})") in text
        for question in module.quiz:
            assert flat(question.question("fr")) in text
            assert flat(question.explanation("fr")) in text
    assert text.count("Réponses du quiz") == len(content.modules)
    assert text.count("En savoir plus") >= len(content.modules)
    # Module 01's first step, its markup gone, and its first quiz answer.
    assert "La RSE, c'est la responsabilité sociétale de l'entreprise" in text
    assert "**" not in text
    assert "1. Réponse b) : 7" in text


def test_the_booklet_is_written_with_a_font_that_has_french_letters_quotes_and_the_euro(
    content: Content,
) -> None:
    text = flat(text_of(booklet_pdf(content, "fr", today=DAY)))

    assert "« En savoir plus »" in text
    assert "Étape 1 sur 4" in text
    assert "€" in text


def test_every_page_but_the_title_page_is_numbered(content: Content) -> None:
    found = pages(booklet_pdf(content, "fr", today=DAY))

    assert len(found) > len(content.modules)
    assert "page 1 sur" not in found[0]
    for number, page in enumerate(found[1:], start=2):
        assert page.rstrip().endswith(f"page {number} sur {len(found)}"), page[-80:]


def test_each_module_begins_a_page_named_in_the_outline(content: Content) -> None:
    reader = PdfReader(io.BytesIO(booklet_pdf(content, "fr", today=DAY)))

    titles = [item["/Title"] for item in reader.outline]
    assert titles == [
        f"Module {number} · {module.title('fr')}"
        for number, module in enumerate(content.modules.values(), start=1)
    ]
    for item, module in zip(reader.outline, content.modules.values(), strict=True):
        page = reader.pages[reader.get_destination_page_number(item)].extract_text()
        assert flat(page).startswith(f"Module {list(content.modules).index(module.id) + 1} ·")


def test_the_english_booklet_is_in_english(content: Content) -> None:
    text = flat(text_of(booklet_pdf(content, "en", today=DAY)))

    assert text.startswith("CSR methodological booklet")
    assert "Edition of 01/12/2026" in text
    for module in content.modules.values():
        assert module.title("en") in text
        assert flat(module.quiz[0].explanation("en")) in text
    assert text.count("Quiz answers") == len(content.modules)
    assert "(checked on 01/12/2026)" in text
    assert "Réponses du quiz" not in text


def test_the_same_day_gives_the_same_file_and_the_date_is_the_one_given(
    content: Content,
) -> None:
    first = booklet_pdf(content, "fr", today=DAY)

    assert booklet_pdf(content, "fr", today=DAY) == first
    later = booklet_pdf(content, "fr", today=date(2027, 3, 15))
    assert "Édition du 15/03/2027" in text_of(later)
    assert PdfReader(io.BytesIO(later)).metadata["/CreationDate"] == "D:20270315000000Z"
    assert PdfReader(io.BytesIO(first)).metadata.title == "Livret méthodologique RSE"


async def test_decouvrir_livret_sends_the_booklet_as_a_pdf(app: App) -> None:
    alice = Chat(app, Platform.CONSOLE, "alice")
    await alice.sign_up()

    await alice.say("/decouvrir livret")

    assert alice.text.startswith("Voici le livret méthodologique RSE")
    file = attachment(alice)
    assert (file.filename, file.mime_type) == ("livret-rse.pdf", "application/pdf")
    text = flat(text_of(file.data))
    assert text.startswith("Livret méthodologique RSE")
    for module in app.content.modules.values():
        assert module.title("fr") in text
    # Asking for it does not open a module: no flow, /decouvrir still lists them.
    assert alice.buttons == []
    await alice.say("/decouvrir")
    assert alice.text.startswith("Découvrir la RSE")


async def test_the_booklet_comes_in_the_members_language(app: App) -> None:
    alice = Chat(app, Platform.CONSOLE, "alice")
    await alice.sign_up()
    await alice.say("/langue en")

    await alice.say("/decouvrir booklet")

    file = attachment(alice)
    assert file.filename == "booklet-csr.pdf"
    assert text_of(file.data).startswith("CSR methodological booklet")


async def test_the_booklet_is_for_members(app: App) -> None:
    stranger = Chat(app, Platform.CONSOLE, "bob")

    await stranger.say("/decouvrir livret")

    assert all(reply.attachments == () for reply in stranger.replies)


def test_importing_the_feature_imports_neither_fpdf_nor_matplotlib() -> None:
    # They load in the worker thread that builds the booklet, not at the bot's start.
    script = (
        "import handlers.awareness, sys; print('fpdf' in sys.modules, 'matplotlib' in sys.modules)"
    )

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert done.stdout.strip() == "False False"


async def test_the_modules_list_offers_the_booklet(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("/decouvrir")
    assert chat.button("📘 Le livret (PDF)").value == "/decouvrir livret"
