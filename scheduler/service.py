"""The scheduler of a running bot: the jobs of scheduler/jobs.py, run by the leading instance."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.job import Job
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import obj_to_ref

from scheduler.jobs import JOBS, MOMENTS, JobSpec, Kind, MomentFunc, misfire_policy
from scheduler.leader import AdvisoryLock, Leadership, SoleInstance
from scheduler.store import StoreScheduler

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

# How long stop() lets running jobs finish before cancelling them.
STOP_GRACE = 5.0

# The job store pickles a reference to a trampoline below and its arguments, never the App:
# the trampolines find it here, on the instance's leading Scheduler.
_leader: Scheduler | None = None


async def run_recurring(job_id: str) -> None:
    """What the job store holds for a recurring job: run its function from the registry."""
    service = _tracked()
    if service is None:
        return
    spec = service.jobs.get(job_id)
    if spec is None:
        logger.error("No job %r in scheduler/jobs.py: run skipped", job_id)
        return
    await _counted(service.app, job_id, spec.func(service.app))


async def run_moment(func_name: str, *args: Any) -> None:
    """What the job store holds for a moment: run the named function of MOMENTS."""
    service = _tracked()
    if service is None:
        return
    func = service.moments.get(func_name)
    if func is None:
        logger.error("No moment function %r in scheduler/jobs.py: dropped", func_name)
        return
    await _counted(service.app, func_name, func(service.app, *args))


async def _counted(app: App, name: str, run: Awaitable[None]) -> None:
    """Run a job, counting its run and whether it failed (APScheduler logs the error)."""
    try:
        await run
    except Exception:
        app.metrics.job_ran(name, failed=True)
        raise
    app.metrics.job_ran(name, failed=False)


_KINDS: dict[str, Kind] = {obj_to_ref(run_recurring): "recurring", obj_to_ref(run_moment): "moment"}


def open_store(
    app: App, *, still_leading: Callable[[], Awaitable[bool]] | None = None
) -> StoreScheduler:
    """A scheduler on the job store in the app's database, not started."""
    return StoreScheduler(
        url=app.settings.database_url,
        zone=app.settings.tz,
        # The synchronous job store writes between the bot's SQLite transactions, not during.
        turn=app.database.turn,
        still_leading=still_leading or SoleInstance().held,
    )


def _tracked() -> Scheduler | None:
    """The leading Scheduler, which will wait for the calling job when it stops."""
    service = _leader
    if service is None:
        logger.warning("A job started while this instance was stepping down: skipped")
        return None
    task = asyncio.current_task()
    assert task is not None
    service._job_tasks.add(task)
    task.add_done_callback(service._job_tasks.discard)
    return service


