"""What a running bot counts, served at ``/metrics`` in the Prometheus text format.

Each App has its own registry, not prometheus_client's global one: several apps in one process
(tests, the two-instance setup run as tasks) would otherwise register the same names twice.

The outbox is read from the database at scrape time rather than counted as rows change: the
table is shared by every instance and outlives restarts, so its counts are the same whichever
instance is asked (take ``max``, not ``sum``, across instances), cost nothing per message, and
never drift from what ``rse-bot broadcast`` reports.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.storage import repositories as repo
from bot.storage.database import Database
from bot.storage.models import utcnow

PATH = "/metrics"

# Every status an outbox row can have: a status with no row is exported as 0, not left out,
# so that a graph of "failed" starts at 0 rather than at its first failure.
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "unreachable")
# From a few milliseconds (a command answered from memory) to the 30 s nobody should wait.
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The counters of one app; the per-message ones cost a couple of microseconds."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._messages = Counter(
            "rse_bot_messages_handled",
            "Messages handled, by platform and outcome (error: the person got the polite error).",
            ["platform", "outcome"],
            registry=registry,
        )
        self._handling = Histogram(
            "rse_bot_message_handling_seconds",
            "Time to answer one message: transaction, handler and state saving.",
            ["platform"],
            buckets=HANDLING_BUCKETS,
            registry=registry,
        )
        self._retries = Counter(
            "rse_bot_delivery_retries",
            "API calls to a platform tried again: rate_limited (HTTP 429) or unavailable (5xx, "
            "network).",
            ["platform", "reason"],
            registry=registry,
        )
        self._jobs = Counter(
            "rse_bot_scheduler_runs",
            "Scheduled job runs on this instance, by job and outcome (ok or failed).",
            ["job", "outcome"],
            registry=registry,
        )
        self._feeds = Counter(
            "rse_bot_feed_fetches",
            "Feed fetches of the watch digest, by outcome (ok, not_modified, error).",
            ["outcome"],
            registry=registry,
        )
        self._outbox = Gauge(
            "rse_bot_outbox_messages",
            "Outbox rows by status, read from the database at scrape time (every instance's).",
            ["status"],
            registry=registry,
        )
        self._oldest = Gauge(
            "rse_bot_outbox_oldest_pending_seconds",
            "Age of the oldest message waiting to be sent (0 when none waits).",
            registry=registry,
        )
        self._leader = Gauge(
            "rse_bot_scheduler_leader",
            "1 when this instance runs the scheduled jobs, 0 when another one does.",
            registry=registry,
        )
        # Children bound once: labels() takes a lock and builds a tuple at every call.
        self._handled: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def timer(self) -> float:
        return time.perf_counter()

    def handled(self, platform: str, outcome: str, started: float) -> None:
        """One message answered, ``started`` being what ``timer()`` gave when it came in."""
        key = (platform, outcome)
        children = self._handled.get(key)
        if children is None:
            children = self._handled[key] = (
                self._messages.labels(platform, outcome),
                self._handling.labels(platform),
            )
        children[0].inc()
        children[1].observe(time.perf_counter() - started)

    def retried(self, platform: str, reason: str) -> None:
        self._retries.labels(platform, reason).inc()

    def job_ran(self, job: str, *, failed: bool) -> None:
        self._jobs.labels(job, "failed" if failed else "ok").inc()

    def feed_fetched(self, outcome: str) -> None:
        self._feeds.labels(outcome).inc()

    def leading(self, leads: bool) -> None:
        self._leader.set(1 if leads else 0)

    async def exposition(self, database: Database) -> bytes:
        """The text a scrape gets, the outbox read from the database now."""
        async with database.transaction() as session:
            backlog = await repo.outbox_backlog(session)
        for status in OUTBOX_STATUSES:
            self._outbox.labels(status).set(backlog.counts.get(status, 0))
        oldest = backlog.oldest_pending
        self._oldest.set((utcnow() - oldest).total_seconds() if oldest is not None else 0)
        return generate_latest(self.registry)


def route(metrics: Metrics, database: Database) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /metrics`` for Prometheus."""

    async def scrape(_: web.Request) -> web.Response:
        body = await metrics.exposition(database)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return scrape
