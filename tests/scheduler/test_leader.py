"""Several instances on one PostgreSQL database: exactly one runs the scheduler."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import App
from bot.config import Settings
from scheduler.leader import LOCK_KEY
from tests.conftest import POSTGRES_URL
from tests.scheduler.conftest import StartScheduler

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None, reason="leader election needs PostgreSQL (RSEBOT_TEST_POSTGRES_URL)"
)

# Short, so that the tests are; production uses 10 s.
RETRY = 0.3
ROOT = Path(__file__).resolve().parents[2]
_LOCK_HOLDERS = f"""
    SELECT pid FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objid = {LOCK_KEY}
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


@pytest.fixture
def database_url(postgres_database: str) -> str:
    """Only the PostgreSQL test database: on SQLite there is a single instance."""
    return postgres_database


@pytest.fixture
async def other_app(settings: Settings) -> AsyncIterator[App]:
    """A second instance of the bot on the same database."""
    started = await App.start(settings)
    try:
        yield started
    finally:
        await started.close()


async def lock_holders(app: App) -> list[int]:
    async with app.database.transaction() as session:
        return list(await session.scalars(text(_LOCK_HOLDERS)))


async def wait_until(condition: Callable[[], bool], *, seconds: float) -> float:
    """How long until ``condition`` held, checked every 10 ms; AssertionError after ``seconds``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():
        assert loop.time() - started < seconds, f"still false after {seconds} s"
        await asyncio.sleep(0.01)
    return loop.time() - started


async def test_one_instance_runs_the_scheduler_and_another_takes_over_when_it_is_killed(
    app: App, start_scheduler: StartScheduler, settings: Settings
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    env["RSEBOT_DATABASE_URL"] = settings.database_url
    leader = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler.instance",
        str(RETRY),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert leader.stdout is not None
        first = await asyncio.wait_for(leader.stdout.readline(), timeout=30)
        assert first == b"leader\n"
        follower = await start_scheduler(retry_interval=RETRY)
        await asyncio.sleep(2 * RETRY)
        assert not follower.leading
        assert len(await lock_holders(app)) == 1

        leader.kill()
        await leader.wait()
        took_over_in = await wait_until(lambda: follower.leading, seconds=10)
    finally:
        if leader.returncode is None:
            leader.kill()
            await leader.wait()

    # At the follower's next try, or the one after if PostgreSQL was still seeing the
    # process die: within the configured interval once the lock is free.
    assert took_over_in < 2 * RETRY
    assert len(await lock_holders(app)) == 1


async def test_a_leader_whose_lock_connection_drops_stops_its_scheduler(
    app: App, other_app: App, start_scheduler: StartScheduler
) -> None:
    first = await start_scheduler(retry_interval=RETRY)
    second = await start_scheduler(on=other_app, retry_interval=RETRY)
    assert (first.leading, second.leading) == (True, False)

    (pid,) = await lock_holders(app)
    async with app.database.transaction() as session:
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await wait_until(lambda: not first.leading, seconds=10)
    await wait_until(lambda: second.leading, seconds=10)

    assert (first.leading, second.leading) == (False, True)
    assert len(await lock_holders(app)) == 1
