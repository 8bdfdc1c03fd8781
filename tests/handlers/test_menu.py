from bot.messages import Button
from tests.helpers.chat import Chat


def labels(chat: Chat) -> list[str]:
    return [button.label for button in chat.buttons]


async def test_menu_for_a_newcomer_offers_to_sign_up(chat: Chat) -> None:
    await chat.say("/menu")

    assert chat.text == (
        "Que voulez-vous faire ? Pour profiter de tout, commencez par vous inscrire."
    )
    assert labels(chat) == ["S'inscrire", "Aide", "Langue / language", "Mes données"]


async def test_menu_for_a_member_offers_the_profile(chat: Chat) -> None:
    await chat.sign_up()

    await chat.say("/menu")

    assert chat.text == "Que voulez-vous faire ?"
    assert labels(chat) == [
        "Mon profil",
        "Autodiagnostic RSE",
        "Mon plan d'actions",
        "Veille RSE",
        "Découvrir la RSE",
        "Labels RSE",
        "Programmes du pôle",
        "Ateliers et journées",
        "Clubs RSE",
        "Ressources et modèles",
        "Aide",
        "Langue / language",
        "Mes données",
        "Lier un autre compte",
    ]


async def test_menu_for_an_admin_adds_members_roles(chat: Chat) -> None:
    await chat.sign_up()
    await chat.grant("admin")

    await chat.say("/menu")

    assert chat.button("Rôles des membres") == Button("Rôles des membres", "/nommer")
    assert "Mon profil" in labels(chat)


async def test_pressing_a_menu_button_runs_its_command(chat: Chat) -> None:
    await chat.say("/menu")

    await chat.press("Aide")

    assert chat.text.startswith("Voici ce que vous pouvez faire ici.")
    assert "/mesdonnees — recevoir toutes les données que je garde sur vous" in chat.text


async def test_help_for_a_member_leaves_out_admin_commands(chat: Chat) -> None:
    await chat.sign_up()

    await chat.say("/aide")

    assert "Voici ce que vous pouvez faire ici (votre rôle : membre) :" in chat.text
    assert "/oublier — effacer toutes vos données" in chat.text
    assert "/nommer" not in chat.text


async def test_help_for_an_admin_lists_appointing(chat: Chat) -> None:
    await chat.sign_up()
    await chat.grant("admin")

    await chat.say("/aide")

    assert "(votre rôle : administrateur ou administratrice)" in chat.text
    assert "/nommer — donner un rôle à un membre de votre pôle (admins)" in chat.text


async def test_an_unknown_command_is_named_in_the_answer(chat: Chat) -> None:
    await chat.say("/bonjour")

    assert chat.text == (
        "Je ne connais pas la commande /bonjour. Tapez /aide pour la liste des commandes."
    )


async def test_plain_text_outside_a_flow_is_not_understood(chat: Chat) -> None:
    """When nothing the bot holds speaks of it (handlers/answers.py answers the rest)."""
    await chat.sign_up()

    await chat.say("Bonjour, vous êtes là ?")

    assert chat.text.startswith("Je n'ai pas compris.")
    assert chat.buttons == [Button("Menu", "/menu")]
    assert await chat.state() is None


async def test_cancel_outside_a_flow_says_there_is_nothing_to_cancel(chat: Chat) -> None:
    await chat.say("/annuler")

    assert chat.text == "Il n'y a rien à annuler. Tapez /menu pour voir ce que je peux faire."
