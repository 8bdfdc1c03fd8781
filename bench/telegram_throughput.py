"""End-to-end Telegram throughput of rse-bot and of its peers, as ratios to a bare echo bot.

Every bot polls the same fake Telegram server (tests/helpers/fake_telegram.py), run in a
process of its own as the real server would be, with the same number of updates handled at
once. The senders are signed-up members; each sends ``/langue fr`` then ``/langue en``, so that
every update changes what is stored:

- bare PTB echo bot: python-telegram-bot and nothing else, the ceiling;
- rse-bot: the router reads the member's account, the handler changes their language, and the
  language and conversation state are committed before the reply is sent;
- PTB echo bot on aiohttp: the echo bot on the HTTP client that rse-bot gives
  python-telegram-bot (bot/transports/telegram_request.py), so that rse-bot's ratio to it is
  what its router and database cost, the client's gain set apart;
- PTB + AsyncSession: a PTB handler doing the usual SQLAlchemy AsyncSession get, modify and
  commit of the sender's row, then the reply;
- PTB + PicklePersistence: PTB's ConversationHandler keeping the language in ``user_data``,
  which PTB writes to its file every 60 s, not per update (a crash loses up to a minute).

On SQLite, and on PostgreSQL when RSEBOT_BENCH_POSTGRES_URL names a server (the run gets a
database of its own there). Rounds alternate the bots, because this machine's speed drifts from
one minute to the next; each ratio is the median of the rounds' ratios to that round's echo bot.
Targets: rse-bot >= 0.9 x the echo bot on SQLite, >= 0.8 on PostgreSQL.

    python -m bench.telegram_throughput [--updates 3000] [--users 300] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import String, insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)

from bench.postgres import fresh_database
from bot.app import App
from bot.config import Settings, normalize_database_url
from bot.messages import Platform
from bot.runner import telegram_commands
from bot.transports.telegram import TelegramLimits, TelegramTransport
from bot.transports.telegram_request import on_aiohttp
from tests.helpers.chat import Chat
from tests.helpers.fake_telegram import FakeTelegram

FIRST_USER = 10_000
# Flood limits are not what is measured here: the server does not enforce them.
UNLIMITED = TelegramLimits(per_second=100_000, private_interval=0, group_interval=0)
TARGETS = {"SQLite": 0.9, "PostgreSQL": 0.8}
Starter = Callable[[str], Awaitable[Callable[[], Awaitable[None]]]]


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


async def measure(start_bot: Starter, options: argparse.Namespace) -> tuple[float, float]:
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


async def _polling(application: Application) -> Callable[[], Awaitable[None]]:  # type: ignore[type-arg]
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


def _ptb(base_url: str, concurrency: int) -> ApplicationBuilder:  # type: ignore[type-arg]
    return (
        ApplicationBuilder()
        .token(FakeTelegram.token)
        .base_url(base_url)
        .concurrent_updates(concurrency)
    )


def echo_bot(concurrency: int, *, aiohttp: bool = False) -> Starter:
    """The echo bot; ``aiohttp``: on the HTTP client rse-bot gives python-telegram-bot."""

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    async def start(base_url: str) -> Callable[[], Awaitable[None]]:
        builder = _ptb(base_url, concurrency)
        application = (on_aiohttp(builder) if aiohttp else builder).build()
        application.add_handler(MessageHandler(filters.TEXT, echo))
        return await _polling(application)

    return start


def rse_bot(app: App, concurrency: int) -> Starter:
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


class _PeerBase(DeclarativeBase):
    pass


class Chatter(_PeerBase):
    """The AsyncSession peer's one table: a sender and their language."""

    __tablename__ = "bench_chatters"
    user_id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(5))
    messages: Mapped[int] = mapped_column(default=0)


