"""Slack through Bolt (AsyncApp): Events API over HTTP or Socket Mode, Block Kit, mrkdwn.

Platform obligations live here: acknowledging every request within 3 seconds (Bolt answers as
soon as ``ack()`` is called and our listener goes on afterwards), escaping ``& < >``, Block Kit
limits (3,000 characters a section, 50 blocks a message, 25 buttons an actions block), about
one message per second per channel, and ``Retry-After`` on 429.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Button, Incoming, IncomingFile, Platform, Reply, Text
from bot.metrics import Metrics
from bot.transports.base import (
    DeliveryError,
    Failure,
    Handle,
    OnUnreachable,
    Pacers,
    RetryPolicy,
    Unreachable,
    chunk,
    coalesce,
    deliver,
)
from bot.transports.slack_manifest import EVENTS_PATH as EVENTS_PATH
from bot.transports.slack_manifest import SLASH_COMMAND

if TYPE_CHECKING:
    from bot.transports.slack_oauth import SlackOAuth

logger = logging.getLogger(__name__)
T = TypeVar("T")

SECTION_LIMIT = 3000
BLOCKS_PER_MESSAGE = 50
BUTTONS_PER_BLOCK = 25
BUTTON_LABEL_LIMIT = 75
_UNREACHABLE_ERRORS = frozenset(
    {
        "channel_not_found",
        "account_inactive",
        "user_disabled",
        "user_not_found",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
    }
)
_MENTION = re.compile(r"<@[A-Z0-9]+>\s*")


@dataclass(frozen=True)
class SlackLimits:
    channel_interval: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def _is_direct(channel: str) -> bool:
    """A direct message with the bot: Slack's ids of such channels begin with D (C is a
    channel, G a private channel or a group DM, where others read)."""
    return channel.startswith("D")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(text: Text) -> str:
    """Slack mrkdwn; markers hug the words, as Slack ignores ``* bold *``."""
    parts = []
    for span in text.spans:
        escaped = escape(span.text)
        core = escaped.strip()
        marker = ("*" if span.bold else "") + ("_" if span.italic else "")
        if marker and core:
            start = escaped.index(core)
            escaped = f"{escaped[:start]}{marker}{core}{marker[::-1]}{escaped[start + len(core) :]}"
        if span.link:
            escaped = f"<{escape(span.link).replace('|', '%7C')}|{escaped.replace('|', '¦')}>"
        parts.append(escaped)
    return "".join(parts)


def blocks_of(reply: Reply) -> list[list[dict[str, Any]]]:
    """The reply as Block Kit, one list of at most 50 blocks per message to post."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in chunk(reply.text, render, SECTION_LIMIT)
        if piece
    ]
    for start in range(0, len(reply.buttons), BUTTONS_PER_BLOCK):
        row = reply.buttons[start : start + BUTTONS_PER_BLOCK]
        blocks.append(
            {
                "type": "actions",
                "elements": [button_element(b, start + i) for i, b in enumerate(row)],
            }
        )
    return [
        blocks[start : start + BLOCKS_PER_MESSAGE]
        for start in range(0, len(blocks), BLOCKS_PER_MESSAGE)
    ]


def button_element(button: Button, index: int) -> dict[str, Any]:
    label = button.label
    if len(label) > BUTTON_LABEL_LIMIT:
        label = label[: BUTTON_LABEL_LIMIT - 1] + "…"
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": button.value,
        "action_id": f"rse-{index}",
    }


