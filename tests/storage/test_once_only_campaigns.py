"""``enqueue(..., dedupe_key=...)``: a campaign decided twice, after a restart or by two
instances at once, is queued once; the caller's transaction goes on."""

from __future__ import annotations

from sqlmodel import func, select

from bot.app import App
from bot.messages import Platform
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, OutboxMessage
from bot.storage.session import Session
from tests.helpers.instances import at_once

KEY = "event:12:reminder:7:20270305T0830Z:yes:fr"
MEMBERS = (Recipient(Platform.TELEGRAM, "7391846032"), Recipient(Platform.TELEGRAM, "7391846033"))


async def decide(session: Session) -> int:
    """What a reminder job decides: the D-7 reminder of meeting 12, to two members."""
    pole = await repo.default_pole(session)
    assert pole is not None and pole.id is not None
    campaign = Campaign(
        pole_id=pole.id,
        kind="event_reminder",
        audience="event:12:reminder:7:yes",
        text="**Rappel** : rendez-vous dans 7 jours.",
    )
    return await enqueue(session, campaign=campaign, recipients=MEMBERS, dedupe_key=KEY)


async def queued(app: App) -> tuple[int, int]:
    """How many campaigns and outbox rows are stored."""
    async with app.database.transaction() as session:
        campaigns = await session.scalar(select(func.count(Campaign.id)))
        rows = await session.scalar(select(func.count(OutboxMessage.id)))
    return campaigns or 0, rows or 0


async def test_a_campaign_decided_again_later_is_not_queued_again(app: App) -> None:
    async with app.database.transaction() as session:
        first = await decide(session)
    async with app.database.transaction() as session:
        again = await decide(session)

    assert (first, again) == (2, 0)
    assert await queued(app) == (1, 2)


async def test_a_refused_duplicate_leaves_the_transaction_usable(app: App) -> None:
    async with app.database.transaction() as session:
        await decide(session)
    async with app.database.transaction() as session:
        assert await decide(session) == 0
        # The job goes on with the next reminder in the same transaction.
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        other = Campaign(pole_id=pole.id, kind="event_reminder", audience="x", text="D-1")
        assert await enqueue(session, campaign=other, recipients=MEMBERS[:1], dedupe_key="d1")

    assert await queued(app) == (2, 3)


async def test_two_instances_deciding_at_once_queue_it_once(app: App) -> None:
    # A second instance on the same database; the first holds its transaction open, its
    # campaign stored but not committed, until the second has sent its first statement (on
    # PostgreSQL its INSERT, which waits on the first one's key; on SQLite its BEGIN, which waits
    # for the write lock). Either way the unique key refuses the second.
    counts = await at_once(app, "INSERT INTO campaigns", decide)

    assert counts == [2, 0]
    assert await queued(app) == (1, 2)
