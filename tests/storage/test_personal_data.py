"""/mesdonnees and /oublier are complete by construction: every table of the schema is filled
through real flows, then the person is erased and no row of any table still names them."""

from datetime import UTC, datetime

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlmodel import SQLModel, select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.storage import personal_data, search
from bot.storage import repositories as repo
from bot.storage.models import (
    Campaign,
    ExchangePost,
    Introduction,
    Membership,
    Person,
    SurveyResponse,
    utcnow,
)
from bot.transports.slack_manifest import bot_scopes
from bot.transports.slack_oauth import Workspaces
from handlers.club import cafe
from handlers.plan import follow_up
from handlers.veille import editions
from tests.handlers.club.test_date_poll import open_poll
from tests.handlers.club.test_directory import declare
from tests.handlers.club.test_exchange import post
from tests.handlers.club.test_meetings import meeting_id, plan_meeting
from tests.handlers.club.test_minutes import AFTER_THE_MEETING, record_entry
from tests.handlers.club.test_topics import propose
from tests.handlers.test_broadcast import compose
from tests.handlers.test_diagnostic import QUICK_ANSWERS
from tests.helpers.chat import Chat
from tests.helpers.feed_server import FeedServer
from tests.helpers.rows import every_row
from tests.helpers.survey import add_partner, answer_all, create_project
from tests.helpers.workshops import plan as plan_workshop
from tests.helpers.workshops import workshop_number

NAME = "Alice Vasseur-Oberkampf"
COMPANY = "Tisserands du Vercors"
EMAIL = "alice.vasseur@tisserands-vercors.fr"
TELEGRAM_ID = "7391846025"
SLACK_ID = "U07VASSEUR"
HERS = (NAME, "Vasseur", COMPANY, EMAIL, TELEGRAM_ID, SLACK_ID)


async def _link_slack(alice: Chat, slack: Chat) -> None:
    await alice.say("/lier")
    code = alice.text.split("Votre code de liaison : ")[1].split()[0]
    await slack.say(f"/lier {code}")
    assert "C'est fait" in slack.text


async def _share_in_the_club(
    app: App, alice: Chat, bob: Chat, code: str, meeting: int, time_machine: TimeMachineFixture
) -> None:
    """What the club learns: Bob joins; topics (hers named and anonymous, his), votes, her
    competence naming her company, offers and requests, Bob's introduction to her, accepted,
    a consultant she refers him to, a café; then, the meeting over, her minutes naming her."""
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")
    hers = await propose(alice, "Former les managers à prévenir le harcèlement")
    await propose(alice, "Nos achats ne suivent pas notre politique RSE", "Anonymement")
    his = await propose(bob, "Un référent handicap partagé entre PME ?")
    await alice.say(f"/club soutenir {his}")
    await bob.say(f"/club soutenir {hers}")
    await declare(alice, f"Teintures végétales chez {COMPANY}")
    await post(alice, "offre", "Prêt de notre salle de formation pour vingt personnes")
    await post(bob, "demande", "Un avis sur notre premier bilan carbone")
    async with app.database.transaction() as session:
        alice_id = await session.scalar(select(Person.id).where(Person.display_name == NAME))
        request = await session.scalar(select(ExchangePost).where(ExchangePost.kind == "request"))
    assert alice_id is not None and request is not None
    await bob.say(f"/club relation {alice_id}")
    await bob.say("Votre salle de formation, pour notre séminaire de juin")
    await bob.say("bob.lefevre@tisserands.coop")
    await bob.press("Envoyer")
    async with app.database.transaction() as session:
        introduction = await session.scalar(select(Introduction.id))
    await alice.say(f"/club relation accepter {introduction}")
    await alice.say(EMAIL)
    await alice.say("/club consultant ajouter Marie Dubois ; ISO 14001 ; marie.dubois@conseil.fr")
    await alice.say(f"/club orienter {request.id}")
    await alice.press("Marie Dubois")
    for member in (alice, bob):
        await member.say("/club cafe oui")
    await cafe.pair_clubs(app, now=utcnow())

    time_machine.move_to(AFTER_THE_MEETING, tick=False)
    await alice.say(f"/club compte-rendu {meeting}")
    await alice.say("Visite de l'atelier de teinture, tour des fournisseurs")
    await record_entry(alice, "Teinture végétale", "Les fournisseurs de garance.", [NAME])
    await alice.press("Ni lien ni fichier")
    await alice.press("Terminer")


