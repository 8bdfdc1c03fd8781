"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot talks to.

Point PTB at it::

    async with FakeTelegram() as tg:
        app = (
            ApplicationBuilder()
            .token(FakeTelegram.token)
            .base_url(tg.base_url)
            .base_file_url(tg.base_file_url)
            .build()
        )

How PTB 22 calls it: the endpoint is ``base_url + token + "/" + method`` (the token is appended
to ``base_url`` unless that contains ``{token}``), always POST; form-urlencoded when no file is
uploaded, multipart/form-data otherwise; strings go as they are and every other value (ints,
bools, reply_markup, allowed_updates, commands...) as a JSON string.

Beyond the methods, the fake enforces the checks of real Telegram that a bot can trip over:
HTML that Telegram would refuse to parse, texts over 4096 characters (captions over 1024),
callback_data over 64 bytes, invalid command names, edits that change nothing, and the rate
limits and faults that tests switch on with :meth:`FakeTelegram.limit` and
:meth:`FakeTelegram.fail`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import math
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from aiohttp import web

from tests.helpers.waiting import Changes

Json = dict[str, Any]

# Sends are allowed this much early, so that a bot pacing itself with asyncio.sleep is not
# flagged for the event loop's scheduling jitter (1 message/s accepts sends 0.98 s apart).
_TOLERANCE = 0.02

# Parameters Telegram documents as strings: kept verbatim so that a text such as "42" or "[1]"
# is not JSON-decoded into a number or a list like the other (JSON-encoded) parameters.
_STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "ip_address",
        "callback_query_id",
        "inline_message_id",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "description",
        "short_description",
        "name",
        "title",
        "data",
        "document",
        "photo",
        "file_id",
        "emoji",
        "action",
    ]
)

_FAULTS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

# The tags Telegram's HTML parse mode accepts; any other tag makes it refuse the message.
_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    ]
)
_TAG_RE = re.compile(r"<(/?)\s*([^\s<>/]*)[^<>]*>")
# Telegram marks a leading "/command" or "/command@bot" (ASCII word characters only).
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,32})?(?!\w)")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")

_TEXT_LIMIT = 4096
_CAPTION_LIMIT = 1024
_CALLBACK_ANSWER_LIMIT = 200


class _ApiError(Exception):
    """A refusal to answer as Telegram does: HTTP status, description, maybe retry_after."""

    def __init__(
        self, status: int, description: str, *, chat_id: int = 0, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.chat_id = chat_id
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class _Rate:
    """At most ``count`` accepted sends in any ``span``-second window (strict sliding window)."""

    count: int
    span: float

    @classmethod
    def of(cls, rate: float, per: float) -> _Rate:
        # 300/s -> 300 per 1 s; 0.5/s -> 1 per 2 s; 1.5/s -> 1 per 0.67 s: the same average rate
        # with the smallest burst Telegram could mean.
        if rate <= 0:
            raise ValueError(f"a rate must be positive, got {rate}")
        count = max(1, math.floor(rate))
        return cls(count, per * count / rate)

    def wait(self, times: deque[float], now: float) -> float:
        """Seconds before one more send fits, given the last ``count`` accepted send times."""
        if len(times) < self.count:
            return 0.0
        return times[0] + self.span - _TOLERANCE - now


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _response(status: int, body: Json) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )


