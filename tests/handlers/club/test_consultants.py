"""The pôle's consultants (handlers/club/consultants.py): animators keep the list and refer a
member to one, who then receives the consultant's name, specialities and contact; members
never see the list, and another pôle's animators neither see it nor refer anyone of it."""

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Club, Consultant, ConsultantReferral, ExchangePost, utcnow
from handlers.club import consultants, exchange
from tests.handlers.club.test_clubs import BOB, CHLOE
from tests.handlers.club.test_exchange import REQUEST, post
from tests.handlers.club.test_introductions import club_of, person_id
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

MARIE = "Marie Dubois ; ISO 14001, bilan carbone ; marie.dubois@conseil-alpes.fr"


@pytest.fixture
async def club(app: App) -> tuple[Chat, Chat, Chat]:
    """Claire animates the club; Bob and Chloé joined it; Marie Dubois is a consultant."""
    claire, (bob, chloe) = await club_of(app, [BOB, CHLOE])
    await claire.say(f"/club consultant ajouter {MARIE}")
    assert "Le consultant Marie Dubois (n°1) est ajouté" in claire.text, claire.text
    return claire, bob, chloe


async def referrals(app: App) -> list[ConsultantReferral]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(ConsultantReferral)))


async def told(app: App, chat: Chat) -> list[str]:
    sent = await queued(app, consultants.KIND_REFERRAL)
    return [campaign.text for to, campaign in sent if to == chat.user_id]


async def test_animators_list_the_consultants_with_their_specialities_and_contact(
    club: tuple[Chat, Chat, Chat],
) -> None:
    claire, _, _ = club
    await claire.say("/club consultant ajouter Karim Benali ; achats responsables ; 06 98 76 54 32")
    await claire.say("/club consultants")

    assert "Les consultants du pôle (2)" in claire.text
    assert "n°1 · Marie Dubois — ISO 14001, bilan carbone — marie.dubois@conseil-alpes.fr" in (
        claire.text
    )
    assert "n°2 · Karim Benali — achats responsables — 06 98 76 54 32" in claire.text


async def test_a_consultant_without_three_parts_is_refused_with_the_format(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await claire.say("/club consultant ajouter Karim Benali, achats responsables")

    assert "séparés par des points-virgules" in claire.text
    async with app.database.transaction() as session:
        assert len(list(await session.scalars(select(Consultant)))) == 1


async def test_a_removed_consultant_leaves_the_list(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await claire.say("/club consultant retirer 1")
    assert "Marie Dubois ne fait plus partie des consultants du pôle" in claire.text
    await claire.say("/club consultants")
    assert "aucun consultant" in claire.text
    await claire.say("/club consultant retirer 1")
    assert "Je ne trouve pas de consultant n°1" in claire.text


async def test_members_cannot_see_or_change_the_consultants(
    club: tuple[Chat, Chat, Chat],
) -> None:
    _, bob, _ = club
    for typed in ("/club consultants", "/club consultant ajouter " + MARIE, "/club orienter 1 1"):
        await bob.say(typed)
        assert "réservée aux personnes ayant le rôle animateur" in bob.text
        assert "Marie" not in bob.text


async def test_referring_a_request_s_author_gives_them_the_consultant_and_records_it(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    await post(bob, "demande", REQUEST)
    async with app.database.transaction() as session:
        request = await session.scalar(select(ExchangePost))
    assert request is not None
    await claire.say(f"/club orienter {request.id}")
    assert REQUEST in claire.text and "Bob" not in claire.text
    await claire.press("Marie Dubois")

    assert f"L'auteur de la demande n°{request.id} reçoit le contact de Marie Dubois" in claire.text
    (message,) = await told(app, bob)
    assert REQUEST in message
    assert "Marie Dubois" in message and "ISO 14001, bilan carbone" in message
    assert "marie.dubois@conseil-alpes.fr" in message
    (referral,) = await referrals(app)
    assert (referral.person_id, referral.post_id, referral.referred_by) == (
        await person_id(bob),
        request.id,
        await person_id(claire),
    )


async def test_the_escalation_button_leads_to_the_consultants(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    await post(bob, "demande", REQUEST)
    async with app.database.transaction() as session:
        await exchange.queue_escalations(
            session, app.settings, app.content, now=utcnow() + timedelta(days=8)
        )
    ((_, campaign),) = await queued(app, exchange.KIND_ESCALATION)
    await claire.press_value(campaign.buttons[0][1])

    assert REQUEST in claire.text
    assert claire.button("Marie Dubois")


async def test_referring_a_member_of_the_pole(app: App, club: tuple[Chat, Chat, Chat]) -> None:
    claire, _, chloe = club
    await claire.say(f"/club orienter membre {await person_id(chloe)} 1")

    assert "Chloé Durand (Fromagerie Berthaut) reçoit le contact de Marie Dubois" in claire.text
    (message,) = await told(app, chloe)
    assert "marie.dubois@conseil-alpes.fr" in message
    (referral,) = await referrals(app)
    assert referral.post_id is None


async def test_another_pole_s_animator_refers_nobody_of_this_pole(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, _ = club
    await post(bob, "demande", REQUEST)
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
        request = await session.scalar(select(ExchangePost))
    assert request is not None
    bruno = Chat(app, Platform.SLACK, "U07KLEIN")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.grant("animator")

    await bruno.say("/club consultants")
    assert "aucun consultant" in bruno.text and "Marie" not in bruno.text
    await bruno.say(f"/club orienter {request.id} 1")
    assert "Je ne trouve pas d'annonce" in bruno.text and REQUEST not in bruno.text
    await bruno.say(f"/club orienter membre {await person_id(bob)} 1")
    assert "Je ne trouve pas ce membre dans votre pôle" in bruno.text
    assert await referrals(app) == []


async def test_a_member_the_bot_cannot_write_to_gets_the_contact_from_the_animator(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    async with app.database.transaction() as session:
        (code,) = await session.scalars(select(Club.code))
    eloi = Chat(app, Platform.CONSOLE, "eloi")  # only at a terminal
    await eloi.sign_up("Éloi Marchand", "Scierie des Bauges")
    await eloi.say(f"/club rejoindre {code}")
    await eloi.press("J'accepte la charte")
    await post(eloi, "demande", REQUEST)
    async with app.database.transaction() as session:
        request = await session.scalar(select(ExchangePost))
    assert request is not None
    await claire.say(f"/club orienter {request.id}")
    await claire.press("Marie Dubois")

    assert "je ne peux pas écrire à ce membre" in claire.text
    assert "marie.dubois@conseil-alpes.fr" in claire.text
    assert len(await referrals(app)) == 1
