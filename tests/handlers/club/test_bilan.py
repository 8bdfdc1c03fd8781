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
from bot.storage.models import Club, Event
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


def attachment(chat: Chat, extension: str) -> Attachment:
    (found,) = [
        file
        for reply in chat.replies
        for file in reply.attachments
        if file.filename.endswith(extension)
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
    assert not claire.replies[0].attachments


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
