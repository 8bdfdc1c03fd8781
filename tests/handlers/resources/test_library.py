"""/ressources (handlers/resources/library.py): the booklet, the two templates and the pôle's
added documents in one numbered list, each sent on request; animators add a document (a file,
then its title) and remove one; members of another pôle never see it; the list answers in a
group chat, adding does not."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from bot.app import App
from bot.messages import Attachment, Platform
from bot.storage import repositories as repo
from bot.storage.models import ResourceFile, Upload
from tests.helpers.chat import Chat

SPECIFICATION = "Cahier des charges : projet de mise en lumière responsable"
GRID = "Grille d'évaluation : faisabilité d'un projet de mise en lumière responsable"
SLIDES = b"%PDF-1.4 diaporama de l'atelier achats responsables, 12 diapositives"


async def people(app: App) -> tuple[Chat, Chat]:
    """Claire, an animator of the pôle, and Bob, a member."""
    claire = Chat(app, Platform.SLACK, "U07CLAIRE")
    await claire.sign_up("Claire Roux", "Pôle Végépolys")
    await claire.grant("animator")
    bob = Chat(app, Platform.TELEGRAM, "7100200300")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    return claire, bob


def attachment(chat: Chat) -> Attachment:
    [file] = [a for reply in chat.replies for a in reply.attachments]
    return file


async def add_slides(claire: Chat, title: str | None = None) -> None:
    await claire.say("/ressources ajouter")
    await claire.send_file("atelier_achats-responsables.pdf", SLIDES)
    if title is None:
        await claire.press("Garder « atelier achats responsables »")
    else:
        await claire.say(title)


async def test_the_list_offers_the_booklet_and_both_templates(app: App) -> None:
    _, bob = await people(app)

    await bob.say("/ressources")

    assert bob.text.startswith("Ressources : des documents à recevoir ici")
    assert "1. Le livret méthodologique RSE (PDF)" in bob.text
    assert f"2. {SPECIFICATION} (DOCX) : Une trame prête à l'emploi" in bob.text
    assert f"3. {GRID} (XLSX) : Une grille pour noter" in bob.text
    assert "Les animateurs du pôle n'ont pas encore ajouté de document." in bob.text
    assert [button.value for button in bob.buttons] == [
        "/ressources livret",
        "/ressources cahier_des_charges_lumiere",
        "/ressources grille_evaluation_lumiere",
    ]
    assert "/ressources ajouter" not in bob.text


async def test_the_specification_arrives_as_a_word_document(app: App) -> None:
    _, bob = await people(app)
    await bob.say("/ressources")

    await bob.press(f"2. {SPECIFICATION}"[:60])

    file = attachment(bob)
    assert file.filename == "cahier-des-charges-mise-en-lumiere-responsable.docx"
    assert file.mime_type.endswith("wordprocessingml.document")
    headings = [p.text for p in Document(io.BytesIO(file.data)).paragraphs if p.text]
    assert headings[0] == SPECIFICATION
    assert "3. Sobriété lumineuse" in headings
    assert f"Voici « {SPECIFICATION} » (DOCX), à compléter." in bob.text


async def test_the_grid_arrives_by_its_number_in_english_for_an_english_member(
    app: App,
) -> None:
    _, bob = await people(app)
    await bob.say("/langue en")

    await bob.say("/ressources 3")

    file = attachment(bob)
    assert file.filename == "responsible-lighting-evaluation-grid.xlsx"
    sheet = load_workbook(io.BytesIO(file.data)).active
    assert sheet is not None
    assert sheet["A1"].value == "Evaluation grid: feasibility of a responsible lighting project"
    assert sheet["B5"].value == "Score (0 to 3)"


async def test_the_booklet_is_one_of_the_resources(app: App) -> None:
    _, bob = await people(app)

    await bob.say("/ressources livret")

    file = attachment(bob)
    assert (file.filename, file.mime_type) == ("livret-rse.pdf", "application/pdf")
    assert file.data.startswith(b"%PDF")


async def test_an_unknown_document_is_said_and_the_list_shown(app: App) -> None:
    _, bob = await people(app)

    await bob.say("/ressources 9")

    assert bob.text.startswith("Je n'ai pas de document « 9 ». Voici ceux que je peux")
    assert "1. Le livret méthodologique RSE (PDF)" in bob.text
    assert all(reply.attachments == () for reply in bob.replies)


async def test_an_animator_adds_a_document_that_members_receive(app: App) -> None:
    claire, bob = await people(app)

    await add_slides(claire)

    assert claire.text == (
        "« atelier achats responsables » est ajouté aux ressources du pôle : les membres le "
        "trouvent dans /ressources (n° 4)."
    )
    await bob.say("/ressources")
    assert "Documents du pôle :\n4. atelier achats responsables" in bob.text
    await bob.press("4. atelier achats responsables")
    file = attachment(bob)
    assert (file.filename, file.data) == ("atelier_achats-responsables.pdf", SLIDES)
    assert bob.text == "Voici « atelier achats responsables », ajouté par les animateurs du pôle."


async def test_the_animator_may_give_the_document_a_title(app: App) -> None:
    claire, bob = await people(app)

    await add_slides(claire, title="Diaporama : achats responsables (atelier du 12 mars)")

    await bob.say("/ressources")
    assert "4. Diaporama : achats responsables (atelier du 12 mars)" in bob.text


async def test_the_file_waits_for_its_title_as_a_draft_and_then_leaves_no_upload(
    app: App,
) -> None:
    claire, _ = await people(app)
    await claire.say("/ressources ajouter")
    await claire.send_file("grille-fournisseurs.xlsx", b"PK tableur des fournisseurs")
    async with app.database.transaction() as session:
        assert len(list(await session.scalars(select(Upload)))) == 1

    await claire.say("Grille des fournisseurs")

    async with app.database.transaction() as session:
        assert list(await session.scalars(select(Upload))) == []
        [added] = list(await session.scalars(select(ResourceFile)))
    assert (added.title, added.data) == ("Grille des fournisseurs", b"PK tableur des fournisseurs")


async def test_text_instead_of_the_file_asks_for_the_file(app: App) -> None:
    claire, _ = await people(app)
    await claire.say("/ressources ajouter")

    await claire.say("le diaporama de l'atelier")

    assert claire.text.startswith("J'attends un fichier : envoyez le document en pièce jointe")


async def test_members_cannot_add_or_remove(app: App) -> None:
    claire, bob = await people(app)
    await add_slides(claire)

    for command in ("/ressources ajouter", "/ressources retirer 4"):
        await bob.say(command)
        assert "réservée aux personnes ayant le rôle animateur" in bob.text

    await bob.say("/ressources")
    assert "4. atelier achats responsables" in bob.text


async def test_an_animator_removes_a_document_of_the_pole_only(app: App) -> None:
    claire, bob = await people(app)
    await add_slides(claire)

    await claire.say("/ressources retirer 2")
    assert claire.text.startswith("Le document n° 2 n'est pas un document ajouté par le pôle")
    await claire.say("/ressources retirer 4")

    assert claire.text == "« atelier achats responsables » est retiré des ressources du pôle."
    await bob.say("/ressources")
    assert "atelier achats responsables" not in bob.text
    assert f"2. {SPECIFICATION}" in bob.text


async def test_another_poles_members_never_see_the_document(app: App) -> None:
    claire, _ = await people(app)
    await add_slides(claire)
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    bruno = Chat(app, Platform.SLACK, "U07KLEIN")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.grant("animator")

    await bruno.say("/ressources")
    assert "atelier achats responsables" not in bruno.text
    await bruno.say("/ressources f1")
    assert bruno.text.startswith("Je n'ai pas de document « f1 »")
    await bruno.say("/ressources retirer f1")
    assert bruno.text.startswith("Le document n° f1 n'est pas un document ajouté par le pôle")


async def test_the_list_answers_in_a_group_but_adding_does_not(app: App) -> None:
    claire, _ = await people(app)
    group = claire.in_group("C07CLUBRSE")

    await group.say("/ressources")
    assert "2. Cahier des charges" in group.text
    await group.say("/ressources ajouter")
    assert group.text == "Ajouter ou retirer un document se fait en message privé avec le bot."
