from tests.helpers.chat import Chat


async def test_sign_up_then_help_shows_member_role(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("/aide")
    assert "votre rôle : membre" in chat.text
