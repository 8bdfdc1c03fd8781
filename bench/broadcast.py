"""A broadcast to many Telegram recipients, as fast as the flood limits allow and no faster.

One campaign to ``--recipients`` private chats is queued in the outbox and drained by an
OutboxWorker with the production tuning (what ``rse-bot run`` uses) through the real
TelegramTransport, paced at ``--rate`` messages/s. The fake Telegram server runs in a process of
its own, as the real server would be, and answers 429 to any send over ``--rate`` messages/s
overall or 1/s per chat, as Telegram does. Reported:

- completion time as a ratio to the ideal N / rate, both "queue to done" (from queuing the
  campaign to the moment its last row was sent, by the bot's clock) and "first to last message"
  (between the first and the last send the server accepted); target <= 1.05;
- 429 answers received (target 0);
- recipients who got nothing (lost) or more than one message (duplicated): target 0 and 0.

    python -m bench.broadcast [--recipients 5000] [--rate 300] [--database-url URL]

The database defaults to a new SQLite file. A PostgreSQL URL names a server: the benchmark
creates a scratch database of its own there and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App
from bot.config import Settings, normalize_database_url
from bot.messages import Platform
from bot.outbox import OutboxWorker, Recipient, Tuning, enqueue, report
from bot.storage import repositories as repo
from bot.storage.models import Campaign, OutboxMessage
from bot.transports.telegram import TelegramLimits, TelegramTransport
from tests.helpers.fake_telegram import FakeTelegram

FIRST_CHAT = 100_000  # private chats have positive ids
NEWSLETTER = (
    "**Veille RSE** : la CSRD reportée de deux ans pour les PME (directive Omnibus). "
    "Réunion du club le 12 à 18 h, inscription avec /reunions."
)


# --- the fake Telegram server, in a child process -------------------------------------------------


@dataclass
class Accepted:
    """When the server accepted its first and its latest message (perf_counter seconds)."""

    count: int = 0
    first: float = 0.0
    last: float = 0.0


async def serve_fake(recipients: int, rate: float) -> None:
    """Child process: print the URL, serve until told (a line on stdin), then print a report."""
    # The server keeps every message it accepted; the collector's full passes over them held
    # it up to 100 ms (gc.callbacks), after which it took the requests waiting in one burst and
    # its strict window refused one: a pause Telegram's servers do not make. Refcounting frees
    # the rest, and the process lives for one broadcast.
    gc.disable()
    async with FakeTelegram() as fake:
        fake.limit(per_second=rate, per_private_chat_per_second=1)
        accepted = Accepted()
        watcher = asyncio.create_task(watch_accepted(fake, accepted))
        print(fake.base_url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        watcher.cancel()
        counts = [len(fake.messages_to(FIRST_CHAT + n)) for n in range(recipients)]
        figures = {
            "too_many_requests": fake.too_many_requests,
            "lost": sum(1 for count in counts if count == 0),
            "duplicated": sum(1 for count in counts if count > 1),
            "first_to_last": accepted.last - accepted.first,
        }
        print(json.dumps(figures), flush=True)


async def watch_accepted(fake: FakeTelegram, accepted: Accepted) -> None:
    """Note when messages are accepted, until cancelled.

    The fake re-checks a wait_for predicate after every API call: a predicate that never holds
    sees each accepted message within a turn of the event loop.
    """

    def note() -> bool:
        if len(fake.sent) > accepted.count:
            accepted.count = len(fake.sent)
            accepted.last = time.perf_counter()
            accepted.first = accepted.first or accepted.last
        return False

    with contextlib.suppress(AssertionError):
        await fake.wait_for(note, timeout=24 * 3600)


# --- the bot side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    queue_to_done: float
    first_to_last: float
    too_many_requests: int
    lost: int
    duplicated: int
    # The outbox's own view: rows by status at the end.
    statuses: dict[str, int]
    # This process's CPU per message, queuing included: the bot's whole cost of a send.
    cpu_ms: float


async def queue_campaign(app: App, recipients: int) -> Campaign:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        campaign = Campaign(pole_id=pole.id, kind="broadcast", audience="all", text=NEWSLETTER)
        chats = [Recipient(Platform.TELEGRAM, str(FIRST_CHAT + n)) for n in range(recipients)]
        await enqueue(session, campaign=campaign, recipients=chats)
        return campaign


async def broadcast(app: App, options: argparse.Namespace) -> Figures:
    """Start the fake server, send the campaign through it, and collect both sides' figures."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.broadcast",
        "--serve-fake",
        "--recipients",
        str(options.recipients),
        "--rate",
        str(options.rate),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    base_url = (await child.stdout.readline()).decode().strip()
    transport = TelegramTransport(
        token=FakeTelegram.token,
        api_url=base_url,
        handle=app.handle,
        on_unreachable=app.mark_unreachable,
        # Our own pacing at the server's global limit; 1 s per private chat is the default.
        limits=TelegramLimits(per_second=options.rate),
    )
    # Connected (getMe) before the clock starts: a running bot is connected long before.
    await transport.start(receive=False)
    try:
        cpu = time.process_time()
        campaign = await queue_campaign(app, options.recipients)
        # The tuning `rse-bot run` uses.
        worker = OutboxWorker(app.database, {Platform.TELEGRAM: transport}, Tuning())
        await worker.drain()
        cpu = (time.process_time() - cpu) * 1000 / options.recipients
    finally:
        await transport.stop()
        child.stdin.write(b"done\n")
        await child.stdin.drain()
        server = await child.stdout.readline()
        await child.wait()
    async with app.database.transaction() as session:
        statuses = dict((await report(session, campaign=campaign)).counts)
        # Up to the last row's sent time, not to drain()'s return: that notices the queue is
        # empty only at the worker's next poll, up to a poll interval (1 s) later.
        last_sent = await session.scalar(
            select(func.max(OutboxMessage.sent_at)).where(OutboxMessage.campaign_id == campaign.id)
        )
    # campaign.created_at: set when it was built, just before its rows were queued.
    queue_to_done = (last_sent - campaign.created_at).total_seconds() if last_sent else math.nan
    return Figures(queue_to_done=queue_to_done, statuses=statuses, cpu_ms=cpu, **json.loads(server))


