"""Telegram and Slack served together by one process and one HTTP server."""

import asyncio

from aiohttp import ClientSession

from bot.app import App
from bot.config import Settings
from bot.runner import build_transports, serve
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port


async def test_telegram_webhook_and_slack_events_share_one_server(
    settings: Settings, fake_telegram: FakeTelegram, fake_slack: FakeSlack
) -> None:
    port = free_port()
    both = settings.model_copy(
        update={
            "telegram_token": fake_telegram.token,
            "telegram_api_url": fake_telegram.base_url,
            "telegram_webhook_url": f"http://127.0.0.1:{port}/telegram",
            "telegram_webhook_secret": "s3cr3t",
            "slack_bot_token": fake_slack.bot_token,
            "slack_signing_secret": fake_slack.signing_secret,
            "slack_api_url": fake_slack.api_url,
            "http_host": "127.0.0.1",
            "http_port": port,
        }
    )
    both = Settings.model_validate(both.model_dump() | {"_env_file": None})
    app = await App.start(both)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop))
    try:
        await fake_telegram.wait_for(lambda: fake_telegram.webhook is not None, timeout=10)
        status, _ = await fake_slack.post(
            f"http://127.0.0.1:{port}/slack/events", fake_slack.dm("U0ALICE", "/aide")
        )
        assert status == 200
        async with ClientSession() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status == 200
        (slack_answer,) = await fake_slack.wait_for_messages("DU0ALICE", 1)
        assert "Voici ce que vous pouvez faire ici" in slack_answer["text"]
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()
    transports, http = build_transports(app)
    assert [t.platform.value for t in transports] == ["telegram", "slack"]
    assert http is not None


async def test_overall_telegram_rate_comes_from_the_settings(settings: Settings) -> None:
    configured = Settings.model_validate(
        settings.model_dump()
        | {"_env_file": None, "telegram_token": "4242:fake-token", "telegram_max_per_second": 12}
    )
    app = await App.start(configured)
    try:
        (telegram,), _ = build_transports(app)
    finally:
        await app.close()
    assert telegram.limits.per_second == 12
