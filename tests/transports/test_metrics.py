"""``GET /metrics`` of a running bot, scraped as Prometheus would and read with
prometheus_client's own parser: the counts move while a broadcast goes out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.outbox import Recipient, Tuning, enqueue
from bot.runner import serve
from bot.storage import repositories as repo
from bot.storage.models import Campaign
from tests.helpers.chat import Chat
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port

MEMBERS = [6001 + n for n in range(40)]
QUICK = Tuning(poll_interval=0.05)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by name and labels; parsing fails on a malformed exposition."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


@dataclass
class Running:
    app: App
    url: str

    async def scrape(self) -> Samples:
        async with aiohttp.ClientSession() as client, client.get(self.url) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"].startswith("text/plain; version=")
            return samples(await answer.text())

    async def scrape_until(self, condition: Callable[[Samples], bool]) -> Samples:
        """Scrape every 50 ms until ``condition`` holds (the last outcomes are being written)."""
        async with asyncio.timeout(5):
            # An HTTP endpoint: there is no event to wait on.
            while not condition(scraped := await self.scrape()):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return scraped


@pytest.fixture
async def running(settings: Settings, fake_telegram: FakeTelegram) -> AsyncIterator[Running]:
    """The bot on Telegram in long polling, which needs no HTTP server but for the metrics;
    40 members signed up."""
    port = free_port()
    configured = Settings.model_validate(
        settings.model_dump()
        | {
            "_env_file": None,
            "telegram_token": fake_telegram.token,
            "telegram_api_url": fake_telegram.base_url,
            "telegram_max_per_second": 40,
            "http_host": "127.0.0.1",
            "http_port": port,
            "metrics": True,
        }
    )
    app = await App.start(configured)
    for n, member in enumerate(MEMBERS):
        await Chat(app, Platform.TELEGRAM, str(member)).sign_up(f"Membre {n}", f"Entreprise {n}")
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK))
    try:
        await fake_telegram.wait_for(lambda: any(m == "getUpdates" for m, _ in fake_telegram.calls))
        yield Running(app, f"http://127.0.0.1:{port}/metrics")
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()


async def broadcast(app: App, text: str) -> None:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        await enqueue(
            session,
            campaign=Campaign(pole_id=pole.id, kind="broadcast", audience="all", text=text),
            recipients=[Recipient(Platform.TELEGRAM, str(member)) for member in MEMBERS],
        )


async def test_a_scrape_during_a_broadcast_shows_the_outbox_draining(
    running: Running, fake_telegram: FakeTelegram
) -> None:
    before = await running.scrape()
    # The fake refuses more than 20 a second, the bot sends 40: some get a 429 and wait.
    fake_telegram.limit(per_second=20)
    await broadcast(running.app, "Assemblée générale du pôle le 12 mars à 14 h.")

    await fake_telegram.wait_for(lambda: 5 <= len(fake_telegram.sent) < len(MEMBERS))
    during = await running.scrape()
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent) == len(MEMBERS), timeout=20)
    after = await running.scrape_until(
        lambda scraped: value(scraped, "rse_bot_outbox_messages", status="sent") == len(MEMBERS)
    )

    assert value(before, "rse_bot_outbox_messages", status="pending") == 0
    pending_during = value(during, "rse_bot_outbox_messages", status="pending") + value(
        during, "rse_bot_outbox_messages", status="sending"
    )
    sent_during = value(during, "rse_bot_outbox_messages", status="sent")
    assert 0 < pending_during < len(MEMBERS)
    assert sent_during > 0 and pending_during + sent_during == len(MEMBERS)
    assert value(during, "rse_bot_outbox_oldest_pending_seconds") > 0
    assert value(after, "rse_bot_outbox_messages", status="sent") == len(MEMBERS)
    assert value(after, "rse_bot_outbox_messages", status="pending") == 0
    assert value(after, "rse_bot_outbox_oldest_pending_seconds") == 0
    assert value(after, "rse_bot_outbox_messages", status="failed") == 0
    assert fake_telegram.too_many_requests > 0
    assert value(
        after, "rse_bot_delivery_retries_total", platform="telegram", reason="rate_limited"
    ) == pytest.approx(fake_telegram.too_many_requests)


async def test_messages_handled_are_counted_and_timed_per_platform(
    running: Running, fake_telegram: FakeTelegram
) -> None:
    before = await running.scrape()

    fake_telegram.user_says(MEMBERS[0], "/aide")
    fake_telegram.user_says(MEMBERS[1], "/aide")
    await fake_telegram.wait_for(
        lambda: (
            len(fake_telegram.messages_to(MEMBERS[0])) == 1
            and len(fake_telegram.messages_to(MEMBERS[1])) == 1
        )
    )
    after = await running.scrape()

    handled = ("rse_bot_messages_handled_total", {"platform": "telegram", "outcome": "ok"})
    assert value(after, handled[0], **handled[1]) - value(before, handled[0], **handled[1]) == 2
    timed = "rse_bot_message_handling_seconds_count"
    assert value(after, timed, platform="telegram") - value(before, timed, platform="telegram") == 2
    assert value(after, "rse_bot_message_handling_seconds_sum", platform="telegram") > 0
    assert (
        value(after, "rse_bot_message_handling_seconds_bucket", platform="telegram", le="30.0") >= 2
    )


async def test_the_instance_running_the_jobs_says_it_leads(running: Running) -> None:
    scraped = await running.scrape()

    assert value(scraped, "rse_bot_scheduler_leader") == 1
