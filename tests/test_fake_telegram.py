"""The fake Telegram server speaks well enough for the real python-telegram-bot to use it."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.helpers.fake_telegram import FakeTelegram

# PTB 22.2+ warns on every RetryAfter that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2.*retry_after:telegram.warnings.PTBDeprecationWarning"
)

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Oui", callback_data="yes"),
            InlineKeyboardButton("Non", callback_data="no"),
        ]
    ]
)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(FakeTelegram.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
        yield b


@pytest.fixture
async def app(tg: FakeTelegram) -> AsyncIterator[Application]:
    """A PTB Application polling the fake; tests add their handlers."""
    application = (
        ApplicationBuilder()
        .token(FakeTelegram.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def seconds(error: RetryAfter) -> float:
    """retry_after in seconds: an int in PTB 22 (a timedelta with PTB_TIMEDELTA=true)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


# --- the bot's calls ---------------------------------------------------------------------------


async def test_get_me_answers_the_fake_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (4242, "rse_test_bot", True)


async def test_send_message_records_html_and_inline_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(
        7, "<b>Bonjour</b> &amp; bienvenue", "HTML", reply_markup=KEYBOARD
    )

    assert message.chat.id == 7 and message.from_user.id == FakeTelegram.bot_id
    assert message.reply_markup == KEYBOARD
    [sent] = tg.messages_to(7)
    assert sent["text"] == "<b>Bonjour</b> &amp; bienvenue"
    assert sent["parse_mode"] == "HTML"
    assert sent["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no"


async def test_calls_hold_decoded_parameters_and_keep_strings(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(7, "42", reply_markup=KEYBOARD)

    method, params = tg.calls[-1]
    assert method == "sendMessage"
    assert params["chat_id"] == 7 and params["text"] == "42"
    assert isinstance(params["reply_markup"], dict)


async def test_html_telegram_cannot_parse_is_refused(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await bot.send_message(7, "ligne 1<br>ligne 2", "HTML")
    assert tg.sent == [] and tg.rejected == [("sendMessage", 7, 400)]


async def test_message_over_4096_characters_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(7, "é" * 4097)


async def test_callback_data_over_64_bytes_is_refused(bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(7, "Choisissez", reply_markup=keyboard)


async def test_edit_message_text_records_the_new_version(tg: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(7, "Page 1", reply_markup=KEYBOARD)

    edited = await first.edit_text("Page 2")

    assert edited.message_id == first.message_id and edited.text == "Page 2"
    assert edited.reply_markup is None  # Telegram drops the keyboard the edit does not repeat
    assert [m["text"] for m in tg.messages_to(7)] == ["Page 1", "Page 2"]
    assert tg.edits == [tg.sent[-1]] and "edit_date" in tg.edits[0]


async def test_edit_that_changes_nothing_is_refused_like_telegram(bot: Bot) -> None:
    first = await bot.send_message(7, "Page 1")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await first.edit_text("Page 1")


async def test_edit_reply_markup_keeps_the_text(tg: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(7, "<i>Menu</i>", "HTML", reply_markup=KEYBOARD)

    await first.edit_reply_markup(None)

    assert tg.edits[-1]["text"] == "<i>Menu</i>" and tg.edits[-1]["reply_markup"] is None
    assert tg.edits[-1]["parse_mode"] == "HTML"


async def test_answer_callback_query_records_the_answer(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(7, "Choisissez", reply_markup=KEYBOARD)
    press = tg.user_presses(7, tg.sent[-1], "yes")
    query_id = press["callback_query"]["id"]

    assert await bot.answer_callback_query(query_id, "C'est noté")

    assert press["callback_query"]["message"]["message_id"] == sent.message_id
    assert tg.answered_callbacks == [{"callback_query_id": query_id, "text": "C'est noté"}]


async def test_send_document_uploads_the_bytes(tg: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_document(
        7, b"%PDF-1.4 rapport", filename="rapport.pdf", caption="Bilan"
    )

    assert message.document.file_name == "rapport.pdf" and message.caption == "Bilan"
    document = tg.sent[-1]["document"]
    assert document["content"] == b"%PDF-1.4 rapport"
    assert (document["filename"], document["mime_type"]) == ("rapport.pdf", "application/pdf")


async def test_send_photo_uploads_bytes_that_get_file_downloads(tg: FakeTelegram, bot: Bot) -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    message = await bot.send_photo(7, png, filename="logo.png")

    assert tg.sent[-1]["photo"]["content"] == png
    file = await bot.get_file(message.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == png


async def test_set_my_commands_by_language(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("aide", "Afficher l'aide")], language_code="fr")
    await bot.set_my_commands([BotCommand("help", "Show help")])

    assert tg.commands == {
        "fr": [{"command": "aide", "description": "Afficher l'aide"}],
        None: [{"command": "help", "description": "Show help"}],
    }
    await bot.delete_my_commands(language_code="fr")
    assert list(tg.commands) == [None]


async def test_command_name_telegram_refuses_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("créer", "Créer un projet")])


async def test_set_and_delete_webhook(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook(
        "https://rse.example/tg", secret_token="s3cret", allowed_updates=["message"]
    )

    assert tg.webhook == {
        "url": "https://rse.example/tg",
        "secret_token": "s3cret",
        "allowed_updates": ["message"],
    }
    assert (await bot.get_webhook_info()).url == "https://rse.example/tg"
    await bot.delete_webhook()
    assert tg.webhook is None


async def test_unknown_method_is_refused_and_recorded(tg: FakeTelegram, bot: Bot) -> None:
    # PTB maps Telegram's 404 to InvalidToken, whatever the description says.
    with pytest.raises(InvalidToken, match="Not Found: method sendDice"):
        await bot.send_dice(7)
    assert tg.calls[-1][0] == "sendDice" and tg.rejected == [("sendDice", 7, 404)]


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    stranger = Bot("1:other-token", base_url=tg.base_url)
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await stranger.get_me()
    assert tg.calls == [] and tg.rejected == [("getMe", 0, 401)]


# --- the users' side -----------------------------------------------------------------------------


async def test_user_says_marks_a_leading_command(tg: FakeTelegram) -> None:
    update = Update.de_json(tg.user_says(7, "/start@rse_test_bot pole-a"), None)

    assert update.effective_chat.type == "private" and update.effective_chat.id == 7
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start@rse_test_bot")


async def test_user_says_in_a_group(tg: FakeTelegram) -> None:
    update = tg.user_says(7, "bonjour", chat_id=-100123, chat_type="supergroup")

    assert update["message"]["chat"]["type"] == "supergroup"
    assert update["message"]["from"]["id"] == 7 and "entities" not in update["message"]


async def test_get_updates_drops_the_confirmed_ones(tg: FakeTelegram, bot: Bot) -> None:
    first, second = tg.user_says(7, "un"), tg.user_says(7, "deux")

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert first["update_id"] < second["update_id"]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()


async def test_long_poll_returns_as_soon_as_a_user_writes(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    await asyncio.sleep(0.05)
    started = time.monotonic()

    tg.user_says(7, "bonjour")

    [update] = await poll
    assert update.message.text == "bonjour" and time.monotonic() - started < 0.5


async def test_stop_answers_a_pending_long_poll_at_once(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    await asyncio.sleep(0.05)
    started = time.monotonic()

    await tg.stop()

    assert await poll == () and time.monotonic() - started < 0.5


async def test_application_polling_answers_a_command(tg: FakeTelegram, app: Application) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"Bonjour {update.effective_user.first_name} !")

    app.add_handler(CommandHandler("start", start))

    tg.user_says(7, "/start", first_name="Zoé")

    [reply] = await tg.wait_for_messages(7, 1)
    assert reply["text"] == "Bonjour Zoé !"


async def test_application_handles_a_button_press(tg: FakeTelegram, app: Application) -> None:
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Noté")
        await update.callback_query.edit_message_text(f"Réponse : {update.callback_query.data}")

    app.add_handler(CallbackQueryHandler(pressed))
    await app.bot.send_message(7, "Êtes-vous adhérent ?", reply_markup=KEYBOARD)

    tg.user_presses(7, tg.sent[-1], "yes")

    await tg.wait_for(lambda: bool(tg.edits))
    assert tg.edits[0]["text"] == "Réponse : yes"
    assert tg.answered_callbacks[0]["text"] == "Noté"


async def test_wait_for_fails_with_what_happened(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(7, "autre chose")
    with pytest.raises(AssertionError, match=r"1 message\(s\) to chat 8; got 0"):
        await tg.wait_for_messages(8, 1, timeout=0.1)


# --- faults --------------------------------------------------------------------------------------


async def test_blocked_user_raises_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail(7, 403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(7, "Bonjour")
    assert tg.rejected == [("sendMessage", 7, 403)] and tg.sent == []


async def test_injected_429_raises_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail(7, 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(7, "Bonjour")
    assert seconds(caught.value) == 7 and tg.too_many_requests == 1


@pytest.mark.parametrize("status", [500, 502])
async def test_server_error_raises_network_error(tg: FakeTelegram, bot: Bot, status: int) -> None:
    tg.fail(7, status)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(7, "Bonjour")
    assert type(caught.value) is NetworkError  # not BadRequest, which subclasses it


async def test_unknown_chat_raises_bad_request(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail(7, 400)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(7, "Bonjour")


async def test_faults_apply_times_then_stop(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail(7, 500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(7, "Bonjour")
    await bot.send_message(8, "Autre chat")  # other chats are untouched

    await bot.send_message(7, "Bonjour")

    assert [m["chat"]["id"] for m in tg.sent] == [8, 7]


# --- limits --------------------------------------------------------------------------------------


async def test_global_limit_refuses_the_send_over_it(tg: FakeTelegram, bot: Bot) -> None:
    tg.limit(per_second=3)
    for chat_id in (1, 2, 3):
        await bot.send_message(chat_id, "Bonjour")

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(4, "Bonjour")

    assert seconds(caught.value) == 1
    assert len(tg.sent) == 3 and tg.rejected == [("sendMessage", 4, 429)]
    assert tg.too_many_requests == 1


async def test_private_chat_limit_counts_each_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.limit(per_private_chat_per_second=1)
    await bot.send_message(7, "un")

    with pytest.raises(RetryAfter):
        await bot.send_message(7, "deux")
    await bot.send_message(8, "un")

    assert [m["chat"]["id"] for m in tg.sent] == [7, 8]


async def test_private_chat_limit_accepts_again_after_the_window(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.limit(per_private_chat_per_second=1.9)  # one send per 0.526 s
    await bot.send_message(7, "un")
    with pytest.raises(RetryAfter):
        await bot.send_message(7, "deux")

    await asyncio.sleep(0.52)  # within the fake's 20 ms tolerance

    await bot.send_message(7, "deux")
    assert len(tg.messages_to(7)) == 2


async def test_group_limit_is_per_minute(tg: FakeTelegram, bot: Bot) -> None:
    tg.limit(per_group_per_minute=2, per_private_chat_per_second=1)
    await bot.send_message(-100123, "un")
    await bot.send_message(-100123, "deux")

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(-100123, "trois")

    assert seconds(caught.value) == 60
    await bot.send_message(7, "en privé")  # a private chat has its own limit