async def async_session_bot(engine: AsyncEngine, users: int, concurrency: int) -> Starter:
    """The peer, on its table with a row for every sender (as rse-bot has their accounts)."""
    async with engine.begin() as connection:
        await connection.run_sync(_PeerBase.metadata.create_all)
        await connection.execute(
            insert(Chatter),
            [{"user_id": FIRST_USER + n, "language": "fr"} for n in range(users)],
        )
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def remember(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        async with sessions() as session, session.begin():
            chatter = await session.get(Chatter, update.effective_user.id, with_for_update=True)
            assert chatter is not None
            chatter.language = (update.message.text or "").split()[-1]
            chatter.messages += 1
        await update.message.reply_text("Langue enregistrée.")

    async def start(base_url: str) -> Callable[[], Awaitable[None]]:
        application = _ptb(base_url, concurrency).build()
        application.add_handler(MessageHandler(filters.TEXT, remember))
        return await _polling(application)

    return start


def pickle_bot(folder: Path, concurrency: int) -> Starter:
    chosen = 0

    async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data["langue"] = context.args[0] if context.args else "fr"
        await update.message.reply_text("Langue enregistrée.")
        return chosen

    async def start(base_url: str) -> Callable[[], Awaitable[None]]:
        persistence = PicklePersistence(folder / "ptb-state.pickle")
        application = _ptb(base_url, concurrency).persistence(persistence).build()
        application.add_handler(
            ConversationHandler(
                entry_points=[CommandHandler("langue", choose)],
                states={chosen: [CommandHandler("langue", choose)]},
                fallbacks=[],
                name="langue",
                persistent=True,
            )
        )
        return await _polling(application)

    return start


def _report(label: str, url: str, options: argparse.Namespace, runs: dict[str, list]) -> None:  # type: ignore[type-arg]
    echoes = runs["bare PTB echo bot"]
    print(
        f"{label} ({url.split(':', 1)[0]}): {options.updates} updates from {options.users} "
        f"members, {options.concurrency} at once, median of {options.rounds} alternated rounds"
    )
    for name, measured in runs.items():
        rate = statistics.median(r for r, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        rounds = [round(r) for r, _ in measured]
        target = f"  (target >= {TARGETS[label]:.2f})" if name == "rse-bot" else ""
        print(
            f"  {name:<24} {rate:7.1f} updates/s  {rounds!s:<18} {cpu:5.2f} ms CPU/update"
            f"  ratio {_ratio(measured, echoes):4.2f}{target}"
        )
    same_client = _ratio(runs["rse-bot"], runs["PTB echo bot on aiohttp"])
    print(f"  rse-bot / PTB echo bot on aiohttp: {same_client:4.2f} (its router and database)")


def _ratio(measured: list[tuple[float, float]], reference: list[tuple[float, float]]) -> float:
    """The median of the rounds' ratios of updates/s: each round's bots ran minutes apart."""
    return statistics.median(r / e for (r, _), (e, _) in zip(measured, reference, strict=True))


async def run_on(label: str, url: str, folder: Path, options: argparse.Namespace) -> None:
    app = await App.start(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    # SQLite: wait for the write lock as long as rse-bot does (the driver's default, 5 s, fails
    # some of 32 transactions at once, and a failed update gets no reply).
    sqlite = url.startswith("sqlite")
    engine = create_async_engine(
        normalize_database_url(url), connect_args={"timeout": 30} if sqlite else {}
    )
    try:
        for n in range(options.users):
            member = Chat(app, Platform.TELEGRAM, str(FIRST_USER + n))
            await member.sign_up(name=f"Membre {n}", company=f"Entreprise {n}")
        bots = {
            "bare PTB echo bot": echo_bot(options.concurrency),
            "rse-bot": rse_bot(app, options.concurrency),
            "PTB echo bot on aiohttp": echo_bot(options.concurrency, aiohttp=True),
            "PTB + AsyncSession": await async_session_bot(
                engine, options.users, options.concurrency
            ),
            "PTB + PicklePersistence": pickle_bot(folder, options.concurrency),
        }
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in bots}
        for _ in range(options.rounds):
            for name, start in bots.items():
                runs[name].append(await measure(start, options))
    finally:
        await engine.dispose()
        await app.close()
    _report(label, url, options, runs)


def count(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"at least 1, not {number}")
    return number


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=count, default=3000)
    parser.add_argument("--users", type=count, default=300)
    parser.add_argument("--concurrency", type=count, default=32)
    parser.add_argument("--rounds", type=count, default=3, help="alternate runs; medians reported")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_fake:
        await serve_fake(options.updates, options.users)
        return
    with tempfile.TemporaryDirectory() as folder:
        await run_on("SQLite", f"sqlite:///{folder}/bench.db", Path(folder), options)
    server = os.environ.get("RSEBOT_BENCH_POSTGRES_URL")
    if not server:
        print("PostgreSQL skipped (set RSEBOT_BENCH_POSTGRES_URL to a server database)")
        return
    with tempfile.TemporaryDirectory() as folder:
        async with fresh_database(server, "rsebot_bench") as url:
            await run_on("PostgreSQL", url, Path(folder), options)


if __name__ == "__main__":
    asyncio.run(main())
