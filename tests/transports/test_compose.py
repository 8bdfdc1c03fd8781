"""deploy/compose.yaml with Docker, where a Docker daemon answers: the image builds, PostgreSQL
and two bot instances come up healthy, and members on the fake Telegram and Slack servers sign up
with their requests going to either instance in turn; exactly one instance leads the scheduler.

The fakes listen on this machine's loopback, so an override file puts the two bots on the host's
network, each on its own port, and publishes PostgreSQL there for them. Without Docker the test
is skipped, saying so: the same two-instance setup runs as processes in test_two_instances.py.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port
from tests.transports.test_two_instances import (
    ALICE,
    HOOK,
    SAMIA,
    SECRET,
    Balancer,
    SlackMember,
    TelegramMember,
    healthy,
    sign_up,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"


def docker_answers() -> bool:
    """A Docker daemon that answers, and the compose plugin."""
    if shutil.which("docker") is None:
        return False
    return all(
        subprocess.run(command, capture_output=True, check=False).returncode == 0
        for command in (["docker", "info"], ["docker", "compose", "version"])
    )


pytestmark = pytest.mark.skipif(
    not docker_answers(),
    reason="no Docker daemon with the compose plugin here: the two-instance setup runs as "
    "processes in tests/transports/test_two_instances.py instead",
)


@dataclass
class Container:
    url: str
    running: bool = True


def override(folder: Path, telegram: FakeTelegram, slack: FakeSlack) -> tuple[Path, list[int]]:
    """The compose override file reaching the fakes, and the bots' ports."""
    database, *ports = free_port(), free_port(), free_port()
    bot = {
        # The copy of compose.yaml is elsewhere: the image is still built from the repository.
        "build": {"context": str(ROOT), "dockerfile": "deploy/Dockerfile"},
        "network_mode": "host",
        "environment": {
            "RSEBOT_DATABASE_URL": f"postgresql://rsebot:essai-compose@127.0.0.1:{database}/rsebot",
            "RSEBOT_TELEGRAM_TOKEN": telegram.token,
            "RSEBOT_TELEGRAM_API_URL": telegram.base_url,
            "RSEBOT_TELEGRAM_WEBHOOK_URL": f"https://rse.pole-exemple.fr{HOOK}",
            "RSEBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "RSEBOT_SLACK_BOT_TOKEN": slack.bot_token,
            "RSEBOT_SLACK_SIGNING_SECRET": slack.signing_secret,
            "RSEBOT_SLACK_API_URL": slack.api_url,
            "RSEBOT_HTTP_HOST": "127.0.0.1",
        },
    }
    services = {
        "postgres": {"ports": [f"127.0.0.1:{database}:5432"]},
        **{
            f"bot-{n}": {**bot, "environment": {**bot["environment"], "RSEBOT_HTTP_PORT": port}}
            for n, port in enumerate(ports, start=1)
        },
    }
    path = folder / "compose.override.yaml"
    path.write_text(yaml.safe_dump({"services": services}), encoding="utf-8")
    return path, ports


@pytest.fixture
def project(tmp_path: Path) -> Iterator[list[str]]:
    """``docker compose`` on a copy of deploy/compose.yaml beside its own .env (as an operator
    has it), under a project name of its own, taken down with its volumes at the end."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    shutil.copy(COMPOSE, deploy / "compose.yaml")
    (deploy / ".env").write_text("POSTGRES_PASSWORD=essai-compose\n", encoding="utf-8")
    name = f"rsebot-test-{uuid.uuid4().hex[:8]}"
    command = ["docker", "compose", "--project-name", name, "-f", str(deploy / "compose.yaml")]
    try:
        yield command
    finally:
        subprocess.run([*command, "down", "--volumes"], capture_output=True, check=False)


async def test_compose_brings_up_postgresql_and_two_instances_that_answer(
    project: list[str], fake_telegram: FakeTelegram, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    extra, ports = override(tmp_path, fake_telegram, fake_slack)
    files = ["-f", str(extra)]
    up = await asyncio.to_thread(
        subprocess.run,
        [*project, *files, "up", "--build", "--detach", "--wait", "postgres", "bot-1", "bot-2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert up.returncode == 0, up.stderr

    instances = [Container(f"http://127.0.0.1:{port}") for port in ports]
    assert all([await healthy(instance.url) for instance in instances])
    proxy = Balancer(instances)
    assert "bienvenue" in await sign_up(
        TelegramMember(fake_telegram, ALICE, proxy), "Alice Martin", "Biocoop Lyon"
    )
    assert "bienvenue" in await sign_up(
        SlackMember(fake_slack, SAMIA, proxy), "Samia Benali", "Hydreos Conseil"
    )
    leaders = await asyncio.to_thread(
        subprocess.run,
        [
            *project,
            *files,
            "exec",
            "-T",
            "postgres",
            "psql",
            "-U",
            "rsebot",
            "-d",
            "rsebot",
            "-tAc",
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert leaders.stdout.strip() == "1", leaders.stderr
