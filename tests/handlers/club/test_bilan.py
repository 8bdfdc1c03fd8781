"""/club bilan through the router: the club's year (meetings held against the target,
participation at each, hosts) as text, a PNG chart and a CSV for French Excel; for the
club's members and the pôle's animators, nobody else."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Attachment, Platform
from bot.storage.models import (
    CafePair,
    Club,
    DirectoryEntry,
    Event,
    ExchangePost,
    Introduction,
    Person,
)
from tests.handlers.club import test_meetings
from tests.handlers.club.test_meetings import meeting_id, plan_meeting
from tests.helpers.chat import Chat
from tests.helpers.rows import new_pole

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club
# The meeting planned by plan_meeting starts on 12/03/2027 at 9:30 in Paris.
AFTER_THE_MEETING = datetime(2027, 3, 12, 14, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def held(app: App, club: tuple[Chat, Chat, Chat], time_machine: TimeMachineFixture) -> int:
    """The meeting of 12/03/2027 at Scop Les Tisserands, now over: Chloé said she comes."""
    claire, _, chloe = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    number = await meeting_id(app)
    await chloe.say(f"/club rsvp {number} oui")
    time_machine.move_to(AFTER_THE_MEETING, tick=False)
    return number


async def a_past_meeting(app: App, starts_at: datetime, host: str, status: str) -> None:
    """A meeting of an earlier year, before this chat existed."""
    async with app.database.transaction() as session:
        club = await session.scalar(select(Club))
        assert club is not None and club.id is not None
        session.add(
            Event(
                pole_id=club.pole_id,
                club_id=club.id,
                uid=f"{uuid.uuid4()}@rse-bot",
                status=status,
                title="Achats responsables",
                host_company=host,
                place="Annecy",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
            )
        )


def attachment(chat: Chat, extension: str, *, brought: bool = False) -> Attachment:
    """The meetings' file of this extension, or the one of what the club brought."""
    (found,) = [
        file
        for reply in chat.replies
        for file in reply.attachments
        if file.filename.endswith(extension) and ("-apports." in file.filename) == brought
    ]
    return found


def table(chat: Chat) -> list[list[str]]:
    data = attachment(chat, ".csv").data
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


