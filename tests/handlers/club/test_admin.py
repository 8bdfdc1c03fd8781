"""/club inviter, /club retirer and /club membres through the router: animators invite the
pôle's members (who see the charter before anything of the club) and remove members with a
reason kept for them; members see the roster's names and companies, nothing more; nobody
outside the club or the pôle learns anything."""

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import ClubMember
from tests.handlers.club.test_clubs import BOB, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

REASON = "Démarchage commercial répété auprès des autres membres, malgré deux rappels."


@pytest.fixture
async def bourse(app: App) -> tuple[Chat, Chat, Chat, str]:
    """Claire animates the Club BouRSE; Bob joined it with its code; Chloé is in the pôle only."""
    claire = await an_animator(app)
    code = await create_club(claire)
    (bob,) = await join_club(app, code, [BOB])
    chloe = Chat(app, Platform.TELEGRAM, "7391846033")
    await chloe.sign_up("Chloé Durand", "Fromagerie Berthaut")
    return claire, bob, chloe, code


async def statuses(app: App) -> dict[int, tuple[str, str | None]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(ClubMember))
        return {row.person_id: (row.status, row.removal_reason) for row in rows}


async def remove_bob(claire: Chat, share: str) -> None:
    await claire.say("/club retirer")
    await claire.press("Bob Lefèvre (Scop Les Tisserands)")
    await claire.say(REASON)
    await claire.press(share)


async def test_an_invited_member_gets_the_charter_button_and_nothing_else_of_the_club(
    app: App, bourse: tuple[Chat, Chat, Chat, str]
) -> None:
    claire, _, chloe, code = bourse
    await claire.say("/club inviter")
    assert "Bob Lefèvre" not in claire.text  # already a member
    await claire.press("Chloé Durand (Fromagerie Berthaut)")
    assert "Vous invitez : Chloé Durand (Fromagerie Berthaut)" in claire.text
    await claire.press("Inviter 1 personne(s)")
    assert "1 personne(s) invitée(s) au club Club BouRSE ; 1 message(s)" in claire.text

    ((chat_id, campaign),) = await queued(app, "club_invite")
    chloe_person = await chloe.person()
    assert (chat_id, campaign.subject_id) == ("7391846033", chloe_person and chloe_person.id)
    assert campaign.text == (
        "Pôle RSE vous invite à rejoindre le club Club BouRSE. Lisez d'abord sa charte des "
        "valeurs : c'est en l'acceptant que vous en devenez membre."
    )
    assert campaign.buttons == [["Lire la charte de Club BouRSE", f"/club rejoindre {code}"]]
    await chloe.say("/club membres")
    assert "Bob Lefèvre" not in chloe.text
    await chloe.press_value(campaign.buttons[0][1])
    assert "lisez sa charte (version 1)" in chloe.text
    await chloe.press("J'accepte la charte")
    assert "Bienvenue dans le club Club BouRSE" in chloe.text


async def test_the_people_to_invite_are_paged_and_searched_by_a_typed_name(
    app: App, bourse: tuple[Chat, Chat, Chat, str]
) -> None:
    claire, _, _, _ = bourse
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None
        for number in range(1, 10):
            person = await repo.create_person(
                session,
                platform="telegram",
                user_id=f"73918461{number:02}",
                display_name=f"Dirigeant {number}",
                company=f"Atelier Savoyard {number}",
            )
            await repo.join_pole(session, person=person, pole=pole)

    await claire.say("/club inviter")
    assert "Page 1 sur 2" in claire.text
    labels = [b.label for b in claire.buttons]
    assert labels[:3] == [
        "Chloé Durand (Fromagerie Berthaut)",
        "Claire Roux (Pôle Mont-Blanc Industries)",
        "Dirigeant 1 (Atelier Savoyard 1)",
    ]
    assert labels[7:] == ["Dirigeant 6 (Atelier Savoyard 6)", "Suivants ▸"]
    await claire.press("Suivants")
    assert "Page 2 sur 2" in claire.text
    assert [b.label for b in claire.buttons][-2:] == [
        "Dirigeant 9 (Atelier Savoyard 9)",
        "◂ Précédents",
    ]
    await claire.say("fromagerie")
    assert "Noms contenant « fromagerie »" in claire.text
    assert [b.label for b in claire.buttons] == [
        "Chloé Durand (Fromagerie Berthaut)",
        "Tous les noms",
    ]
    await claire.say("Cabinet Introuvable")
    assert "Personne parmi les membres du pôle" in claire.text


