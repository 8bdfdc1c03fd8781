"""Several pôles on Slack: the app installed in each pôle's workspace through Slack's OAuth
(Bolt's AsyncOAuthFlow), each installation kept in our database and tied to the pôle whose
install link the workspace's admin followed.

An install link carries its pôle, signed with the app's client secret, so that only whoever
got a link from the bot's administrator ties a workspace to a pôle; the OAuth state carries the
pôle too, signed the same way, so that no state is stored between the install page and Slack's
redirect (any instance of the bot can take either request). Bolt checks, besides, that the
redirect comes back to the browser that began (its state cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger
from urllib.parse import urlencode

from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.config import Settings
from bot.storage import repositories as repo
from bot.storage.database import Database
from bot.storage.models import Pole
from bot.transports.slack_manifest import INSTALL_PATH, REDIRECT_PATH, bot_scopes

logger = logging.getLogger(__name__)

# An admin may follow their install link days after asking for it; the OAuth state only lives
# while they are on Slack's consent page.
LINK_SECONDS = 7 * 24 * 3600
STATE_SECONDS = 600

# The pages the installing admin sees: the text of a key, in the bot's language.
Say = Callable[..., str]


class PoleLinks(AsyncOAuthStateStore):
    """Install links and OAuth states that carry a pôle, signed: Bolt's state store."""

    def __init__(self, secret: str, public_url: str) -> None:
        self._key = secret.encode()
        self.public_url = public_url.rstrip("/")

    @property
    def logger(self) -> Logger:
        return logger

    def link(self, pole_id: int) -> str:
        """The address a pôle's admin opens to install the app in their workspace."""
        token = self._sign("link", pole_id, LINK_SECONDS)
        return f"{self.public_url}{INSTALL_PATH}?{urlencode({'pole': token})}"

    def pole_of_link(self, token: str | None) -> int | None:
        return self._verify("link", token)

    def state(self, pole_id: int) -> str:
        return self._sign("state", pole_id, STATE_SECONDS)

    def pole_of_state(self, state: str | None) -> int | None:
        return self._verify("state", state)

    async def async_consume(self, state: str) -> bool:
        return self.pole_of_state(state) is not None

    def _sign(self, purpose: str, pole_id: int, lifetime: int) -> str:
        body = f"{pole_id}.{int(time.time()) + lifetime}.{secrets.token_urlsafe(8)}"
        return f"{body}.{self._mac(purpose, body)}"

    def _verify(self, purpose: str, token: str | None) -> int | None:
        """The pôle a token of ``purpose`` carries, None if forged, altered or expired."""
        body, _, mac = (token or "").rpartition(".")
        if not body or not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        pole_id, expires, _ = body.split(".", 2)
        return int(pole_id) if int(expires) >= time.time() else None

    def _mac(self, purpose: str, body: str) -> str:
        # The purpose is signed too: an install link is never taken for a state.
        return hmac.new(self._key, f"{purpose}:{body}".encode(), hashlib.sha256).hexdigest()[:32]


class Workspaces(AsyncInstallationStore):
    """The workspaces the app is installed in, in our database (Bolt's installation store,
    read for every request Slack sends), and which workspace each account and channel is in,
    for the messages the bot sends first."""

    def __init__(self, database: Database) -> None:
        self.database = database
        # Accounts and channels whose workspace is stored already: no write for each message.
        self._known: dict[str, str] = {}

    @property
    def logger(self) -> Logger:
        return logger

    async def save(self, installation: Installation, *, pole_id: int) -> Pole:
        """Store what Slack's OAuth gave, tied to ``pole_id``; the pôle."""
        assert installation.team_id is not None and installation.bot_token is not None
        async with self.database.transaction() as session:
            pole = await repo.pole_by_id(session, pole_id)
            if pole is None:
                # A link signed for another database with the same app: Bolt's failure page.
                raise BoltError(f"pôle {pole_id} introuvable")
            await repo.save_slack_installation(
                session,
                team_id=installation.team_id,
                team_name=installation.team_name or installation.team_id,
                pole_id=pole_id,
                bot_token=installation.bot_token,
                bot_id=installation.bot_id or "",
                bot_user_id=installation.bot_user_id or "",
                bot_scopes=",".join(installation.bot_scopes or ()),
            )
        logger.warning("Slack: workspace %s installed for pôle %s", installation.team_id, pole_id)
        return pole

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        if team_id is None:
            return None
        async with self.database.transaction() as session:
            found = await repo.slack_installation(session, team_id=team_id)
        if found is None:
            return None
        return Bot(
            team_id=found.team_id,
            team_name=found.team_name,
            bot_token=found.bot_token.get_secret_value(),
            bot_id=found.bot_id,
            bot_user_id=found.bot_user_id,
            bot_scopes=found.bot_scopes,
            installed_at=found.installed_at,
        )

    async def remember(self, chat_id: str, *, team_id: str, user_id: str | None) -> None:
        """Note that ``chat_id`` (an account, or a channel) is in ``team_id``."""
        if self._known.get(chat_id) == team_id:
            return
        async with self.database.transaction() as session:
            await repo.remember_slack_chat(
                session, chat_id=chat_id, team_id=team_id, user_id=user_id
            )
        self._known[chat_id] = team_id

    async def token_of(self, chat_id: str) -> str | None:
        """The bot token of the workspace ``chat_id`` is in; None if none installed has it."""
        async with self.database.transaction() as session:
            token = await repo.slack_token_of_chat(session, chat_id=chat_id)
        return token.get_secret_value() if token is not None else None


class PoleOAuthFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, the pôle carried from the install link to the stored installation."""

    def __init__(self, *, settings: AsyncOAuthSettings, links: PoleLinks, workspaces: Workspaces):
        super().__init__(settings=settings)
        self.links = links
        self.workspaces = workspaces

    async def handle_installation(self, request: AsyncBoltRequest) -> BoltResponse:
        pole_id = self.links.pole_of_link(_query(request, "pole"))
        if pole_id is None:
            return await self.failure_handler(
                AsyncFailureArgs(
                    request=request,
                    reason="invalid_link",
                    suggested_status_code=403,
                    settings=self.settings,
                    default=self.default_callback_options,
                )
            )
        request.context["pole_id"] = pole_id
        return await super().handle_installation(request)

    async def issue_new_state(self, request: AsyncBoltRequest) -> str:
        return self.links.state(request.context["pole_id"])

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation):
        pole_id = self.links.pole_of_state(_query(request, "state"))
        # Bolt consumed this state a moment ago: it is valid.
        assert pole_id is not None
        pole = await self.workspaces.save(installation, pole_id=pole_id)
        request.context["pole_name"] = pole.name


def _query(request: AsyncBoltRequest, name: str) -> str | None:
    values = request.query.get(name)
    return values[0] if values else None


@dataclass(frozen=True)
class SlackOAuth:
    """What the Slack transport needs to serve several workspaces."""

    flow: PoleOAuthFlow
    workspaces: Workspaces
    links: PoleLinks


def install_links(settings: Settings) -> PoleLinks:
    """The install links of this deployment, signed with the app's client secret."""
    assert settings.slack_client_secret is not None and settings.public_url is not None
    return PoleLinks(settings.slack_client_secret.get_secret_value(), settings.public_url)


def slack_oauth(settings: Settings, database: Database, say: Say) -> SlackOAuth:
    """The OAuth flow of an app installed from RSEBOT_PUBLIC_URL/slack/install, asking for the
    scopes the transport needs, its pages in the bot's language."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    assert settings.public_url is not None
    locale = settings.locale
    links = install_links(settings)
    workspaces = Workspaces(database)

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        team = args.installation.team_name or args.installation.team_id or ""
        body = say("slack.installed", team=team, pole=args.request.context["pole_name"])
        return _page(200, locale, say("slack.installed_title"), body)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        logger.warning("Slack: installation refused: %s", args.reason)
        if args.reason == "invalid_link":
            return _page(403, locale, say("slack.install_failed_title"), say("slack.link_invalid"))
        body = say("slack.install_failed", reason=args.reason)
        return _page(args.suggested_status_code, locale, say("slack.install_failed_title"), body)

    settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=bot_scopes(),
        user_scopes=[],
        redirect_uri=settings.public_url + REDIRECT_PATH,
        install_path=INSTALL_PATH,
        # Straight to Slack's consent page: the admin already chose to install.
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
        installation_store=workspaces,
        installation_store_bot_only=True,
        state_store=links,
        state_expiration_seconds=STATE_SECONDS,
        logger=logger,
    )
    flow = PoleOAuthFlow(settings=settings, links=links, workspaces=workspaces)
    return SlackOAuth(flow, workspaces, links)


def _page(status: int, locale: str, title: str, body: str) -> BoltResponse:
    page = (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p></body></html>\n"
    )
    return BoltResponse(
        status=status, body=page, headers={"Content-Type": "text/html; charset=utf-8"}
    )
