"""The outbox: every message the bot says first (broadcasts, digests, reminders) is queued here,
one row per recipient, then delivered by workers within each platform's limits.

A row is marked ``sending`` before its request and ``sent`` as soon as the platform accepts it,
each in a transaction of its own, so a crash loses nothing: rows left ``sending`` by a dead
worker go back to the queue once their lease runs out. The one case no outbox can rule out is a
crash in the few milliseconds between the platform accepting a message and that commit: neither
Telegram nor Slack can be asked whether a message arrived, and such a row is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.messages import Attachment, Button, Platform, Reply, Text
from bot.storage.database import Database
from bot.storage.models import Campaign, OutboxMessage, utcnow
from bot.storage.session import Session
from bot.transports.base import Refused, Transport, Unreachable

logger = logging.getLogger(__name__)

INTERRUPTED = "envoi interrompu (arrêt du bot pendant l'envoi), repris"


@dataclass(frozen=True, slots=True)
class Recipient:
    platform: Platform
    chat_id: str
    # Known to be unreachable when queued (blocked the bot...): recorded, not sent.
    unreachable: str | None = None


@dataclass(frozen=True, slots=True)
class Tuning:
    # Enough requests on the wire to keep to the platform's rate over a slow network; also
    # the most messages a crash can make go out twice (one unrecorded per sender).
    concurrency: int = 8
    batch: int = 200
    poll_interval: float = 1.0
    # A worker refreshes its rows' lease every third of it; rows whose lease ran out belonged
    # to a worker that died and are sent again.
    lease: float = 60.0
    max_attempts: int = 5
    retry_delay: float = 30.0


async def enqueue(
    session: Session,
    *,
    campaign: Campaign,
    recipients: Iterable[Recipient],
    dedupe_key: str | None = None,
) -> int:
    """Store ``campaign`` and one outbox row per distinct recipient; return how many.

    With ``dedupe_key`` (at most 120 characters, e.g. ``"event:12:reminder:7:20270312T0830"``)
    the campaign goes out once however many times it is decided: when a campaign with that key
    is stored already, or is being stored by another transaction that commits, nothing is
    queued and 0 is returned.
    """
    if dedupe_key is None:
        session.add(campaign)
        await session.flush()
    elif not await _stored_once(session, campaign, dedupe_key):
        return 0
    now = utcnow()
    rows = {
        (r.platform.value, r.chat_id): {
            "campaign_id": campaign.id,
            "platform": r.platform.value,
            "chat_id": r.chat_id,
            "status": "unreachable" if r.unreachable else "pending",
            "last_error": r.unreachable[:300] if r.unreachable else None,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for r in recipients
    }
    if rows:
        await session.execute(insert(OutboxMessage), list(rows.values()))
    return len(rows)


async def _stored_once(session: Session, campaign: Campaign, dedupe_key: str) -> bool:
    """Store ``campaign`` under ``dedupe_key``; False if a campaign holds that key already.

    The unique index decides, not a prior read: of two transactions inserting the same key at
    once, PostgreSQL makes the second wait for the first and refuses it if the first commits.
    The savepoint keeps the caller's transaction usable after the refusal.
    """
    campaign.dedupe_key = dedupe_key
    try:
        async with session.begin_nested():
            session.add(campaign)
            await session.flush()
    except IntegrityError:
        taken = await session.scalar(select(Campaign.id).where(Campaign.dedupe_key == dedupe_key))
        if taken is None:
            raise  # another constraint: a bug to hear about
        return False
    return True


@dataclass(frozen=True, slots=True)
class Report:
    """Where a campaign's delivery stands."""

    campaign: Campaign
    # By status; rows being sent count as pending.
    counts: Mapping[str, int]
    # (status, reason, how many) for failed and unreachable rows, most frequent first.
    reasons: tuple[tuple[str, str, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.total - self.counts.get("pending", 0)


async def report(session: Session, *, campaign: Campaign) -> Report:
    by_status = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.campaign_id == campaign.id)
        .group_by(OutboxMessage.status)
    )
    counts: dict[str, int] = {}
    for status, count in by_status:
        key = "pending" if status == "sending" else status
        counts[key] = counts.get(key, 0) + count
    reasons = await session.execute(
        select(OutboxMessage.status, OutboxMessage.last_error, func.count())
        .where(
            OutboxMessage.campaign_id == campaign.id,
            OutboxMessage.status.in_(("failed", "unreachable")),
        )
        .group_by(OutboxMessage.status, OutboxMessage.last_error)
        .order_by(func.count().desc())
    )
    return Report(
        campaign,
        counts,
        tuple((status, reason or "?", count) for status, reason, count in reasons),
    )