def classify(exc: Exception) -> Failure | None:
    """What a slack_sdk error means for delivery (None: not a delivery error)."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        if response.status_code == 429:
            return Failure("flood", float(response.headers.get("Retry-After", 1)))
        if response.status_code >= 500:
            return Failure("transient")
        error = response.get("error") if isinstance(response.data, dict) else None
        return Failure("unreachable" if error in _UNREACHABLE_ERRORS else "refused")
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
        return Failure("transient")
    return None


class SlackTransport:
    """One workspace with its bot token, or (``oauth``) every workspace that installed the app,
    each request and message with its own workspace's token."""

    platform = Platform.SLACK

    def __init__(
        self,
        *,
        signing_secret: str,
        api_url: str,
        handle: Handle,
        on_unreachable: OnUnreachable,
        bot_token: str | None = None,
        oauth: SlackOAuth | None = None,
        command_names: Sequence[str] = (),
        app_token: str | None = None,
        limits: SlackLimits | None = None,
        home_command: str = "accueil",
        metrics: Metrics | None = None,
    ) -> None:
        if (bot_token is None) == (oauth is None):
            raise ValueError("a bot token or the OAuth installations, one of them")
        self.signing_secret = signing_secret
        self.api_url = api_url
        self.handle = handle
        self.on_unreachable = on_unreachable
        self.oauth = oauth
        self.command_names = frozenset(command_names)
        self.app_token = app_token
        self.limits = limits or SlackLimits()
        self.home_command = home_command
        # The app's counters; a transport built alone (tests) keeps its own.
        self._retried = partial((metrics or Metrics()).retried, self.platform.value)
        # With OAuth, a client without a token: Bolt gives each request one with its
        # workspace's, and the OAuth flow calls oauth.v2.access with it.
        self.client = AsyncWebClient(token=bot_token, base_url=api_url)
        self._clients: dict[str, AsyncWebClient] = {}
        self._channels = Pacers(lambda _: self.limits.channel_interval)
        self._dm_of_user: dict[str, str] = {}
        self._user_of_dm: dict[str, str] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._socket: Any = None
        self.app = self._build_app()

    @property
    def mode(self) -> str:
        return "socket" if self.app_token else "http"

    def _build_app(self) -> AsyncApp:
        # Only client=: a token= beside it would be ignored by Bolt.
        app = AsyncApp(
            client=self.client,
            signing_secret=self.signing_secret,
            oauth_flow=self.oauth.flow if self.oauth else None,
        )
        app.event("message")(self._on_message)
        app.event("app_mention")(self._on_mention)
        app.event("app_home_opened")(self._on_home_opened)
        app.command(SLASH_COMMAND)(self._on_slash_command)
        app.action(re.compile(r"^rse-\d+$"))(self._on_button)
        return app

    async def start(self, *, receive: bool = True) -> None:
        """Connect Socket Mode if configured (HTTP events come through our server);
        ``receive=False`` sends only."""
        if self.app_token and receive:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
        logger.info("Slack: ready (%s)", self.mode)

    async def stop(self) -> None:
        """Stop taking events, then let the conversations being answered finish."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def events(self, request: web.Request) -> web.Response:
        """Events, interactivity and slash commands, signed by Slack (Bolt checks, 401 if not)."""
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def install(self, request: web.Request) -> web.Response:
        """/slack/install?pole=…: on to Slack's consent page, the pôle carried in the state."""
        assert self.oauth is not None
        response = await self.oauth.flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def oauth_redirect(self, request: web.Request) -> web.Response:
        """Slack sends the admin back here: the workspace's token is fetched and stored."""
        assert self.oauth is not None
        response = await self.oauth.flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _remember(self, context: AsyncBoltContext, chat_id: str, user_id: str | None) -> None:
        """Keep the workspace an account or channel is in, for what the bot sends it later."""
        if self.oauth is not None and context.team_id is not None:
            await self.oauth.workspaces.remember(chat_id, team_id=context.team_id, user_id=user_id)

    async def _on_message(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # Direct messages only, written by a person: no edits, joins or other bots; a file
        # shared with or without a comment is a message too.
        subtype = event.get("subtype")
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        if subtype is not None and subtype != "file_share":
            return
        self._track()
        user, channel = event["user"], event["channel"]
        self._remember_dm(user, channel)
        await self._remember(context, user, user)
        await self._remember(context, channel, user)
        text = event.get("text", "")
        files = tuple(
            IncomingFile(
                shared.get("name") or "fichier",
                shared.get("mimetype") or "application/octet-stream",
                shared.get("size"),
                partial(self._download, shared["url_private_download"], client),
            )
            for shared in event.get("files", ())
            if shared.get("url_private_download")
        )
        incoming = Incoming.typed(
            self.platform,
            user,
            channel,
            text,
            unreadable=subtype == "file_share" and not text and not files,
            files=files,
        )
        await self._converse(incoming, client)

    async def _download(self, url: str, client: AsyncWebClient) -> bytes:
        """A shared file, fetched with the bot token, which only ever goes to Slack itself."""
        if urlsplit(url).hostname not in {"files.slack.com", urlsplit(self.api_url).hostname}:
            raise DeliveryError(f"refusing to send the bot token to {urlsplit(url).hostname}")
        headers = {"Authorization": f"Bearer {client.token}"}
        async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
            response.raise_for_status()
            return await response.read()

    async def _on_mention(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        self._track()
        await self._remember(context, event["user"], event["user"])
        await self._remember(context, event["channel"], None)
        text = _MENTION.sub("", event.get("text", ""), count=1).strip()
        incoming = Incoming.typed(
            self.platform, event["user"], event["channel"], self._as_command(text), is_group=True
        )
        await self._converse(incoming, client, thread_ts=event.get("thread_ts"))

    def _as_command(self, text: str) -> str:
        """``@bot aide`` means ``/aide``: a slash would open Slack's own command picker."""
        first = text.split(maxsplit=1)[0].lower() if text else ""
        return f"/{text}" if first in self.command_names else text

    async def _on_slash_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        self._track()
        user = command["user_id"]
        await self._remember(context, user, user)
        text = command.get("text", "").strip() or "aide"
        channel = await self._dm_channel(user, client)
        await self._converse(Incoming.typed(self.platform, user, channel, f"/{text}"), client)

    async def _on_button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        self._track()
        user = body["user"]["id"]
        await self._remember(context, user, user)
        action = body["actions"][0]
        channel = (body.get("channel") or {}).get("id") or await self._dm_channel(user, client)
        pressed = Incoming.pressed(
            self.platform, user, channel, action["value"], is_group=not _is_direct(channel)
        )
        await self._converse(pressed, client)
        message = body.get("message")
        if message is not None:
            await self._show_choice(channel, message, action, client)

    async def _on_home_opened(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if event.get("tab") != "home":
            return
        self._track()
        user = event["user"]
        await self._remember(context, user, user)
        replies = await self.handle(
            Incoming.typed(self.platform, user, user, f"/{self.home_command}")
        )
        blocks = [block for reply in replies for page in blocks_of(reply) for block in page]
        try:
            await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks[:100]})
        except SlackApiError as exc:
            logger.warning("Slack: home tab of %s not published: %s", user, exc)

    async def _show_choice(
        self,
        channel: str,
        message: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        """Replace the pressed message's buttons by the choice made, so none is pressed twice."""
        kept = [b for b in message.get("blocks", []) if b.get("type") != "actions"]
        label = escape(action.get("text", {}).get("text", ""))
        kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"→ _{label}_"}]})
        try:
            await self._call(
                channel,
                lambda: client.chat_update(
                    channel=channel, ts=message["ts"], blocks=kept, text=message.get("text", "")
                ),
            )
        except DeliveryError as exc:
            logger.info("Slack: could not mark the choice on a message: %s", exc)

    async def _converse(
        self, incoming: Incoming, client: AsyncWebClient, thread_ts: str | None = None
    ) -> None:
        replies = await self.handle(incoming)
        for reply in coalesce(replies):
            try:
                await self._post(incoming.chat_id, reply, client, thread_ts=thread_ts)
            except DeliveryError as exc:
                logger.warning("Slack: reply in %s not delivered: %s", incoming.chat_id, exc)
                return

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Post the reply as Block Kit (several messages if over 50 blocks), then its files, with
        the token of the workspace ``chat_id`` is in.

        ``chat_id`` is a channel, or a user id for a direct message.
        """
        await self._post(chat_id, reply, await self._client_of(chat_id))

    async def _post(
        self,
        chat_id: str,
        reply: Reply,
        client: AsyncWebClient,
        *,
        thread_ts: str | None = None,
    ) -> None:
        channel = await self._dm_channel(chat_id, client) if chat_id[:1] in "UW" else chat_id
        fallback = str(reply.text)[:SECTION_LIMIT]
        for blocks in blocks_of(reply):
            await self._call(
                channel,
                lambda blocks=blocks: client.chat_postMessage(
                    channel=channel, text=fallback, blocks=blocks, thread_ts=thread_ts
                ),
            )
        for file in reply.attachments:
            await self._call(
                channel,
                lambda file=file: client.files_upload_v2(
                    channel=channel, file=file.data, filename=file.filename, title=file.filename
                ),
            )

    async def _client_of(self, chat_id: str) -> AsyncWebClient:
        """The client with the bot token of the workspace ``chat_id`` is in."""
        if self.oauth is None:
            return self.client
        token = await self.oauth.workspaces.token_of(chat_id)
        if token is None:
            # Never heard from, or its workspace is no longer installed.
            reason = "espace de travail Slack non installé"
            await self._unreachable(chat_id, reason)
            raise Unreachable(reason)
        if token not in self._clients:
            self._clients[token] = AsyncWebClient(token=token, base_url=self.api_url)
        return self._clients[token]

    async def _dm_channel(self, user: str, client: AsyncWebClient) -> str:
        if user not in self._dm_of_user:
            opened = await self._call(user, lambda: client.conversations_open(users=user))
            self._remember_dm(user, opened["channel"]["id"])
        return self._dm_of_user[user]

    def _remember_dm(self, user: str, channel: str) -> None:
        self._dm_of_user[user] = channel
        self._user_of_dm[channel] = user

    async def _call(self, channel: str, request: Callable[[], Awaitable[T]]) -> T:
        """One API call within the channel's pace, retried on 429 and on transient failures."""
        return await deliver(
            request,
            chat_id=channel,
            chat=self._channels[channel],
            everyone=None,
            classify=classify,
            policy=self.limits.retry,
            on_unreachable=self._unreachable,
            on_retry=self._retried,
        )

    async def _unreachable(self, channel: str, reason: str) -> None:
        user = self._user_of_dm.get(channel, channel)
        logger.warning("Slack: %s unreachable: %s", user, reason)
        await self.on_unreachable(self.platform, user, reason)
