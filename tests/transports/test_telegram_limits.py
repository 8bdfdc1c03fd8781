"""Telegram's flood limits, enforced by the fake server: nothing refused, nothing lost."""

import asyncio
import time

from bot.app import App
from bot.messages import Reply, Text
from bot.transports.telegram import TelegramLimits
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import QUICK_RETRY, telegram_transport

ALICE = 1001


def note(n: int) -> Reply:
    return Reply(Text.plain(f"Rappel n°{n} : club RSE jeudi à 9 h"))


async def test_one_message_a_second_per_private_chat(app: App, fake_telegram: FakeTelegram) -> None:
    fake_telegram.limit(per_private_chat_per_second=1)
    transport = telegram_transport(app, fake_telegram, limits=TelegramLimits())
    await transport.start()
    try:
        started = time.monotonic()
        await asyncio.gather(*(transport.send(str(ALICE), note(n)) for n in range(3)))
        elapsed = time.monotonic() - started
    finally:
        await transport.stop()
    assert [m["text"] for m in fake_telegram.messages_to(ALICE)] == [
        str(note(n).text) for n in range(3)
    ]
    assert fake_telegram.too_many_requests == 0
    assert elapsed >= 1.9


async def test_retry_after_is_honoured_and_the_message_arrives_once(
    app: App, fake_telegram: FakeTelegram
) -> None:
    transport = telegram_transport(
        app, fake_telegram, limits=TelegramLimits(private_interval=0, retry=QUICK_RETRY)
    )
    await transport.start()
    fake_telegram.fail(ALICE, 429, retry_after=1)
    try:
        started = time.monotonic()
        await transport.send(str(ALICE), note(1))
        elapsed = time.monotonic() - started
    finally:
        await transport.stop()
    assert [m["text"] for m in fake_telegram.messages_to(ALICE)] == [str(note(1).text)]
    assert fake_telegram.too_many_requests == 1
    assert elapsed >= 0.95


async def test_overall_rate_is_kept_across_chats(app: App, fake_telegram: FakeTelegram) -> None:
    fake_telegram.limit(per_second=40)
    # A little under the server's limit: server and bot share one event loop here, and under
    # load its delays shift the moment the server sees each request by more than its tolerance.
    transport = telegram_transport(
        app, fake_telegram, limits=TelegramLimits(per_second=38, private_interval=0)
    )
    await transport.start()
    try:
        await asyncio.gather(*(transport.send(str(2000 + n), note(n)) for n in range(80)))
    finally:
        await transport.stop()
    assert fake_telegram.too_many_requests == 0
    assert all(len(fake_telegram.messages_to(2000 + n)) == 1 for n in range(80))


async def test_groups_are_paced_more_slowly_than_private_chats(
    app: App, fake_telegram: FakeTelegram
) -> None:
    group = -100300
    fake_telegram.limit(per_group_per_minute=300, per_private_chat_per_second=1000)
    limits = TelegramLimits(private_interval=0, group_interval=0.2)
    transport = telegram_transport(app, fake_telegram, limits=limits)
    await transport.start()
    try:
        await asyncio.gather(*(transport.send(str(group), note(n)) for n in range(4)))
    finally:
        await transport.stop()
    assert len(fake_telegram.messages_to(group)) == 4
    assert fake_telegram.too_many_requests == 0