async def _fill_programmes(alice: Chat) -> None:
    """A run of Cluster Bio's programme that Alice opened and follows, sharing her progress, and
    the label she aims at (programme_runs, programme_enrolments, programme_step_records)."""
    await alice.say("/programme ouvrir cluster_bio 05/04/2027")
    run = alice.text.split("(n°")[1].split(")")[0]
    await alice.say(f"/programme inscrire {run} partager")
    await alice.say(f"/programme label {run} engage_rse")
    assert "vous visez le label « Label Engagé RSE (AFNOR) »" in alice.text, alice.text


async def _fill_readiness(app: App, alice: Chat) -> None:
    """Alice's « Suis-je prêt ? » for B Corp (readiness_results) and her own client survey, for
    whose client Hélène answers (survey_projects.owner_id): erased with her, and Hélène's part
    of it left out of her export."""
    await alice.say("/pret b_corp")
    for answer in ("Oui", "En partie", "Non", "Je ne sais pas"):
        await alice.press(answer)
    assert "B Corp (B Lab) : 1 exigence(s) sur 4" in alice.text, alice.text
    await alice.say("/pret client Mairie de Rezé")
    code = alice.text.split("Son code : ")[1].split()[0].strip("*")
    helene = Chat(app, Platform.TELEGRAM, "7391846099")
    for said in ("/start", "J'accepte", "Hélène Morel", "Mairie de Rezé", "Autre", "Passer", code):
        await helene.say(said)
    assert "Vous répondez désormais pour « Mairie de Rezé »" in helene.text, helene.text


async def _fill_workshops(app: App, alice: Chat, time_machine: TimeMachineFixture) -> None:
    """Alice asks for a workshop (workshop_requests), plans it for those who asked
    (workshops, event_guests), comes, and answers its survey (workshop_feedback)."""
    await alice.say("/atelier demander what_is_rse")
    await plan_workshop(alice, audience="Ceux qui l'ont demandé", when="12/05/2027 9h30")
    number = await workshop_number(app)
    await alice.say(f"/atelier rsvp {number} oui")
    time_machine.move_to(datetime(2027, 5, 12, 10, 0, tzinfo=UTC), tick=False)
    await alice.say(f"/atelier presences {number}")
    await alice.say("1")
    await alice.press("Valider")
    await alice.say(f"/atelier avis {number}")
    for answer in ("Tout à fait", "Plutôt oui", "Tout à fait"):
        await alice.press(answer)
    await alice.say(f"Merci, très concret. {EMAIL}")
    assert "Merci pour votre avis" in alice.text, alice.text


async def _fill_slack_workspace(app: App) -> None:
    """The default pôle's Slack workspace, installed through OAuth (slack_installations: the
    pôle's, naming nobody), and where Alice's Slack account, her direct messages and a channel
    are, as the transport notes them (slack_chats)."""
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
    workspaces = Workspaces(app.database)
    installation = Installation(
        app_id="A07RSEBOT",
        team_id="T07VERCORS",
        team_name="Pôle RSE Vercors",
        bot_token="xoxb-vercors-1",
        bot_id="B07RSEBOT",
        bot_user_id="U07RSEBOT",
        bot_scopes=bot_scopes(),
        user_id="U07ADMIN",
    )
    await workspaces.save(installation, pole_id=pole.id)
    for chat, user in ((SLACK_ID, SLACK_ID), ("D" + SLACK_ID, SLACK_ID), ("C07CLUB", None)):
        await workspaces.remember(chat, team_id="T07VERCORS", user_id=user)


