"""Transports started against the fake Telegram and Slack servers."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.config import Settings
from bot.runner import telegram_commands
from bot.transports.base import RetryPolicy
from bot.transports.slack import SlackLimits, SlackTransport
from bot.transports.telegram import TelegramLimits, TelegramTransport
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram

# Conversation tests need not wait a second between two replies; the limit tests use defaults.
QUICK_RETRY = RetryPolicy(backoff=0.01)
NO_TELEGRAM_WAIT = TelegramLimits(
    per_second=10_000, private_interval=0, group_interval=0, retry=QUICK_RETRY
)
NO_SLACK_WAIT = SlackLimits(channel_interval=0, retry=QUICK_RETRY)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def on_both_fakes(
    settings: Settings, fake_telegram: FakeTelegram, fake_slack: FakeSlack, *, port: int
) -> Settings:
    """The settings of a bot running Telegram (polling) and Slack (HTTP events on ``port``)
    against the fake servers."""
    return Settings.model_validate(
        settings.model_dump()
        | {
            "_env_file": None,
            "telegram_token": fake_telegram.token,
            "telegram_api_url": fake_telegram.base_url,
            "slack_bot_token": fake_slack.bot_token,
            "slack_signing_secret": fake_slack.signing_secret,
            "slack_api_url": fake_slack.api_url,
            "http_host": "127.0.0.1",
            "http_port": port,
        }
    )


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def telegram_transport(
    app: App, fake: FakeTelegram, limits: TelegramLimits = NO_TELEGRAM_WAIT, **options: object
) -> TelegramTransport:
    return TelegramTransport(
        token=fake.token,
        api_url=fake.base_url,
        handle=app.handle,
        on_unreachable=app.mark_unreachable,
        commands=telegram_commands(app),
        limits=limits,
        poll_timeout=1,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def slack_transport(
    app: App, fake: FakeSlack, limits: SlackLimits = NO_SLACK_WAIT
) -> SlackTransport:
    return SlackTransport(
        bot_token=fake.bot_token,
        signing_secret=fake.signing_secret,
        api_url=fake.api_url,
        handle=app.handle,
        on_unreachable=app.mark_unreachable,
        command_names=[name for command in app.router.visible_commands for name in command.names],
        limits=limits,
    )


@pytest.fixture
async def telegram(app: App, fake_telegram: FakeTelegram) -> AsyncIterator[TelegramTransport]:
    """A polling Telegram transport."""
    transport = telegram_transport(app, fake_telegram)
    await transport.start()
    try:
        yield transport
    finally:
        await transport.stop()