async def test_attendance_recorded_gives_present_out_of_invited(
    club: tuple[Chat, Chat, Chat], held: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club presences {held}")
    await claire.say("1 2")
    await claire.press("Valider")

    await claire.say("/club bilan")

    assert "Bilan 2027 — Club BouRSE" in claire.text
    assert "Réunions tenues : 1 sur un objectif de 5 par an." in claire.text
    assert "Il manque 4 réunion(s) pour atteindre l'objectif" in claire.text
    assert (
        "• 12/03/2027, chez Scop Les Tisserands (Bilan carbone des PME industrielles) : "
        "2 présent(s) sur 2 invité(s)"
    ) in claire.text
    assert "Entreprises hôtes : Scop Les Tisserands." in claire.text
    assert table(claire) == [
        [
            "Date",
            "Thème",
            "Entreprise hôte",
            "Statut",
            "Invités",
            "Je viens",
            "Peut-être",
            "Présents",
            "Participation (%)",
        ],
        [
            "12/03/2027",
            "Bilan carbone des PME industrielles",
            "Scop Les Tisserands",
            "Tenue",
            *("2", "1", "0", "2", "100"),
        ],
    ]


async def test_the_chart_is_a_png_of_the_year(club: tuple[Chat, Chat, Chat], held: int) -> None:
    claire, _, _ = club
    await claire.say("/club bilan 2027")

    chart = attachment(claire, ".png")
    assert chart.filename == "bilan-club-bourse-2027.png"
    assert chart.mime_type == "image/png"
    assert chart.data.startswith(PNG_SIGNATURE)
    # The diagnostic's wide chart: 1000 × 600 pixels, in the PNG's header.
    assert int.from_bytes(chart.data[16:20]) == 1000 and int.from_bytes(chart.data[20:24]) == 600


async def test_without_attendance_the_yes_answers_count_and_it_says_so(
    club: tuple[Chat, Chat, Chat], held: int
) -> None:
    _, bob, _ = club
    # A member of the club sees the bilan too: counts and companies only.
    await bob.say("/club bilan")

    assert "1 « je viens » sur 2 invité(s) (présences non relevées)" in bob.text
    (_, row) = table(bob)
    assert row[5:] == ["1", "0", "", ""]


async def test_a_past_year_counts_held_meetings_not_cancelled_ones(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await a_past_meeting(app, datetime(2025, 6, 5, 7, 0, tzinfo=UTC), "Biocoop Lyon", "scheduled")
    await a_past_meeting(app, datetime(2025, 9, 18, 7, 0, tzinfo=UTC), "Hydreos", "cancelled")
    # 00:30 on 1 January 2026 in Paris, still 2025 in UTC: a meeting of 2026.
    await a_past_meeting(app, datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "Berthaut", "scheduled")

    await claire.say("/club bilan 2025")

    assert "Réunions tenues : 1 sur un objectif de 5 par an." in claire.text
    assert "L'objectif n'a pas été atteint : il a manqué 4 réunion(s)." in claire.text
    assert "Entreprises hôtes : Biocoop Lyon." in claire.text
    assert "Hydreos" not in claire.text and "Berthaut" not in claire.text
    assert [row[0] for row in table(claire)[1:]] == ["05/06/2025"]


async def test_a_year_without_meetings_says_so_without_files(
    club: tuple[Chat, Chat, Chat],
) -> None:
    claire, _, _ = club
    await claire.say("/club bilan 2024")

    assert "Aucune réunion n'a encore été tenue en 2024." in claire.text
    # Only what the club brought: nothing, that year.
    names = [file.filename for file in claire.replies[0].attachments]
    assert names == ["bilan-club-bourse-2024-apports.png", "bilan-club-bourse-2024-apports.csv"]
    assert "• Sujets proposés par les membres : 0" in claire.text


async def test_outsiders_learn_nothing_of_the_club(
    app: App, club: tuple[Chat, Chat, Chat], held: int
) -> None:
    other = await new_pole(app, "Cluster Lumière Grand Est")
    eve = Chat(app, Platform.TELEGRAM, "7391846050")
    await eve.sign_up("Ève Garnier", "Lumière Conseil", "Industrie", code=other.invite_code)
    await eve.grant("animator")
    dora = Chat(app, Platform.TELEGRAM, "7391846034")  # refused the club's charter

    await eve.say("/club bilan")
    await dora.say("/club bilan 2027")

    assert eve.replies == dora.replies
    assert "Vous ne faites partie d'aucun club" in dora.text
    assert not dora.replies[0].attachments


async def test_a_year_that_is_not_one_is_explained(club: tuple[Chat, Chat, Chat]) -> None:
    claire, _, _ = club
    await claire.say("/club bilan dernière")

    assert "/club bilan 2027 pour une autre année" in claire.text


async def test_the_report_counts_what_the_club_brought_in_the_year(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    await bob.say("/club sujet")
    await bob.say("Harcèlement au travail : comment former les managers ?")
    await bob.press("Anonymement")
    await bob.press("Envoyer")
    async with app.database.transaction() as session:
        (club_id,) = await session.scalars(select(Club.id))
        _, bob_id, chloe_id, *_ = await session.scalars(select(Person.id).order_by(Person.id))
        session.add(DirectoryEntry(club_id=club_id, subject="Certification ISO 14001"))
        session.add(CafePair(club_id=club_id, month="2026-12", first_id=bob_id, second_id=chloe_id))
        offer = "Prêt d'une salle de réunion pour 20 personnes"
        session.add(ExchangePost(club_id=club_id, person_id=chloe_id, kind="offer", text=offer))
        ask = "Un avis sur notre bilan carbone"
        session.add(ExchangePost(club_id=club_id, person_id=bob_id, kind="request", text=ask))
        session.add(
            Introduction(
                club_id=club_id,
                requester_id=bob_id,
                recipient_id=chloe_id,
                reason="Votre retour sur la salle",
                requester_contact="bob@tisserands.fr",
                recipient_contact="06 12 34 56 78",
                status="accepted",
                answered_at=datetime.now(UTC),
            )
        )
    year = datetime.now(UTC).year

    await claire.say(f"/club bilan {year}")

    for line in (
        "• Sujets proposés par les membres : 1",
        "• Sujets traités : 0",
        "• Entrées ajoutées à l'annuaire des compétences : 1",
        "• Mises en relation acceptées : 1",
        "• Offres de services (échange non marchand) : 1",
        "• Demandes de services : 1",
        "• Cafés RSE proposés : 1",
    ):
        assert line in claire.text, claire.text
    data = attachment(claire, ".csv", brought=True).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data, newline=""), delimiter=";"))
    assert rows[0] == ["Ce que le club a apporté", "Nombre"]
    assert ["Entrées de l'annuaire", "1"] in rows and ["Cafés RSE", "1"] in rows
    assert attachment(claire, ".png", brought=True).data.startswith(PNG_SIGNATURE)
