"""The scale-out setup of deploy/compose.yaml, as processes: two ``rse-bot run`` on one
PostgreSQL database, Telegram by webhook and Slack by its Events API, every request going to
either instance in turn as the proxy sends them. Members on both platforms sign up with each of
their steps answered by the other instance; exactly one instance leads the scheduler; stopped by
SIGTERM halfway through a conversation, one instance exits cleanly, the other takes the lead and
the member's conversation goes on there."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Protocol

import aiohttp
import pytest
from sqlalchemy import make_url

from bot.storage.database import Database
from scheduler.leader import current_leader
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port
from tests.transports.test_club_e2e import OnSlack

Json = dict
ALICE = 7001
SAMIA = "U0SAMIA"
SECRET = "webhook-s3cret"
HOOK = "/telegram/webhook"


async def healthy(url: str) -> bool:
    """Whether the instance at ``url`` answers its health check."""
    try:
        async with aiohttp.ClientSession() as client, client.get(f"{url}/healthz") as got:
            return got.status == 200
    except aiohttp.ClientError:
        return False


class Instance:
    """One ``rse-bot run`` process serving on its own port."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout=30)


async def start(
    database_url: str, fake_telegram: FakeTelegram, fake_slack: FakeSlack, workdir: Path
) -> Instance:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    env |= {
        "RSEBOT_DATABASE_URL": database_url,
        "RSEBOT_TELEGRAM_TOKEN": fake_telegram.token,
        "RSEBOT_TELEGRAM_API_URL": fake_telegram.base_url,
        # The public address both share behind the proxy; each serves its path.
        "RSEBOT_TELEGRAM_WEBHOOK_URL": f"https://rse.pole-exemple.fr{HOOK}",
        "RSEBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "RSEBOT_SLACK_BOT_TOKEN": fake_slack.bot_token,
        "RSEBOT_SLACK_SIGNING_SECRET": fake_slack.signing_secret,
        "RSEBOT_SLACK_API_URL": fake_slack.api_url,
        "RSEBOT_HTTP_HOST": "127.0.0.1",
        "RSEBOT_HTTP_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    instance = Instance(process, port)
    for _ in range(300):
        if await healthy(instance.url):
            return instance
        if process.returncode is not None:
            raise AssertionError((await process.stderr.read()).decode())  # type: ignore[union-attr]
        await asyncio.sleep(0.1)
    raise AssertionError("the instance never answered /healthz")


class Served(Protocol):
    url: str

    @property
    def running(self) -> bool: ...


class Balancer:
    """The proxy: each request to the next instance in turn, skipping stopped ones."""

    def __init__(self, instances: Sequence[Served]) -> None:
        self.instances, self.turn = instances, 0

    def next(self) -> Served:
        running = [instance for instance in self.instances if instance.running]
        self.turn += 1
        return running[self.turn % len(running)]


class TelegramMember:
    """A person in their private chat; Telegram posts each update to the webhook."""

    def __init__(self, fake: FakeTelegram, user_id: int, proxy: Balancer) -> None:
        self.fake, self.id, self.proxy = fake, user_id, proxy

    def received(self) -> list[Json]:
        return [m for m in self.fake.messages_to(self.id) if "edit_date" not in m]

    async def _post(self, update: Json) -> str:
        before = len(self.received())
        instance = self.proxy.next()
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{instance.url}{HOOK}", json=update, headers=headers) as posted,
        ):
            assert posted.status == 200
        await self.fake.wait_for(lambda: len(self.received()) > before, timeout=15)
        return str(self.received()[-1].get("text"))

    async def say(self, text: str) -> str:
        return await self._post(self.fake.user_says(self.id, text))

    async def press(self, label: str) -> str:
        for message in reversed(self.received()):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for key in row:
                    if key["text"].startswith(label):
                        return await self._post(
                            self.fake.user_presses(self.id, message, key["callback_data"])
                        )
        raise AssertionError(f"no button {label!r}")


