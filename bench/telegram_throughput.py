"""End-to-end Telegram throughput, as a ratio to a bare python-telegram-bot echo bot.

Both bots poll the same fake Telegram server (tests/helpers/fake_telegram.py), run in a
process of its own as the real server would be, with the same number of updates handled at
once. The senders are signed-up members (``--newcomers``: people who have not signed up). Each
update through rse-bot passes the router, a database read and write (``/langue fr`` then
``/langue en``: the language saved changes every time) and a reply.
Target: rse-bot >= 0.8 x the echo bot's updates per second.

    python -m bench.telegram_throughput [--updates 3000] [--users 300] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.runner import telegram_commands
from bot.transports.telegram import TelegramLimits, TelegramTransport
from tests.helpers.chat import Chat
from tests.helpers.fake_telegram import FakeTelegram

FIRST_USER = 10_000
# Flood limits are not what is measured here: the server does not enforce them.
UNLIMITED = TelegramLimits(per_second=100_000, private_interval=0, group_interval=0)


async def serve_fake(updates: int, users: int) -> None:
    """Child process: queue the updates, print the URL, then the replies per second."""
    async with FakeTelegram() as fake:
        for n in range(updates):
            # Each person switches language at every message: every update writes.
            fake.user_says(FIRST_USER + n % users, "/langue " + ("fr", "en")[n // users % 2])
        print(fake.base_url, flush=True)
        await fake.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls[:20]), 60)
        started = time.perf_counter()
        await fake.wait_for(lambda: len(fake.sent) >= updates, timeout=600)
        print(updates / (time.perf_counter() - started), flush=True)
        # Serve until the bot has stopped: it confirms its last updates on the way out.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def measure(
    start_bot: Callable[[str], Awaitable[Callable[[], Awaitable[None]]]], options
) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Updates per second, and milliseconds of this process's CPU per update."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.telegram_throughput",
        "--serve-fake",
        "--updates",
        str(options.updates),
        "--users",
        str(options.users),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    base_url = (await child.stdout.readline()).decode().strip()
    stop_bot = await start_bot(base_url)
    cpu = time.process_time()
    rate = float((await child.stdout.readline()).decode())
    cpu = (time.process_time() - cpu) * 1000 / options.updates
    await stop_bot()
    assert child.stdin is not None
    child.stdin.close()
    await child.wait()
    return rate, cpu


def echo_bot(concurrency: int) -> Callable[[str], Awaitable[Callable[[], Awaitable[None]]]]:
    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    async def start(base_url: str) -> Callable[[], Awaitable[None]]:
        application = (
            ApplicationBuilder()
            .token(FakeTelegram.token)
            .base_url(base_url)
            .concurrent_updates(concurrency)
            .build()
        )
        application.add_handler(MessageHandler(filters.TEXT, echo))
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)

        async def stop() -> None:
            assert application.updater is not None
            await application.updater.stop()
            await application.stop()
            await application.shutdown()

        return stop

    return start


def rse_bot(
    app: App, concurrency: int
) -> Callable[[str], Awaitable[Callable[[], Awaitable[None]]]]:
    async def start(base_url: str) -> Callable[[], Awaitable[None]]:
        transport = TelegramTransport(
            token=FakeTelegram.token,
            api_url=base_url,
            handle=app.handle,
            on_unreachable=app.mark_unreachable,
            commands=telegram_commands(app),
            limits=UNLIMITED,
            poll_timeout=1,
            concurrency=concurrency,
        )
        await transport.start()
        return transport.stop

    return start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="alternate runs; medians reported")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--newcomers", action="store_true", help="senders have not signed up")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_fake:
        await serve_fake(options.updates, options.users)
        return
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        app = await App.start(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
        echoes, ours = [], []
        try:
            if not options.newcomers:
                for n in range(options.users):
                    member = Chat(app, Platform.TELEGRAM, str(FIRST_USER + n))
                    await member.sign_up(name=f"Membre {n}", company=f"Entreprise {n}")
            # Alternated, because this machine's speed drifts from one minute to the next.
            for _ in range(options.rounds):
                echoes.append(await measure(echo_bot(options.concurrency), options))
                ours.append(await measure(rse_bot(app, options.concurrency), options))
        finally:
            await app.close()
    echo, mine = (statistics.median(rate for rate, _ in runs) for runs in (echoes, ours))
    echo_cpu, my_cpu = (statistics.median(cpu for _, cpu in runs) for runs in (echoes, ours))
    senders = "newcomers" if options.newcomers else "members"
    print(
        f"{options.updates} updates from {options.users} {senders}, "
        f"{options.concurrency} at once, database {url.split(':', 1)[0]}, "
        f"median of {options.rounds} alternated rounds"
    )
    for name, rate, cpu, runs in (
        ("bare PTB echo bot", echo, echo_cpu, echoes),
        ("rse-bot          ", mine, my_cpu, ours),
    ):
        rounds = [round(r) for r, _ in runs]
        print(f"{name}: {rate:8.1f} updates/s  {rounds}  {cpu:.2f} ms CPU per update")
    print(f"ratio            : {mine / echo:8.2f}  (target >= 0.80)")


if __name__ == "__main__":
    asyncio.run(main())
