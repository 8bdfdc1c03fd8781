"""Each step of a wave happens once when two instances decide it at the same moment: the
scheduled opening (a unique opening moment per project) and the close (a conditional update),
with their messages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import func, select

from bot.app import App
from bot.storage.database import Database
from bot.storage.models import Campaign, SurveyWave
from bot.storage.session import Session
from handlers.survey import waves
from tests.helpers.chat import Chat

# 15 March 2027, 09:00 in Paris.
OPENING = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)


async def at_once(
    app: App, statement: str, decide: Callable[[Session], Awaitable[int]]
) -> list[int]:
    """``decide`` in two instances' transactions: the first holds its own open, its step made
    but not committed, until the second has sent its ``statement`` (which waits on the first
    on PostgreSQL) or its BEGIN (which waits for SQLite's write lock)."""
    other = Database(app.settings.database_url)
    second_started = asyncio.Event()

    loop = asyncio.get_running_loop()

    def started(_connection: object, _cursor: object, sent: str, *_: object) -> None:
        # In the database's worker thread.
        if sent.startswith(("BEGIN", statement)):
            loop.call_soon_threadsafe(second_started.set)

    event.listen(other.engine, "before_cursor_execute", started)
    first_done = asyncio.Event()

    async def first() -> int:
        async with app.database.transaction() as session:
            done = await decide(session)
            first_done.set()
            await second_started.wait()
            return done

    async def second() -> int:
        await first_done.wait()
        async with other.transaction() as session:
            return await decide(session)

    try:
        return await asyncio.wait_for(asyncio.gather(first(), second()), timeout=20)
    finally:
        await other.dispose()


async def campaigns(app: App, kind: str) -> int:
    async with app.database.transaction() as session:
        return (
            await session.scalar(select(func.count(Campaign.id)).where(Campaign.kind == kind)) or 0
        )


async def test_two_instances_open_the_scheduled_wave_once(
    app: App,
    claire: Chat,
    project: dict,
) -> None:
    async def decide(session: Session) -> int:
        return await waves.run_due(session, app.settings, app.content, now=OPENING)

    assert sorted(await at_once(app, "INSERT INTO survey_waves", decide)) == [0, 1]
    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count(SurveyWave.id))) == 1
    assert await campaigns(app, "survey_invitation") == 3  # one per partner


async def test_two_instances_close_the_wave_once(
    app: App,
    claire: Chat,
    project: dict,
) -> None:
    await claire.say(f"/enquete ouvrir {project['number']}")
    async with app.database.transaction() as session:
        (closes_at,) = await session.scalars(select(SurveyWave.closes_at))

    async def decide(session: Session) -> int:
        return await waves.run_due(
            session, app.settings, app.content, now=closes_at + timedelta(minutes=1)
        )

    assert sorted(await at_once(app, "UPDATE survey_waves", decide)) == [0, 1]
    # One results message per audience and language: the partners' and the animators'.
    assert await campaigns(app, "survey_results") == 2