class SlackMember(OnSlack):
    """A person in their direct messages; Slack posts each event to the next instance."""

    def __init__(self, fake: FakeSlack, user: str, proxy: Balancer) -> None:
        super().__init__(fake, user, "")
        self.proxy = proxy

    async def act(self, do: str, what: str) -> str:
        self.url = f"{self.proxy.next().url}/slack/events"
        before = len(self.messages())
        await (self.say(what) if do == "say" else self.press(what))
        await self.fake.wait_for(lambda: len(self.messages()) > before, timeout=15)
        return str(self.messages()[-1].get("text"))


async def leader_pid(database_url: str) -> int | None:
    """The process of the instance holding the scheduler's lock; None while nobody does."""
    database = Database(database_url)
    try:
        leader = await database.run(current_leader, database.engine)
    finally:
        await database.dispose()
    return None if leader is None else int(leader.instance.rsplit(":", 1)[1])


async def new_leader(database_url: str, other_than: int) -> int:
    for _ in range(400):
        pid = await leader_pid(database_url)
        if pid is not None and pid != other_than:
            return pid
        await asyncio.sleep(0.1)
    raise AssertionError("no instance took the lead")


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("several instances share a PostgreSQL database (RSEBOT_TEST_POSTGRES_URL)")
    return database_url


def folders(parent: Path, *names: str) -> list[Path]:
    """A working directory per instance, as each container has its own."""
    made = [parent / name for name in names]
    for folder in made:
        folder.mkdir()
    return made


@pytest.fixture
async def instances(
    postgres_url: str, fake_telegram: FakeTelegram, fake_slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[list[Instance]]:
    # Started together, as compose does: they take turns at the migrations.
    starting = [
        asyncio.create_task(start(postgres_url, fake_telegram, fake_slack, workdir))
        for workdir in folders(tmp_path, "bot-1", "bot-2")
    ]
    try:
        yield list(await asyncio.gather(*starting))
    finally:
        for task in starting:
            if not task.done():
                task.cancel()
        for task in starting:
            instance = None if task.cancelled() or task.exception() else task.result()
            if instance is not None and instance.process.returncode is None:
                instance.process.kill()
                await instance.process.wait()


async def sign_up(member: TelegramMember | SlackMember, name: str, company: str) -> str:
    steps = [
        ("say", "/start"),
        ("press", "J'accepte"),
        ("say", name),
        ("say", company),
        ("press", "Numérique"),
        ("press", "Rejoindre"),
    ]
    shown = ""
    for do, what in steps:
        if isinstance(member, SlackMember):
            shown = await member.act(do, what)
        else:
            shown = await (member.say(what) if do == "say" else member.press(what))
    return shown


async def test_two_instances_share_the_conversations_and_one_leads_the_scheduler(
    postgres_url: str,
    instances: list[Instance],
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
) -> None:
    proxy = Balancer(instances)
    alice = TelegramMember(fake_telegram, ALICE, proxy)
    samia = SlackMember(fake_slack, SAMIA, proxy)

    joined = await sign_up(alice, "Alice Martin", "Biocoop Lyon")
    assert "bienvenue" in joined, joined
    joined = await sign_up(samia, "Samia Benali", "Hydreos Conseil")
    assert "bienvenue" in joined, joined
    pids = {instance.process.pid: instance for instance in instances}
    leading = await leader_pid(postgres_url)
    assert leading in pids

    # Halfway through the quick diagnostic, the leader is stopped.
    await alice.say("/diagnostic")
    asked = await alice.press("Version rapide")
    assert "1/" in asked, asked
    leader = pids[leading]
    assert await leader.stop() == 0
    assert leader.process.stderr is not None
    assert "Traceback" not in (await leader.process.stderr.read()).decode()

    # The other one goes on with her conversation where it was, and takes the lead.
    (other,) = [instance for instance in instances if instance is not leader]
    resumed = await alice.say("/diagnostic")
    assert "1/" in resumed, resumed
    assert await new_leader(postgres_url, other_than=leading) == other.process.pid
    assert await other.stop() == 0
