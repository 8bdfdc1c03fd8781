"""The watch digest's editions fire through the scheduler at the times each pôle's calendar
names, fetch that pôle's feeds, and reach each subscriber once; nothing is repeated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage import repositories as repo
from bot.storage.models import Campaign, DigestSubscription, Feed, OutboxMessage, Pole
from handlers import digest_calendar
from scheduler.jobs import JOBS
from scheduler.service import Scheduler
from tests.helpers.feed_server import FeedServer
from tests.scheduler.conftest import StartScheduler
from tests.scheduler.test_runs import at

EDITIONS = next(spec for spec in JOBS if spec.id == "veille-editions")
NOTE_TITLE = "**Veille RSE de {pole} — la note de la semaine**"
LETTER_TITLE = "**Veille RSE de {pole} — la lettre de la quinzaine**"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


async def watching(app: App, server: FeedServer, pole: Pole, feed: str, *chats: str) -> None:
    """The pôle, a week old, follows ``feed``, and ``chats`` subscribed to its digest."""
    assert pole.id is not None
    async with app.database.transaction() as session:
        stored = await session.get(Pole, pole.id)
        assert stored is not None
        stored.created_at = at(-7, 0)
        session.add(stored)
        session.add(Feed(pole_id=pole.id, url=server.url(feed)))
        for chat_id in chats:
            session.add(DigestSubscription(pole_id=pole.id, platform="telegram", chat_id=chat_id))


@pytest.fixture
async def pole(app: App, server: FeedServer) -> Pole:
    """The default pôle, a week old, following rss2.xml, chat 5001 subscribed."""
    found = await default_pole(app)
    await watching(app, server, found, "rss2.xml", "5001")
    return found


async def started_at(
    start_scheduler: StartScheduler, time_machine: TimeMachineFixture, *moment: int
) -> Scheduler:
    """A scheduler running the veille-editions job, started at ``at(*moment)``."""
    time_machine.move_to(at(*moment), tick=False)
    return await start_scheduler(EDITIONS)


async def default_pole(app: App) -> Pole:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
    assert pole is not None
    return pole


async def other_pole(app: App) -> Pole:
    async with app.database.transaction() as session:
        return await repo.create_pole(session, name="Hydreos")


async def set_calendar(
    app: App, pole: Pole, kind: str, words: str, now: datetime | None = None
) -> None:
    """What an animator's ``/veille horaire KIND WORDS`` does, the day before by default."""
    assert pole.id is not None
    async with app.database.transaction() as session:
        await digest_calendar.change(
            session, app.content, pole_id=pole.id, kind=kind, words=words, now=now or at(-1, 12)
        )


async def queued(app: App) -> list[tuple[str, str]]:
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, Campaign.text)
            .join(Campaign, Campaign.id == OutboxMessage.campaign_id)
            .order_by(OutboxMessage.id)
        )
        return [(chat_id, text.split("\n")[0]) for chat_id, text in rows]


async def run_at(
    scheduler: Scheduler, time_machine: TimeMachineFixture, *moments: tuple[int, ...]
) -> None:
    """Move the clock to each ``at(*moment)`` and run the jobs due then."""
    for moment in moments:
        time_machine.move_to(at(*moment), tick=False)
        await scheduler.run_due_jobs()


async def test_the_weekly_note_reaches_each_subscriber_once_and_never_repeats(
    app: App,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    server: FeedServer,
) -> None:
    pole = await default_pole(app)
    await watching(app, server, pole, "rss2.xml", "5001", "5002")
    async with app.database.transaction() as session:
        session.add(Feed(pole_id=pole.id, url=server.url("relay.xml")))
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)

    await run_at(scheduler, time_machine, (0, 8, 29), (0, 8, 30), (0, 8, 31))
    first = await queued(app)
    async with app.database.transaction() as session:
        campaign = await session.scalar(select(Campaign))
    await run_at(scheduler, time_machine, (7, 8, 30))

    title = NOTE_TITLE.format(pole=pole.name)
    assert first == [("5001", title), ("5002", title)]
    # The relay's copy of the same article (trackers, typography) is left out.
    assert campaign is not None and campaign.text.count("ce que l") == 1
    assert await queued(app) == first


async def test_each_pole_sends_at_the_times_of_its_own_calendar(
    app: App,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    server: FeedServer,
) -> None:
    agroe, hydreos = await default_pole(app), await other_pole(app)
    await watching(app, server, agroe, "rss2.xml", "5001")
    await watching(app, server, hydreos, "atom.xml", "6001")
    await set_calendar(app, hydreos, "note", "mardi, jeudi 7h15")
    scheduler = await started_at(start_scheduler, time_machine, 0, 7)

    await run_at(scheduler, time_machine, (0, 8, 30))
    monday = await queued(app)
    await run_at(scheduler, time_machine, (1, 7, 14))
    assert await queued(app) == monday
    await run_at(scheduler, time_machine, (1, 7, 15))

    assert monday == [("5001", NOTE_TITLE.format(pole=agroe.name))]
    assert await queued(app) == [*monday, ("6001", NOTE_TITLE.format(pole="Hydreos"))]


async def test_the_newsletter_goes_out_on_the_first_of_the_month(
    app: App, pole: Pole, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    await set_calendar(app, pole, "note", "aucune")
    scheduler = await started_at(start_scheduler, time_machine, 0, 7)

    # Monday 23 (no note: turned off), then Tuesday 1 December at 09:00.
    await run_at(scheduler, time_machine, (0, 8, 30), (8, 8, 59))
    assert await queued(app) == []
    await run_at(scheduler, time_machine, (8, 9, 0))

    assert await queued(app) == [("5001", LETTER_TITLE.format(pole=pole.name))]


async def test_an_edition_missed_while_the_bot_was_down_goes_out_once_at_restart(
    app: App, pole: Pole, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)
    await scheduler.stop()

    restarted = await started_at(start_scheduler, time_machine, 0, 11)
    await run_at(restarted, time_machine, (0, 11), (0, 11, 1), (0, 12))

    assert await queued(app) == [("5001", NOTE_TITLE.format(pole=pole.name))]


async def test_an_edition_missed_beyond_the_grace_time_is_let_go(
    app: App, pole: Pole, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    late = at(0, 8, 30) + timedelta(hours=app.settings.misfire_grace_hours, minutes=1)
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)

    for moment in (late, late + timedelta(minutes=1)):
        time_machine.move_to(moment, tick=False)
        await scheduler.run_due_jobs()

    assert await queued(app) == []


async def test_a_calendar_changed_after_its_time_waits_for_the_next_one(
    app: App, pole: Pole, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    scheduler = await started_at(start_scheduler, time_machine, 0, 7)
    await set_calendar(app, pole, "note", "aucune")
    await run_at(scheduler, time_machine, (0, 8, 30))

    time_machine.move_to(at(0, 10), tick=False)
    await set_calendar(app, pole, "note", "lundi 9h", now=at(0, 10))
    await run_at(scheduler, time_machine, (0, 10, 1), (6, 23, 59))
    assert await queued(app) == []
    await run_at(scheduler, time_machine, (7, 9))

    assert await queued(app) == [("5001", NOTE_TITLE.format(pole=pole.name))]
