"""Group chats never receive anything personal, through python-telegram-bot and Bolt against
the fake servers: typed, pressed (an old menu's button), or while a private draft is open."""

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Campaign
from bot.transports.telegram import TelegramTransport
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.test_slack import ALICE as SLACK_ALICE
from tests.transports.test_slack import Server, slack, text_of
from tests.transports.test_slack import sign_up as slack_sign_up
from tests.transports.test_telegram import ALICE, Conversation, sign_up

GROUP = -1001234567890
CHANNEL = "C0CLUB"
PERSONAL = ("Alice Martin", "Biocoop Lyon", "code de liaison")


def said_in_group(fake: FakeTelegram) -> str:
    return "\n".join(str(m.get("text", "")) for m in fake.messages_to(GROUP))


@pytest.mark.parametrize("command", ["/mesdonnees", "/accueil", "/lier"])
async def test_an_old_menu_button_pressed_in_a_telegram_group_shows_nothing_personal(
    fake_telegram: FakeTelegram, telegram: TelegramTransport, command: str
) -> None:
    await sign_up(Conversation(fake_telegram))
    fake_telegram.user_says(ALICE, "/menu", chat_id=GROUP, chat_type="supergroup")
    (menu,) = await fake_telegram.wait_for_messages(GROUP, 1)
    offered = [b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert command not in offered

    # A menu posted before this fix still carries the button.
    fake_telegram.user_presses(ALICE, menu, command)
    _, answer = await fake_telegram.wait_for_messages(GROUP, 2)

    assert "ne fonctionne qu'en conversation privée" in answer["text"]
    assert "document" not in answer
    assert not any(word in said_in_group(fake_telegram) for word in PERSONAL)


async def test_a_private_draft_never_speaks_in_a_telegram_group(
    app: App, fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    alice = Conversation(fake_telegram)
    await sign_up(alice)
    await Chat(app, Platform.TELEGRAM, str(ALICE)).grant("animator")
    await alice.say("/diffuser")
    await alice.say("Confidentiel : fusion avec la Scop Les Tisserands en mars.")

    fake_telegram.user_says(ALICE, "/veille", chat_id=GROUP, chat_type="supergroup")
    fake_telegram.user_says(ALICE, "/annuler", chat_id=GROUP, chat_type="supergroup")
    await fake_telegram.wait_for_messages(GROUP, 2)

    assert "fusion" not in said_in_group(fake_telegram)
    assert "pièce jointe" not in said_in_group(fake_telegram)
    reply = await alice.press("Sans pièce jointe")
    assert "À qui l'envoyer" in reply["text"]


async def test_a_button_pressed_in_a_slack_channel_is_refused_like_the_typed_command(
    slack: Server, fake_slack: FakeSlack
) -> None:
    await slack_sign_up(slack)
    assert await slack.post(fake_slack.mention(SLACK_ALICE, CHANNEL, "<@UBOT> menu")) == 200
    (menu,) = await fake_slack.wait_for_messages(CHANNEL, 1)
    values = [e["value"] for b in menu["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "/mesdonnees" not in values

    request = fake_slack.press(SLACK_ALICE, menu, "rse-0", "/mesdonnees")
    assert await slack.post(request) == 200
    _, answer = await fake_slack.wait_for_messages(CHANNEL, 2)

    assert "ne fonctionne qu'en conversation privée" in text_of(answer)
    assert [f for f in fake_slack.files if f["channel"] == CHANNEL] == []


__all__ = ["slack"]  # the fixture of test_slack.py, used here too


async def test_a_private_command_mentioned_in_a_slack_channel_is_refused_there(
    slack: Server, fake_slack: FakeSlack
) -> None:
    await slack_sign_up(slack)
    request = fake_slack.mention(SLACK_ALICE, CHANNEL, "<@UBOT> mesdonnees")
    assert await slack.post(request) == 200
    (answer,) = await fake_slack.wait_for_messages(CHANNEL, 1)

    assert "ne fonctionne qu'en conversation privée" in text_of(answer)
    assert fake_slack.files == []


async def test_an_animator_demoted_mid_draft_on_telegram_sends_nothing(
    app: App, fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    alice = Conversation(fake_telegram)
    await sign_up(alice)
    account = Chat(app, Platform.TELEGRAM, str(ALICE))
    await account.grant("animator")
    await alice.say("/diffuser")
    await alice.say("Club RSE jeudi 4 décembre à 9 h chez Scop Les Tisserands.")
    await alice.press("Sans pièce jointe")
    await alice.press("Tous les membres")
    await alice.press("Telegram et Slack")
    await account.grant("member")

    stopped = await alice.press("Envoyer")

    assert "Vous n'avez plus le rôle animateur ou animatrice" in stopped["text"]
    assert not (stopped.get("reply_markup") or {}).get("inline_keyboard")
    async with app.database.transaction() as session:
        assert await session.scalar(select(Campaign.id)) is None
