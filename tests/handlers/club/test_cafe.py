"""The « café RSE » (handlers/club/cafe.py): /club cafe through the router, opting in and out
per club; the monthly job on a fake clock pairing the opted-in members, each told their
partner through the outbox, once per month, without repeating a pair, never anyone who left
or opted out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest
from sqlmodel import func, select

from bot.app import App
from bot.storage import repositories as repo
from bot.storage.models import CafeMember, CafePair, Club, ClubCharter, Person
from bot.storage.session import Session
from handlers.club import cafe
from scheduler.jobs import JOBS
from tests.handlers.club.test_clubs import BOB, CHLOE, DORA, Newcomer, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.handlers.survey.test_waves_once import at_once
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued
from tests.scheduler.conftest import PARIS

ELISE = Newcomer("7391846035", "Élise Martin", "Biocoop Lyon")
BOB_ID, CHLOE_ID, DORA_ID, ELISE_ID = (n.user_id for n in (BOB, CHLOE, DORA, ELISE))
NAMES = {
    BOB_ID: "Bob Lefèvre (Scop Les Tisserands)",
    CHLOE_ID: "Chloé Durand (Fromagerie Berthaut)",
    DORA_ID: "Dora Meyer (Hydreos Conseil)",
    ELISE_ID: "Élise Martin (Biocoop Lyon)",
}


def first_of(month: int) -> datetime:
    """The 1st of ``month`` 2027 at 09:00 in Paris, when the job runs."""
    return datetime(2027, month, 1, 9, 0, tzinfo=PARIS)


@pytest.fixture
async def bourse(app: App) -> tuple[Chat, list[Chat]]:
    """Claire animates the Club BouRSE; Bob, Chloé, Dora and Élise joined it."""
    claire = await an_animator(app)
    return claire, await join_club(app, await create_club(claire), [BOB, CHLOE, DORA, ELISE])


async def opt_in(members: Sequence[Chat]) -> None:
    for member in members:
        await member.say("/club cafe oui")
        assert "vous participez au café RSE du club Club BouRSE" in member.text, member.text


async def pairing_messages(app: App) -> list[tuple[str, str]]:
    """Each café message queued: to which chat, and its text."""
    return [(chat_id, campaign.text) for chat_id, campaign in await queued(app, cafe.KIND)]


def partners(text: str) -> set[str]:
    """The chats whose person a café message names."""
    return {chat_id for chat_id, name in NAMES.items() if name in text}


async def person_id(app: App, name: str) -> int:
    async with app.database.transaction() as session:
        found = await session.scalar(select(Person.id).where(Person.display_name == name))
        assert found is not None
        return found


async def pairs_of_month(app: App, month: str) -> int:
    async with app.database.transaction() as session:
        count = await session.scalar(select(func.count(CafePair.id)).where(CafePair.month == month))
        return count or 0


# /club cafe


async def test_cafe_explains_itself_and_says_the_member_does_not_take_part_yet(
    bourse: tuple[Chat, list[Chat]],
) -> None:
    _, (bob, *_) = bourse
    await bob.say("/club café")

    assert "une fois par mois" in bob.text and "un café ou vous appeler" in bob.text
    assert "Rien n'est communiqué à personne d'autre" in bob.text
    assert "Vous arrêtez quand vous voulez" in bob.text
    assert "Club BouRSE : vous ne participez pas." in bob.text
    assert [b.label for b in bob.buttons] == ["Participer (Club BouRSE)"]


async def test_a_member_opts_in_with_the_button_and_out_with_non(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, (bob, *_) = bourse
    await bob.say("/club cafe")
    await bob.press("Participer (Club BouRSE)")

    assert "vous participez au café RSE du club Club BouRSE" in bob.text
    await bob.say("/club cafe")
    assert "Club BouRSE : vous participez." in bob.text
    assert [b.label for b in bob.buttons] == ["Ne plus participer (Club BouRSE)"]
    await bob.say("/club cafe non")
    assert "vous ne participez plus au café RSE du club Club BouRSE" in bob.text
    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count(CafeMember.id))) == 0


async def test_opting_in_twice_keeps_one_row(app: App, bourse: tuple[Chat, list[Chat]]) -> None:
    _, (bob, *_) = bourse
    await opt_in([bob, bob])

    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count(CafeMember.id))) == 1


async def test_a_member_of_two_clubs_chooses_the_club_by_button(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    claire, (bob, *_) = bourse
    code = await create_club(claire, "Club Achats responsables")
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")

    await bob.say("/club cafe oui")
    assert "Pour quel club ?" in bob.text
    assert [b.label for b in bob.buttons] == ["Club Achats responsables", "Club BouRSE"]
    await bob.press("Club Achats responsables")

    assert "café RSE du club Club Achats responsables" in bob.text
    await bob.say("/club cafe")
    assert "Club Achats responsables : vous participez." in bob.text
    assert "Club BouRSE : vous ne participez pas." in bob.text


async def test_an_unknown_word_gets_the_usage(bourse: tuple[Chat, list[Chat]]) -> None:
    _, (bob, *_) = bourse
    await bob.say("/club cafe peut-être")

    assert "/club cafe oui pour participer" in bob.text


async def test_someone_in_no_club_is_told_so(app: App, bourse: tuple[Chat, list[Chat]]) -> None:
    nadia = Chat(app, bourse[0].platform, "7391846090")
    await nadia.sign_up("Nadia Ferrand", "Ferrand Emballages")
    await nadia.say("/club cafe oui")

    assert "Vous ne faites partie d'aucun club" in nadia.text
    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count(CafeMember.id))) == 0


# The monthly job


async def test_each_member_is_told_and_sees_their_partner_with_cafe(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, members = bourse
    await opt_in(members)

    assert await cafe.pair_clubs(app, now=first_of(3)) == 4

    told = dict(await pairing_messages(app))
    assert sorted(told) == sorted(NAMES)
    seen = {}
    for member in members:
        text = told[member.user_id]
        assert "Café RSE du club Club BouRSE : votre binôme du mois est prêt" in text
        assert partners(text) == set()  # a stored message names nobody
        await member.press_value("/club cafe")
        (seen[member.user_id],) = partners(member.text) - {member.user_id}
    for chat_id, partner in seen.items():
        assert partner != chat_id and seen[partner] == chat_id


async def test_cafe_offers_to_exchange_contacts_with_the_partner(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, (bob, chloe, *_) = bourse
    await opt_in([bob, chloe])
    await cafe.pair_clubs(app, now=first_of(3))

    await bob.say("/club cafe")
    chloe_id = await person_id(app, "Chloé Durand")
    assert bob.button("Échanger nos coordonnées avec Chloé Durand").value == (
        f"/club relation {chloe_id}"
    )


async def test_a_partner_who_erases_their_data_is_gone_from_the_month(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, (bob, chloe, *_) = bourse
    await opt_in([bob, chloe])
    await cafe.pair_clubs(app, now=first_of(3))
    await chloe.say("/oublier")
    await chloe.press("Oui, tout effacer")

    await bob.say("/club cafe")
    assert "Chloé" not in bob.text
    assert all("Chloé" not in text for _, text in await pairing_messages(app))


async def test_an_odd_number_makes_a_trio(app: App, bourse: tuple[Chat, list[Chat]]) -> None:
    _, (bob, chloe, dora, _) = bourse
    await opt_in([bob, chloe, dora])

    await cafe.pair_clubs(app, now=first_of(3))

    told = dict(await pairing_messages(app))
    assert sorted(told) == [BOB_ID, CHLOE_ID, DORA_ID]
    for member in (bob, chloe, dora):
        assert "vous êtes trois" in told[member.user_id]
        await member.say("/club cafe")
        assert partners(member.text) == {BOB_ID, CHLOE_ID, DORA_ID} - {member.user_id}


async def test_running_twice_in_the_month_pairs_once(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, members = bourse
    await opt_in(members)

    counts = [
        await cafe.pair_clubs(app, now=first_of(3)),
        await cafe.pair_clubs(app, now=datetime(2027, 3, 20, 18, 0, tzinfo=PARIS)),
    ]

    assert counts == [4, 0]
    assert await pairs_of_month(app, "2027-03") == 2


async def test_two_instances_at_the_same_moment_pair_once(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, members = bourse
    await opt_in(members)
    async with app.database.transaction() as session:
        club_id = await session.scalar(select(Club.id))
    assert club_id is not None

    async def decide(session: Session) -> int:
        return await cafe.pair_club(
            session, app.settings, app.content, club_id=club_id, now=first_of(3)
        )

    assert sorted(await at_once(app, "INSERT INTO cafe_pairs", decide)) == [0, 4]
    assert await pairs_of_month(app, "2027-03") == 2
    assert len(await pairing_messages(app)) == 4


async def test_no_pair_meets_twice_before_everyone_has_met(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    """Four members make six pairs, two a month: three months, then it starts again."""
    _, members = bourse
    await opt_in(members)

    met = []
    for month in (3, 4, 5):
        await cafe.pair_clubs(app, now=first_of(month))
        for member in members:
            await member.say("/club cafe")
            met.append(frozenset({member.user_id, *partners(member.text)}))

    assert len(set(met)) == 6 and len(met) == 12  # each pair seen by both of its members
    await cafe.pair_clubs(app, now=first_of(6))
    assert await pairs_of_month(app, "2027-06") == 2


async def test_a_member_who_left_or_opted_out_is_not_paired(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, (bob, chloe, dora, elise) = bourse
    await opt_in([bob, chloe, dora, elise])
    await chloe.say("/club quitter")
    await dora.say("/club cafe non")

    await cafe.pair_clubs(app, now=first_of(3))

    told = dict(await pairing_messages(app))
    assert sorted(told) == [BOB_ID, ELISE_ID]
    await bob.say("/club cafe")
    assert partners(bob.text) == {ELISE_ID}
    # Chloé's opt-in went with her: back in the club one day, she would say again.
    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count(CafeMember.id))) == 2


async def test_a_member_yet_to_accept_a_new_charter_is_not_paired(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, (bob, chloe, dora, _) = bourse
    await opt_in([bob, chloe, dora])
    async with app.database.transaction() as session:
        club = await session.scalar(select(Club))
        assert club is not None and club.id is not None
        session.add(ClubCharter(club_id=club.id, version=2, text="Charte révisée : **respect**."))
    # Bob and Chloé accept it; Dora has not read it yet.
    for member in (bob, chloe):
        await member.say("/club")
        await member.press("Lire la charte de Club BouRSE")
        await member.press("J'accepte la charte")

    await cafe.pair_clubs(app, now=first_of(3))

    assert sorted(dict(await pairing_messages(app))) == [BOB_ID, CHLOE_ID]


async def test_a_club_with_fewer_than_two_participants_pairs_nobody(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    _, (bob, *_) = bourse
    await opt_in([bob])

    assert await cafe.pair_clubs(app, now=first_of(3)) == 0
    assert await pairs_of_month(app, "2027-03") == 0


async def test_the_pairs_count_for_the_yearly_report(
    app: App, bourse: tuple[Chat, list[Chat]]
) -> None:
    """A trio is one café proposed, as a pair is."""
    _, (bob, chloe, dora, elise) = bourse
    await opt_in([bob, chloe, dora])
    await cafe.pair_clubs(app, now=first_of(3))
    await opt_in([elise])
    await cafe.pair_clubs(app, now=first_of(4))

    await cafe.pair_clubs(app, now=datetime(2028, 1, 1, 9, 0, tzinfo=PARIS))

    async with app.database.transaction() as session:
        club_id = await session.scalar(select(Club.id))
        assert club_id is not None
        counts = [
            await repo.cafe_pair_count(
                session,
                club_id=club_id,
                start=datetime(year, 1, 1, tzinfo=PARIS),
                end=datetime(year + 1, 1, 1, tzinfo=PARIS),
            )
            for year in (2026, 2027, 2028)
        ]
    assert counts == [0, 3, 2]


def test_the_job_runs_on_the_first_of_each_month_at_nine() -> None:
    spec = next(spec for spec in JOBS if spec.id == "cafe-pairing")

    fires = spec.trigger(PARIS).get_next_fire_time(None, datetime(2027, 3, 15, 12, tzinfo=PARIS))

    assert fires == datetime(2027, 4, 1, 9, 0, tzinfo=PARIS)