def _utf16_len(text: str) -> int:
    # Telegram's entity offsets and lengths count UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _html_to_plain(text: str) -> str:
    """The text Telegram would show for an HTML message; 400 where Telegram refuses it."""

    def refuse(reason: str) -> _ApiError:
        return _ApiError(400, f"Bad Request: can't parse entities: {reason}")

    def offset(index: int) -> int:
        return len(text[:index].encode())

    stack: list[str] = []
    pieces: list[str] = []
    position = 0
    while (start := text.find("<", position)) != -1:
        pieces.append(text[position:start])
        match = _TAG_RE.match(text, start)
        if match is None:
            raise refuse(f"Unclosed start tag at byte offset {offset(start)}")
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if not stack:
                raise refuse(f"Unexpected end tag at byte offset {offset(start)}")
            if stack[-1] != name:
                raise refuse(
                    f'Unmatched end tag at byte offset {offset(start)}, expected "</{stack[-1]}>",'
                    f' found "</{name}>"'
                )
            stack.pop()
        elif name in _HTML_TAGS:
            stack.append(name)
        else:
            raise refuse(f'Unsupported start tag "{name}" at byte offset {offset(start)}')
        position = match.end()
    if stack:
        raise refuse(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    pieces.append(text[position:])
    return html.unescape("".join(pieces))


def _brief(params: Json) -> Json:
    """Parameters short enough for an assertion message: no bytes, long texts cut."""
    brief: Json = {}
    for key, value in params.items():
        if isinstance(value, dict) and "content" in value:
            value = f"<{value['filename']}: {len(value['content'])} bytes>"
        elif isinstance(value, str) and len(value) > 60:
            value = value[:57] + "..."
        brief[key] = value
    return brief


async def _read_params(request: web.Request) -> Json:
    """The call's parameters, JSON strings decoded, uploads as {filename, content, mime_type}."""
    if request.content_type == "application/json":
        body = await request.json()
        return body if isinstance(body, dict) else {}
    form = request.query if request.method == "GET" else await request.post()
    params: Json = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = {
                "filename": value.filename,
                "content": value.file.read(),
                "mime_type": value.content_type,
            }
        else:
            # aiohttp gives bytes for a multipart part with a non-text content type.
            text = value.decode() if isinstance(value, bytes | bytearray) else value
            params[key] = text if key in _STRING_PARAMS else _decode(text)
    return params


class FakeTelegram:
    """A Telegram Bot API server on 127.0.0.1 that records what the bot does and plays users."""

    token: ClassVar[str] = "4242:fake-token"
    bot_id: ClassVar[int] = 4242
    bot_username: ClassVar[str] = "rse_test_bot"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Json]] = []
        self.sent: list[Json] = []
        self.edits: list[Json] = []
        self.answered_callbacks: list[Json] = []
        self.commands: dict[str | None, list[Json]] = {}
        self.webhook: Json | None = None
        # What Telegram reports when it cannot post to the webhook (getWebhookInfo's
        # last_error_message), as when the bot's public address does not answer.
        self.webhook_error: str | None = None
        self.rejected: list[tuple[str, int, int]] = []
        self._too_many_requests = 0
        self._bot_user: Json = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "RSE Test",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        # Updates not yet confirmed by an offset, in update_id order.
        self._pending: deque[Json] = deque()
        self._next_update_id = 1
        # Replaced after each set, so that a long poll waits only for updates newer than it.
        self._new_update = asyncio.Event()
        # Set after every API call, so that wait_for re-checks its predicate only then.
        self._changes = Changes()
        self._closing = False
        # (chat_id, message_id) -> (Message as Telegram returns it, its entry in sent or None):
        # edits, replies and button presses find their message in O(1).
        self._messages: dict[tuple[int, int], tuple[Json, Json | None]] = {}
        self._by_chat: dict[int, list[Json]] = {}
        self._last_message_id: dict[int, int] = {}
        self._chats: dict[int, Json] = {}
        self._files: dict[str, Json] = {}
        self._open_callbacks: set[str] = set()
        self._next_callback_id = 1
        self._faults: dict[int, deque[tuple[int, int | None, str | None]]] = {}
        self._global_rate: _Rate | None = None
        self._private_rate: _Rate | None = None
        self._group_rate: _Rate | None = None
        self._global_times: deque[float] = deque()
        self._chat_times: dict[int, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[Json], Any]] = {
            "getme": lambda _: self._bot_user,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": lambda p: self._send_file(p, "document"),
            "sendphoto": lambda p: self._send_file(p, "photo"),
            "getfile": self._get_file,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getmycommands": lambda p: self.commands.get(p.get("language_code"), []),
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "logout": lambda _: True,
            "close": lambda _: True,
        }

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._closing = False
        # Telegram accepts uploads up to 50 MB; aiohttp's default would refuse over 1 MiB.
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # No access log: a benchmark pushes thousands of requests through here.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        # Binding our own socket gives the port without reaching into aiohttp's internals.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, backlog=1024).start()

    async def stop(self) -> None:
        """Answer pending long polls at once, then close the server."""
        self._closing = True
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What to give ApplicationBuilder.base_url (PTB appends the token)."""
        return f"{self._root()}/bot"

    @property
    def base_file_url(self) -> str:
        """What to give ApplicationBuilder.base_file_url (PTB appends the token)."""
        return f"{self._root()}/file/bot"

    def _root(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started: use `async with FakeTelegram()`")
        return f"http://127.0.0.1:{self._port}"

    # --- the users' side ---------------------------------------------------------------------

    def user_says(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Alice",
        reply_to: Json | None = None,
    ) -> Json:
        """Queue a text message from a user (in a group if chat_id and chat_type say so)."""
        if chat_id is None:
            if chat_type != "private":
                raise ValueError(f"a {chat_type} chat needs a chat_id")
            chat_id = user_id
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": f"Groupe {chat_id}"}
        self._chats[chat_id] = chat
        message = self._new_message(chat_id, {"from": self._user(user_id, first_name)})
        message["text"] = text
        if command := _COMMAND_RE.match(text):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())}
            ]
        if reply_to is not None:
            # Telegram does not nest replies further than one level.
            replied = self._clean(reply_to)
            message["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        self._messages[(chat_id, message["message_id"])] = (message, None)
        update = {"message": message}
        self.add_update(update)
        return update

    def user_sends_file(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        first_name: str = "Alice",
    ) -> Json:
        """Queue a document sent by a user in their private chat; getFile then serves it."""
        self._chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        file_id = f"fake-user-document-{len(self._files) + 1}"
        self._files[file_id] = {
            "file_id": file_id,
            "filename": filename,
            "content": content,
            "mime_type": mime_type,
        }
        message = self._new_message(user_id, {"from": self._user(user_id, first_name)})
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
        self._messages[(user_id, message["message_id"])] = (message, None)
        update = {"message": message}
        self.add_update(update)
        return update

    def user_forwards_from_channel(
        self, user_id: int, channel_id: int, title: str, text: str, *, first_name: str = "Alice"
    ) -> Json:
        """Queue, in the user's private chat, a post of a channel forwarded by the user."""
        self._chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        channel = {"id": channel_id, "type": "channel", "title": title}
        self._chats[channel_id] = channel
        message = self._new_message(user_id, {"from": self._user(user_id, first_name)})
        message["text"] = text
        message["forward_origin"] = {
            "type": "channel",
            "date": message["date"],
            "chat": channel,
            "message_id": 7,
        }
        self._messages[(user_id, message["message_id"])] = (message, None)
        update = {"message": message}
        self.add_update(update)
        return update

    def user_presses(
        self, user_id: int, message: Json, data: str, *, first_name: str = "Alice"
    ) -> Json:
        """Queue a press on a button of `message` (one of `sent`) carrying callback_data `data`."""
        query_id = str(self._next_callback_id)
        self._next_callback_id += 1
        self._open_callbacks.add(query_id)
        clean = self._clean(message)
        update = {
            "callback_query": {
                "id": query_id,
                "from": self._user(user_id, first_name),
                "message": clean,
                "chat_instance": str(clean["chat"]["id"]),
                "data": data,
            }
        }
        self.add_update(update)
        return update

    def add_update(self, update: Json) -> None:
        """Queue any update for getUpdates; an update_id is given if it has none."""
        update_id = update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._pending.append(update)
        self._new_update.set()
        self._new_update = asyncio.Event()

    def _user(self, user_id: int, first_name: str) -> Json:
        return {"id": user_id, "is_bot": False, "first_name": first_name}

    def _clean(self, message: Json) -> Json:
        # An entry of `sent` holds extra keys (uploaded bytes...): send the Message Telegram has.
        found = self._messages.get((message["chat"]["id"], message["message_id"]))
        return found[0] if found else message

    # --- what the bot did --------------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[Json]:
        """The entries of `sent` for one chat, oldest first (edits included)."""
        return list(self._by_chat.get(chat_id, ()))

    @property
    def too_many_requests(self) -> int:
        """How many calls were answered 429."""
        return self._too_many_requests

    # A timeout parameter (ASYNC109) rather than asyncio.timeout(): one call per wait in tests.
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until predicate() is true, re-checking after each API call; AssertionError after."""
        name = getattr(predicate, "__qualname__", repr(predicate))
        await self._wait(predicate, timeout, lambda: name)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Json]:
        """Wait until at least `count` entries of `sent` are for chat_id; return all of them."""

        def describe() -> str:
            texts = [m.get("text", m.get("caption")) for m in self._by_chat.get(chat_id, ())]
            return f"{count} message(s) to chat {chat_id}; got {len(texts)}: {texts!r}"

        await self._wait(lambda: len(self._by_chat.get(chat_id, ())) >= count, timeout, describe)
        return self.messages_to(chat_id)

    async def _wait(
        self, predicate: Callable[[], bool], seconds: float, describe: Callable[[], str]
    ) -> None:
        def failure() -> str:
            recent = [(method, _brief(params)) for method, params in self.calls[-5:]]
            return (
                f"waiting for {describe()}; {len(self.calls)} call(s), last: {recent!r}; "
                f"rejected: {self.rejected[-5:]!r}"
            )

        await self._changes.until(predicate, seconds, failure)

    # --- limits and faults -------------------------------------------------------------------

    def limit(
        self,
        *,
        per_second: float | None = None,
        per_private_chat_per_second: float | None = None,
        per_group_per_minute: float | None = None,
    ) -> None:
        """Answer 429 to sends over these rates (None: no limit); replaces earlier limits."""
        self._global_rate = _Rate.of(per_second, 1.0) if per_second else None
        self._private_rate = (
            _Rate.of(per_private_chat_per_second, 1.0) if per_private_chat_per_second else None
        )
        self._group_rate = _Rate.of(per_group_per_minute, 60.0) if per_group_per_minute else None
        self._global_times = deque(maxlen=self._global_rate.count if self._global_rate else 0)
        self._chat_times = {}

    def fail(
        self,
        chat_id: int,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer HTTP `status` to the next `times` sends to chat_id (429: with retry_after),
        with Telegram's usual description for that status unless given one."""
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = (status, retry_after, description)
        self._faults.setdefault(chat_id, deque()).extend([fault] * times)

    def _admit(self, chat_id: int | None) -> None:
        """Refuse the send with an injected fault or a 429, or count it against the limits."""
        if chat_id is not None and (faults := self._faults.get(chat_id)):
            status, retry_after, description = faults.popleft()
            if not faults:
                del self._faults[chat_id]
            if status == 429:
                raise _ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    chat_id=chat_id,
                    retry_after=retry_after,
                )
            description = description or _FAULTS.get(status, f"Error {status}")
            raise _ApiError(status, description, chat_id=chat_id)
        now = time.monotonic()
        wait = self._global_rate.wait(self._global_times, now) if self._global_rate else 0.0
        chat_rate = None
        if chat_id is not None:
            chat_rate = self._private_rate if self._is_private(chat_id) else self._group_rate
            times = self._chat_times.get(chat_id)
            if chat_rate and times:
                wait = max(wait, chat_rate.wait(times, now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise _ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                chat_id=chat_id or 0,
                retry_after=retry_after,
            )
        if self._global_rate:
            self._global_times.append(now)
        if chat_rate and chat_id is not None:
            times = self._chat_times.get(chat_id)
            if times is None:
                times = self._chat_times[chat_id] = deque(maxlen=chat_rate.count)
            times.append(now)

    # --- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            if request.match_info["token"] != self.token:
                return self._refuse(method, _ApiError(401, "Unauthorized"))
            params = await _read_params(request)
            self.calls.append((method, params))
            name = method.lower()
            try:
                if name == "getupdates":
                    result = await self._get_updates(params)
                elif (handler := self._methods.get(name)) is not None:
                    result = handler(params)
                else:
                    raise _ApiError(404, f"Not Found: method {method}")
            except _ApiError as error:
                if not error.chat_id and isinstance(params.get("chat_id"), int):
                    error.chat_id = params["chat_id"]
                return self._refuse(method, error)
            return _response(200, {"ok": True, "result": result})
        finally:
            self._changes.notify()

    def _refuse(self, method: str, error: _ApiError) -> web.Response:
        self.rejected.append((method, error.chat_id, error.status))
        body: Json = {"ok": False, "error_code": error.status, "description": error.description}
        if error.status == 429:
            self._too_many_requests += 1
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return _response(error.status, body)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _response(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        file = self._files.get(file_id)
        if file is None:
            return _response(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        return web.Response(body=file["content"], content_type=file["mime_type"])

    # --- methods -----------------------------------------------------------------------------

    async def _get_updates(self, params: Json) -> list[Json]:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        self._confirm(offset)
        if not self._pending and timeout > 0 and not self._closing:
            # Capped at 1 s so that a stopping application is never held up by a long poll.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(timeout, 1.0))
        return [update for _, update in zip(range(limit), self._pending, strict=False)]

    def _confirm(self, offset: Any) -> None:
        """Forget the updates an offset confirms (a negative one keeps only the last -offset)."""
        if not isinstance(offset, int):
            return
        if offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()
        else:
            while self._pending and self._pending[0]["update_id"] < offset:
                self._pending.popleft()

    def _send_message(self, params: Json) -> Json:
        chat_id = self._chat_id(params)
        text = params.get("text")
        self._check_text(text, params.get("parse_mode"), chat_id)
        markup = self._inline_markup(params.get("reply_markup"), chat_id)
        self._admit(chat_id)
        message = self._bot_message(chat_id, params, markup)
        message["text"] = text
        return self._remember(message, params)

    def _send_file(self, params: Json, kind: str) -> Json:
        chat_id = self._chat_id(params)
        file = params.get(kind)
        if not isinstance(file, dict | str):
            raise _ApiError(400, f"Bad Request: there is no {kind} in the request", chat_id=chat_id)
        caption = params.get("caption")
        if caption is not None:
            self._check_text(caption, params.get("parse_mode"), chat_id, caption=True)
        markup = self._inline_markup(params.get("reply_markup"), chat_id)
        self._admit(chat_id)
        upload = self._store_file(file, kind)
        message = self._bot_message(chat_id, params, markup)
        size = len(upload["content"] or b"")
        if kind == "photo":
            message["photo"] = [
                {
                    "file_id": upload["file_id"],
                    "file_unique_id": upload["file_id"],
                    "width": 320,
                    "height": 320,
                    "file_size": size,
                }
            ]
        else:
            message["document"] = {
                "file_id": upload["file_id"],
                "file_unique_id": upload["file_id"],
                "file_name": upload["filename"],
                "mime_type": upload["mime_type"],
                "file_size": size,
            }
        if caption is not None:
            message["caption"] = caption
        return self._remember(message, params, {kind: upload})

    def _store_file(self, file: Json | str, kind: str) -> Json:
        """Keep an upload for getFile and downloads; a file_id or URL is looked up or kept."""
        if isinstance(file, str):
            known = self._files.get(file)
            if known is not None:
                return dict(known)
            return {"file_id": file, "filename": None, "content": None, "mime_type": None}
        file_id = f"fake-{kind}-{len(self._files) + 1}"
        stored = {"file_id": file_id, **file}
        self._files[file_id] = stored
        return dict(stored)

    def _get_file(self, params: Json) -> Json:
        file_id = params.get("file_id")
        file = self._files.get(file_id) if isinstance(file_id, str) else None
        if file is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(file["content"]),
            "file_path": f"files/{file_id}",
        }

    def _edit_message_text(self, params: Json) -> Json | bool:
        text = params.get("text")
        if "inline_message_id" in params:
            # A message sent through inline mode: no chat, so only the global limit applies.
            self._check_text(text, params.get("parse_mode"), 0)
            markup = self._inline_markup(params.get("reply_markup"), 0)
            self._admit(None)
            self.edits.append({**params, "reply_markup": markup})
            return True
        chat_id = self._chat_id(params)
        old, _ = self._editable(params, chat_id)
        if "text" not in old:
            raise _ApiError(
                400, "Bad Request: there is no text in the message to edit", chat_id=chat_id
            )
        self._check_text(text, params.get("parse_mode"), chat_id)
        markup = self._inline_markup(params.get("reply_markup"), chat_id)
        self._check_modified(old, text, markup, chat_id)
        self._admit(chat_id)
        message = {**old, "text": text, "edit_date": int(time.time())}
        return self._remember(self._with_markup(message, markup), params, edit=True)

    def _edit_message_reply_markup(self, params: Json) -> Json | bool:
        if "inline_message_id" in params:
            self.edits.append({**params})
            return True
        chat_id = self._chat_id(params)
        old, old_entry = self._editable(params, chat_id)
        markup = self._inline_markup(params.get("reply_markup"), chat_id)
        self._check_modified(old, old.get("text"), markup, chat_id)
        message = {**old, "edit_date": int(time.time())}
        # The text and its formatting stay: carry the parse_mode (and uploads) of the last entry.
        extras = {k: old_entry[k] for k in ("parse_mode", "document", "photo") if k in old_entry}
        return self._remember(self._with_markup(message, markup), params, extras, edit=True)

    def _editable(self, params: Json, chat_id: int) -> tuple[Json, Json | None]:
        found = self._messages.get((chat_id, params.get("message_id")))
        if found is None:
            raise _ApiError(400, "Bad Request: message to edit not found", chat_id=chat_id)
        if found[0].get("from", {}).get("id") != self.bot_id:
            raise _ApiError(400, "Bad Request: message can't be edited", chat_id=chat_id)
        return found

    def _check_modified(self, old: Json, text: Any, markup: Json | None, chat_id: int) -> None:
        if old.get("text") == text and old.get("reply_markup") == markup:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply"
                " markup are exactly the same as a current content and reply markup of the"
                " message",
                chat_id=chat_id,
            )

    def _answer_callback_query(self, params: Json) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._open_callbacks:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = params.get("text")
        if isinstance(text, str) and len(text) > _CALLBACK_ANSWER_LIMIT:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        # Telegram accepts one answer per query.
        self._open_callbacks.discard(query_id)
        self.answered_callbacks.append(params)
        return True

    def _set_my_commands(self, params: Json) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: commands must be an array")
        for command in commands:
            if not _BOT_COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[params.get("language_code")] = commands
        return True

    def _delete_my_commands(self, params: Json) -> bool:
        self.commands.pop(params.get("language_code"), None)
        return True

    def _set_webhook(self, params: Json) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if not params.get("url"):
            # Telegram treats an empty url as deleteWebhook.
            self.webhook = None
            return True
        self.webhook = {
            "url": params["url"],
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    def _delete_webhook(self, params: Json) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        return True

    def _get_webhook_info(self, params: Json) -> Json:
        info: Json = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook and self.webhook["allowed_updates"] is not None:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        if self.webhook and self.webhook_error:
            info["last_error_date"] = int(time.time())
            info["last_error_message"] = self.webhook_error
        return info

    # --- messages ----------------------------------------------------------------------------

    def _chat_id(self, params: Json) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        # The bot under test uses numeric ids only; "@channel" names are not resolved here.
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _chat(self, chat_id: int) -> Json:
        chat = self._chats.get(chat_id)
        if chat is None:
            # A chat no user wrote in yet (a broadcast): users have positive ids, groups negative.
            if chat_id > 0:
                chat = {"id": chat_id, "type": "private"}
            elif chat_id <= -1_000_000_000_000:
                chat = {"id": chat_id, "type": "supergroup", "title": f"Groupe {chat_id}"}
            else:
                chat = {"id": chat_id, "type": "group", "title": f"Groupe {chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _is_private(self, chat_id: int) -> bool:
        return self._chat(chat_id)["type"] == "private"

    def _new_message(self, chat_id: int, sender: Json) -> Json:
        # Message ids count per chat, shared by the users' and the bot's messages, as in Telegram.
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            **sender,
        }

    def _bot_message(self, chat_id: int, params: Json, markup: Json | None) -> Json:
        message = self._new_message(chat_id, {"from": self._bot_user})
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        if isinstance(reply_id, int) and (found := self._messages.get((chat_id, reply_id))):
            # Telegram does not nest replies further than one level.
            message["reply_to_message"] = {
                k: v for k, v in found[0].items() if k != "reply_to_message"
            }
        return self._with_markup(message, markup)

    @staticmethod
    def _with_markup(message: Json, markup: Json | None) -> Json:
        # Messages carry only inline keyboards; PTB could not even read a reply keyboard there.
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message

    def _remember(
        self, message: Json, params: Json, extras: Json | None = None, *, edit: bool = False
    ) -> Json:
        """Record a message the bot made appear; return it as Telegram answers it."""
        entry = {
            **message,
            "reply_markup": params.get("reply_markup"),
            "parse_mode": params.get("parse_mode"),
            **(extras or {}),
        }
        chat_id = message["chat"]["id"]
        self._messages[(chat_id, message["message_id"])] = (message, entry)
        self.sent.append(entry)
        self._by_chat.setdefault(chat_id, []).append(entry)
        if edit:
            self.edits.append(entry)
        return message

    def _check_text(
        self, text: Any, parse_mode: Any, chat_id: int, *, caption: bool = False
    ) -> None:
        """Refuse what Telegram refuses: empty text, bad HTML, over 4096 (caption 1024) chars."""
        if not isinstance(text, str):
            text = ""
        try:
            shown = (
                _html_to_plain(text)
                if isinstance(parse_mode, str) and parse_mode.lower() == "html"
                else text
            )
        except _ApiError as error:
            error.chat_id = chat_id
            raise
        if caption:
            if len(shown) > _CAPTION_LIMIT:
                raise _ApiError(400, "Bad Request: message caption is too long", chat_id=chat_id)
        elif not shown.strip():
            raise _ApiError(400, "Bad Request: message text is empty", chat_id=chat_id)
        elif len(shown) > _TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long", chat_id=chat_id)

    @staticmethod
    def _inline_markup(markup: Any, chat_id: int) -> Json | None:
        """The inline keyboard a message will carry (None for other keyboards), checked."""
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID", chat_id=chat_id)
        return markup if any(rows) else None
