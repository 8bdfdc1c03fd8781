"""Animators rank the requests and plan a workshop (handlers/workshops/planning.py): an event of
handlers/events for the whole pôle or for those who asked, whose invitations, answers and
waiting list are the events' own."""

from __future__ import annotations

from sqlmodel import select

from bot.app import App
from bot.storage.models import Event, EventAnswer
from handlers.events.invitations import INVITATION, WAITING_LIST
from tests.handlers.workshops.conftest import BOB, CHLOE, CLAIRE
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued
from tests.helpers.workshops import plan, workshop_number


async def asked(bob: Chat, chloe: Chat, dora: Chat) -> None:
    """Bob, Chloé and Dora ask for sustainable communication, Chloé and Dora (in different
    words) for responsible purchasing, Dora for the regulation day."""
    await bob.say("/atelier demander sustainable_communication")
    await chloe.say("/atelier demander communication durable")
    await dora.say("/atelier demander un atelier sur la communication responsable")
    await chloe.say("/atelier demander achats responsables")
    await dora.say("/atelier demander les Achats responsables")
    await dora.say("/atelier demander regulation_and_distribution")


async def test_the_requests_are_ranked_by_the_members_who_asked(
    claire: Chat, bob: Chat, chloe: Chat, dora: Chat
) -> None:
    await asked(bob, chloe, dora)

    await claire.say("/atelier demandes")

    assert (
        "1. « Comment maîtriser la communication durable ? » — 3 membre(s)\n"
        "2. « achats responsables » (leurs mots) — 2 membre(s)\n"
        "3. « Journée thématique : exigences réglementaires et attentes des réseaux de "
        "distribution » — 1 membre(s)"
    ) in claire.text
    assert [b.label for b in claire.buttons] == [
        "📅 Planifier le 1",
        "📅 Planifier le 2",
        "📅 Planifier le 3",
    ]


async def test_an_animator_reaches_the_ranking_from_the_overview(claire: Chat, bob: Chat) -> None:
    await bob.say("/atelier demander what_is_rse")
    await claire.say("/atelier")

    await claire.press("📊 Les demandes du pôle")

    assert "1. « Qu'est-ce que la RSE ? » — 1 membre(s)" in claire.text


async def test_with_no_request_the_ranking_says_so(claire: Chat) -> None:
    await claire.say("/atelier demandes")

    assert "Aucune demande d'atelier en attente" in claire.text


async def test_members_can_neither_see_the_ranking_nor_plan(bob: Chat) -> None:
    await bob.say("/atelier demander what_is_rse")
    number = bob.button("↩️ Retirer ma demande").value.split()[-1]

    await bob.say("/atelier demandes")
    assert "réservée aux personnes ayant le rôle animateur" in bob.text
    await bob.say(f"/atelier planifier {number}")
    assert "réservée aux personnes ayant le rôle animateur" in bob.text
    assert "📊 Les demandes du pôle" not in [b.label for b in bob.buttons]


async def test_a_workshop_for_the_pole_is_an_event_inviting_every_member(
    app: App, claire: Chat, bob: Chat, chloe: Chat, dora: Chat
) -> None:
    await asked(bob, chloe, dora)

    said = await plan(claire, audience="Tout le pôle")

    # Dora is on the console, which the bot cannot write to first.
    assert "3 invitation(s) envoyée(s), et les 3 membre(s) qui l'avaient demandé prévenus" in said
    async with app.database.transaction() as session:
        event = await session.scalar(select(Event))
    assert event is not None
    assert f"Atelier n° {event.id} du 12/03/2027 09:30 planifié" in said
    assert (event.kind, event.club_id, event.guests_only) == ("workshop", None, False)
    assert event.title == "Comment maîtriser la communication durable ?"
    sent = await queued(app, INVITATION)
    assert sorted(chat for chat, _ in sent) == sorted([BOB, CHLOE, CLAIRE])
    invitation = sent[0][1]
    assert "Vous êtes invité(e) à un atelier de votre pôle." in invitation.text
    assert "Lieu : Salle Anjou, 10 rue du Végétal, 49000 Angers" in invitation.text
    assert invitation.attachment_name == "invitation.ics"
    assert invitation.attachment_data is not None
    assert b"SUMMARY:Comment ma" in invitation.attachment_data
    assert [value for _, value in invitation.buttons] == [
        f"/atelier rsvp {event.id} oui",
        f"/atelier rsvp {event.id} peutetre",
        f"/atelier rsvp {event.id} non",
    ]


