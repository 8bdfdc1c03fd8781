import pytest

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat
from tests.helpers.rows import memberships_of, new_pole

ADMIN_ONLY = (
    "Cette commande est réservée aux personnes ayant le rôle "
    "administrateur ou administratrice dans votre pôle."
)


@pytest.fixture
async def admin(chat: Chat) -> Chat:
    await chat.sign_up("Alice Martin", "Biocoop Lyon")
    await chat.grant("admin")
    return chat


@pytest.fixture
async def bob(app: App) -> Chat:
    bob = Chat(app, Platform.CONSOLE, "bob")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands", "Industrie")
    return bob


async def test_a_member_is_refused_appointing(app: App, chat: Chat, bob: Chat) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon")

    await chat.say("/nommer animateur Bob Lefèvre")

    assert chat.text == ADMIN_ONLY
    person = await bob.person()
    assert person is not None
    assert await memberships_of(app, person) == {"Pôle RSE": "member"}


async def test_a_newcomer_is_told_to_sign_up_first(chat: Chat) -> None:
    await chat.say("/nommer animateur Bob Lefèvre")

    assert chat.text == (
        "Cette commande est réservée aux membres inscrits d'un pôle. "
        "Tapez /start pour vous inscrire."
    )


@pytest.mark.parametrize("who", ["Bob Lefèvre", "bob lefevre", "console:bob"])
async def test_an_admin_appoints_an_animator_by_name_or_account(
    app: App, admin: Chat, bob: Chat, who: str
) -> None:
    await admin.say(f"/nommer animateur {who}")

    assert admin.text == "Bob Lefèvre est désormais animateur ou animatrice de Pôle RSE."
    person = await bob.person()
    assert person is not None
    assert await memberships_of(app, person) == {"Pôle RSE": "animator"}


async def test_an_appointed_animator_sees_the_role_in_help(admin: Chat, bob: Chat) -> None:
    await admin.say("/nommer animateur Bob Lefèvre")

    await bob.say("/aide")

    assert "(votre rôle : animateur ou animatrice)" in bob.text


async def test_an_unknown_name_is_explained(admin: Chat, bob: Chat) -> None:
    await admin.say("/nommer animateur Zoé Navarro")

    assert admin.text == (
        "Je ne trouve personne nommé « Zoé Navarro » parmi les membres de Pôle RSE."
    )


async def test_two_members_with_the_same_name_are_ambiguous(app: App, admin: Chat) -> None:
    first = Chat(app, Platform.CONSOLE, "camille")
    second = Chat(app, Platform.TELEGRAM, "5551234")
    await first.sign_up("Camille Durand", "Atelier Durand")
    await second.sign_up("Camille Durand", "Durand Paysage", "Végétal")

    await admin.say("/nommer animateur Camille Durand")

    assert str(admin.replies[0].text) == (
        "Plusieurs membres s'appellent « Camille Durand » : indiquez plutôt leur compte "
        "(par exemple telegram:123456)."
    )
    assert "• Camille Durand — membre — telegram:5551234" in admin.text
    for other in (first, second):
        person = await other.person()
        assert person is not None
        assert await memberships_of(app, person) == {"Pôle RSE": "member"}


async def test_an_admin_cannot_appoint_a_member_of_another_pole(app: App, admin: Chat) -> None:
    other = await new_pole(app, "Végépolys Valley")
    claire = Chat(app, Platform.CONSOLE, "claire")
    await claire.sign_up("Claire Moreau", "Pépinières Moreau", "Végétal", code=other.invite_code)

    await admin.say("/nommer admin Claire Moreau")
    by_name = admin.text
    await admin.say("/nommer admin console:claire")

    assert by_name == (
        "Je ne trouve personne nommé « Claire Moreau » parmi les membres de Pôle RSE."
    )
    assert admin.text == (
        "Je ne trouve personne nommé « console:claire » parmi les membres de Pôle RSE."
    )
    person = await claire.person()
    assert person is not None
    assert await memberships_of(app, person) == {"Végépolys Valley": "member"}


async def test_the_usage_list_shows_only_members_of_the_admins_pole(
    app: App, admin: Chat, bob: Chat
) -> None:
    other = await new_pole(app, "Végépolys Valley")
    claire = Chat(app, Platform.CONSOLE, "claire")
    await claire.sign_up("Claire Moreau", "Pépinières Moreau", "Végétal", code=other.invite_code)

    await admin.say("/nommer")

    assert "Membres de Pôle RSE (2) :" in admin.text
    assert "• Alice Martin — administrateur ou administratrice — console:alice" in admin.text
    assert "• Bob Lefèvre — membre — console:bob" in admin.text
    assert "Claire Moreau" not in admin.text
    assert "console:claire" not in admin.text


async def test_roles_are_per_pole(app: App, admin: Chat) -> None:
    other = await new_pole(app, "Végépolys Valley")
    await admin.say("/start")
    await admin.press("Garder « Alice Martin »")
    await admin.press("Garder « Biocoop Lyon »")
    await admin.press("Agroalimentaire / bio")
    await admin.say(other.invite_code)
    assert "• Pôle : Végépolys Valley" in admin.text

    await admin.say("/aide")
    assert "(votre rôle : membre)" in admin.text
    await admin.say("/nommer animateur Alice Martin")
    assert admin.text == ADMIN_ONLY
    person = await admin.person()
    assert person is not None
    assert await memberships_of(app, person) == {
        "Pôle RSE": "admin",
        "Végépolys Valley": "member",
    }
