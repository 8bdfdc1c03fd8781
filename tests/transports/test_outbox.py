"""The outbox worker delivering through the real transports to the fake Telegram and Slack
servers: each queued message once, failures recorded, dead workers' rows taken over."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.outbox import OutboxWorker, Recipient, Tuning, enqueue
from bot.storage import repositories as repo
from bot.storage.database import Database
from bot.storage.models import Campaign, OutboxMessage, utcnow
from bot.transports.slack import SlackTransport
from bot.transports.telegram import TelegramLimits, TelegramTransport
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import QUICK_RETRY, slack_transport, telegram_transport

QUICK = Tuning(concurrency=4, batch=20, poll_interval=0.02, lease=60, retry_delay=0)
NEWSLETTER = "**Veille RSE** : la CSRD reportée de deux ans pour les PME (directive Omnibus)."


@pytest.fixture
async def telegram_sender(
    app: App, fake_telegram: FakeTelegram
) -> AsyncIterator[TelegramTransport]:
    transport = telegram_transport(app, fake_telegram)
    await transport.start(receive=False)
    try:
        yield transport
    finally:
        await transport.stop()


@pytest.fixture
async def slack_sender(app: App, fake_slack: FakeSlack) -> AsyncIterator[SlackTransport]:
    transport = slack_transport(app, fake_slack)
    await transport.start(receive=False)
    try:
        yield transport
    finally:
        await transport.stop()


async def queue(app: App, recipients: Sequence[Recipient], text: str = NEWSLETTER) -> Campaign:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        campaign = Campaign(pole_id=pole.id, kind="broadcast", audience="all:any", text=text)
        await enqueue(session, campaign=campaign, recipients=recipients)
        return campaign


def on_telegram(*chat_ids: int) -> list[Recipient]:
    return [Recipient(Platform.TELEGRAM, str(chat_id)) for chat_id in chat_ids]


async def rows(app: App) -> dict[str, OutboxMessage]:
    async with app.database.transaction() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return {row.chat_id: row for row in found}


async def test_every_queued_message_is_sent_once(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    members = range(7001, 7061)
    await queue(app, on_telegram(*members))

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, QUICK).drain()

    assert [len(fake_telegram.messages_to(m)) for m in members] == [1] * 60
    assert fake_telegram.messages_to(7001)[0]["text"] == (
        "<b>Veille RSE</b> : la CSRD reportée de deux ans pour les PME (directive Omnibus)."
    )
    assert {row.status for row in (await rows(app)).values()} == {"sent"}


async def test_slack_members_get_a_direct_message(
    app: App, fake_slack: FakeSlack, slack_sender: SlackTransport
) -> None:
    await queue(app, [Recipient(Platform.SLACK, "U0SAMIA")])

    await OutboxWorker(app.database, {Platform.SLACK: slack_sender}, QUICK).drain()

    assert [m["text"] for m in fake_slack.messages_in("DU0SAMIA")] == [
        "Veille RSE : la CSRD reportée de deux ans pour les PME (directive Omnibus)."
    ]
    assert (await rows(app))["U0SAMIA"].status == "sent"


async def test_a_member_who_blocked_the_bot_is_marked_unreachable(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    bob = Chat(app, Platform.TELEGRAM, "7002")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    fake_telegram.fail(7002, 403)
    await queue(app, on_telegram(7001, 7002))

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, QUICK).drain()

    found = await rows(app)
    assert found["7001"].status == "sent"
    assert (found["7002"].status, found["7002"].last_error) == (
        "unreachable",
        "Forbidden: bot was blocked by the user",
    )
    async with app.database.transaction() as session:
        identity = await repo.account(session, platform="telegram", user_id="7002")
    assert identity.identity is not None and identity.identity.unreachable_at is not None


async def test_a_message_refused_for_good_is_failed_not_retried(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    fake_telegram.fail(7001, 400, description="Bad Request: message is too long")
    await queue(app, on_telegram(7001))

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, QUICK).drain()

    row = (await rows(app))["7001"]
    assert (row.status, row.attempts, row.last_error) == (
        "failed",
        1,
        "Message is too long",
    )


async def test_an_outage_is_retried_later_then_delivered(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    # More failures than the transport retries on the spot (5): the row waits for later.
    fake_telegram.fail(7001, 502, times=6)
    await queue(app, on_telegram(7001))
    later = Tuning(concurrency=1, poll_interval=0.02, retry_delay=3600)

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, later).drain()
    row = (await rows(app))["7001"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > utcnow() + timedelta(minutes=59)
    assert fake_telegram.messages_to(7001) == []

    async with app.database.transaction() as session:
        await session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, later).drain()
    assert (await rows(app))["7001"].status == "sent"
    assert len(fake_telegram.messages_to(7001)) == 1


async def test_a_message_failing_every_attempt_ends_failed(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    fake_telegram.fail(7001, 500, times=100)
    await queue(app, on_telegram(7001))
    stubborn = Tuning(concurrency=1, poll_interval=0.02, retry_delay=0, max_attempts=3)

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, stubborn).drain()

    row = (await rows(app))["7001"]
    assert (row.status, row.attempts) == ("failed", 3)
    assert "Internal Server Error" in (row.last_error or "")


async def test_rate_limit_answers_are_waited_out(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    fake_telegram.fail(7001, 429, retry_after=1)
    await queue(app, on_telegram(7001, 7002))

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, QUICK).drain()

    assert len(fake_telegram.messages_to(7001)) == 1
    assert fake_telegram.too_many_requests == 1
    assert (await rows(app))["7001"].status == "sent"


async def test_rows_of_a_worker_that_died_are_sent_when_their_lease_runs_out(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    await queue(app, on_telegram(7001, 7002))
    long_ago, just_now = utcnow() - timedelta(minutes=5), utcnow()
    async with app.database.transaction() as session:
        for chat_id, claimed_at in (("7001", long_ago), ("7002", just_now)):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .values(status="sending", claimed_at=claimed_at, attempts=1)
            )

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, QUICK).drain()

    found = await rows(app)
    assert (found["7001"].status, found["7001"].attempts) == ("sent", 2)
    # Another worker holds 7002 and is alive (its lease is fresh): not sent twice.
    assert found["7002"].status == "sending"
    assert fake_telegram.messages_to(7002) == []


async def test_two_workers_on_one_database_send_each_message_once(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    members = range(7001, 7201)
    await queue(app, on_telegram(*members))
    other_instance = Database(app.settings.database_url)
    try:
        workers = [
            OutboxWorker(database, {Platform.TELEGRAM: telegram_sender}, QUICK)
            for database in (app.database, other_instance)
        ]
        for worker in workers:
            await worker.start()
        await fake_telegram.wait_for(
            lambda: all(fake_telegram.messages_to(m) for m in members), timeout=20
        )
        for worker in workers:
            await worker.stop()
    finally:
        await other_instance.dispose()

    assert [len(fake_telegram.messages_to(m)) for m in members] == [1] * 200
    assert {row.status for row in (await rows(app)).values()} == {"sent"}


async def test_a_platform_without_a_transport_keeps_its_messages_queued(
    app: App, fake_telegram: FakeTelegram, telegram_sender: TelegramTransport
) -> None:
    await queue(app, [*on_telegram(7001), Recipient(Platform.SLACK, "U0SAMIA")])

    await OutboxWorker(app.database, {Platform.TELEGRAM: telegram_sender}, QUICK).drain()

    found = await rows(app)
    assert (found["7001"].status, found["U0SAMIA"].status) == ("sent", "pending")


async def test_stopping_gives_back_what_was_not_started(
    app: App, fake_telegram: FakeTelegram
) -> None:
    members = range(7001, 7041)
    await queue(app, on_telegram(*members))
    slow = telegram_transport(
        app, fake_telegram, TelegramLimits(per_second=20, private_interval=0, retry=QUICK_RETRY)
    )
    await slow.start(receive=False)
    worker = OutboxWorker(app.database, {Platform.TELEGRAM: slow}, Tuning(concurrency=2, batch=40))
    try:
        await worker.start()
        await fake_telegram.wait_for(lambda: len(fake_telegram.sent) >= 2)
        await worker.stop()
    finally:
        await slow.stop()

    statuses = [row.status for row in (await rows(app)).values()]
    assert "sending" not in statuses
    assert statuses.count("sent") == sum(1 for m in members if fake_telegram.messages_to(m))
    assert statuses.count("pending") > 30