async def test_a_removed_member_is_told_without_the_reason_and_sees_nothing_of_the_club(
    app: App, bourse: tuple[Chat, Chat, Chat, str]
) -> None:
    claire, bob, _, code = bourse
    await remove_bob(claire, "Retirer, sans lui dire le motif")

    assert "Bob Lefèvre (Scop Les Tisserands) ne fait plus partie du club" in claire.text
    ((chat_id, campaign),) = await queued(app, "club_removal")
    assert chat_id == "7391846032"
    assert "Vous ne faites plus partie du club Club BouRSE" in campaign.text
    assert "Démarchage" not in campaign.text
    await bob.say("/club")
    assert "Club BouRSE" not in bob.text
    await bob.say(f"/club rejoindre {code}")
    assert "Vous avez été retiré du club Club BouRSE" in bob.text
    assert list((await statuses(app)).values()) == [("removed", REASON)]


async def test_the_reason_is_told_when_the_animator_chooses_to(
    app: App, bourse: tuple[Chat, Chat, Chat, str]
) -> None:
    claire, _, _, _ = bourse
    await remove_bob(claire, "Retirer, en lui disant le motif")

    ((_, campaign),) = await queued(app, "club_removal")
    assert f"Motif : {REASON}" in campaign.text


async def test_a_removal_needs_a_reason(app: App, bourse: tuple[Chat, Chat, Chat, str]) -> None:
    claire, _, _, _ = bourse
    await claire.say("/club retirer")
    await claire.press("Bob Lefèvre")
    await claire.say("   ")

    assert "Écrivez le motif du retrait" in claire.text
    assert list((await statuses(app)).values()) == [("member", None)]


async def test_animators_see_every_status_and_reason_members_only_names_and_companies(
    app: App, bourse: tuple[Chat, Chat, Chat, str]
) -> None:
    claire, bob, chloe, code = bourse
    await chloe.say(f"/club rejoindre {code}")
    await chloe.press("J'accepte la charte")
    await bob.say("/club accueillir oui")
    dora = Chat(app, Platform.TELEGRAM, "7391846034")
    await dora.sign_up("Dora Meyer", "Hydreos Conseil")
    await claire.say("/club inviter")
    await claire.press("Dora Meyer")
    await claire.press("Inviter 1")
    await remove_bob(claire, "Retirer, sans lui dire le motif")

    await claire.say("/club membres")
    assert "(1 membre(s)), vu par les animateurs" in claire.text
    assert (
        "Chloé Durand (Fromagerie Berthaut) : membre, charte version 1 acceptée le" in claire.text
    )
    assert "Dora Meyer (Hydreos Conseil) : invité(e), n'a pas encore accepté" in claire.text
    assert f"Bob Lefèvre (Scop Les Tisserands) : retiré(e). Motif : {REASON}" in claire.text
    await chloe.say("/club membres")
    assert chloe.text.splitlines() == [
        "Les membres du club Club BouRSE (1) :",
        "• Chloé Durand (Fromagerie Berthaut)",
    ]


async def test_outsiders_get_the_same_answer_whether_the_club_exists_or_not(
    app: App, bourse: tuple[Chat, Chat, Chat, str]
) -> None:
    _, bob, chloe, _ = bourse
    await chloe.say("/club membres Club BouRSE")
    about_the_club = chloe.text
    await chloe.say("/club membres Club Fantôme")
    assert about_the_club == chloe.text and "Bob" not in about_the_club
    await chloe.say("/club accueillir oui Club BouRSE")
    about_the_club = chloe.text
    await chloe.say("/club accueillir oui Club Fantôme")
    assert about_the_club == chloe.text and "Club BouRSE" not in about_the_club

    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
        await repo.create_club(session, pole_id=other.id, name="Club Lumière", charter="Charte.")
    bruno = Chat(app, Platform.SLACK, "U07KLEIN")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.grant("animator")
    await bruno.say("/club membres Club BouRSE")
    about_the_club = bruno.text
    await bruno.say("/club membres Club Fantôme")
    assert about_the_club == bruno.text and "Bob" not in about_the_club
    await bruno.say("/club inviter")
    assert not any("Bob" in b.label or "Chloé" in b.label for b in bruno.buttons)
    bob_person = await bob.person()
    assert bob_person is not None
    await bruno.press_value(f"club_invite:people:p{bob_person.id}")
    assert "Choisissez l'une des réponses proposées" in bruno.text
    assert "Inviter" not in " ".join(b.label for b in bruno.buttons)
