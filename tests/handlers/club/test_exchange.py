"""/echange, the clubs' non-commercial service exchange (handlers/club/exchange.py): offers and
requests posted in a club without their author's name, a new request answered with the
matching offers and directory entries (each with its introduction button), one's own posts
taken down, a request without a match passed to the animators after a week, once; and nothing
of it for anyone who is not a current member of a club."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import ExchangePost, Introduction, utcnow
from handlers.club import exchange
from tests.handlers.club.test_clubs import BOB, CHLOE, DORA, create_club
from tests.handlers.club.test_introductions import add_entry, club_of, person_id
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

OFFER = "Je prête notre salle de réunion et partage notre démarche de certification ISO 14001."
REQUEST = "Je cherche un retour d'expérience sur les certifications ISO avant notre audit."
SECRETS = ("Club BouRSE", "salle de réunion", "certification", "Bob", "Chloé", "Dora")


@pytest.fixture
async def club(app: App) -> tuple[Chat, Chat, Chat, Chat]:
    """Claire animates the club; Bob, Chloé and Dora joined it."""
    claire, (bob, chloe, dora) = await club_of(app, [BOB, CHLOE, DORA])
    return claire, bob, chloe, dora


async def post(chat: Chat, kind: str, text: str) -> None:
    await chat.say(f"/echange {kind} {text}")
    await chat.press("Publier")
    assert "est publiée" in chat.text, chat.text


async def posts(app: App) -> list[ExchangePost]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(ExchangePost).order_by(ExchangePost.id)))


async def escalate_at(app: App, now: datetime) -> int:
    """Run the job's body at ``now``: how many messages it queued."""
    async with app.database.transaction() as session:
        return await exchange.queue_escalations(session, app.settings, app.content, now=now)


def test_a_post_is_searched_by_the_words_that_say_what_it_is_about() -> None:
    assert exchange.search_words(REQUEST) == "certifications iso audit"


async def test_posting_reminds_that_the_exchange_is_non_commercial(
    club: tuple[Chat, Chat, Chat, Chat],
) -> None:
    _, _, chloe, _ = club
    await chloe.say(f"/echange offre {OFFER}")

    assert OFFER in chloe.text
    assert "non marchande, comme le dit la charte du club" in chloe.text
    assert [b.label for b in chloe.buttons] == ["Publier", "Ne pas publier"]