# --- databases ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[str]:
    """A new SQLite file, or a new database on the given PostgreSQL server, removed after."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{folder}/bench.db"
        return
    server = normalize_database_url(url)
    if not server.startswith("postgresql"):
        yield server  # an SQLite file given by the user: used as it is
        return
    name = f"rsebot_bench_{uuid.uuid4().hex[:10]}"
    await admin_execute(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def admin_execute(server_url: str, statement: str) -> None:
    # CREATE and DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


# --- main -----------------------------------------------------------------------------------------


def print_figures(figures: Figures, options: argparse.Namespace, backend: str, load: float) -> None:
    ideal = options.recipients / options.rate
    print(
        f"broadcast to {options.recipients} Telegram private chats at {options.rate:g} messages/s"
        f" (server: 429 over {options.rate:g}/s overall or 1/s per chat), database {backend}"
    )
    # The bot needs most of a core at 300/s: other work on the machine shows in the ratio.
    print(f"machine load before  : {load:8.2f}  ({os.cpu_count()} cores)")
    print(f"ideal N / rate       : {ideal:8.2f} s")
    for name, seconds in (
        ("queue to done       ", figures.queue_to_done),
        ("first to last message", figures.first_to_last),
    ):
        print(f"{name:21}: {seconds:8.2f} s   ratio {seconds / ideal:5.3f}  (target <= 1.05)")
    print(f"429 answers          : {figures.too_many_requests:8d}  (target 0)")
    print(f"lost                 : {figures.lost:8d}  (target 0)")
    print(f"duplicated           : {figures.duplicated:8d}  (target 0)")
    print(f"bot CPU per message  : {figures.cpu_ms:8.2f} ms")
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(figures.statuses.items()))
    print(f"outbox rows          : {statuses}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=300.0, help="global limit, messages/s")
    parser.add_argument(
        "--database-url", default=None, help="default: a new SQLite file; PostgreSQL: a server"
    )
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_fake:
        await serve_fake(options.recipients, options.rate)
        return
    load = os.getloadavg()[0]
    async with scratch_database(options.database_url) as url:
        app = await App.start(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
        try:
            figures = await broadcast(app, options)
        finally:
            await app.close()
    print_figures(figures, options, url.split(":", 1)[0], load)


if __name__ == "__main__":
    asyncio.run(main())
