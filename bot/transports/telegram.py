"""Telegram through python-telegram-bot: long polling or webhook, HTML, inline keyboards.

Platform obligations live here: HTML escaping, the 4,096-character limit, answering button
presses, and Telegram's flood limits (about 30 messages/s overall, 1/s per private chat,
20/min per group), honouring ``retry_after`` on 429.
"""

from __future__ import annotations

import hmac
import html
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageOriginChannel,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.messages import Button, ForwardedFrom, Incoming, IncomingFile, Platform, Reply, Text
from bot.metrics import Metrics
from bot.transports.base import (
    CredentialsRefused,
    DeliveryError,
    Failure,
    Handle,
    OnUnreachable,
    Pacer,
    Pacers,
    RetryPolicy,
    chunk,
    coalesce,
    deliver,
)
from bot.transports.telegram_request import on_aiohttp

logger = logging.getLogger(__name__)
T = TypeVar("T")
# PTB 22 warns that retry_after will become a timedelta; classify() accepts both forms.
warnings.filterwarnings("ignore", message=".*`retry_after`", category=PTBDeprecationWarning)
# It asks for send_message() instead of do_api_request("sendMessage"); see send().
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)

MESSAGE_LIMIT = 4096
ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_UNREACHABLE_REQUESTS = ("chat not found", "user is deactivated", "bot was kicked")


@dataclass(frozen=True)
class TelegramLimits:
    per_second: float = 30.0
    private_interval: float = 1.0
    group_interval: float = 3.0  # 20 messages a minute
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class CommandInfo:
    """A command as published in Telegram's menu: its name and a description per language."""

    name: str
    descriptions: Mapping[str, str]


def render(text: Text) -> str:
    """Telegram HTML, with every character that comes from people or feeds escaped."""
    parts = []
    for span in text.spans:
        escaped = html.escape(span.text, quote=False)
        if span.bold:
            escaped = f"<b>{escaped}</b>"
        if span.italic:
            escaped = f"<i>{escaped}</i>"
        if span.link:
            escaped = f'<a href="{html.escape(span.link)}">{escaped}</a>'
        parts.append(escaped)
    return "".join(parts)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup:
    # One button per row: labels are sentences ("Rejoindre « Pôle RSE »"), not single words.
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.value)] for b in buttons]
    )


def classify(exc: Exception) -> Failure | None:
    """What a python-telegram-bot error means for delivery (None: not a delivery error)."""
    if isinstance(exc, RetryAfter):
        value = exc.retry_after
        delay = value.total_seconds() if isinstance(value, timedelta) else float(value)
        return Failure("flood", delay)
    if isinstance(exc, Forbidden):
        return Failure("unreachable")
    if isinstance(exc, BadRequest):  # before NetworkError, its parent class
        message = str(exc).lower()
        unreachable = any(reason in message for reason in _UNREACHABLE_REQUESTS)
        return Failure("unreachable" if unreachable else "refused")
    if isinstance(exc, NetworkError):
        return Failure("transient")
    return None


def _forwarded_from(message: Message) -> ForwardedFrom | None:
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginChannel):
        return None
    return ForwardedFrom(str(origin.chat.id), origin.chat.title or str(origin.chat.id))


