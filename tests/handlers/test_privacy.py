import json

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat
from tests.helpers.rows import stored

NOTHING_STORED = "Je ne conserve aucune donnée vous concernant."


async def test_my_data_sends_one_json_file_with_profile_account_and_membership(
    chat: Chat,
) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon", "Agroalimentaire / bio")

    await chat.say("/mesdonnees")

    assert chat.text == "Voici toutes les données que je conserve sur vous, au format JSON."
    [attachment] = [a for reply in chat.replies for a in reply.attachments]
    assert attachment.mime_type == "application/json"
    data = json.loads(attachment.data)
    assert data["personne"]["display_name"] == "Alice Martin"
    assert data["personne"]["company"] == "Biocoop Lyon"
    assert data["personne"]["sector"] == "agro_bio"
    assert [(c["platform"], c["platform_user_id"]) for c in data["comptes"]] == [
        ("console", "alice")
    ]
    assert [(a["pole"], a["role"]) for a in data["adhesions"]] == [("Pôle RSE", "member")]


async def test_my_data_before_signing_up_says_nothing_is_stored(app: App, chat: Chat) -> None:
    await chat.say("/mesdonnees")

    assert chat.text == NOTHING_STORED
    assert chat.replies[0].attachments == ()
    assert await stored(app) == {
        "people": 0,
        "identities": 0,
        "memberships": 0,
        "conversation_states": 0,
    }


async def test_forget_asks_for_confirmation(chat: Chat) -> None:
    await chat.sign_up()

    await chat.say("/oublier")

    assert "Voulez-vous vraiment effacer toutes vos données" in chat.text
    assert [b.label for b in chat.buttons] == ["Oui, tout effacer", "Non, garder mes données"]


async def test_forget_answered_no_keeps_everything(app: App, chat: Chat) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon")
    before = await stored(app)
    await chat.say("/oublier")

    await chat.press("Non")

    assert chat.text == "Rien n'a été effacé."
    person = await chat.person()
    assert person is not None and person.company == "Biocoop Lyon"
    assert await stored(app) == before


async def test_forget_answered_yes_erases_that_person_only(app: App, chat: Chat) -> None:
    bob = Chat(app, Platform.CONSOLE, "bob")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands", "Industrie")
    await chat.sign_up("Alice Martin", "Biocoop Lyon")
    await chat.say("/oublier")

    await chat.press("Oui")

    assert chat.text == "Vos données sont effacées. Au revoir ! Si vous revenez, tapez /start."
    assert await chat.person() is None
    assert await chat.state() is None
    assert await stored(app) == {
        "people": 1,
        "identities": 1,
        "memberships": 1,
        "conversation_states": 0,
    }
    kept = await bob.person()
    assert kept is not None and kept.display_name == "Bob Lefèvre"


async def test_forget_erases_the_language_chosen_before_signing_up(app: App, chat: Chat) -> None:
    # The chosen language is the only thing stored about someone who never signed up.
    await chat.say("/langue en")
    assert await chat.state() is not None

    await chat.say("/oublier")
    await chat.press("Yes")

    assert await chat.state() is None
    assert (await stored(app))["conversation_states"] == 0


async def test_my_data_after_erasure_says_nothing_is_stored(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("/oublier")
    await chat.press("Oui")

    await chat.say("/mesdonnees")

    assert chat.text == NOTHING_STORED
    assert chat.replies[0].attachments == ()


async def test_forget_with_nothing_stored_says_so(chat: Chat) -> None:
    await chat.say("/oublier")

    assert chat.text == NOTHING_STORED
    assert await chat.state() is None


async def test_cancelling_the_erasure_keeps_everything(app: App, chat: Chat) -> None:
    await chat.sign_up()
    before = await stored(app)
    await chat.say("/oublier")

    await chat.say("/annuler")

    assert chat.text == (
        "C'est annulé : vous avez interrompu la demande d'effacement de vos données "
        "et rien n'a été modifié."
    )
    assert await stored(app) == before
    assert await chat.person() is not None


async def test_start_during_the_erasure_question_is_refused(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("/oublier")

    await chat.say("/start")

    assert str(chat.replies[0].text).startswith(
        "Nous sommes au milieu de la demande d'effacement de vos données."
    )
    assert "Voulez-vous vraiment effacer toutes vos données" in str(chat.replies[-1].text)
