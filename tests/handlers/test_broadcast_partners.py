"""/diffuser to « Les partenaires d'un projet »: every respondent of the project's partners,
members of the pôle or not, once each; nobody of another project or another pôle."""

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Campaign, OutboxMessage, Pole
from handlers.audiences import resolve
from tests.helpers.chat import Chat

TEXT = "Comité de pilotage du projet LUMIEAU-STRA le 2 avril à 14 h à Strasbourg."


async def a_project(
    app: App, name: str, partners: dict[str, list[tuple[str, str]]], *, pole: Pole | None = None
) -> int:
    """The id of a new survey project of ``pole`` (default: the default pôle) whose partners
    (name -> their respondents' (platform, user id)) answer for it; a respondent without an
    account yet is created outside every pôle, as an invitation code would sign them up."""
    async with app.database.transaction() as session:
        pole = pole or await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        project = await repo.create_survey_project(
            session, pole_id=pole.id, name=name, survey="hydreos"
        )
        assert project.id is not None
        for partner_name, respondents in partners.items():
            partner = await repo.add_survey_partner(
                session, project_id=project.id, name=partner_name
            )
            assert partner.id is not None
            for platform, user_id in respondents:
                person = await repo.person_for(session, platform=platform, user_id=user_id)
                if person is None:
                    person = await repo.create_person(
                        session, platform=platform, user_id=user_id, display_name=user_id
                    )
                assert person.id is not None
                await repo.add_respondent(session, partner_id=partner.id, person_id=person.id)
        return project.id


@pytest.fixture
async def claire(app: App) -> Chat:
    """The pôle's animator, on Telegram."""
    claire = Chat(app, Platform.TELEGRAM, "5001")
    await claire.sign_up("Claire Martin", "Pôle Végépolys")
    await claire.grant("animator")
    return claire


@pytest.fixture
async def bob(app: App) -> Chat:
    """A member of the pôle who answers for no partner."""
    bob = Chat(app, Platform.TELEGRAM, "5002")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    return bob


async def outbox(app: App) -> list[tuple[str, str]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return sorted((row.platform, row.chat_id) for row in rows)


async def test_the_partners_of_a_project_are_reached_members_or_not_once_each(
    app: App, claire: Chat, bob: Chat
) -> None:
    samia = Chat(app, Platform.SLACK, "U0SAMIA")
    await samia.sign_up("Samia Benali", "Hydreos Conseil")
    lumieau = await a_project(
        app,
        "LUMIEAU-STRA",
        {
            # 6001 answers for two partners: one message all the same.
            "Eurométropole de Strasbourg": [("telegram", "6001"), ("telegram", "6002")],
            "Hydreos Conseil": [("slack", "U0SAMIA"), ("telegram", "6001")],
        },
    )
    await a_project(app, "Micropolluants 2030", {"INRAE": [("telegram", "6003")]})
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    await a_project(app, "Lumière", {"Klein Éclairage": [("telegram", "6004")]}, pole=other)

    await claire.say("/diffuser")
    await claire.say(TEXT)
    await claire.press("Sans pièce jointe")
    await claire.press("Les partenaires d'un projet de Pôle RSE")
    assert "Les partenaires de quel projet ?" in claire.text
    assert [b.label for b in claire.buttons] == ["LUMIEAU-STRA", "Micropolluants 2030"]
    await claire.press("LUMIEAU-STRA")
    assert [b.label for b in claire.buttons] == [
        "Telegram et Slack (3)",
        "Telegram seulement (2)",
        "Slack seulement (1)",
    ]
    await claire.press("Telegram et Slack")

    assert (
        "Destinataires : Les répondants des partenaires du projet LUMIEAU-STRA, 3 "
        "(2 sur Telegram, 1 sur Slack)." in claire.text
    )
    await claire.press("Envoyer")
    assert "Diffusion n°1 lancée : 3 message(s)" in claire.text
    assert await outbox(app) == [
        ("slack", "U0SAMIA"),
        ("telegram", "6001"),
        ("telegram", "6002"),
    ]
    async with app.database.transaction() as session:
        campaign = await session.scalar(select(Campaign))
    assert campaign is not None and campaign.audience == f"partners:{lumieau}:any"


async def test_without_a_project_the_partners_audience_is_not_offered(
    claire: Chat, bob: Chat
) -> None:
    await claire.say("/diffuser")
    await claire.say(TEXT)
    await claire.press("Sans pièce jointe")

    labels = [b.label for b in claire.buttons]
    assert "Tous les membres de Pôle RSE" in labels
    assert not any("partenaires" in label for label in labels)


async def test_another_poles_project_is_neither_chosen_nor_reached(app: App, claire: Chat) -> None:
    await a_project(app, "LUMIEAU-STRA", {"INRAE": [("telegram", "6003")]})
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    lumiere = await a_project(
        app, "Lumière", {"Klein Éclairage": [("telegram", "6004")]}, pole=other
    )
    await claire.say("/diffuser")
    await claire.say(TEXT)
    await claire.press("Sans pièce jointe")
    await claire.press("Les partenaires d'un projet")

    # A button of another pôle's project, forged: refused.
    await claire.press_value(f"broadcast:project:{lumiere}")

    assert "Choisissez l'une des réponses proposées ci-dessous." in claire.text
    async with app.database.transaction() as session:
        default = await repo.default_pole(session)
        assert default is not None and default.id is not None
        reached = await resolve(session, audience=f"partners:{lumiere}", pole_id=default.id)
    assert reached.recipients == ()