async def recent_campaigns(
    session: Session, *, pole_id: int, kind: str, limit: int = 5
) -> list[Campaign]:
    found = await session.scalars(
        select(Campaign)
        .where(Campaign.pole_id == pole_id, Campaign.kind == kind)
        .order_by(Campaign.id.desc())
        .limit(limit)
    )
    return list(found)


def reply_of(campaign: Campaign) -> Reply:
    attachments: tuple[Attachment, ...] = ()
    if campaign.attachment_data is not None:
        attachments = (
            Attachment(
                campaign.attachment_name or "piece-jointe",
                campaign.attachment_type or "application/octet-stream",
                campaign.attachment_data,
            ),
        )
    buttons = tuple(Button(label, value) for label, value in campaign.buttons)
    return Reply(Text.parse(campaign.text), buttons, attachments)


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    campaign_id: int
    platform: Platform
    chat_id: str
    attempts: int


@dataclass
class OutboxWorker:
    """Drains the outbox through ``transports``: several may run at once, on one database or
    on several instances (PostgreSQL hands each row to one of them with SKIP LOCKED)."""

    database: Database
    transports: Mapping[Platform, Transport]
    tuning: Tuning = field(default_factory=Tuning)
    # Only this campaign (``rse-bot broadcast`` sends its own and leaves the rest to the bot).
    campaign_id: int | None = None

    def __post_init__(self) -> None:
        self._queue: asyncio.Queue[_Claimed | None] = asyncio.Queue()
        # Rows claimed by this worker and not finished: their lease is kept fresh.
        self._held: set[int] = set()
        self._replies: dict[int, Reply] = {}
        self._room = asyncio.Event()
        self._outcomes: list[tuple[dict[str, object], asyncio.Future[None]]] = []
        self._outcome_ready = asyncio.Event()
        self._senders_done = False
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        """Claim nothing more, finish the messages being sent, give the others back."""
        self._stopping.set()
        self._room.set()
        if self._task is not None:
            await self._task

    async def drain(self) -> None:
        """Send until nothing is due any more (rows waiting for a retry stay queued)."""
        await self.start()
        idle = asyncio.create_task(self._idle.wait())
        assert self._task is not None
        await asyncio.wait({idle, self._task}, return_when=asyncio.FIRST_COMPLETED)
        idle.cancel()
        await self.stop()

    async def _run(self) -> None:
        senders = [
            asyncio.create_task(self._send_queued(), name=f"outbox-sender-{n}")
            for n in range(self.tuning.concurrency)
        ]
        recorder = asyncio.create_task(self._record_outcomes(), name="outbox-recorder")
        lease = asyncio.create_task(self._keep_lease(), name="outbox-lease")
        try:
            await self._claim_while_running()
        finally:
            await self._give_back_queued()
            for _ in senders:
                self._queue.put_nowait(None)
            await asyncio.gather(*senders, return_exceptions=True)
            self._senders_done = True
            self._outcome_ready.set()
            await asyncio.gather(recorder, return_exceptions=True)
            lease.cancel()
            await asyncio.gather(lease, return_exceptions=True)

    async def _claim_while_running(self) -> None:
        low = max(1, self.tuning.batch // 2)
        while not self._stopping.is_set():
            if self._queue.qsize() >= low:
                # Plenty to send: look again when a sender has finished one.
                self._room.clear()
                await self._room.wait()
                continue
            # Idle only if nothing was in flight when the claim began: an outcome recorded during
            # the claim (a retry due at once) is not in what the claim saw.
            in_flight = bool(self._held)
            try:
                claimed = await self._claim(self.tuning.batch - self._queue.qsize())
            except Exception:
                logger.exception("outbox: claiming messages failed")
                await self._pause()
                continue
            for row in claimed:
                self._held.add(row.id)
                self._queue.put_nowait(row)
            if not claimed:
                if not in_flight and not self._held:
                    self._idle.set()
                await self._pause()

    async def _pause(self) -> None:
        """Wait a poll interval, or less if asked to stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.tuning.poll_interval):
                await self._stopping.wait()

    async def _claim(self, limit: int) -> list[_Claimed]:
        now = utcnow()
        platforms = [platform.value for platform in self.transports]
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == "sending",
                    OutboxMessage.claimed_at < now - timedelta(seconds=self.tuning.lease),
                )
                .values(status="pending", last_error=INTERRUPTED)
            )
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= now,
                    OutboxMessage.platform.in_(platforms),
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            if self.campaign_id is not None:
                due = due.where(OutboxMessage.campaign_id == self.campaign_id)
            ids = list(await session.scalars(due))
            if not ids:
                return []
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
            )
            rows = await session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.campaign_id,
                    OutboxMessage.platform,
                    OutboxMessage.chat_id,
                    OutboxMessage.attempts,
                )
                .where(OutboxMessage.id.in_(ids))
                .order_by(OutboxMessage.id)
            )
            return [
                _Claimed(id, campaign, Platform(platform), chat, attempts)
                for id, campaign, platform, chat, attempts in rows
            ]

    async def _send_queued(self) -> None:
        while (row := await self._queue.get()) is not None:
            try:
                outcome = await self._deliver(row)
            except Exception:
                # Not even an answer to record: the row is retried when its lease runs out.
                logger.exception("outbox: message %s could not be sent", row.id)
                self._held.discard(row.id)
                self._room.set()
                continue
            recorded = asyncio.get_running_loop().create_future()
            self._outcomes.append(({"id": row.id, **outcome}, recorded))
            self._outcome_ready.set()
            # One unrecorded message per sender at most: a crash sends at most that many twice.
            await recorded

    async def _deliver(self, row: _Claimed) -> dict[str, object]:
        """Send one row; what to record about it (every key, so outcomes go in one UPDATE)."""
        reply = await self._reply(row.campaign_id)
        now = utcnow()
        try:
            await self.transports[row.platform].send(row.chat_id, reply)
        except Unreachable as exc:
            return _outcome("unreachable", now, error=exc)
        except Refused as exc:
            return _outcome("failed", now, error=exc)
        except Exception as exc:
            logger.warning(
                "outbox: message %s not delivered (attempt %s): %s", row.id, row.attempts, exc
            )
            if row.attempts >= self.tuning.max_attempts:
                return _outcome("failed", now, error=exc)
            delay = self.tuning.retry_delay * 2 ** (row.attempts - 1)
            return _outcome("pending", now + timedelta(seconds=delay), error=exc)
        return _outcome("sent", now, sent_at=utcnow())

    async def _record_outcomes(self) -> None:
        """Write what the senders report, all that has come in at once in one transaction.

        Between a platform accepting a message and this commit, a crash would send it again:
        grouping keeps that window to about one commit, even when commits are the bottleneck.
        """
        while True:
            await self._outcome_ready.wait()
            self._outcome_ready.clear()
            outcomes, self._outcomes = self._outcomes, []
            if outcomes:
                try:
                    async with self.database.transaction() as session:
                        await session.execute(update(OutboxMessage), [row for row, _ in outcomes])
                except Exception:
                    logger.exception("outbox: recording %s outcomes failed", len(outcomes))
                    if self._stopping.is_set():
                        # Those rows go out again once their lease runs out.
                        for _, recorded in outcomes:
                            recorded.cancel()
                        return
                    self._outcomes[:0] = outcomes
                    await asyncio.sleep(self.tuning.poll_interval)
                    self._outcome_ready.set()
                    continue
                for row, recorded in outcomes:
                    self._held.discard(row["id"])  # type: ignore[arg-type]
                    recorded.set_result(None)
                self._room.set()
            if self._senders_done and not self._outcomes:
                return

    async def _reply(self, campaign_id: int) -> Reply:
        reply = self._replies.get(campaign_id)
        if reply is None:
            async with self.database.transaction() as session:
                campaign = await session.get(Campaign, campaign_id)
            assert campaign is not None
            if len(self._replies) >= 32:
                self._replies.clear()
            reply = self._replies[campaign_id] = reply_of(campaign)
        return reply

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.tuning.lease / 3)
            if self._held:
                async with self.database.transaction() as session:
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_(list(self._held)))
                        .values(claimed_at=utcnow())
                    )

    async def _give_back_queued(self) -> None:
        """Rows claimed but not started go back to the queue at once, not after their lease."""
        ids = []
        while not self._queue.empty():
            row = self._queue.get_nowait()
            if row is not None:
                ids.append(row.id)
                self._held.discard(row.id)
        if ids:
            async with self.database.transaction() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .values(status="pending", attempts=OutboxMessage.attempts - 1)
                )


def _outcome(
    status: str,
    next_attempt_at: datetime,
    *,
    error: Exception | None = None,
    sent_at: datetime | None = None,
) -> dict[str, object]:
    return {
        "status": status,
        "last_error": str(error)[:300] if error is not None else None,
        "next_attempt_at": next_attempt_at,
        "sent_at": sent_at,
    }
