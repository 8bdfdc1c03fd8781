"""``rse-bot run`` killed with SIGKILL in the middle of a 1,000-recipient broadcast, then
restarted: every recipient gets the message, and only a message whose request was on the wire
at the moment of the kill can arrive twice (see bot/outbox.py)."""

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.outbox import Recipient, Tuning
from bot.storage.models import OutboxMessage
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.test_outbox import queue

RECIPIENTS = range(100_001, 101_001)


async def start_bot(app: App, fake: FakeTelegram, workdir: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    env |= {
        "RSEBOT_DATABASE_URL": app.settings.database_url,
        "RSEBOT_TELEGRAM_TOKEN": fake.token,
        "RSEBOT_TELEGRAM_API_URL": fake.base_url,
        "RSEBOT_TELEGRAM_MAX_PER_SECOND": "500",
        "RSEBOT_OUTBOX_LEASE_SECONDS": "1",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def statuses(app: App) -> dict[str, str]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(OutboxMessage))
        return {row.chat_id: row.status for row in rows}


def received(fake: FakeTelegram) -> Counter[int]:
    return Counter(
        message["chat"]["id"] for message in fake.sent if message["chat"]["id"] in RECIPIENTS
    )


async def test_a_broadcast_killed_midway_reaches_everyone_after_a_restart(
    app: App, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    await queue(app, [Recipient(Platform.TELEGRAM, str(chat_id)) for chat_id in RECIPIENTS])

    first = await start_bot(app, fake_telegram, tmp_path)
    try:
        await fake_telegram.wait_for(lambda: len(received(fake_telegram)) >= 300, timeout=30)
    finally:
        first.kill()
        await first.wait()
    before_restart = received(fake_telegram)
    on_the_wire = {int(chat_id) for chat_id, s in (await statuses(app)).items() if s == "sending"}
    assert 300 <= len(before_restart) < len(RECIPIENTS)

    second = await start_bot(app, fake_telegram, tmp_path)
    try:
        await fake_telegram.wait_for(
            lambda: len(received(fake_telegram)) == len(RECIPIENTS), timeout=30
        )
        for _ in range(100):
            if set((await statuses(app)).values()) == {"sent"}:
                break
            await asyncio.sleep(0.1)
    finally:
        second.terminate()
        code = await second.wait()
    assert code == 0, (await second.stderr.read()).decode()

    counts = received(fake_telegram)
    assert [chat_id for chat_id in RECIPIENTS if counts[chat_id] == 0] == []
    twice = {chat_id for chat_id, n in counts.items() if n > 1}
    assert twice <= on_the_wire
    assert len(twice) <= Tuning().concurrency
    assert set((await statuses(app)).values()) == {"sent"}
