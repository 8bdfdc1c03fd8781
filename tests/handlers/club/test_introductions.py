"""Introductions between club members (handlers/club/introductions.py), double opt-in: the
request carries the reason and what it is about, never who asks; only an acceptance gives each
the other's name, company and chosen contact; a refusal is kind and tells nothing more. Nobody
outside a shared club can be asked, nor answer."""

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Campaign, DirectoryContact, DirectoryEntry, Introduction, utcnow
from handlers.club import introductions
from tests.handlers.club.test_clubs import BOB, CHLOE, DORA, Newcomer, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

REASON = "Nous préparons notre bilan carbone et j'aimerais votre retour sur le scope 3."
BOB_CONTACT = "bob.lefevre@tisserands.coop, 06 12 34 56 78"
CHLOE_CONTACT = "chloe.durand@berthaut.fr"
UNKNOWN = "Je ne trouve pas ce membre parmi ceux de vos clubs"


async def club_of(
    app: App, members: Sequence[Newcomer], refusing: Sequence[Newcomer] = ()
) -> tuple[Chat, list[Chat]]:
    """Claire animates the Club BouRSE, which ``members`` joined and whose charter
    ``refusing`` refused."""
    claire = await an_animator(app)
    code = await create_club(claire)
    return claire, await join_club(app, code, members, refusing)


@pytest.fixture
async def club(app: App) -> tuple[Chat, Chat, Chat]:
    """Claire animates the club; Bob and Chloé joined it."""
    claire, (bob, chloe) = await club_of(app, [BOB, CHLOE])
    return claire, bob, chloe


async def person_id(chat: Chat) -> int:
    person = await chat.person()
    assert person is not None and person.id is not None
    return person.id


async def add_entry(app: App, subject: str, contacts: Sequence[int], keywords: str = "") -> int:
    """A directory entry of the pôle's first club, as a meeting's minutes write it."""
    async with app.database.transaction() as session:
        club = (await repo.pole_clubs(session, pole_id=1))[0][0]
        entry = DirectoryEntry(club_id=club.id or 0, subject=subject, keywords=keywords)
        session.add(entry)
        await session.flush()
        assert entry.id is not None
        session.add_all(DirectoryContact(entry_id=entry.id, person_id=p) for p in contacts)
        return entry.id


async def ask(requester: Chat, recipient: Chat, suffix: str = "") -> None:
    """``requester`` asks to be introduced to ``recipient`` and sends the request."""
    await requester.say(f"/club relation {await person_id(recipient)}{suffix}")
    await requester.say(REASON)
    await requester.say(BOB_CONTACT)
    await requester.press("Envoyer")
    assert "Votre demande est envoyée" in requester.text, requester.text


async def request_to(app: App, recipient: Chat) -> Campaign:
    """The last request ``recipient`` received."""
    chat_id = recipient.user_id
    sent = [c for to, c in await queued(app, introductions.KIND_REQUEST) if to == chat_id]
    assert sent
    return sent[-1]


def button(campaign: Campaign, label: str) -> str:
    return next(value for shown, value in campaign.buttons if shown == label)


async def answers_to(app: App, chat: Chat) -> list[str]:
    told = await queued(app, introductions.KIND_ANSWER)
    return [campaign.text for to, campaign in told if to == chat.user_id]


async def test_the_request_shows_the_reason_and_not_who_asks(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)

    request = await request_to(app, chloe)
    assert REASON in request.text and "Club BouRSE" in request.text
    for secret in ("Bob", "Lefèvre", "Tisserands", "06 12 34 56 78"):
        assert secret not in request.text
    assert [label for label, _ in request.buttons] == ["Accepter", "Refuser"]


async def test_the_preview_names_the_recipient_and_keeps_the_contact_for_an_acceptance(
    club: tuple[Chat, Chat, Chat],
) -> None:
    _, bob, chloe = club
    await bob.say(f"/club relation {await person_id(chloe)}")
    assert "Chloé Durand (Fromagerie Berthaut)" in bob.text
    await bob.say(REASON)
    await bob.say(BOB_CONTACT)

    assert REASON in bob.text and BOB_CONTACT in bob.text
    assert "transmises seulement s'il accepte" in bob.text
    assert [b.label for b in bob.buttons] == ["Envoyer", "Ne pas envoyer"]


