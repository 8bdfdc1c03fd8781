"""The weekly note fires through the scheduler, fetches the pôle's feeds, and reaches each
subscriber once; the next week's note repeats nothing."""

from __future__ import annotations

from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage import repositories as repo
from bot.storage.models import Campaign, DigestSubscription, Feed, OutboxMessage
from scheduler.jobs import JOBS
from tests.helpers.feed_server import FeedServer
from tests.scheduler.conftest import StartScheduler
from tests.scheduler.test_runs import at

NOTE = next(spec for spec in JOBS if spec.id == "veille-note")


async def queued(app: App) -> list[tuple[str, str]]:
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, Campaign.text).join(
                Campaign, Campaign.id == OutboxMessage.campaign_id
            )
        )
        return [(chat_id, text) for chat_id, text in rows]


async def test_the_weekly_note_reaches_each_subscriber_once_and_never_repeats(
    app: App, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    async with FeedServer() as server:
        async with app.database.transaction() as session:
            pole = await repo.default_pole(session)
            assert pole is not None and pole.id is not None
            for path in ("rss2.xml", "relay.xml"):
                session.add(Feed(pole_id=pole.id, url=server.url(path)))
            for chat_id in ("5001", "5002"):
                session.add(
                    DigestSubscription(pole_id=pole.id, platform="telegram", chat_id=chat_id)
                )
        time_machine.move_to(at(0, 8), tick=False)
        scheduler = await start_scheduler(NOTE)

        time_machine.move_to(at(0, 8, 30), tick=False)
        await scheduler.run_due_jobs()
        first = await queued(app)

        time_machine.move_to(at(7, 8, 30), tick=False)
        await scheduler.run_due_jobs()
        second = await queued(app)

    assert sorted(chat_id for chat_id, _ in first) == ["5001", "5002"]
    (_, text), _ = first
    assert text.startswith("**Veille RSE de Pôle RSE — la note de la semaine**")
    # The relay's copy of the same article (trackers, typography) is left out.
    assert text.count("ce que l") == 1
    assert second == first
