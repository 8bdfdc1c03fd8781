"""One transaction on one connection, run in a worker thread, in as few trips as it can."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Person
from bot.storage.workers import Worker
from tests.helpers.chat import Chat


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions transactions send to their worker thread, one per trip."""
    sent: list[str] = []
    submit = Worker.submit

    def counted(worker: Worker, work: Callable[..., Any], *args: object) -> Any:
        sent.append(getattr(work, "__name__", repr(work)))
        return submit(worker, work, *args)

    monkeypatch.setattr(Worker, "submit", counted)
    return sent


async def _member(app: App, user_id: str = "812345670", name: str = "Claire Martin") -> Chat:
    member = Chat(app, Platform.TELEGRAM, user_id)
    await member.sign_up(name=name, company="Biocoop Lyon")
    return member


async def _stored_locale(app: App, user_id: str) -> str | None:
    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="telegram", user_id=user_id)
    assert person is not None
    return person.locale


async def test_a_members_message_is_two_trips_to_the_database(app: App, trips: list[str]) -> None:
    claire = await _member(app)
    trips.clear()
    await claire.say("/langue en")
    # BEGIN with the account's read, then the writes with COMMIT.
    assert trips == ["_on_connection", "_commit"]
    assert await _stored_locale(app, "812345670") == "en"


async def test_a_flow_step_kept_in_the_state_is_two_trips(app: App, trips: list[str]) -> None:
    claire = await _member(app)
    await claire.say("/langue en")
    trips.clear()
    await claire.say("/langue fr")
    await claire.say("/langue")
    assert trips == ["_on_connection", "_commit"] * 2
    assert await _stored_locale(app, "812345670") == "fr"


async def test_the_orm_uses_the_rows_the_router_loaded(app: App) -> None:
    await _member(app)
    async with app.database.transaction() as session:
        account = await repo.account(session, platform="telegram", user_id="812345670")
        assert account.person is not None
        account.person.locale = "en"
        # The ORM takes the row in: the same instance, its change seen by a query.
        assert await session.get(Person, account.person.id) is account.person
        locale = await session.scalar(select(Person.locale).where(Person.id == account.person.id))
    assert locale == "en"
    assert await _stored_locale(app, "812345670") == "en"


async def test_a_row_the_orm_holds_already_is_the_one_the_account_uses(app: App) -> None:
    await _member(app)
    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="telegram", user_id="812345670")
        assert person is not None
        person.display_name = "Claire Martin-Dubois"
        account = await repo.account(session, platform="telegram", user_id="812345670")
        assert account.person is person
    async with app.database.transaction() as session:
        stored = await repo.person_for(session, platform="telegram", user_id="812345670")
    assert stored is not None and stored.display_name == "Claire Martin-Dubois"


async def test_an_error_rolls_back_the_rows_changed(app: App) -> None:
    await _member(app)
    with pytest.raises(LookupError):
        async with app.database.transaction() as session:
            account = await repo.account(session, platform="telegram", user_id="812345670")
            assert account.person is not None
            account.person.locale = "en"
            raise LookupError
    assert await _stored_locale(app, "812345670") is None


async def test_an_expired_attribute_is_not_loaded_on_the_event_loop(app: App) -> None:
    await _member(app)
    with pytest.raises(RuntimeError, match="event loop"):
        async with app.database.transaction() as session:
            person = await repo.person_for(session, platform="telegram", user_id="812345670")
            assert person is not None
            await session.run_sync(lambda orm: orm.expire(person))
            _ = person.display_name


async def test_a_transaction_cancelled_midway_leaves_nothing_and_the_next_one_runs(
    app: App,
) -> None:
    await _member(app)
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow_write(connection: Any) -> None:
        connection.execute(text("UPDATE people SET locale = 'en'"))
        loop.call_soon_threadsafe(started.set)
        time.sleep(0.2)

    async def cancelled() -> None:
        async with app.database.transaction() as session:
            await session.run_on_connection(slow_write)

    task = asyncio.create_task(cancelled())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _stored_locale(app, "812345670") is None


HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
for _ in range(int(sys.argv[2])):
    connection.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
    connection.execute("COMMIT")
    time.sleep(0.05)
"""


async def _hold_write_lock(app: App, times: int, seconds: float) -> asyncio.subprocess.Process:
    """Another process taking SQLite's write lock ``times`` times for ``seconds`` each, as
    « rse-bot broadcast » does beside the bot; returns once it holds it the first time."""
    path = make_url(app.settings.database_url).database
    assert path is not None
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, path, str(times), str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdout is not None
    assert await holder.stdout.readline() == b"locked\n"
    return holder


async def _loop_lag_while(work: asyncio.Future[Any]) -> float:
    """The longest the event loop went without running a 10 ms timer while ``work`` ran."""
    longest = 0.0
    loop = asyncio.get_running_loop()
    while not work.done():
        before = loop.time()
        await asyncio.sleep(0.01)
        longest = max(longest, loop.time() - before - 0.01)
    return longest


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_event_loop_runs_on_while_another_process_holds_the_write_lock(
    app: App,
) -> None:
    claire = await _member(app)
    holder = await _hold_write_lock(app, times=1, seconds=1.0)
    answered = asyncio.ensure_future(claire.say("/langue en"))
    lag = await _loop_lag_while(answered)
    await holder.wait()
    assert lag < 0.2
    assert str((await answered)[0].text) == "Noted, I will speak English from now on."
    assert await _stored_locale(app, "812345670") == "en"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_chats_are_answered_beside_a_process_writing_in_turns(app: App) -> None:
    members = [await _member(app, user_id=str(812345670 + n), name=f"Membre {n}") for n in range(8)]
    holder = await _hold_write_lock(app, times=6, seconds=0.2)
    answers = asyncio.ensure_future(
        asyncio.gather(*(member.say("/langue en") for member in members))
    )
    lag = await _loop_lag_while(answers)
    await holder.wait()
    assert lag < 0.2
    assert [str(replies[0].text) for replies in await answers] == [
        "Noted, I will speak English from now on."
    ] * 8
    assert [await _stored_locale(app, member.user_id) for member in members] == ["en"] * 8


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_begin_that_cannot_take_the_write_lock_in_time_fails_as_sqlalchemy_says(
    app: App,
) -> None:
    def impatient(connection: Any) -> None:
        connection.connection.driver_connection.execute("PRAGMA busy_timeout=100")

    async with app.database.transaction() as session:
        await session.run_on_connection(impatient)
    holder = await _hold_write_lock(app, times=1, seconds=1.0)
    with pytest.raises(OperationalError, match="database is locked"):
        async with app.database.transaction() as session:
            await session.execute(select(Person))
    await holder.wait()
