"""The scheduled jobs: their bodies, and the one registry of their ids, triggers and misfire
policy.

A job is a plain async function taking the running App. Recurring jobs are listed in ``JOBS``.
One-off "moments" (a meeting reminder) are scheduled by features with
``Scheduler.schedule_moment``, naming a function listed in ``MOMENTS``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.storage import repositories as repo
from bot.storage.models import utcnow
from handlers.awareness import review
from handlers.club import cafe, date_poll, exchange, rhythm
from handlers.events import reminders
from handlers.plan import follow_up
from handlers.programmes import reminders as programme_reminders
from handlers.survey import waves
from handlers.veille import alerts, calendar, editions
from handlers.workshops import after as workshops_after

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings

logger = logging.getLogger(__name__)

Kind = Literal["recurring", "moment"]
JobFunc = Callable[["App"], Awaitable[None]]
MomentFunc = Callable[..., Awaitable[None]]
TriggerFactory = Callable[[tzinfo], BaseTrigger]

# A moment later than this when the scheduler gets to it is dropped: the bot was down at its
# time, and a reminder after the meeting is worse than none. Longer than the scheduler's
# longest sleep (store.MAX_SLEEP), so that a moment written by another instance still runs.
MOMENT_GRACE_SECONDS = 60


def cron(**fields: int | str) -> TriggerFactory:
    """A cron trigger in the bot's time zone, e.g. ``cron(day_of_week="mon", hour=8)``."""

    def in_zone(zone: tzinfo) -> BaseTrigger:
        return CronTrigger(timezone=zone, **fields)

    return in_zone


@dataclass(frozen=True)
class JobSpec:
    """A recurring job. The id is the job store's key: renaming it loses the stored schedule."""

    id: str
    trigger: TriggerFactory
    func: JobFunc


def misfire_policy(kind: Kind, settings: Settings) -> dict[str, Any]:
    """What becomes of runs missed while no instance ran the scheduler.

    Recurring: the missed runs collapse into one, which runs at restart if it was due less than
    RSEBOT_MISFIRE_GRACE_HOURS ago and is skipped otherwise. Moment: dropped once its time has
    passed.
    """
    if kind == "recurring":
        grace = max(1, round(settings.misfire_grace_hours * 3600))
    else:
        grace = MOMENT_GRACE_SECONDS
    return {"coalesce": True, "misfire_grace_time": grace, "max_instances": 1}


async def purge_link_codes(app: App) -> None:
    """Delete the link codes past their expiry, which nobody can use any more (RGPD: keep no
    more than needed)."""
    async with app.database.transaction() as session:
        deleted = await repo.purge_expired_link_codes(session, now=utcnow())
    logger.info("Deleted %d expired link code(s)", deleted)


async def purge_uploads(app: App) -> None:
    """Delete the files sent for a broadcast that was never sent (cancelled, abandoned): kept
    a day at most unless a draft still open holds them, and no longer than that draft lives."""
    now = utcnow()
    async with app.database.transaction() as session:
        deleted = await repo.purge_old_uploads(
            session, before=now - UPLOADS_KEPT, drafts_since=now - DRAFTS_KEPT
        )
    logger.info("Deleted %d unused upload(s)", deleted)


UPLOADS_KEPT = timedelta(days=1)
# A draft untouched this long is abandoned: its file goes, and its preview says so.
DRAFTS_KEPT = timedelta(days=7)


async def veille_editions(app: App) -> None:
    """Publish the editions due by each pôle's calendar (handlers/veille/calendar.py), after
    fetching that pôle's feeds. An edition that fails is put off with a growing delay (its
    animators told once) until it goes out or the misfire grace time has passed; the other
    pôles' editions go on."""
    now = utcnow()
    grace = timedelta(hours=app.settings.misfire_grace_hours)
    async with app.database.transaction() as session:
        due = await calendar.due(session, app.content, now=now, zone=app.settings.tz, grace=grace)
    fetched: set[int] = set()
    for edition in due:
        try:
            if edition.pole_id not in fetched:
                await editions.refresh(app, pole_id=edition.pole_id)
                fetched.add(edition.pole_id)
            if await editions.publish(app, pole_id=edition.pole_id, kind=edition.kind) is None:
                logger.info(
                    "No new item for pôle %d: no %s this time", edition.pole_id, edition.kind
                )
            await alerts.alert_failing_feeds(app, pole_id=edition.pole_id)
        except Exception:
            logger.exception("Veille %s of pôle %d failed", edition.kind, edition.pole_id)
            try:
                await alerts.edition_failed(app, edition, now=now)
            except Exception:
                # The database itself, most likely: tried again at the next minute.
                logger.exception(
                    "Could not put off veille %s of pôle %d", edition.kind, edition.pole_id
                )
            continue
        async with app.database.transaction() as session:
            await calendar.mark_done(session, edition)


async def follow_up_actions(app: App) -> None:
    """Ask each member how the actions of their plan are going (see handlers.plan)."""
    queued = await follow_up(app)
    logger.info("Queued %d action follow-up message(s)", queued)


JOBS: tuple[JobSpec, ...] = (
    # At night, local time, when nobody links accounts; and 03:30 occurs exactly once every day
    # in Europe/Paris, whose clock changes happen between 02:00 and 03:00.
    JobSpec("purge-link-codes", cron(hour=3, minute=30), purge_link_codes),
    JobSpec("purge-uploads", cron(hour=3, minute=45), purge_uploads),
    # The first Monday of the month, mid-morning: asked at work, answered at work.
    JobSpec("action-follow-up", cron(day="1-7", day_of_week="mon", hour=10), follow_up_actions),
    # Every minute: each pôle sends its editions at the times its own calendar names.
    JobSpec("veille-editions", cron(minute="*"), veille_editions),
    # Every minute: each meeting's reminders at their time, once each (handlers/events/reminders).
    JobSpec("event-reminders", cron(minute="*"), reminders.remind),
    # Every minute: each date poll's reminder halfway and its proposal at the deadline, once.
    JobSpec("event-polls", cron(minute="*"), date_poll.send_due),
    # Every minute: each survey wave's opening, reminders and close, once each.
    JobSpec("survey-waves", cron(minute="*"), waves.send_due),
    # The first Monday of each quarter, at work: clubs behind their yearly target of meetings.
    JobSpec(
        "club-rhythm", cron(month="1,4,7,10", day="1-7", day_of_week="mon", hour=9), rhythm.remind
    ),
    # The 1st of the month, 09:00: each club's café RSE pairs, once (handlers/club/cafe.py).
    JobSpec("cafe-pairing", cron(day="1", hour=9), cafe.pair_monthly),
    # Hourly: the exchange requests still without a match after a week, to the animators, once.
    JobSpec("exchange-waiting", cron(minute=20), exchange.escalate),
    # Mondays at 09:00: each pôle's admins hear of the content past its review date, once.
    JobSpec("module-reviews", cron(day_of_week="mon", hour=9), review.remind),
    # Every morning at 09:30: each programme's members told their next step on its day, once.
    JobSpec("programme-steps", cron(hour=9, minute=30), programme_reminders.tell_due),
    # Every five minutes: the satisfaction survey to those recorded present at a workshop, once.
    JobSpec("workshop-surveys", cron(minute="*/5"), workshops_after.send_surveys),
)

# One-off job functions by name, for Scheduler.schedule_moment: ``async def f(app, *args)``.
MOMENTS: Mapping[str, MomentFunc] = {}
