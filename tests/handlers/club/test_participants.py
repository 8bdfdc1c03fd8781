"""/club participants through the router: the headcount by answer, the names with their
companies and the sign-in sheet (CSV for French Excel, XLSX to print), for the pôle's
animators and the host company's leaders; nothing for anyone else."""

import csv
import io

import openpyxl
import pytest

from bot.app import App
from bot.messages import Attachment, Platform
from tests.handlers.club import test_meetings
from tests.handlers.club.test_meetings import meeting_id, plan_meeting
from tests.helpers.chat import Chat
from tests.helpers.rows import new_pole

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club


@pytest.fixture
async def meeting(app: App, club: tuple[Chat, Chat, Chat]) -> int:
    """The Club BouRSE meets at Scop Les Tisserands (Bob's company) on 12/03/2027; Bob comes,
    Chloé has not answered."""
    claire, bob, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    number = await meeting_id(app)
    await bob.say(f"/club rsvp {number} oui")
    return number


def attachment(chat: Chat, extension: str) -> Attachment:
    (found,) = [
        file
        for reply in chat.replies
        for file in reply.attachments
        if file.filename.endswith(extension)
    ]
    return found


async def test_an_animator_sees_the_headcount_and_names_by_answer(
    club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club participants {meeting}")

    assert "Participants — Club BouRSE : Bilan carbone des PME industrielles" in claire.text
    assert "Le 12/03/2027 09:30, chez Scop Les Tisserands" in claire.text
    assert "Je viens : 1 · Peut-être : 0 · Je ne viens pas : 0 · Sans réponse : 1" in claire.text
    assert "Places prises : 1 sur 20" in claire.text
    coming = claire.text.split("Je viens (1)")[1].split("Sans réponse (1)")
    assert "• Bob Lefèvre (Scop Les Tisserands)" in coming[0]
    assert "• Chloé Durand (Fromagerie Berthaut)" in coming[1]
    # Dora refused the charter: she is not invited.
    assert "Dora" not in claire.text


async def test_the_waiting_list_is_counted_and_listed_apart(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, chloe = club
    await plan_meeting(claire, capacity="1")
    await claire.press("Inviter")
    number = await meeting_id(app)
    await bob.say(f"/club rsvp {number} oui")
    await chloe.say(f"/club rsvp {number} oui")

    await claire.say(f"/club participants {number}")

    assert "Je viens : 1 · Peut-être : 0" in claire.text
    assert "Liste d'attente : 1" in claire.text
    assert "Liste d'attente (1)\n• Chloé Durand (Fromagerie Berthaut)" in claire.text


async def test_the_csv_sign_in_sheet_opens_in_french_excel(
    club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club participants {meeting}")

    sheet = attachment(claire, ".csv")
    assert sheet.filename == "emargement-club-bourse-2027-03-12.csv"
    assert sheet.mime_type == "text/csv"
    assert sheet.data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in sheet.data
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [
        ["Nom", "Entreprise", "Réponse", "Signature"],
        ["Bob Lefèvre", "Scop Les Tisserands", "Je viens", ""],
        ["Chloé Durand", "Fromagerie Berthaut", "Sans réponse", ""],
    ]


async def test_the_xlsx_sign_in_sheet_is_ready_to_print(
    club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club participants {meeting}")

    workbook = openpyxl.load_workbook(io.BytesIO(attachment(claire, ".xlsx").data))
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A1"].value == (
        "Feuille d'émargement — Club BouRSE : Bilan carbone des PME industrielles"
    )
    assert sheet["A1"].font.b
    assert [sheet.cell(row, 1).value for row in (2, 3, 4)] == [
        "Le 12/03/2027 09:30",
        "Chez Scop Les Tisserands",
        "Lieu : 12 rue des Tisserands, 74000 Annecy",
    ]
    header = [cell.value for cell in sheet[6]]
    assert header == ["Nom", "Entreprise", "Réponse", "Signature"]
    assert all(cell.font.b for cell in sheet[6])
    assert [cell.value for cell in sheet[7]] == [
        "Bob Lefèvre",
        "Scop Les Tisserands",
        "Je viens",
        None,
    ]
    assert sheet["A8"].value == "Chloé Durand"
    # Room for five people who come unannounced, framed like the others.
    assert sheet.max_row == 13 and sheet["D13"].border.bottom.style == "thin"
    assert sheet.column_dimensions["D"].width == 30
    assert sheet.column_dimensions["B"].width > len("Scop Les Tisserands")
    assert sheet.print_title_rows == "$6:$6"
    assert sheet.page_setup.fitToWidth == 1


async def test_a_leader_of_the_host_company_sees_the_participants(
    club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    _, bob, _ = club
    # Without a number, the meetings whose participants one may see.
    await bob.say("/club participants")
    await bob.press("12/03/2027 09:30 — Bilan carbone")

    assert "Je viens : 1" in bob.text
    assert attachment(bob, ".xlsx")


async def test_a_member_of_another_company_learns_nothing(
    club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    _, _, chloe = club
    await chloe.say(f"/club participants {meeting}")
    told_of_a_real_meeting = chloe.replies
    await chloe.say(f"/club participants {meeting + 40}")

    assert told_of_a_real_meeting == chloe.replies
    assert "Je ne connais pas cette réunion" in chloe.text
    await chloe.say("/club participants")
    assert "Je ne vois aucune réunion" in chloe.text


async def test_an_animator_of_another_pole_learns_nothing(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    other = await new_pole(app, "Cluster Lumière Grand Est")
    eve = Chat(app, Platform.TELEGRAM, "7391846050")
    await eve.sign_up("Ève Garnier", "Scop Les Tisserands", "Industrie", code=other.invite_code)
    await eve.grant("animator")

    await eve.say(f"/club participants {meeting}")
    told_of_a_real_meeting = eve.replies
    await eve.say(f"/club participants {meeting + 40}")

    assert told_of_a_real_meeting == eve.replies
    assert "Je ne connais pas cette réunion" in eve.text
    await eve.say("/club participants")
    assert "Je ne vois aucune réunion" in eve.text