class TelegramTransport:
    platform = Platform.TELEGRAM

    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        handle: Handle,
        on_unreachable: OnUnreachable,
        commands: Sequence[CommandInfo] = (),
        default_locale: str = "fr",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        limits: TelegramLimits | None = None,
        poll_timeout: float = 10.0,
        concurrency: int = 32,
        metrics: Metrics | None = None,
    ) -> None:
        self.handle = handle
        self.on_unreachable = on_unreachable
        self.commands = commands
        self.default_locale = default_locale
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or ""
        self.limits = limits or TelegramLimits()
        self.poll_timeout = poll_timeout
        # The app's counters; a transport built alone (tests) keeps its own.
        self._retried = partial((metrics or Metrics()).retried, self.platform.value)
        file_url = api_url.removesuffix("/bot") + "/file/bot"
        builder = on_aiohttp(
            ApplicationBuilder()
            .token(token)
            .base_url(api_url)
            .base_file_url(file_url)
            # Updates of different people are handled together (our router keeps each person's
            # in order); network round trips to Telegram dominate, not our CPU.
            .concurrent_updates(concurrency)
        )
        if webhook_url:
            builder = builder.updater(None)
        self.application: Application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._everyone = Pacer(1 / self.limits.per_second)
        self._chats = Pacers(self._interval)
        self._username = ""

    @property
    def webhook_path(self) -> str | None:
        """The path of the webhook URL, which our HTTP server serves."""
        if not self.webhook_url:
            return None
        return urlsplit(self.webhook_url).path or "/"

    def _interval(self, chat_id: str) -> float:
        # Private chats have positive ids, groups and channels negative ones.
        return (
            self.limits.group_interval if chat_id.startswith("-") else self.limits.private_interval
        )

    async def start(self, *, receive: bool = True) -> None:
        """Identify the bot (getMe), publish the command menu, then poll or register the hook.

        ``receive=False`` only connects, to send (``rse-bot broadcast`` beside a running bot).
        """
        try:
            await self.application.initialize()
        except InvalidToken:
            # python-telegram-bot's message and traceback quote the token: not a word of them.
            raise CredentialsRefused(
                "Telegram refuse le jeton RSEBOT_TELEGRAM_TOKEN : vérifiez-le auprès de "
                "@BotFather (« rse-bot doctor » vérifie la configuration)"
            ) from None
        self._username = (self.application.bot.username or "").lower()
        if not receive:
            return
        await self._publish_commands()
        await self.application.start()
        if self.webhook_url:
            await self.application.bot.set_webhook(
                self.webhook_url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
        else:
            assert self.application.updater is not None
            await self.application.updater.start_polling(
                poll_interval=0, timeout=int(self.poll_timeout), allowed_updates=ALLOWED_UPDATES
            )
        logger.info("Telegram: @%s connected (%s)", self._username, self.mode)

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook_url else "polling"

    async def stop(self) -> None:
        """Stop fetching, let the updates being handled finish, then close the connection."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _publish_commands(self) -> None:
        bot = self.application.bot
        for locale in ("fr", "en"):
            commands = [BotCommand(c.name, c.descriptions[locale]) for c in self.commands]
            await bot.set_my_commands(commands, language_code=locale)
            if locale == self.default_locale:
                await bot.set_my_commands(commands)

    async def webhook(self, request: web.Request) -> web.Response:
        """Take one update from Telegram; refuse anything without our secret token."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except ValueError:
            return web.Response(status=400, text="bad update")
        # Queued for the application, which answers Telegram at once and handles it next.
        await self.application.update_queue.put(update)
        return web.Response(text="ok")

    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._on_button(update.callback_query)
        elif update.message is not None and update.message.from_user is not None:
            await self._on_message(update.message)

    async def _on_message(self, message: Message) -> None:
        user, chat = message.from_user, message.chat
        assert user is not None
        is_group = chat.type != ChatType.PRIVATE
        text = message.text or message.caption or ""
        files = self._files_of(message)
        incoming = Incoming.typed(
            self.platform,
            str(user.id),
            str(chat.id),
            text,
            display_name=user.full_name,
            is_group=is_group,
            unreadable=not text and not files,
            files=files,
            forwarded_from=_forwarded_from(message),
        )
        if is_group and not self._addressed_to_me(message, incoming):
            return
        await self._answer(incoming)

    def _files_of(self, message: Message) -> tuple[IncomingFile, ...]:
        """A document, or a photo in its largest size; downloaded only if a step wants it."""
        if message.document is not None:
            document = message.document
            return (
                IncomingFile(
                    document.file_name or "document",
                    document.mime_type or "application/octet-stream",
                    document.file_size,
                    partial(self._download, document.file_id),
                ),
            )
        if message.photo:
            photo = message.photo[-1]
            return (
                IncomingFile(
                    "photo.jpg",
                    "image/jpeg",
                    photo.file_size,
                    partial(self._download, photo.file_id),
                ),
            )
        return ()

    async def _download(self, file_id: str) -> bytes:
        file = await self.application.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    def _addressed_to_me(self, message: Message, incoming: Incoming) -> bool:
        """In a group: our commands (``/cmd`` or ``/cmd@us``) and replies to our messages."""
        if incoming.command is not None:
            first_word = incoming.text.strip().split(maxsplit=1)[0]
            _, _, target = first_word.partition("@")
            return not target or target.lower() == self._username
        replied = message.reply_to_message
        return (
            replied is not None
            and replied.from_user is not None
            and (replied.from_user.id == self.application.bot.id)
        )

    async def _on_button(self, query: CallbackQuery) -> None:
        await query.answer()
        message = query.message
        chat_id = str(message.chat.id) if message is not None else str(query.from_user.id)
        incoming = Incoming.pressed(
            self.platform,
            str(query.from_user.id),
            chat_id,
            query.data or "",
            display_name=query.from_user.full_name,
            is_group=message is not None and message.chat.type != ChatType.PRIVATE,
        )
        await self._answer(incoming)
        if isinstance(message, Message):
            await self._show_choice(message, query.data or "")

    async def _show_choice(self, message: Message, value: str) -> None:
        """Replace the pressed message's buttons by the choice made, so none is pressed twice."""
        markup = message.reply_markup
        labels = [
            button.text
            for row in (markup.inline_keyboard if markup else ())
            for button in row
            if button.callback_data == value
        ]
        text = (message.text_html or "") + (
            f"\n\n<i>→ {html.escape(labels[0], quote=False)}</i>" if labels else ""
        )
        try:
            await self._call(
                str(message.chat.id),
                lambda: message.edit_text(text[:MESSAGE_LIMIT], parse_mode=ParseMode.HTML),
            )
        except DeliveryError as exc:
            # Too old to edit, or already edited: the choice itself has been handled.
            logger.info("Telegram: could not mark the choice on a message: %s", exc)

    async def _answer(self, incoming: Incoming) -> None:
        replies = await self.handle(incoming)
        for reply in coalesce(replies):
            try:
                await self.send(incoming.chat_id, reply)
            except DeliveryError as exc:
                logger.warning(
                    "Telegram: reply to chat %s not delivered: %s", incoming.chat_id, exc
                )
                return

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send text (split at 4,096 characters), buttons under the last part, then files."""
        bot = self.application.bot
        pieces = [piece for piece in chunk(reply.text, render, MESSAGE_LIMIT) if piece]
        for index, piece in enumerate(pieces):
            markup = keyboard(reply.buttons) if reply.buttons and index == len(pieces) - 1 else None
            message = {
                "chat_id": chat_id,
                "text": piece,
                "parse_mode": ParseMode.HTML,
                "reply_markup": markup,
            }
            # Not send_message(): the Message it builds from Telegram's answer took 13 % of an
            # update's CPU (py-spy, python -m bench.telegram_throughput), and nothing reads it.
            await self._call(
                chat_id, lambda message=message: bot.do_api_request("sendMessage", message)
            )
        for file in reply.attachments:
            upload = InputFile(file.data, filename=file.filename)
            if file.mime_type.startswith("image/"):
                await self._call(chat_id, lambda upload=upload: bot.send_photo(chat_id, upload))
            else:
                await self._call(chat_id, lambda upload=upload: bot.send_document(chat_id, upload))

    async def _call(self, chat_id: str, request: Callable[[], Awaitable[T]]) -> T:
        """One API call within the flood limits, retried on 429 and on transient failures."""
        return await deliver(
            request,
            chat_id=chat_id,
            chat=self._chats[chat_id],
            everyone=self._everyone,
            classify=classify,
            policy=self.limits.retry,
            on_unreachable=self._unreachable,
            on_retry=self._retried,
        )

    async def _unreachable(self, chat_id: str, reason: str) -> None:
        logger.warning("Telegram: chat %s unreachable: %s", chat_id, reason)
        await self.on_unreachable(self.platform, chat_id, reason)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("Telegram: error while handling an update", exc_info=context.error)
