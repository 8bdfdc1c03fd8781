"""Free text typed outside any command or flow is answered from what the bot holds (the
modules, labels and templates, the watch, a club's directory for its members in private),
« je n'ai pas compris » only when nothing matches."""

from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Club, DirectoryEntry
from handlers.answers import keywords
from tests.handlers.club.test_clubs import BOB, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat


def test_the_words_that_say_what_a_question_is_about() -> None:
    assert keywords("C'est quoi la VSME ?") == ["vsme"]
    assert keywords("Un atelier sur les achats responsables") == ["atelier", "achat", "responsable"]
    assert keywords("bonjour, pouvez-vous m'aider ?") == []
    assert keywords("?! ...") == []


async def test_a_question_is_answered_with_the_module_that_speaks_of_it(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("c'est quoi la VSME ?")

    assert "Voici ce que j'ai à ce sujet" in chat.text
    assert chat.button("Module : ").value == "/decouvrir reglementation_2026"


async def test_asking_for_the_diagnostic_leads_to_the_module_on_it(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("Bonjour, je voudrais faire le diagnostic RSE")
    assert "/decouvrir rse_et_amelioration_continue" in [b.value for b in chat.buttons]


async def test_a_label_is_answered_with_its_page(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("le label LUCIE ?")
    assert chat.button("Label : ").value == "/labels lucie_26000"


async def test_a_lighting_project_is_answered_with_the_templates(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("un cahier des charges pour la mise en lumière de notre bâtiment ?")

    assert "• Le modèle « Cahier des charges : projet de mise en lumière responsable »" in chat.text
    assert chat.button("Modèle : ").value == "/ressources cahier_des_charges_lumiere"


async def test_a_grid_to_score_a_project_is_answered_with_the_evaluation_grid(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("une grille pour évaluer un projet d'éclairage")

    assert chat.button("Modèle : ").value == "/ressources grille_evaluation_lumiere"


async def test_greenwashing_leads_to_the_communication_module(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("le greenwashing")
    assert chat.button("Module : ").value == "/decouvrir communication_durable"


async def test_nothing_matching_says_it_did_not_understand(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("bonjour, les nuages")
    assert "Voici ce que j'ai" not in chat.text
    assert [button.value for button in chat.buttons] == ["/menu"]


async def test_a_club_member_is_shown_the_directory_in_private_not_in_a_group(app: App) -> None:
    claire = await an_animator(app)
    code = await create_club(claire)
    (bob,) = await join_club(app, code, [BOB])
    async with app.database.transaction() as session:
        (club_id,) = await session.scalars(select(Club.id))
        session.add(DirectoryEntry(club_id=club_id, subject="Harcèlement au travail"))

    await bob.say("harcelement au travail")
    assert "L'annuaire de vos clubs : « Harcèlement au travail »" in bob.text
    assert bob.button("Voir l'annuaire").value == "/annuaire harcelement travail"

    in_group = Chat(app, Platform.TELEGRAM, BOB.user_id, group="-100200300")
    await in_group.say("harcelement au travail")
    assert "Harcèlement au travail" not in in_group.text
