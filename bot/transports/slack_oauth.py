"""Several pôles on Slack: the app installed in each pôle's workspace through Slack's OAuth
(Bolt's AsyncOAuthFlow), each installation kept in our database and tied to the pôle whose
install link (bot/slack_links.py) the workspace's admin followed. Bolt checks, besides, that
Slack's redirect comes back to the browser that began (its state cookie).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger

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
from bot.slack_links import STATE_SECONDS, PoleLinks, install_links
from bot.storage import repositories as repo
from bot.storage.database import Database
from bot.storage.models import Pole
from bot.transports.slack_manifest import INSTALL_PATH, REDIRECT_PATH, bot_scopes

logger = logging.getLogger(__name__)

# The pages the installing admin sees: the text of a key, in the bot's language.
Say = Callable[..., str]


class _SignedStates(AsyncOAuthStateStore):
    """Bolt's state store: a state is valid when it carries a pôle, signed and not expired."""

    def __init__(self, links: PoleLinks) -> None:
        self.links = links

    @property
    def logger(self) -> Logger:
        return logger

    async def async_consume(self, state: str) -> bool:
        return self.links.pole_of_state(state) is not None


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

    def __init__(
        self, *, settings: AsyncOAuthSettings, links: PoleLinks, workspaces: Workspaces
    ) -> None:
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

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
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

    oauth_settings = AsyncOAuthSettings(
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
        state_store=_SignedStates(links),
        state_expiration_seconds=STATE_SECONDS,
        logger=logger,
    )
    flow = PoleOAuthFlow(settings=oauth_settings, links=links, workspaces=workspaces)
    return SlackOAuth(flow, workspaces)


def _page(status: int, locale: str, title: str, body: str) -> BoltResponse:
    page = (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p></body></html>\n"
    )
    return BoltResponse(
        status=status, body=page, headers={"Content-Type": "text/html; charset=utf-8"}
    )
