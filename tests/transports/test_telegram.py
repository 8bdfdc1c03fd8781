import json
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import ClientSession

from bot.app import App
from bot.messages import Attachment, Button, Platform, Reply, Text
from bot.storage import repositories as repo
from bot.transports.base import Unreachable
from bot.transports.http import HttpServer
from bot.transports.telegram import TelegramTransport
from tests.helpers.chat import Chat
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port, telegram_transport

ALICE = 1001


def button(message: dict, label: str) -> str:
    """The callback data of the button whose label starts with ``label``."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    found = [b["callback_data"] for row in rows for b in row if b["text"].startswith(label)]
    assert len(found) == 1, f"no button {label!r} in {rows}"
    return found[0]


class Conversation:
    """Alice in a private chat with the bot, through the fake Telegram server: her updates are
    fetched by long polling, or posted to the bot's webhook as Telegram would."""

    def __init__(
        self, fake: FakeTelegram, user_id: int = ALICE, webhook: tuple[str, str] | None = None
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.webhook = webhook

    @property
    def received(self) -> list[dict]:
        """The messages the bot sent to this chat, edits left out."""
        return [m for m in self.fake.messages_to(self.user_id) if "edit_date" not in m]

    @property
    def last(self) -> dict:
        return self.received[-1]

    async def say(self, text: str) -> dict:
        return await self._await_reply(lambda: self.fake.user_says(self.user_id, text))

    async def press(self, label: str) -> dict:
        message = self.last
        data = button(message, label)
        return await self._await_reply(lambda: self.fake.user_presses(self.user_id, message, data))

    async def _await_reply(self, act: Callable[[], dict]) -> dict:
        before = len(self.received)
        update = act()
        if self.webhook is not None:
            url, secret = self.webhook
            async with ClientSession() as client:
                posted = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
                )
                assert posted.status == 200
        await self.fake.wait_for(lambda: len(self.received) > before)
        return self.last


async def sign_up(chat: Conversation, name: str = "Alice Martin") -> dict:
    await chat.say("/start")
    await chat.press("J'accepte")
    await chat.say(name)
    await chat.say("Biocoop Lyon")
    await chat.press("Numérique")
    return await chat.press("Rejoindre")


@pytest.fixture(params=["polling", "webhook"])
async def conversation(
    request: pytest.FixtureRequest, app: App, fake_telegram: FakeTelegram
) -> AsyncIterator[Conversation]:
    """Alice talking to a started transport, in each of Telegram's two modes."""
    if request.param == "polling":
        transport = telegram_transport(app, fake_telegram)
        http = None
        webhook = None
    else:
        port = free_port()
        webhook = (f"http://127.0.0.1:{port}/telegram", "s3cr3t")
        transport = telegram_transport(
            app, fake_telegram, webhook_url=webhook[0], webhook_secret=webhook[1]
        )
        http = HttpServer("127.0.0.1", port)
        http.add_post("/telegram", transport.webhook)
        await http.start()
    await transport.start()
    try:
        yield Conversation(fake_telegram, webhook=webhook)
    finally:
        if http is not None:
            await http.stop()
        await transport.stop()


async def test_onboarding_menu_and_my_data_in_both_modes(conversation: Conversation) -> None:
    welcome = await conversation.say("/start")
    assert "Bonjour et bienvenue" in welcome["text"]
    done = await sign_up(conversation)
    assert "C'est fait, bienvenue Alice Martin !" in done["text"]
    await conversation.say("/menu")
    helped = await conversation.press("Aide")
    assert "votre rôle : membre" in helped["text"]
    await conversation.say("/mesdonnees")
    await conversation.fake.wait_for(lambda: "document" in conversation.last)
    exported = json.loads(conversation.last["document"]["content"])
    assert exported["personne"]["company"] == "Biocoop Lyon"


async def test_whole_onboarding_through_polling(
    app: App, fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    welcome = await chat.say("/start")
    assert "Bonjour et bienvenue" in welcome["text"]
    assert welcome["parse_mode"] == "HTML"
    done = await sign_up(chat)
    assert "C'est fait, bienvenue Alice Martin !" in done["text"]
    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="telegram", user_id=str(ALICE))
    assert person is not None and person.company == "Biocoop Lyon"