class Scheduler:
    """Runs the registered jobs on the one instance that leads; the others only serve chats.

    On SQLite the single instance always leads. On PostgreSQL the instances compete for an
    advisory lock every ``retry_interval`` seconds; the leader checks its lock as often, and
    before each look at the job store, and stops its scheduler as soon as the lock is gone.
    """

    def __init__(
        self,
        app: App,
        *,
        jobs: tuple[JobSpec, ...] = JOBS,
        moments: Mapping[str, MomentFunc] = MOMENTS,
        retry_interval: float = 10.0,
    ) -> None:
        self.app = app
        self.jobs = {spec.id: spec for spec in jobs}
        self.moments = dict(moments)
        self._retry_interval = retry_interval
        url = app.settings.database_url
        self._leadership: Leadership = (
            AdvisoryLock(url) if url.startswith("postgresql") else SoleInstance()
        )
        self._running: StoreScheduler | None = None
        self._writer: StoreScheduler | None = None
        self._watch: asyncio.Task[None] | None = None
        self._job_tasks: set[asyncio.Task[Any]] = set()

    @property
    def leading(self) -> bool:
        """Whether this instance runs the jobs now."""
        return self._running is not None

    async def start(self) -> None:
        """Lead if no other instance does, and keep trying in the background otherwise."""
        await self._try_to_lead()
        self._watch = asyncio.create_task(self._keep_watch(), name="scheduler-leadership")

    async def stop(self) -> None:
        """Stop running jobs (those started get a few seconds to finish) and let go of the lead."""
        if self._watch is not None:
            self._watch.cancel()
            with suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._step_down()
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None
        await self._leadership.release()

    async def run_due_jobs(self) -> None:
        """Run the jobs due now and wait for them to finish.

        The scheduler does this by itself at each job's time; tests call it after moving a fake
        clock, since its timer counts real seconds.
        """
        scheduler = self._running
        if scheduler is None:
            return
        if scheduler.passes:
            await asyncio.wait(set(scheduler.passes))
        await scheduler.process_due()
        # The jobs just started take their first step, which registers them in _job_tasks.
        await asyncio.sleep(0)
        if self._job_tasks:
            await asyncio.wait(set(self._job_tasks))

    async def schedule_moment(
        self, job_id: str, when: datetime, func_name: str, *args: Any
    ) -> bool:
        """Run ``MOMENTS[func_name](app, *args)`` once at ``when`` (an aware datetime), replacing
        any moment with the same id; False, and nothing scheduled, if ``when`` has passed.

        ``args`` are pickled into the job store: ids and strings, not rows. Call it after the
        transaction that decided it has committed: on SQLite the job store waits for the
        database turn that transaction holds.
        """
        if func_name not in self.moments:
            raise ValueError(f"no moment function {func_name!r} in scheduler/jobs.py")
        if job_id in self.jobs:
            raise ValueError(f"{job_id!r} is a recurring job's id")
        if when <= datetime.now(UTC):
            logger.warning("Moment %r not scheduled: %s has passed", job_id, when)
            return False
        if self._running is not None:
            scheduler = self._running
        else:
            # Another instance leads: write to the store through a paused scheduler, which
            # never runs anything; the leader sees the moment within store.MAX_SLEEP.
            if self._writer is None:
                writer = self._open()
                async with writer.turn:
                    writer.start(paused=True)
                self._writer = writer
            scheduler = self._writer
        async with scheduler.turn:
            scheduler.add_job(
                run_moment,
                DateTrigger(when),
                args=(func_name, *args),
                id=job_id,
                name=job_id,
                replace_existing=True,
                **misfire_policy("moment", self.app.settings),
            )
        return True

    def _open(self) -> StoreScheduler:
        return open_store(self.app, still_leading=self._leadership.held)

    async def _keep_watch(self) -> None:
        while True:
            await asyncio.sleep(self._retry_interval)
            try:
                if not self.leading:
                    await self._try_to_lead()
                elif not await self._leadership.held():
                    logger.warning("Scheduler lock lost: this instance stops running the jobs")
                    await self._step_down()
            except Exception:
                logger.exception("Scheduler leadership check failed")

    async def _try_to_lead(self) -> None:
        if not await self._leadership.acquire():
            return
        scheduler = self._open()
        try:
            async with scheduler.turn:
                scheduler.start(paused=True)
                self._register(scheduler)
        except Exception:
            logger.exception("Cannot start the scheduler; next try in %s s", self._retry_interval)
            if scheduler.running:
                scheduler.shutdown()
            await self._leadership.release()
            return
        global _leader
        _leader = self
        self._running = scheduler
        self.app.metrics.leading(True)
        scheduler.resume()
        logger.warning("This instance runs the scheduled jobs (%d recurring)", len(self.jobs))

    def _register(self, scheduler: StoreScheduler) -> None:
        """Add the missing recurring jobs and update the changed ones, keeping the stored next run
        times: re-adding a job (replace_existing) would recompute its next run from now and so
        silently skip a run missed while the bot was down."""
        stored = {job.id: job for job in scheduler.get_jobs()}
        policy = misfire_policy("recurring", self.app.settings)
        for spec in self.jobs.values():
            trigger = spec.trigger(self.app.settings.tz)
            job = stored.get(spec.id)
            if job is None:
                scheduler.add_job(
                    run_recurring, trigger, args=(spec.id,), id=spec.id, name=spec.id, **policy
                )
                logger.info("Job %s added: %s", spec.id, trigger)
                continue
            if repr(job.trigger) != repr(trigger):
                scheduler.reschedule_job(spec.id, trigger=trigger)
                logger.info("Job %s rescheduled: %s", spec.id, trigger)
            changes = {name: value for name, value in policy.items() if getattr(job, name) != value}
            if job.func_ref != obj_to_ref(run_recurring) or tuple(job.args) != (spec.id,):
                changes |= {"func": run_recurring, "args": (spec.id,)}
            if changes:
                scheduler.modify_job(spec.id, **changes)
        for job in stored.values():
            if _KINDS.get(job.func_ref) == "recurring" and job.id not in self.jobs:
                scheduler.remove_job(job.id)
                logger.warning("Job %s is no longer in scheduler/jobs.py: removed", job.id)

    async def _step_down(self) -> None:
        scheduler, self._running = self._running, None
        if scheduler is None:
            return
        self.app.metrics.leading(False)
        global _leader
        if _leader is self:
            _leader = None
        scheduler.pause()
        running = {task for task in self._job_tasks if not task.done()}
        if running:
            await asyncio.wait(running, timeout=STOP_GRACE)
        scheduler.shutdown()


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: Kind | None  # None: a job this version of rse-bot does not know
    next_run: datetime | None  # None: paused
    stored: bool  # False: registered, but no instance has stored it yet


async def list_jobs(app: App, *, jobs: tuple[JobSpec, ...] = JOBS) -> list[JobRow]:
    """The jobs in the store, then those registered but not stored yet (next run computed now).

    Reads through a paused scheduler, which runs nothing: safe beside a running bot.
    """
    scheduler = open_store(app)
    async with scheduler.turn:
        scheduler.start(paused=True)
        try:
            stored: list[Job] = scheduler.get_jobs()
        finally:
            scheduler.shutdown()
    rows = [JobRow(job.id, _KINDS.get(job.func_ref), job.next_run_time, True) for job in stored]
    now = datetime.now(app.settings.tz)
    known = {job.id for job in stored}
    rows += [
        JobRow(
            spec.id, "recurring", spec.trigger(app.settings.tz).get_next_fire_time(None, now), False
        )
        for spec in jobs
        if spec.id not in known
    ]
    return rows