async def test_a_workshop_for_those_who_asked_invites_only_them(
    app: App, claire: Chat, bob: Chat, chloe: Chat, dora: Chat
) -> None:
    await asked(bob, chloe, dora)

    await plan(claire, number=2, audience="Ceux qui l'ont demandé")

    sent = await queued(app, INVITATION)
    assert [chat for chat, _ in sent] == [CHLOE]
    number = await workshop_number(app)
    await bob.say(f"/atelier rsvp {number} oui")
    assert "Je ne connais pas cet atelier parmi ceux de votre pôle." in bob.text


async def test_those_who_asked_are_told_and_their_requests_are_answered(
    app: App, claire: Chat, bob: Chat, chloe: Chat, dora: Chat
) -> None:
    await asked(bob, chloe, dora)

    await plan(claire)

    told = await queued(app, "workshop_planned")
    assert sorted(chat for chat, _ in told) == sorted([BOB, CHLOE])
    assert (
        "l'atelier que vous avez demandé, « Comment maîtriser la communication durable ? », "
        "est prévu le 12/03/2027 09:30"
    ) in told[0][1].text
    await claire.say("/atelier demandes")
    assert "communication durable" not in claire.text
    await bob.say("/atelier demander sustainable_communication")
    assert "C'est noté" in bob.text


async def test_a_member_registers_with_the_invitations_button(
    app: App, claire: Chat, bob: Chat, chloe: Chat, dora: Chat
) -> None:
    await asked(bob, chloe, dora)
    await plan(claire)
    number = await workshop_number(app)

    await bob.press_value(f"/atelier rsvp {number} oui")

    assert "12/03/2027 09:30" in bob.text
    async with app.database.transaction() as session:
        answer = await session.scalar(select(EventAnswer))
    assert answer is not None and answer.answer == "yes" and not answer.waiting


async def test_beyond_the_capacity_a_member_waits_and_is_let_in_when_a_seat_frees(
    app: App, claire: Chat, bob: Chat, chloe: Chat, dora: Chat
) -> None:
    await asked(bob, chloe, dora)
    await plan(claire, capacity="1")
    number = await workshop_number(app)
    await bob.say(f"/atelier rsvp {number} oui")

    await chloe.say(f"/atelier rsvp {number} oui")
    assert (
        "L'atelier du 12/03/2027 09:30 est complet : vous êtes sur la liste d'attente" in chloe.text
    )

    await bob.say(f"/atelier rsvp {number} non")
    promoted = await queued(app, WAITING_LIST)
    assert [chat for chat, _ in promoted] == [CHLOE]
    assert "Une place s'est libérée" in promoted[0][1].text


async def test_a_wrong_answer_word_gets_the_usage_of_atelier(claire: Chat, bob: Chat) -> None:
    await bob.say("/atelier rsvp 12 volontiers")

    assert "tapez /atelier rsvp NUMÉRO oui, peutetre ou non" in bob.text


async def test_a_bad_date_a_past_date_and_a_bad_capacity_are_asked_again(
    claire: Chat, bob: Chat
) -> None:
    await bob.say("/atelier demander what_is_rse")
    await claire.say("/atelier demandes")
    await claire.press("📅 Planifier le 1")
    await claire.press("Garder")

    await claire.say("jeudi prochain")
    assert "Je n'ai pas compris cette date" in claire.text
    await claire.say("12/03/2020 9h30")
    assert "Cette date est passée" in claire.text
    await claire.say("12/03/2027 9h30")
    await claire.say("Visio : https://visio.example.org/atelier-rse")
    await claire.say("mille")
    assert "Tapez un nombre de places de 1 à 500" in claire.text
    await claire.press("Sans limite")
    assert "Qui inviter ?" in claire.text


async def test_an_animator_may_give_another_title(app: App, claire: Chat, bob: Chat) -> None:
    await bob.say("/atelier demander what_is_rse")
    await claire.say("/atelier demandes")
    await claire.press("📅 Planifier le 1")

    await claire.say("La RSE en une matinée")
    await claire.say("12/03/2027 9h30")
    await claire.say("Salle Anjou")
    await claire.press("Sans limite")
    await claire.press("Tout le pôle")

    assert "Pôle RSE — La RSE en une matinée" in claire.text


async def test_an_unknown_request_cannot_be_planned(claire: Chat) -> None:
    await claire.say("/atelier planifier 4242")

    assert "Je ne trouve pas cette demande en attente" in claire.text


async def test_a_dropped_plan_sends_nothing(app: App, claire: Chat, bob: Chat) -> None:
    await bob.say("/atelier demander what_is_rse")
    await claire.say("/atelier demandes")
    await claire.press("📅 Planifier le 1")
    await claire.press("Garder")
    await claire.say("12/03/2027 9h30")
    await claire.say("Salle Anjou")
    await claire.press("Sans limite")
    await claire.press("Tout le pôle")

    await claire.press("Abandonner")

    assert "Atelier abandonné" in claire.text
    assert await queued(app, INVITATION) == []