async def test_pressed_button_is_answered_and_its_message_shows_the_choice(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    question = await chat.say("/start")
    await chat.press("J'accepte")
    await fake_telegram.wait_for(lambda: len(fake_telegram.edits) == 1)
    assert len(fake_telegram.answered_callbacks) == 1
    edited = fake_telegram.edits[0]
    assert edited["message_id"] == question["message_id"]
    assert edited["text"].endswith("<i>→ J'accepte</i>")
    assert not edited.get("reply_markup")


async def test_menu_button_runs_its_command(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    await sign_up(chat)
    await chat.say("/menu")
    helped = await chat.press("Aide")
    assert "Voici ce que vous pouvez faire ici (votre rôle : membre)" in helped["text"]


async def test_my_data_arrives_as_a_json_document(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    await sign_up(chat)
    chat.fake.user_says(ALICE, "/mesdonnees")
    await fake_telegram.wait_for(lambda: "document" in chat.last)
    document = chat.last["document"]
    assert document["filename"] == "mes-donnees-rse-bot.json"
    exported = json.loads(document["content"])
    assert exported["personne"]["display_name"] == "Alice Martin"
    assert exported["comptes"][0]["platform_user_id"] == str(ALICE)


async def test_text_from_people_is_escaped_in_html(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    done = await sign_up(chat, name="<b>Zoé</b> & Fils")
    assert "bienvenue &lt;b&gt;Zoé&lt;/b&gt; &amp; Fils !" in done["text"]


async def test_an_old_button_gets_a_polite_answer(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    consent = await chat.say("/start")
    await chat.press("J'accepte")
    stale = await chat._await_reply(
        lambda: fake_telegram.user_presses(ALICE, consent, button(consent, "Je refuse"))
    )
    assert "Ce bouton ne correspond plus à une question en cours." in stale["text"]
    assert "Comment vous appelez-vous ?" in stale["text"]


async def test_long_text_is_split_on_paragraphs_with_buttons_under_the_last_part(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    paragraphs = [f"Paragraphe {n} : " + "la RSE au quotidien. " * 60 for n in range(12)]
    reply = Reply(Text.plain("\n\n".join(paragraphs)), (Button("Aide", "/aide"),))
    await telegram.send(str(ALICE), reply)
    sent = fake_telegram.messages_to(ALICE)
    assert len(sent) > 1
    assert all(len(m["text"]) <= 4096 for m in sent)
    assert all(m["text"].startswith("Paragraphe") for m in sent)
    assert [bool(m.get("reply_markup")) for m in sent] == [False] * (len(sent) - 1) + [True]


async def test_images_go_as_photos_and_other_files_as_documents(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chart = Attachment("radar.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    invite = Attachment("club.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    await telegram.send(str(ALICE), Reply(Text.plain("Vos fichiers"), attachments=(chart, invite)))
    sent = fake_telegram.messages_to(ALICE)
    assert sent[1]["photo"]["content"] == chart.data
    assert sent[2]["document"]["filename"] == "club.ics"
    assert sent[2]["document"]["mime_type"] == "text/calendar"


async def test_ordinary_group_chatter_is_ignored_and_commands_answered(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    group = -100200
    fake_telegram.user_says(ALICE, "Bonjour à tous !", chat_id=group, chat_type="supergroup")
    fake_telegram.user_says(ALICE, "/aide@autre_bot", chat_id=group, chat_type="supergroup")
    fake_telegram.user_says(ALICE, "/aide@rse_test_bot", chat_id=group, chat_type="supergroup")
    answered = await fake_telegram.wait_for_messages(group, 1)
    fake_telegram.user_says(ALICE, "/menu", chat_id=group, chat_type="supergroup")
    answered = await fake_telegram.wait_for_messages(group, 2)
    assert "Voici ce que je sais faire dans ce groupe" in answered[0]["text"]
    assert "Que voulez-vous faire ?" in answered[1]["text"]
    assert len(fake_telegram.messages_to(group)) == 2


async def test_command_menu_is_published_in_french_and_english(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    french = {c["command"]: c["description"] for c in fake_telegram.commands["fr"]}
    english = {c["command"]: c["description"] for c in fake_telegram.commands["en"]}
    assert french["aide"] == "cette aide"
    assert english["aide"] == "this help"
    assert fake_telegram.commands[None] == fake_telegram.commands["fr"]
    assert "nommer" not in french


async def test_blocked_member_is_marked_unreachable(
    app: App, fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    await Chat(app, Platform.TELEGRAM, str(ALICE)).sign_up()
    fake_telegram.fail(ALICE, 403)
    with pytest.raises(Unreachable):
        await telegram.send(str(ALICE), Reply(Text.plain("Rappel : club RSE jeudi")))
    person = await Chat(app, Platform.TELEGRAM, str(ALICE)).person()
    assert person is not None
    async with app.database.transaction() as session:
        (identity,) = await repo.identities_of(session, person_id=person.id)
    assert identity.unreachable_at is not None
    assert "blocked" in identity.unreachable_reason
    assert [method for method, _ in fake_telegram.calls].count("sendMessage") == 1


async def test_transient_server_errors_are_retried(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    fake_telegram.fail(ALICE, 502, times=2)
    await telegram.send(str(ALICE), Reply(Text.plain("Veille RSE de la semaine")))
    assert [m["text"] for m in fake_telegram.messages_to(ALICE)] == ["Veille RSE de la semaine"]


async def test_webhook_takes_updates_with_the_secret_and_refuses_others(
    app: App, fake_telegram: FakeTelegram
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    transport = telegram_transport(app, fake_telegram, webhook_url=url, webhook_secret="s3cr3t")
    http = HttpServer("127.0.0.1", port)
    assert transport.webhook_path == "/telegram/hook"
    http.add_post(transport.webhook_path, transport.webhook)
    await transport.start()
    await http.start()
    try:
        assert fake_telegram.webhook["url"] == url
        assert fake_telegram.webhook["secret_token"] == "s3cr3t"
        update = {
            "update_id": 77,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": ALICE, "type": "private"},
                "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"},
                "text": "/aide",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        async with ClientSession() as client:
            missing = await client.post(url, json=update)
            wrong = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            right = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t"}
            )
        assert (missing.status, wrong.status, right.status) == (403, 403, 200)
        (answer,) = await fake_telegram.wait_for_messages(ALICE, 1)
        assert "Voici ce que vous pouvez faire ici" in answer["text"]
    finally:
        await http.stop()
        await transport.stop()


async def test_a_photo_without_caption_gets_asked_for_text_and_the_question_again(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    await chat.say("/start")
    await chat.press("J'accepte")

    def photo() -> dict:
        update = fake_telegram.user_says(ALICE, "")
        del update["message"]["text"]
        update["message"]["photo"] = [
            {"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}
        ]
        return update

    answer = await chat._await_reply(photo)
    assert "Je ne lis que le texte" in answer["text"]
    assert "Comment vous appelez-vous ?" in answer["text"]


async def test_a_quick_diagnostic_ends_with_the_radar_chart_as_a_photo(
    fake_telegram: FakeTelegram, telegram: TelegramTransport
) -> None:
    chat = Conversation(fake_telegram)
    await sign_up(chat)
    await chat.say("/diagnostic")
    await chat.press("Version rapide")
    for letter in ("A", "B", "B", "C", "D", "A", "C"):
        await chat.press(letter)

    await fake_telegram.wait_for(lambda: any("photo" in m for m in chat.received))
    (chart,) = [m for m in chat.received if "photo" in m]
    assert chart["photo"]["content"][:8] == b"\x89PNG\r\n\x1a\n"
    texts = [m.get("text", "") for m in chat.received]
    assert any(t.startswith("<b>Votre niveau : Intermédiaire</b> — 57 %") for t in texts)
    await fake_telegram.wait_for(lambda: "Vos axes de progrès" in chat.last.get("text", ""))
