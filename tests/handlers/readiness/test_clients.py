"""The Label Numérique Responsable's client survey (handlers/readiness/clients.py): a member adds
their own clients, each gets a code its contact signs up with (no member of the pôle), a wave
is sent, the clients answer through the partner survey's flow, and at the close the results go
to the member alone, under the survey's anonymity rule; another member, the pôle's animators and
the clients themselves never see them; the member's export leaves the clients out, and erasing
the member erases the survey."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import SurveyProject, SurveyResponse, SurveyWave
from handlers.survey import waves
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued
from tests.helpers.survey import answer_all, sign_up_respondent

CLIENT_STATEMENTS = 6
# On Telegram: the outbox brings her the results at the close.
ALICE = "7391846050"
PROJECT = "Clients de Numeria Conseil (Alice Martin)"


@dataclass
class ClientSurvey:
    alice: Chat
    clients: dict[str, Chat]
    project_id: int


def code_in(chat: Chat) -> str:
    return chat.text.split("Son code : ")[1].split()[0].strip("*")


@pytest.fixture
async def survey(app: App, monkeypatch: pytest.MonkeyPatch) -> ClientSurvey:
    """Alice, of a digital services company, adds two clients; a contact at each signs up with
    its code; she sends the survey."""
    monkeypatch.setattr(app.settings, "min_group_size", 2)
    alice = Chat(app, Platform.TELEGRAM, ALICE)
    await alice.sign_up("Alice Martin", "Numeria Conseil")
    clients = {}
    for number, (client, contact) in enumerate(
        (("Mairie de Rezé", "Hélène Morel"), ("Atelier Durand", "Karim Durand")), start=1
    ):
        await alice.say(f"/pret client {client}")
        assert f"Client « {client} » ajouté." in alice.text
        chat = await sign_up_respondent(app, f"55500{number}", contact, client, code_in(alice))
        clients[client] = chat
    await alice.say("/pret envoyer")
    assert "Vague 1 de votre enquête clients ouverte" in alice.text
    async with app.database.transaction() as session:
        project = await session.scalar(select(SurveyProject).where(SurveyProject.name == PROJECT))
    assert project is not None and project.id is not None
    return ClientSurvey(alice, clients, project.id)


async def close(app: App) -> None:
    async with app.database.transaction() as session:
        wave = (await session.scalars(select(SurveyWave))).one()
        await waves.run_due(session, app.settings, app.content, now=wave.closes_at)


async def test_the_member_s_clients_have_codes_and_are_invited(
    app: App, survey: ClientSurvey
) -> None:
    await survey.alice.say("/pret clients")

    text = survey.alice.text
    assert "Vos clients (2) :" in text
    assert "• Mairie de Rezé — code " in text and " — 1 contact(s) inscrit(s)" in text
    assert "Vague 1 ouverte jusqu'au " in text and "0 client(s) sur 2 ont répondu" in text
    invited = [chat for chat, _ in await queued(app, "survey_invitation")]
    assert sorted(invited) == ["555001", "555002"]


async def test_the_clients_are_told_how_short_their_survey_is(
    app: App, survey: ClientSurvey
) -> None:
    ((_, invitation), _) = await queued(app, "survey_invitation")

    statements = len(app.content.surveys["clients_numerique_responsable"].indicators)
    assert f"{statements} affirmations, environ 2 minutes" in invitation.text


async def test_two_clients_answer_and_the_member_alone_gets_the_results(
    app: App, survey: ClientSurvey
) -> None:
    await answer_all(
        survey.clients["Mairie de Rezé"],
        "Mairie de Rezé",
        "Tout à fait d'accord",
        count=CLIENT_STATEMENTS,
    )
    await answer_all(
        survey.clients["Atelier Durand"],
        "Atelier Durand",
        "Plutôt pas d'accord",
        count=CLIENT_STATEMENTS,
    )
    await close(app)

    sent = await queued(app, "survey_results")
    assert [chat for chat, _ in sent] == [ALICE]
    assert f"« {PROJECT} »" in sent[0][1].text
    await survey.alice.say("/pret resultats")
    text = survey.alice.text
    assert "Participation : 2 partenaire(s) sur 2 (100 %)." in text
    # One client agrees with everything, the other disagrees: half agree, net agreement 0.
    assert "• Pratiques numériques responsables : 50 % · 0 % · 0 %" in text
    assert "• Relation avec vous : 50 % · 0 % · 0 %" in text
    files = [a.filename for a in survey.alice.replies[0].attachments]
    assert files and all(name.endswith(".png") for name in files)


async def test_with_one_client_answering_the_member_sees_participation_only(
    app: App, survey: ClientSurvey
) -> None:
    await answer_all(
        survey.clients["Atelier Durand"],
        "Atelier Durand",
        "Plutôt d'accord",
        count=CLIENT_STATEMENTS,
    )
    await close(app)

    await survey.alice.say("/pret resultats")
    assert "Pratiques numériques responsables" not in survey.alice.text
    assert "1 client(s) sur 2 ont répondu (50 %)" in survey.alice.text
    assert "personne ne les voit" in survey.alice.text


async def test_another_member_the_animators_and_the_clients_cannot_see_it(
    app: App, survey: ClientSurvey
) -> None:
    await answer_all(
        survey.clients["Mairie de Rezé"],
        "Mairie de Rezé",
        "Plutôt d'accord",
        count=CLIENT_STATEMENTS,
    )
    await answer_all(
        survey.clients["Atelier Durand"],
        "Atelier Durand",
        "Plutôt d'accord",
        count=CLIENT_STATEMENTS,
    )
    await close(app)
    number = survey.project_id

    bob = Chat(app, Platform.CONSOLE, "bob")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await bob.say("/pret resultats")
    assert "aucun client" in bob.text
    await bob.say(f"/enquete resultats {number}")
    assert "Participation" not in bob.text

    claire = Chat(app, Platform.CONSOLE, "claire")
    await claire.sign_up("Claire Roux", "Pôle RSE")
    await claire.grant("animator")
    await claire.say("/enquete")
    assert PROJECT not in claire.text
    await claire.say(f"/enquete resultats {number}")
    assert "Participation" not in claire.text
    await claire.say(f"/enquete partenaires {number}")
    assert "Mairie de Rezé" not in claire.text

    client = survey.clients["Mairie de Rezé"]
    await client.say(f"/enquete resultats {number}")
    assert "Participation" not in client.text


async def test_the_member_s_export_leaves_out_the_clients_and_their_answers(
    app: App, survey: ClientSurvey
) -> None:
    await answer_all(
        survey.clients["Mairie de Rezé"],
        "Mairie de Rezé",
        "Plutôt d'accord",
        count=CLIENT_STATEMENTS,
    )

    await survey.alice.say("/mesdonnees")

    exported = json.loads(survey.alice.replies[0].attachments[0].data)
    assert [p["name"] for p in exported["survey_partners"]] == ["Mairie de Rezé", "Atelier Durand"]
    (response,) = exported["enquetes_reponses_envoyees"]
    assert {"answers", "comments", "submitted_by"}.isdisjoint(response)
    assert all("person_id" not in row for row in exported["enquetes_repondant_pour"])


async def test_erasing_the_member_erases_their_client_survey_not_the_clients(
    app: App, survey: ClientSurvey
) -> None:
    await answer_all(
        survey.clients["Atelier Durand"],
        "Atelier Durand",
        "Plutôt d'accord",
        count=CLIENT_STATEMENTS,
    )

    await survey.alice.say("/oublier")
    await survey.alice.press("Oui, tout effacer")

    async with app.database.transaction() as session:
        assert list(await session.scalars(select(SurveyProject))) == []
        assert list(await session.scalars(select(SurveyResponse))) == []
    await survey.clients["Atelier Durand"].say("/accueil")
    assert "Karim Durand" in survey.clients["Atelier Durand"].text
