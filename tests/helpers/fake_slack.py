"""A fake Slack Web API on 127.0.0.1 that slack_sdk talks to, and Slack's side of our endpoint:
signed events, slash commands and button presses, as Slack would post them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, ClassVar, Self
from urllib.parse import urlencode

from aiohttp import ClientSession, web

from tests.helpers.waiting import Changes

Json = dict[str, Any]
_SENDS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})


class FakeSlack:
    """Records what the bot does on Slack; builds the requests Slack would send to the bot."""

    bot_token: ClassVar[str] = "xoxb-test"
    app_token: ClassVar[str] = "xapp-test"
    signing_secret: ClassVar[str] = "test-signing-secret"
    team_id: ClassVar[str] = "T0TEST"
    bot_user_id: ClassVar[str] = "UBOT"
    bot_id: ClassVar[str] = "BBOT"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Json]] = []
        self.posted: list[Json] = []
        self.updates: list[Json] = []
        self.views: dict[str, Json] = {}
        self.files: list[Json] = []
        self.responses: list[Json] = []
        self.rejected: list[tuple[str, str, str]] = []
        self._by_channel: dict[str, list[Json]] = defaultdict(list)
        self._uploads: dict[str, Json] = {}
        # Files members shared with the bot, by file id.
        self._shared: dict[str, bytes] = {}
        self._faults: dict[str, deque[tuple[str | None, int | None, int | None]]] = {}
        self._interval: float | None = None
        self._last_send: dict[str, float] = {}
        self._too_many_requests = 0
        self._next_ts = 0
        self._changes = Changes()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._socket: web.WebSocketResponse | None = None
        self._acks: dict[str, asyncio.Future[Json]] = {}

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=50 * 1024**2)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{channel}", self._response)
        app.router.add_get("/socket", self._socket_session)
        app.router.add_get("/files-pri/{file_id}/{name}", self._shared_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/"

    # --- what the bot did --------------------------------------------------------------------

    def messages_in(self, channel: str) -> list[Json]:
        """Messages posted to ``channel``, oldest first."""
        return list(self._by_channel.get(channel, ()))

    @property
    def too_many_requests(self) -> int:
        return self._too_many_requests

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until predicate() holds, re-checking after each API call."""
        await self._changes.until(
            predicate, timeout, lambda: f"last calls: {[m for m, _ in self.calls[-8:]]}"
        )

    async def wait_for_messages(self, channel: str, count: int, timeout: float = 5.0) -> list[Json]:  # noqa: ASYNC109
        await self.wait_for(lambda: len(self._by_channel.get(channel, ())) >= count, timeout)
        return self.messages_in(channel)

    # --- limits and faults -------------------------------------------------------------------

    def limit(self, *, per_channel_per_second: float | None = None) -> None:
        """Answer 429 to a send to a channel sooner than 1/rate after its last accepted one."""
        self._interval = 1 / per_channel_per_second if per_channel_per_second else None

    def fail(
        self,
        channel: str,
        *,
        error: str | None = None,
        status: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next ``times`` sends to ``channel`` fail with ``error`` or HTTP ``status``."""
        self._faults.setdefault(channel, deque()).extend([(error, status, retry_after)] * times)

    # --- the Web API -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: Json = dict(request.query)
        if request.content_type == "application/json":
            params |= await request.json()
        else:
            params |= dict(await request.post())
        for key in ("blocks", "view", "files"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        self.calls.append((method, params))
        try:
            return self._answer(method, params, request.headers.get("Authorization", ""))
        finally:
            self._changes.notify()

    def _answer(self, method: str, params: Json, authorization: str) -> web.Response:
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if authorization != f"Bearer {expected}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        channel = str(params.get("channel") or params.get("channel_id") or "")
        if method in _SENDS or method == "files.completeUploadExternal":
            refused = self._refusal(method, channel)
            if refused is not None:
                return refused
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response({"ok": True, **handler(params, channel)})

    def _refusal(self, method: str, channel: str) -> web.Response | None:
        faults = self._faults.get(channel)
        if faults:
            error, status, retry_after = faults.popleft()
            self.rejected.append((method, channel, error or str(status)))
            if status == 429:
                self._too_many_requests += 1
                headers = {"Retry-After": str(retry_after or 1)}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
            if status is not None:
                return web.json_response({"ok": False, "error": "fatal_error"}, status=status)
            return web.json_response({"ok": False, "error": error})
        now = time.monotonic()
        last = self._last_send.get(channel)
        if self._interval is not None and method in _SENDS and last is not None:
            # A little tolerance for timer jitter, as on the real service.
            wait = self._interval * 0.98 - (now - last)
            if wait > 0:
                self._too_many_requests += 1
                self.rejected.append((method, channel, "ratelimited"))
                headers = {"Retry-After": str(max(1, int(wait + 0.999)))}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
        if method in _SENDS:
            self._last_send[channel] = now
        return None

    def _ts(self) -> str:
        self._next_ts += 1
        return f"1700000000.{self._next_ts:06d}"

    def _auth_test(self, _: Json, __: str) -> Json:
        return {
            "url": "https://test.slack.com/",
            "team": "Test",
            "team_id": self.team_id,
            "user": "rse-bot",
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    def _chat_postMessage(self, params: Json, channel: str) -> Json:
        message = {
            "channel": channel,
            "text": params.get("text"),
            "blocks": params.get("blocks") or [],
            "thread_ts": params.get("thread_ts"),
            "ts": self._ts(),
        }
        self.posted.append(message)
        self._by_channel[channel].append(message)
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _chat_postEphemeral(self, params: Json, channel: str) -> Json:
        message = {
            **self._chat_postMessage(params, channel)["message"],
            "ephemeral": True,
            "user": params.get("user"),
        }
        return {"message_ts": message["ts"]}

    def _chat_update(self, params: Json, channel: str) -> Json:
        update = {
            "channel": channel,
            "ts": params.get("ts"),
            "text": params.get("text"),
            "blocks": params.get("blocks") or [],
        }
        self.updates.append(update)
        return {"channel": channel, "ts": update["ts"], "text": update["text"]}

    def _apps_connections_open(self, _: Json, __: str) -> Json:
        return {"url": f"ws://127.0.0.1:{self._port}/socket"}

    def _conversations_open(self, params: Json, _: str) -> Json:
        return {"channel": {"id": "D" + str(params.get("users", "")).split(",")[0]}}

    def _users_info(self, params: Json, _: str) -> Json:
        user = str(params.get("user"))
        return {"user": {"id": user, "name": user.lower(), "real_name": f"Membre {user}"}}

    def _views_publish(self, params: Json, _: str) -> Json:
        self.views[str(params.get("user_id"))] = params["view"]
        return {"view": params["view"]}

    def _files_getUploadURLExternal(self, params: Json, _: str) -> Json:
        file_id = f"F{len(self._uploads) + 1:04d}"
        self._uploads[file_id] = {"filename": params.get("filename"), "content": None}
        return {"upload_url": f"http://127.0.0.1:{self._port}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: Json, channel: str) -> Json:
        done = []
        for file in params.get("files") or []:
            upload = self._uploads[file["id"]]
            self.files.append({"channel": channel, "title": file.get("title"), **upload})
            done.append({"id": file["id"], "title": file.get("title")})
        return {"files": done}

    async def _upload(self, request: web.Request) -> web.Response:
        self._uploads[request.match_info["file_id"]]["content"] = await request.read()
        return web.Response(text="OK")

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append({"channel": request.match_info["channel"], **await request.json()})
        self._changes.notify()
        return web.Response(text="ok")

    # --- Socket Mode ---------------------------------------------------------------------------

    async def _socket_session(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1})
        self._changes.notify()
        async for frame in socket:
            ack = json.loads(frame.data)
            future = self._acks.pop(ack.get("envelope_id", ""), None)
            if future is not None and not future.done():
                future.set_result(ack)
        return socket

    @property
    def socket_connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    async def push(
        self, request: tuple[bytes, dict[str, str]], *, envelope_type: str = "events_api"
    ) -> Json:
        """Send a built event to the connected Socket Mode client; return its ack."""
        assert self._socket is not None, "no Socket Mode client connected"
        envelope_id = f"env-{self._ts()}"
        self._acks[envelope_id] = asyncio.get_running_loop().create_future()
        await self._socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": json.loads(request[0]),
                "accepts_response_payload": False,
            }
        )
        return await asyncio.wait_for(self._acks[envelope_id], 5)

    # --- Slack's requests to the bot ---------------------------------------------------------

    def signed(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """Headers Slack would send with ``body``, signed with the signing secret."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + stamp.encode() + b":" + body
        key = (secret or self.signing_secret).encode()
        signature = "v0=" + hmac.new(key, base, hashlib.sha256).hexdigest()
        return body, {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        }

    def _event(self, event: Json) -> tuple[bytes, dict[str, str]]:
        envelope = {
            "token": "verification",
            "team_id": self.team_id,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": f"Ev{self._ts().replace('.', '')}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [
                {"team_id": self.team_id, "user_id": self.bot_user_id, "is_bot": True}
            ],
        }
        return self.signed(json.dumps(envelope).encode(), content_type="application/json")

    def dm(self, user: str, text: str) -> tuple[bytes, dict[str, str]]:
        return self._event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": text,
                "ts": self._ts(),
            }
        )

    def dm_file(
        self,
        user: str,
        name: str,
        content: bytes,
        mimetype: str = "application/pdf",
        text: str = "",
    ) -> tuple[bytes, dict[str, str]]:
        """A file shared in a direct message; its private URL answers only with the bot token."""
        file_id = f"F{len(self._shared) + 1:06d}"
        self._shared[file_id] = content
        url = f"http://127.0.0.1:{self._port}/files-pri/{file_id}/{name}"
        return self._event(
            {
                "type": "message",
                "subtype": "file_share",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": text,
                "files": [
                    {
                        "id": file_id,
                        "name": name,
                        "mimetype": mimetype,
                        "size": len(content),
                        "url_private_download": url,
                    }
                ],
                "ts": self._ts(),
            }
        )

    async def _shared_file(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(status=403, text="not_authed")
        content = self._shared.get(request.match_info["file_id"])
        if content is None:
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=content)

    def mention(self, user: str, channel: str, text: str) -> tuple[bytes, dict[str, str]]:
        return self._event(
            {
                "type": "app_mention",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": self._ts(),
            }
        )

    def home_opened(self, user: str) -> tuple[bytes, dict[str, str]]:
        return self._event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D" + user,
                "tab": "home",
                "event_ts": self._ts(),
            }
        )

    def slash(
        self, user: str, channel: str, text: str, command: str = "/rse"
    ) -> tuple[bytes, dict[str, str]]:
        form = {
            "token": "verification",
            "team_id": self.team_id,
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": f"http://127.0.0.1:{self._port}/response/{channel}",
            "trigger_id": "1.2.3",
        }
        return self.signed(
            urlencode(form).encode(), content_type="application/x-www-form-urlencoded"
        )

    def press(
        self, user: str, message: Json, action_id: str, value: str
    ) -> tuple[bytes, dict[str, str]]:
        label = next(
            (
                e["text"]["text"]
                for b in message.get("blocks") or []
                if b["type"] == "actions"
                for e in b["elements"]
                if e.get("action_id") == action_id
            ),
            value,
        )
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id},
            "user": {"id": user},
            "api_app_id": "A0TEST",
            "token": "verification",
            "trigger_id": "1.2.3",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message["channel"],
            },
            "channel": {"id": message["channel"]},
            "message": {
                "ts": message["ts"],
                "text": message.get("text"),
                "blocks": message.get("blocks") or [],
            },
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "type": "button",
                    "text": {"type": "plain_text", "text": label},
                    "action_ts": self._ts(),
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.signed(body, content_type="application/x-www-form-urlencoded")

    async def post(self, url: str, request: tuple[bytes, dict[str, str]]) -> tuple[int, str]:
        """Send a built request to the bot; its status and body."""
        body, headers = request
        async with (
            ClientSession() as client,
            client.post(url, data=body, headers=headers) as answer,
        ):
            return answer.status, await answer.text()
