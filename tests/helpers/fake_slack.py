"""A fake Slack Web API on 127.0.0.1 that slack_sdk talks to, and Slack's side of our endpoint:
signed events, slash commands and button presses, as Slack would post them.

One workspace is there from the start, its bot token pasted from the app's page (every scope).
Others install the app through OAuth (``approve`` then ``oauth.v2.access``): their token has
the scopes the install asked for, and, as on Slack, a call with one workspace's token about
another workspace's user or channel is refused (``user_not_found``, ``channel_not_found``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from aiohttp import ClientSession, web

from tests.helpers.waiting import Changes

Json = dict[str, Any]
_SENDS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
# The bot scope each method needs, as Slack's reference gives it (none: auth.test, views.publish).
_METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "users.info": "users:read",
}


@dataclass
class Workspace:
    team_id: str
    name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    # None: a token pasted from the app's page, with every scope of the app.
    scopes: frozenset[str] | None = None


class FakeSlack:
    """Records what the bot does on Slack; builds the requests Slack would send to the bot."""

    bot_token: ClassVar[str] = "xoxb-test"
    app_token: ClassVar[str] = "xapp-test"
    signing_secret: ClassVar[str] = "test-signing-secret"
    team_id: ClassVar[str] = "T0TEST"
    bot_user_id: ClassVar[str] = "UBOT"
    bot_id: ClassVar[str] = "BBOT"
    client_id: ClassVar[str] = "1234.5678"
    client_secret: ClassVar[str] = "test-client-secret"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Json]] = []
        # The workspace whose token each call of ``calls`` carried.
        self.call_teams: list[str] = []
        self.workspaces: dict[str, Workspace] = {
            self.team_id: Workspace(
                self.team_id, "Test", self.bot_token, self.bot_user_id, self.bot_id
            )
        }
        # The workspace of each user and channel named in an event; others are the first one's.
        self._team_of: dict[str, str] = {}
        self._codes: dict[str, Workspace] = {}
        self.installers: dict[str, str] = {}
        # Calls refused for a workspace's token: (method, its workspace, Slack's error).
        self.outside: list[tuple[str, str, str]] = []
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

    # --- workspaces ----------------------------------------------------------------------------

    def team_of(self, user_or_channel: str) -> str:
        return self._team_of.get(user_or_channel, self.team_id)

    def _in(self, team: str | None, *ids: str) -> str:
        """The workspace ``ids`` belong to from now on (the first one's if ``team`` is None)."""
        team = team or self.team_id
        for id_ in ids:
            self._team_of[id_] = team
        return team

    def approve(self, authorize_url: str, *, team_id: str, name: str, installer: str) -> str:
        """An admin of workspace ``team_id`` allows the app on Slack's consent page; the address
        Slack sends their browser back to, with a one-time code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert urlsplit(authorize_url).path == "/oauth/v2/authorize", authorize_url
        assert query["client_id"] == self.client_id, query
        number = len(self.workspaces)
        self.workspaces[team_id] = Workspace(
            team_id,
            name,
            f"xoxb-{team_id.lower()}-{number}",
            f"UBOT{number}",
            f"BBOT{number}",
            frozenset(query.get("scope", "").split(",")) - {""},
        )
        self._in(team_id, installer)
        self.installers[team_id] = installer
        code = f"code-{team_id}-{number}"
        self._codes[code] = self.workspaces[team_id]
        back = {"code": code, "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urlencode(back)}"

    def _oauth_v2_access(self, params: Json, authorization: str) -> web.Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return web.json_response({"ok": False, "error": "invalid_client"})
        workspace = self._codes.pop(str(params.get("code")), None)
        if workspace is None:
            return web.json_response({"ok": False, "error": "invalid_code"})
        assert workspace.scopes is not None
        return web.json_response(
            {
                "ok": True,
                "app_id": "A0TEST",
                "authed_user": {"id": self.installers[workspace.team_id]},
                "scope": ",".join(sorted(workspace.scopes)),
                "token_type": "bot",
                "access_token": workspace.bot_token,
                "bot_user_id": workspace.bot_user_id,
                "team": {"id": workspace.team_id, "name": workspace.name},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        )

    def _workspace_of_token(self, authorization: str) -> Workspace | None:
        return next(
            (w for w in self.workspaces.values() if authorization == f"Bearer {w.bot_token}"),
            None,
        )

    def _needs(self, team: str | None, scope: str) -> None:
        """Slack sends this only to an app granted ``scope`` in that workspace."""
        scopes = self.workspaces[team or self.team_id].scopes
        assert scopes is None or scope in scopes, f"{team} did not grant {scope}"

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
        authorization = request.headers.get("Authorization", "")
        workspace = self._workspace_of_token(authorization)
        self.call_teams.append(workspace.team_id if workspace else "")
        try:
            if method == "oauth.v2.access":
                return self._oauth_v2_access(params, authorization)
            return self._answer(method, params, authorization, workspace)
        finally:
            self._changes.notify()

    def _answer(
        self, method: str, params: Json, authorization: str, workspace: Workspace | None
    ) -> web.Response:
        if method == "apps.connections.open":
            if authorization != f"Bearer {self.app_token}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
        elif workspace is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        else:
            refused = self._outside(method, params, workspace)
            if refused is not None:
                self.outside.append((method, workspace.team_id, refused))
                return web.json_response({"ok": False, "error": refused})
        channel = str(params.get("channel") or params.get("channel_id") or "")
        if method in _SENDS or method == "files.completeUploadExternal":
            refused = self._refusal(method, channel)
            if refused is not None:
                return refused
        if method == "auth.test" and workspace is not None:
            return web.json_response({"ok": True, **self._auth_test(workspace)})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response({"ok": True, **handler(params, channel)})

    def _outside(self, method: str, params: Json, workspace: Workspace) -> str | None:
        """Why Slack refuses this call with this workspace's token, if it does: a scope not
        granted, or a user or channel of another workspace."""
        scope = _METHOD_SCOPES.get(method)
        if scope is not None and workspace.scopes is not None and scope not in workspace.scopes:
            return "missing_scope"
        for key in ("users", "user", "user_id"):
            named = str(params.get(key) or "")
            if named and self.team_of(named.split(",")[0]) != workspace.team_id:
                return "user_not_found"
        channel = str(params.get("channel") or params.get("channel_id") or "")
        if channel and self.team_of(channel) != workspace.team_id:
            return "channel_not_found"
        return None

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

    def _auth_test(self, workspace: Workspace) -> Json:
        return {
            "url": f"https://{workspace.team_id.lower()}.slack.com/",
            "team": workspace.name,
            "team_id": workspace.team_id,
            "user": "rse-bot",
            "user_id": workspace.bot_user_id,
            "bot_id": workspace.bot_id,
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
        user = str(params.get("users", "")).split(",")[0]
        self._in(self.team_of(user), "D" + user)
        return {"channel": {"id": "D" + user}}

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

    def _event(self, event: Json, team: str) -> tuple[bytes, dict[str, str]]:
        workspace = self.workspaces[team]
        envelope = {
            "token": "verification",
            "team_id": team,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": f"Ev{self._ts().replace('.', '')}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": team, "user_id": workspace.bot_user_id, "is_bot": True}],
        }
        return self.signed(json.dumps(envelope).encode(), content_type="application/json")

    def dm(self, user: str, text: str, *, team: str | None = None) -> tuple[bytes, dict[str, str]]:
        """``user`` writes to the bot in private (in workspace ``team``, else the first one)."""
        team = self._in(team, user, "D" + user)
        self._needs(team, "im:history")
        return self._event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": text,
                "ts": self._ts(),
            },
            team,
        )

    def dm_file(
        self,
        user: str,
        name: str,
        content: bytes,
        mimetype: str = "application/pdf",
        text: str = "",
        *,
        team: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A file shared in a direct message; its private URL answers only with the bot token
        of its workspace, granted files:read."""
        team = self._in(team, user, "D" + user)
        self._needs(team, "im:history")
        file_id = f"F{len(self._shared) + 1:06d}"
        self._shared[file_id] = content
        self._in(team, file_id)
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
            },
            team,
        )

    async def _shared_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        workspace = self._workspace_of_token(request.headers.get("Authorization", ""))
        if workspace is None or workspace.team_id != self.team_of(file_id):
            return web.Response(status=403, text="not_authed")
        if workspace.scopes is not None and "files:read" not in workspace.scopes:
            return web.Response(status=403, text="missing_scope")
        content = self._shared.get(file_id)
        if content is None:
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=content)

    def mention(
        self, user: str, channel: str, text: str, *, team: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        team = self._in(team, user, channel)
        self._needs(team, "app_mentions:read")
        return self._event(
            {
                "type": "app_mention",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": self._ts(),
            },
            team,
        )

    def home_opened(self, user: str, *, team: str | None = None) -> tuple[bytes, dict[str, str]]:
        team = self._in(team, user, "D" + user)
        return self._event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D" + user,
                "tab": "home",
                "event_ts": self._ts(),
            },
            team,
        )

    def slash(
        self,
        user: str,
        channel: str,
        text: str,
        command: str = "/rse",
        *,
        team: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        team = self._in(team, user)
        self._needs(team, "commands")
        form = {
            "token": "verification",
            "team_id": team,
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
        self, user: str, message: Json, action_id: str, value: str, *, team: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        team = self._in(team, user)
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
            "team": {"id": team},
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