async def test_an_accepted_introduction_gives_each_the_other_s_name_company_and_contact(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    await chloe.press_value(button(await request_to(app, chloe), "Accepter"))
    assert "Quelles coordonnées lui transmettre" in chloe.text
    await chloe.say(CHLOE_CONTACT)

    assert "Bob Lefèvre" in chloe.text and "Scop Les Tisserands" in chloe.text
    assert BOB_CONTACT in chloe.text
    (told,) = await answers_to(app, bob)
    # The stored message names nobody; its button shows Chloé, from the introduction itself.
    assert "accepté votre demande" in told and "Chloé" not in told and CHLOE_CONTACT not in told
    async with app.database.transaction() as session:
        introduction = await session.scalar(select(Introduction))
    assert introduction is not None
    assert (introduction.status, introduction.recipient_contact) == ("accepted", CHLOE_CONTACT)
    await bob.say(f"/club relation voir {introduction.id}")
    assert "Chloé Durand (Fromagerie Berthaut)" in bob.text and CHLOE_CONTACT in bob.text


async def test_only_the_two_members_see_an_accepted_introduction(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, chloe = club
    await ask(bob, chloe)
    await chloe.press_value(button(await request_to(app, chloe), "Accepter"))
    await chloe.say(CHLOE_CONTACT)
    async with app.database.transaction() as session:
        introduction = await session.scalar(select(Introduction))
    assert introduction is not None
    await claire.say(f"/club relation voir {introduction.id}")
    assert "Je ne trouve pas cette demande" in claire.text and CHLOE_CONTACT not in claire.text
    await chloe.say(f"/club relation voir {introduction.id}")
    assert "Bob Lefèvre" in chloe.text and BOB_CONTACT in chloe.text


async def test_an_introduction_whose_member_erased_their_data_names_them_nowhere(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    await chloe.press_value(button(await request_to(app, chloe), "Accepter"))
    await chloe.say(CHLOE_CONTACT)
    await chloe.say("/oublier")
    await chloe.press("Oui, tout effacer")
    async with app.database.transaction() as session:
        texts = [c.text for c in await session.scalars(select(Campaign))]
        assert await session.scalar(select(Introduction)) is None
    assert all("Chloé" not in text and CHLOE_CONTACT not in text for text in texts)


async def test_a_declined_introduction_is_told_kindly_and_reveals_nothing(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    await chloe.press_value(button(await request_to(app, chloe), "Refuser"))

    assert "vous avez décliné la demande" in chloe.text
    assert "Bob" not in chloe.text and BOB_CONTACT not in chloe.text
    (told,) = await answers_to(app, bob)
    assert told.startswith(
        "Votre demande de mise en relation n'a pas abouti : ce membre n'est pas disponible ; "
        "rien d'autre ne lui a été transmis"
    )
    assert "Chloé" not in told
    async with app.database.transaction() as session:
        introduction = await session.scalar(select(Introduction))
    assert introduction is not None
    assert (introduction.status, introduction.recipient_contact) == ("declined", None)


async def test_a_request_about_a_directory_entry_names_its_subject(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    entry_id = await add_entry(app, "Certification ISO 14001", [await person_id(chloe)])
    await ask(bob, chloe, f" entree {entry_id}")

    request = await request_to(app, chloe)
    assert "« Certification ISO 14001 » (annuaire des compétences du club)" in request.text
    async with app.database.transaction() as session:
        stored = await session.scalar(select(Introduction))
    assert stored is not None and stored.entry_id == entry_id


async def test_an_entry_the_person_is_not_a_contact_of_is_refused(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    entry_id = await add_entry(app, "Achats responsables", [await person_id(bob)])
    await bob.say(f"/club relation {await person_id(chloe)} entree {entry_id}")

    assert UNKNOWN in bob.text


async def test_a_member_who_refused_the_charter_cannot_be_asked_like_nobody(app: App) -> None:
    _, (bob,) = await club_of(app, [BOB], refusing=[DORA])
    dora = Chat(app, Platform.TELEGRAM, DORA.user_id)
    await bob.say(f"/club relation {await person_id(dora)}")
    refused = bob.text
    await bob.say("/club relation 4242")

    assert UNKNOWN in refused and bob.text == refused
    assert "Dora" not in refused


async def test_nobody_can_ask_to_be_introduced_to_themself(
    club: tuple[Chat, Chat, Chat],
) -> None:
    _, bob, _ = club
    await bob.say(f"/club relation {await person_id(bob)}")

    assert UNKNOWN in bob.text


async def test_a_member_of_the_pole_outside_the_club_can_neither_ask_nor_be_asked(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    nadia = Chat(app, Platform.TELEGRAM, "7391846090")
    await nadia.sign_up("Nadia Ferrand", "Ferrand Emballages")
    await nadia.say(f"/club relation {await person_id(chloe)}")
    assert UNKNOWN in nadia.text and "Chloé" not in nadia.text
    await bob.say(f"/club relation {await person_id(nadia)}")
    assert UNKNOWN in bob.text


async def test_a_second_request_to_the_same_member_waits_for_the_first(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    await bob.say(f"/club relation {await person_id(chloe)}")

    assert "déjà une demande de mise en relation en attente auprès de Chloé Durand" in bob.text
    assert len(await queued(app, introductions.KIND_REQUEST)) == 1


async def test_a_request_answered_once_says_so_the_second_time(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    request = await request_to(app, chloe)
    await chloe.press_value(button(request, "Refuser"))
    await chloe.press_value(button(request, "Accepter"))
    assert "Vous avez déjà répondu à cette demande" in chloe.text
    await chloe.press_value(button(request, "Refuser"))
    assert "Vous avez déjà répondu à cette demande" in chloe.text
    assert len(await answers_to(app, bob)) == 1


async def test_only_the_recipient_can_answer(app: App, club: tuple[Chat, Chat, Chat]) -> None:
    claire, bob, chloe = club
    await ask(bob, chloe)
    request = await request_to(app, chloe)
    for other in (bob, claire):
        await other.press_value(button(request, "Accepter"))
        assert "Je ne trouve pas cette demande de mise en relation" in other.text
        await other.press_value(button(request, "Refuser"))
        assert "Je ne trouve pas cette demande de mise en relation" in other.text
    async with app.database.transaction() as session:
        introduction = await session.scalar(select(Introduction))
    assert introduction is not None and introduction.status == "pending"


async def test_another_pole_can_neither_be_asked_nor_answer(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    bruno = Chat(app, Platform.SLACK, "U07KLEIN")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.grant("animator")
    await bruno.say("/club creer Club Lumière")
    await bob.say(f"/club relation {await person_id(bruno)}")
    assert UNKNOWN in bob.text

    await ask(bob, chloe)
    await bruno.press_value(button(await request_to(app, chloe), "Accepter"))
    assert "Je ne trouve pas cette demande de mise en relation" in bruno.text
    await bruno.say(f"/club relation {await person_id(chloe)}")
    assert UNKNOWN in bruno.text and "Chloé" not in bruno.text


async def test_a_request_whose_requester_left_the_club_no_longer_stands(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    await bob.say("/club quitter")
    await chloe.press_value(button(await request_to(app, chloe), "Accepter"))

    assert "elle n'a plus cours" in chloe.text
    assert await answers_to(app, bob) == []


async def test_the_yearly_report_counts_the_accepted_introductions(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    await chloe.press_value(button(await request_to(app, chloe), "Accepter"))
    await chloe.say(CHLOE_CONTACT)
    await ask(chloe, bob)
    await bob.press_value(button(await request_to(app, bob), "Refuser"))

    now = utcnow()
    async with app.database.transaction() as session:
        club_id = (await repo.pole_clubs(session, pole_id=1))[0][0].id or 0
        this_year = await repo.introduction_count(
            session, club_id=club_id, start=now - timedelta(days=1), end=now + timedelta(days=1)
        )
        before = await repo.introduction_count(
            session, club_id=club_id, start=now - timedelta(days=400), end=now - timedelta(days=1)
        )
    assert (this_year, before) == (1, 0)


async def test_the_recipients_export_keeps_a_pending_requester_unknown(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    await chloe.say("/mesdonnees")
    exported = chloe.replies[0].attachments[0].data.decode()
    assert REASON in exported  # the request itself is hers to read
    assert BOB_CONTACT not in exported and "requester_id" not in exported
    await bob.say("/mesdonnees")
    assert BOB_CONTACT in bob.replies[0].attachments[0].data.decode()


async def test_relation_lists_ones_introductions_without_naming_a_pending_requester(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await ask(bob, chloe)
    # Chloé, even at a terminal where nothing reaches her unasked, finds the request here.
    await chloe.say("/club relation")
    assert REASON in chloe.text and "Bob" not in chloe.text and BOB_CONTACT not in chloe.text
    await bob.say("/club relation")
    assert "en attente de réponse" in bob.text
    await chloe.say("/club relation")
    await chloe.press("Accepter n°")
    await chloe.say(CHLOE_CONTACT)
    await bob.say("/club relation")
    await bob.press("Voir n°")
    assert "Chloé Durand (Fromagerie Berthaut)" in bob.text and CHLOE_CONTACT in bob.text


async def test_relation_says_so_when_there_is_none(club: tuple[Chat, Chat, Chat]) -> None:
    _, bob, _ = club
    await bob.say("/club relation")
    assert "Vous n'avez aucune mise en relation en cours" in bob.text
