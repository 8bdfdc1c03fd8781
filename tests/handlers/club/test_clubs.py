"""/club through the router: an animator creates a club, members join with its code after
accepting its charter, leave; nothing of a club reaches someone who is not in it."""

from collections.abc import Sequence
from typing import NamedTuple

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import ClubCharter, ClubMember, OutboxMessage
from tests.helpers.chat import Chat


@pytest.fixture
async def claire(app: App) -> Chat:
    """The pôle's animator, who runs the club."""
    claire = Chat(app, Platform.TELEGRAM, "7391846031")
    await claire.sign_up("Claire Roux", "Pôle Mont-Blanc Industries")
    await claire.grant("animator")
    return claire


@pytest.fixture
async def bob(app: App) -> Chat:
    bob = Chat(app, Platform.TELEGRAM, "7391846032")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    return bob


async def create_club(animator: Chat, name: str = "Club BouRSE") -> str:
    """The new club's code."""
    await animator.say(f"/club creer {name}")
    assert "est créé" in animator.text, animator.text
    return animator.text.split("Son code : ")[1].split(".")[0]


async def members(app: App) -> list[tuple[int, str, int | None]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(ClubMember).order_by(ClubMember.id))
        return [(row.person_id, row.status, row.charter_version) for row in rows]


class Newcomer(NamedTuple):
    """Someone of the pôle a club test signs up: their Telegram user id, name and company, and
    the e-mail they give when the bot sends e-mail (else they skip the question)."""

    user_id: str
    name: str
    company: str
    email: str | None = None


BOB = Newcomer("7391846032", "Bob Lefèvre", "Scop Les Tisserands")
CHLOE = Newcomer("7391846033", "Chloé Durand", "Fromagerie Berthaut")
DORA = Newcomer("7391846034", "Dora Meyer", "Hydreos Conseil")


async def join_club(
    app: App, code: str, people: Sequence[Newcomer], refusing: Sequence[Newcomer] = ()
) -> list[Chat]:
    """``people`` sign up and join the club of ``code`` by accepting its charter, one after
    the other; then ``refusing`` sign up and refuse it. The chats of those who joined."""
    joined = []
    for newcomer in people:
        member = await read_charter(app, code, newcomer)
        await member.press("J'accepte la charte")
        joined.append(member)
    for newcomer in refusing:
        await (await read_charter(app, code, newcomer)).press("Je refuse")
    return joined


async def read_charter(app: App, code: str, newcomer: Newcomer) -> Chat:
    chat = Chat(app, Platform.TELEGRAM, newcomer.user_id)
    await chat.sign_up(newcomer.name, newcomer.company, email=newcomer.email)
    await chat.say(f"/club rejoindre {code}")
    return chat


async def test_a_member_joins_after_reading_and_accepting_the_charter(
    app: App, claire: Chat, bob: Chat
) -> None:
    code = await create_club(claire)
    await bob.say(f"/club rejoindre {code}")

    assert "lisez sa charte (version 1)" in bob.text
    assert "Confidentialité" in bob.text and "Entraide non marchande" in bob.text
    assert await members(app) == []
    await bob.press("J'accepte la charte")

    assert "Bienvenue dans le club Club BouRSE" in bob.text
    ((_, status, version),) = await members(app)
    assert (status, version) == ("member", 1)
    await bob.say("/club")
    assert "Club BouRSE : vous en êtes membre" in bob.text


async def test_the_acceptance_is_recorded_with_its_date(app: App, claire: Chat, bob: Chat) -> None:
    code = await create_club(claire)
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")

    async with app.database.transaction() as session:
        member = await session.scalar(select(ClubMember))
    assert member is not None and member.accepted_at is not None


async def test_refusing_the_charter_shows_nothing_of_the_club(
    app: App, claire: Chat, bob: Chat
) -> None:
    code = await create_club(claire)
    await bob.say(f"/club rejoindre {code}")
    await bob.press("Je refuse")

    assert "Vous n'avez pas rejoint le club Club BouRSE" in bob.text
    assert await members(app) == []
    await bob.say("/club")
    assert "membre d'aucun club" in bob.text


async def test_a_new_charter_version_is_asked_again(app: App, claire: Chat, bob: Chat) -> None:
    code = await create_club(claire)
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")
    async with app.database.transaction() as session:
        club = await repo.club_by_code(session, pole_id=1, code=code)
        assert club is not None
        session.add(ClubCharter(club_id=club.id, version=2, text="Charte révisée : **respect**."))

    await bob.say("/club")
    assert "lisez et acceptez sa charte" in bob.text
    assert "vous en êtes membre" not in bob.text
    await bob.press("Lire la charte de Club BouRSE")
    assert "version 2" in bob.text and "Charte révisée" in bob.text
    await bob.press("J'accepte la charte")
    assert [version for _, _, version in await members(app)] == [2]