async def _fill_everything(
    app: App, feeds: FeedServer, time_machine: TimeMachineFixture
) -> tuple[Chat, Chat]:
    """Alice, an animator on Telegram and Slack, uses every feature; Claire and Bob too."""
    alice = Chat(app, Platform.TELEGRAM, TELEGRAM_ID)
    await alice.sign_up(NAME, COMPANY, email=EMAIL)
    await alice.grant("animator")
    bob = Chat(app, Platform.CONSOLE, "bob")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    claire = Chat(app, Platform.SLACK, "U07CLAIRE")
    await claire.sign_up("Claire Roux", "Pôle Végépolys")
    await claire.grant("animator")
    slack = Chat(app, Platform.SLACK, SLACK_ID)
    await _link_slack(alice, slack)
    await _fill_slack_workspace(app)
    await alice.say("/lier")  # a code still pending

    await alice.say("/diagnostic")
    await alice.press("Version rapide")
    await alice.press("💬 Ajouter un commentaire")
    await alice.say(f"Contact pour le comité : {EMAIL}")
    for letter in QUICK_ANSWERS:
        await alice.press(letter)
    await alice.say("/plan")
    await alice.press("1")
    await alice.press("Valider")
    await alice.press("Dans 3 mois")
    assert await follow_up(app) == 1
    # Module 01 of /decouvrir, its quiz to the end (module_progress).
    await alice.say("/decouvrir 1")
    while "Passer au quiz" not in [button.label for button in alice.buttons]:
        await alice.press("Suite")
    await alice.press("Passer au quiz")
    for answer in ("7", "Des lignes directrices", "La redevabilité"):
        await alice.press(answer)
    assert "Quiz terminé : 3/3" in alice.text, alice.text

    await alice.say("/veille abonner")
    await alice.press("Tous les thèmes")
    await alice.say(f"/veille ajouter {feeds.url('rss2.xml')}")
    await alice.say("/veille horaire note mardi 9h")
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
    await editions.refresh(app, pole_id=pole.id)
    assert await editions.publish(app, pole_id=pole.id, kind="note") is not None

    for animator in (alice, claire):
        await compose(animator, "Club RSE jeudi 4 décembre à 9 h : retour sur le bilan carbone.")
        await animator.press("Telegram et Slack")
        await animator.press("Envoyer")
        assert "lancée" in animator.text, animator.text

    await alice.say("/club creer Club BouRSE")
    code = alice.text.split("Son code : ")[1].split(".")[0]
    await alice.say(f"/club rejoindre {code}")
    await alice.press("J'accepte la charte")
    await plan_meeting(alice)
    await alice.press("Inviter")
    meeting = await meeting_id(app)  # before the poll, the only event
    await alice.say(f"/club rsvp {meeting} oui")
    await alice.say("/club agenda")
    poll = await open_poll(alice, slots="12/04/2027 9h30; 19/04/2027 9h30")
    await alice.say(f"/club dispo {poll} 1 oui")
    await _share_in_the_club(app, alice, bob, code, meeting, time_machine)

    # A partner survey: Alice and Bob answer for the Eurométropole; Bob has begun, Alice sent
    # the partner's response.
    project = await create_project(alice)
    partner = await add_partner(alice, project, "Eurométropole de Strasbourg")
    for respondent in (alice, bob):
        await respondent.say(f"/enquete {partner}")
    await alice.say(f"/enquete ouvrir {project}")
    await bob.say("/enquete")
    await bob.press("Répondre pour Eurométropole")
    await bob.press("Plutôt d'accord")
    await answer_all(alice, "Eurométropole", "Plutôt d'accord", comment="Comité de pilotage actif")

    # A document of the pôle that Alice added to /ressources (resource_files).
    await alice.say("/ressources ajouter")
    await alice.send_file("atelier-achats.pdf", b"%PDF-1.4 diaporama de l'atelier")
    await alice.say("Diaporama de l'atelier achats responsables")

    await _fill_programmes(alice)
    await _fill_readiness(app, alice)
    await _fill_workshops(app, alice, time_machine)

    await alice.say("/diffuser")
    await alice.say(f"Brouillon : écrivez-moi à {EMAIL}")
    await alice.send_file("programme.pdf", f"%PDF-1.4 programme de {NAME}".encode())
    return slack, bob


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A bot that sends e-mail and serves calendar feeds, so that Alice gives her address and
    subscribes to her meetings."""
    return Settings.model_validate(
        settings.model_dump()
        | {
            "_env_file": None,
            "smtp_url": "smtp://club-rse:s3cret@smtp.tisserands-vercors.fr:587",
            "mail_from": "Pôle RSE <club-rse@pole-rse.fr>",
            "public_url": "https://rse.pole-rse.fr",
        }
    )


@pytest.fixture
async def filled(app: App, time_machine: TimeMachineFixture) -> tuple[Chat, Chat]:
    async with FeedServer() as feeds:
        return await _fill_everything(app, feeds, time_machine)


async def test_every_table_is_filled_by_the_flows_of_this_test(
    app: App, filled: tuple[Chat, Chat]
) -> None:
    """Guards the test below: a new table nobody fills here would pass it unchecked."""
    rows = await every_row(app)
    empty = [t.name for t in SQLModel.metadata.sorted_tables if not rows.get(t.name)]
    assert empty == [], f"fill these tables in _fill_everything: {empty}"


async def test_the_export_holds_a_row_of_every_table_that_names_the_person(
    app: App, filled: tuple[Chat, Chat]
) -> None:
    alice, _ = filled  # on her Slack account: the Telegram one is writing a broadcast
    await alice.say("/mesdonnees")
    exported = alice.replies[0].attachments[0].data.decode()

    for word in (EMAIL, COMPANY, SLACK_ID, "programme.pdf", "bilan carbone"):
        assert word in exported, word
    rows = await every_row(app)
    # A search table shows its source table's rows (FTS5's external content): exported there.
    naming = {
        name
        for name, lines in rows.items()
        if any(h in " ".join(lines) for h in HERS) and not search.is_search_table(name)
    }
    for table in naming:
        assert f'"{personal_data.EXPORT_NAMES.get(table, table)}"' in exported, table


async def test_forgetting_leaves_no_row_naming_the_person_in_any_table(
    app: App, filled: tuple[Chat, Chat]
) -> None:
    alice, bob = filled  # on Slack, while her Telegram account has a draft open
    await alice.say("/oublier")
    await alice.press("Oui, tout effacer")

    rows = await every_row(app)
    left = {
        name: [line for line in lines if any(h in line for h in HERS)]
        for name, lines in rows.items()
    }
    assert {name: lines for name, lines in left.items() if lines} == {}
    # Her calendar feed's token names nobody, yet opens her meetings: it goes too (only she had
    # a feed).
    assert rows["calendar_feeds"] == []
    # Others keep theirs: Bob's membership, and Alice's broadcast he received, unnamed.
    async with app.database.transaction() as session:
        assert await session.scalar(select(Membership.id)) is not None
        broadcasts = list(
            await session.scalars(select(Campaign).where(Campaign.kind == "broadcast"))
        )
        follow_ups = list(
            await session.scalars(select(Campaign).where(Campaign.kind == "follow_up"))
        )
    assert len(broadcasts) == 2 and None in {c.author_id for c in broadcasts}
    # The response she sent is the Eurométropole's: it stays, unnamed.
    async with app.database.transaction() as session:
        (response,) = await session.scalars(select(SurveyResponse))
    assert response.submitted_by is None and set(response.answers.values()) == {"plutot"}
    assert response.comments == {"gouvernance": "Comité de pilotage actif"}
    # The monthly follow-up named her actions (not her): it goes too.
    assert follow_ups == []
    await bob.say("/accueil")
    assert "Bob Lefèvre" in bob.text
