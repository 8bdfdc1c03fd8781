"""``rse-bot run``: every configured transport in one process, stopped cleanly by a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.app import App
from bot.outbox import OutboxWorker, Tuning
from bot.transports.base import Transport
from bot.transports.http import HttpServer
from scheduler.service import Scheduler

if TYPE_CHECKING:
    from bot.transports.mail import MailTransport
    from bot.transports.slack_oauth import SlackOAuth
    from bot.transports.telegram import CommandInfo

logger = logging.getLogger(__name__)


def telegram_commands(app: App) -> list[CommandInfo]:
    """The commands shown in Telegram's menu: those every member may use."""
    from bot.transports.telegram import CommandInfo

    return [
        CommandInfo(
            command.name,
            {locale: app.content.texts(locale).label(command.help_key) for locale in ("fr", "en")},
        )
        for command in app.router.visible_commands
        if command.role in (None, "member")
    ]


@dataclass(frozen=True, slots=True)
class Pacing:
    """The platforms' limits the transports keep to; tests that drive a whole conversation
    through the fakes lift the one-message-a-second pacing of a chat."""

    telegram_private_interval: float = 1.0
    slack_channel_interval: float = 1.0


def build_transports(
    app: App, pacing: Pacing = Pacing()
) -> tuple[list[Transport], HttpServer | None]:
    """The chat transports the settings enable, and the HTTP server if one of them, the
    calendar feeds (RSEBOT_PUBLIC_URL) or the metrics (RSEBOT_METRICS) need it."""
    settings = app.settings
    transports: list[Transport] = []
    http: HttpServer | None = None

    def server() -> HttpServer:
        nonlocal http
        http = http or HttpServer(settings.http_host, settings.http_port)
        return http

    if settings.telegram_token is not None:
        from bot.transports.telegram import TelegramLimits, TelegramTransport

        telegram = TelegramTransport(
            token=settings.telegram_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            handle=app.handle,
            on_unreachable=app.mark_unreachable,
            commands=telegram_commands(app),
            default_locale=settings.locale,
            limits=TelegramLimits(
                per_second=settings.telegram_max_per_second,
                private_interval=pacing.telegram_private_interval,
            ),
            metrics=app.metrics,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=(
                settings.telegram_webhook_secret.get_secret_value()
                if settings.telegram_webhook_secret
                else None
            ),
        )
        if telegram.webhook_path is not None:
            server().add_post(telegram.webhook_path, telegram.webhook)
        transports.append(telegram)
    if settings.slack_enabled:
        from bot.transports.slack import EVENTS_PATH, SlackLimits, SlackTransport
        from bot.transports.slack_manifest import INSTALL_PATH, REDIRECT_PATH

        assert settings.slack_signing_secret is not None
        slack = SlackTransport(
            bot_token=(
                settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
            ),
            oauth=slack_oauth(app) if settings.slack_oauth else None,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            api_url=settings.slack_api_url,
            handle=app.handle,
            on_unreachable=app.mark_unreachable,
            command_names=[
                name for command in app.router.visible_commands for name in command.names
            ],
            app_token=(
                settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
            ),
            limits=SlackLimits(channel_interval=pacing.slack_channel_interval),
            metrics=app.metrics,
        )
        if slack.app_token is None:
            server().add_post(EVENTS_PATH, slack.events)
        if slack.oauth is not None:
            server().add_get(INSTALL_PATH, slack.install)
            server().add_get(REDIRECT_PATH, slack.oauth_redirect)
        transports.append(slack)
    if settings.public_url is not None:
        from handlers.events.feed import PATH, route

        server().add_get(PATH, route(app.database.transaction, settings, app.content))
    if settings.metrics:
        from bot import metrics

        server().add_get(metrics.PATH, metrics.route(app.metrics, app.database))
    return transports, http


def slack_oauth(app: App) -> SlackOAuth:
    """Slack's OAuth installations (one workspace per pôle), their pages in the bot's language."""
    from bot.transports.slack_oauth import slack_oauth

    return slack_oauth(app.settings, app.database, app.content.texts(app.settings.locale).label)


def mail_transport(app: App) -> MailTransport | None:
    """The outbox's way to members' e-mail, when the settings give an SMTP server and sender.
    Apart from the chat transports: nobody talks to the bot there, and broadcasts never go."""
    settings = app.settings
    if not settings.mail_enabled:
        return None
    from bot.transports.mail import MailTransport

    assert settings.smtp_url is not None and settings.mail_from is not None
    return MailTransport(smtp_url=settings.smtp_url.get_secret_value(), sender=settings.mail_from)


async def serve(
    app: App, stop: asyncio.Event, *, outbox: Tuning | None = None, pacing: Pacing = Pacing()
) -> None:
    """Run the configured transports and the outbox worker until ``stop`` is set, then shut
    them down in order: no new requests, messages being sent and conversations in flight
    finish, connections close."""
    transports, http = build_transports(app, pacing)
    started: list[Transport] = []
    worker: OutboxWorker | None = None
    scheduler = Scheduler(app)
    try:
        # The server first: Telegram starts posting as soon as the webhook is registered.
        if http is not None:
            await http.start()
        for transport in transports:
            await transport.start()
            started.append(transport)
        tuning = outbox or Tuning(lease=app.settings.outbox_lease_seconds)
        outbound = {t.platform: t for t in started}
        mail = mail_transport(app)
        if mail is not None:
            outbound[mail.platform] = mail
        worker = OutboxWorker(app.database, outbound, tuning)
        await worker.start()
        await scheduler.start()
        names = ", ".join(f"{t.platform.value}" for t in transports)
        logger.warning("rse-bot running: %s", names)
        await stop.wait()
    finally:
        await scheduler.stop()
        if http is not None:
            await http.stop()
        if worker is not None:
            await worker.stop()
        for transport in reversed(started):
            await transport.stop()


def configured(app: App) -> bool:
    return app.settings.telegram_enabled or app.settings.slack_enabled


async def run(app: App) -> None:
    """Serve every configured platform until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve(app, stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