async def test_a_code_of_another_poles_club_tells_nothing(
    app: App, claire: Chat, bob: Chat
) -> None:
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
        club = await repo.create_club(
            session, pole_id=other.id, name="Club Lumière", charter="Charte du club Lumière."
        )
    await bob.say(f"/club rejoindre {club.code}")
    told_for_another_pole = bob.text.replace(club.code, "CODE")
    await bob.say("/club rejoindre ZZZZ9999")

    assert "Club Lumière" not in told_for_another_pole
    assert told_for_another_pole == bob.text.replace("ZZZZ9999", "CODE")
    assert await members(app) == []


async def test_only_animators_create_clubs_and_only_they_see_every_code(
    claire: Chat, bob: Chat
) -> None:
    code = await create_club(claire)
    await bob.say("/club creer Club Pirate")
    assert "réservée aux personnes ayant le rôle animateur" in bob.text

    await claire.say("/club")
    assert f"Club BouRSE : 0 membre(s), code {code}" in claire.text
    await bob.say("/club")
    assert code not in bob.text


async def test_a_club_name_is_unique_in_the_pole(claire: Chat) -> None:
    await create_club(claire)
    await claire.say("/club creer club bourse")

    assert "a déjà un club nommé" in claire.text


async def test_a_member_leaves_a_club(app: App, claire: Chat, bob: Chat) -> None:
    code = await create_club(claire)
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")
    await bob.say("/club quitter")

    assert "Vous avez quitté le club Club BouRSE" in bob.text
    assert await members(app) == []


async def test_club_commands_are_for_signed_up_members_in_private(
    app: App, claire: Chat, bob: Chat
) -> None:
    code = await create_club(claire)
    stranger = Chat(app, Platform.TELEGRAM, "7391846099")
    await stranger.say(f"/club rejoindre {code}")
    assert "réservée aux membres inscrits" in stranger.text

    group = bob.in_group("-1001234567890")
    await group.say(f"/club rejoindre {code}")
    assert "ne fonctionne qu'en conversation privée" in group.text
    await group.say("/club")
    assert "Club BouRSE" not in group.text


async def test_a_bad_subcommand_or_a_missing_code_is_explained(bob: Chat) -> None:
    await bob.say("/club inscription")
    assert "Je n'ai pas compris" in bob.text
    await bob.say("/club rejoindre")
    assert "Donnez le code du club" in bob.text


async def test_a_broadcast_to_a_club_reaches_only_its_members_under_the_current_charter(
    app: App, claire: Chat, bob: Chat
) -> None:
    code = await create_club(claire)
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")
    declined = Chat(app, Platform.TELEGRAM, "7391846033")
    await declined.sign_up("Chloé Durand", "Biocoop Lyon")
    await declined.say(f"/club rejoindre {code}")
    await declined.press("Je refuse")
    await Chat(app, Platform.SLACK, "U07OUTSIDE").sign_up("Samia Benali", "Hydreos Conseil")

    await claire.say("/diffuser")
    await claire.say("Prochaine rencontre du club : jeudi 9 h chez Scop Les Tisserands.")
    await claire.press("Sans pièce jointe")
    await claire.press("Les membres d'un club")
    await claire.press("Club BouRSE")
    await claire.press("Telegram et Slack")

    assert "Destinataires : Les membres du club Club BouRSE, 1 (1 sur Telegram" in claire.text
    await claire.press("Envoyer")
    async with app.database.transaction() as session:
        rows = await session.scalars(select(OutboxMessage.chat_id))
        assert list(rows) == ["7391846032"]


async def test_without_a_club_the_club_audience_is_not_offered(claire: Chat, bob: Chat) -> None:
    await claire.say("/diffuser")
    await claire.say("Réunion plénière du pôle le 12 décembre.")
    await claire.press("Sans pièce jointe")

    assert "Tous les membres de Pôle RSE" in [b.label for b in claire.buttons]
    assert not any("club" in b.label for b in claire.buttons)


async def test_club_aide_lists_every_action_and_an_unknown_one_points_to_it(bob: Chat) -> None:
    await bob.say("/club aide")
    assert "/club agenda" in bob.text and "/club reunion" in bob.text

    await bob.say("/club danser")
    assert bob.text == (
        "Je n'ai pas compris. Tapez /club aide pour tout ce que vous pouvez faire avec vos clubs."
    )