async def test_an_offer_is_stored_in_the_club_once_published(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, _, chloe, _ = club
    await post(chloe, "offre", OFFER)

    (offer,) = await posts(app)
    assert (offer.kind, offer.text, offer.person_id) == ("offer", OFFER, await person_id(chloe))


async def test_a_request_is_answered_with_the_matching_offer_and_directory_entry(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, chloe, dora = club
    dora_id, chloe_id = await person_id(dora), await person_id(chloe)
    entry_id = await add_entry(app, "Certification ISO 14001", [dora_id], keywords="audit")
    await post(chloe, "offre", OFFER)
    await post(bob, "demande", REQUEST)

    offer, request = await posts(app)
    assert OFFER in bob.text and "Annuaire du club : « Certification ISO 14001 »" in bob.text
    values = {b.label: b.value for b in bob.buttons}
    assert values[f"Mise en relation — n°{offer.id}"] == (
        f"/club relation {chloe_id} annonce {request.id}"
    )
    assert values["Mise en relation : Dora Meyer (Hydreos Conseil)"] == (
        f"/club relation {dora_id} entree {entry_id} annonce {request.id}"
    )


async def test_the_suggested_introduction_is_about_the_request(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, chloe, _ = club
    await post(chloe, "offre", OFFER)
    await post(bob, "demande", REQUEST)
    offer, request = await posts(app)
    await bob.press(f"Mise en relation — n°{offer.id}")

    assert "Chloé Durand" in bob.text and REQUEST in bob.text
    await bob.say("Votre démarche ISO 14001 m'intéresse.")
    await bob.say("06 12 34 56 78")
    await bob.press("Envoyer")
    async with app.database.transaction() as session:
        introduction = await session.scalar(select(Introduction))
    assert introduction is not None and introduction.post_id == request.id


async def test_a_new_offer_is_answered_with_the_requests_it_could_help(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, chloe, _ = club
    await post(bob, "demande", REQUEST)
    await post(chloe, "offre", OFFER)

    (request, _) = await posts(app)
    assert REQUEST in chloe.text
    assert chloe.button(f"Mise en relation — n°{request.id}").value == (
        f"/club relation {await person_id(bob)} annonce {request.id}"
    )


async def test_a_request_without_a_match_says_what_happens_next(
    club: tuple[Chat, Chat, Chat, Chat],
) -> None:
    _, bob, _, _ = club
    await post(bob, "demande", "Qui peut relire notre politique d'achats responsables ?")

    assert "Rien dans la bourse ni dans l'annuaire du club" in bob.text
    assert "sous 7 jours" in bob.text


async def test_the_list_shows_the_others_posts_without_their_author_and_one_s_own(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, chloe, _ = club
    await post(chloe, "offre", OFFER)
    await post(bob, "demande", REQUEST)
    offer, request = await posts(app)
    await bob.say("/echange")

    assert "Bourse d'échange — Club BouRSE" in bob.text
    assert f"n°{offer.id} · « {OFFER} »" in bob.text and "Chloé" not in bob.text
    assert f"n°{request.id} (demande) · « {REQUEST} »" in bob.text
    assert bob.button(f"Retirer n°{request.id}").value == f"/echange retirer {request.id}"
    assert bob.button(f"Mise en relation — n°{offer.id}")


async def test_a_member_takes_down_their_own_post_only(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, chloe, _ = club
    await post(chloe, "offre", OFFER)
    await post(bob, "demande", REQUEST)
    offer, request = await posts(app)
    await bob.say(f"/echange retirer {offer.id}")
    assert f"Je ne trouve pas d'annonce ouverte n°{offer.id} parmi les vôtres" in bob.text
    await bob.say(f"/echange retirer {request.id}")
    assert f"Votre annonce n°{request.id} est retirée" in bob.text

    await chloe.say("/echange")
    assert REQUEST not in chloe.text
    assert [p.closed_at is not None for p in await posts(app)] == [False, True]


async def test_a_member_of_two_clubs_picks_where_to_post(app: App) -> None:
    claire, (bob,) = await club_of(app, [BOB])
    code = await create_club(claire, "Cercle des dirigeants du Genevois")
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")
    await bob.say(f"/echange offre {OFFER}")
    await bob.press("Publier dans Cercle des dirigeants du Genevois")

    assert "publiée dans la bourse du club Cercle des dirigeants du Genevois" in bob.text


async def test_a_request_without_a_match_goes_to_the_animators_after_a_week_once(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    claire, bob, _, _ = club
    await post(bob, "demande", REQUEST)
    (request,) = await posts(app)

    assert await escalate_at(app, utcnow() + timedelta(days=6)) == 0
    assert await escalate_at(app, utcnow() + timedelta(days=8)) == 1
    assert await escalate_at(app, utcnow() + timedelta(days=9)) == 0
    ((chat_id, campaign),) = await queued(app, exchange.KIND_ESCALATION)
    assert chat_id == claire.user_id
    assert REQUEST in campaign.text and "Club BouRSE" in campaign.text
    assert "Bob" not in campaign.text
    assert campaign.buttons == [["Orienter vers un consultant", f"/club orienter {request.id}"]]


async def test_a_request_with_an_accepted_introduction_stays_with_the_members(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, chloe, _ = club
    await post(chloe, "offre", OFFER)
    await post(bob, "demande", REQUEST)
    offer, _ = await posts(app)
    await bob.press(f"Mise en relation — n°{offer.id}")
    await bob.say("Votre démarche ISO 14001 m'intéresse.")
    await bob.say("06 12 34 56 78")
    await bob.press("Envoyer")
    async with app.database.transaction() as session:
        introduction = await session.scalar(select(Introduction))
    assert introduction is not None
    await chloe.say(f"/club relation accepter {introduction.id}")
    await chloe.say("chloe.durand@berthaut.fr")

    assert await escalate_at(app, utcnow() + timedelta(days=8)) == 0


async def test_a_closed_request_is_not_passed_on(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, _, _ = club
    await post(bob, "demande", REQUEST)
    (request,) = await posts(app)
    await bob.say(f"/echange retirer {request.id}")

    assert await escalate_at(app, utcnow() + timedelta(days=8)) == 0


async def test_the_yearly_report_counts_offers_and_requests(
    app: App, club: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, chloe, _ = club
    await post(chloe, "offre", OFFER)
    await post(bob, "demande", REQUEST)
    await post(bob, "demande", "Un avis sur notre plan de mobilité ?")
    now = utcnow()
    async with app.database.transaction() as session:
        club_id = (await repo.pole_clubs(session, pole_id=1))[0][0].id or 0
        counts = await repo.exchange_count(
            session, club_id=club_id, start=now - timedelta(days=1), end=now + timedelta(days=1)
        )
    assert counts == (1, 2)


async def _outsiders(app: App) -> list[Chat]:
    """A member of the pôle outside the club, another pôle's animator, and Dora, who refused
    the club's charter."""
    nadia = Chat(app, Platform.TELEGRAM, "7391846090")
    await nadia.sign_up("Nadia Ferrand", "Ferrand Emballages")
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    bruno = Chat(app, Platform.SLACK, "U07KLEIN")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.grant("animator")
    await bruno.say("/club creer Club Lumière")
    return [nadia, bruno, Chat(app, Platform.TELEGRAM, DORA.user_id)]


async def test_outsiders_learn_nothing_through_echange(app: App) -> None:
    _, (bob, chloe) = await club_of(app, [BOB, CHLOE], refusing=[DORA])
    await post(chloe, "offre", OFFER)
    await post(bob, "demande", REQUEST)
    ids = [str(p.id) for p in await posts(app)]
    said = [
        "/echange",
        "/echange offre Je prête une salle",
        "/echange demande Qui connaît l'ISO 14001 ?",
        *(f"/echange retirer {n}" for n in ids),
        "/echange n'importe quoi",
    ]

    answers = set()
    for outsider in await _outsiders(app):
        for typed in said:
            await outsider.say(typed)
            leaked = [s for s in SECRETS if s in outsider.text]
            assert not leaked, (outsider.user_id, typed, leaked)
            assert not outsider.buttons
            answers.add(outsider.text)
    assert len(answers) == 1 and "réservée aux membres d'un club" in answers.pop()
    assert [p.closed_at for p in await posts(app)] == [None, None]


async def test_echange_is_refused_in_a_group(club: tuple[Chat, Chat, Chat, Chat]) -> None:
    _, bob, _, _ = club
    group = bob.in_group("-1001987654321")
    await group.say(f"/echange demande {REQUEST}")

    assert REQUEST not in group.text and "Club BouRSE" not in group.text
