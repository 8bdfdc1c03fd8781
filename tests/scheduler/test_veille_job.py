"""The watch digest's editions fire through the scheduler at the times each pôle's calendar
names, fetch that pôle's feeds, and reach each subscriber once; nothing is repeated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Campaign, DigestSubscription, Feed, OutboxMessage, Pole
from handlers.veille import calendar, editions
from scheduler.jobs import JOBS
from scheduler.service import Scheduler
from tests.helpers.chat import Chat
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
        await calendar.change(
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


# --- an edition that fails -----------------------------------------------------------------


class FailingPublish:
    """``editions.publish`` failing for one pôle, ``times`` times, then doing its work; it counts
    that pôle's attempts."""

    def __init__(self, pole: Pole, times: int = 1_000) -> None:
        self.pole_id, self.left, self.attempts = pole.id, times, 0
        self.real = editions.publish

    async def __call__(self, app: App, *, pole_id: int, kind: str) -> str | None:
        if pole_id == self.pole_id:
            self.attempts += 1
            if self.left > 0:
                self.left -= 1
                raise RuntimeError("disque plein")
        return await self.real(app, pole_id=pole_id, kind=kind)


def failing(monkeypatch: pytest.MonkeyPatch, pole: Pole, times: int = 1_000) -> FailingPublish:
    publish = FailingPublish(pole, times)
    monkeypatch.setattr(editions, "publish", publish)
    return publish


async def animator_of(app: App, user_id: str, locale: str = "fr") -> Chat:
    """An animator of the default pôle, on Telegram, speaking ``locale``."""
    animator = Chat(app, Platform.TELEGRAM, user_id)
    await animator.sign_up("Claire Martin", "Pôle Végépolys")
    await animator.grant("animator")
    if locale != "fr":
        await animator.say(f"/langue {locale}")
    return animator


async def campaigns_of(app: App, kind: str) -> list[tuple[str, str]]:
    """Each recipient of the campaigns of ``kind`` and their text, in order."""
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, Campaign.text)
            .join(Campaign, Campaign.id == OutboxMessage.campaign_id)
            .where(Campaign.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return [(chat_id, text) for chat_id, text in rows]


def test_the_delay_doubles_from_5_minutes_up_to_2_hours() -> None:
    delays = [calendar.retry_delay(n) / timedelta(minutes=1) for n in range(1, 9)]

    assert delays == [5, 10, 20, 40, 80, 120, 120, 120]


async def test_a_failing_edition_is_not_tried_again_the_next_minute(
    app: App,
    pole: Pole,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish = failing(monkeypatch, pole)
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)

    await run_at(scheduler, time_machine, (0, 8, 30), (0, 8, 31), (0, 8, 32), (0, 8, 34))

    assert publish.attempts == 1
    assert await queued(app) == []


async def test_a_failing_edition_is_tried_again_after_growing_delays_and_then_goes_out(
    app: App,
    pole: Pole,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish = failing(monkeypatch, pole, times=2)
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)

    # Fails at 08:30, then at 08:35 (5 minutes on); 10 minutes later it goes out.
    await run_at(scheduler, time_machine, (0, 8, 30), (0, 8, 35), (0, 8, 40), (0, 8, 44))
    assert (publish.attempts, await queued(app)) == (2, [])
    await run_at(scheduler, time_machine, (0, 8, 45), (0, 8, 46), (0, 9, 30))

    assert publish.attempts == 3
    assert await queued(app) == [("5001", NOTE_TITLE.format(pole=pole.name))]


async def test_the_animators_are_told_once_while_an_edition_keeps_failing(
    app: App,
    pole: Pole,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await animator_of(app, "7001")
    await animator_of(app, "7002", "en")
    failing(monkeypatch, pole)
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)

    await run_at(scheduler, time_machine, (0, 8, 30), (0, 8, 35), (0, 8, 45), (0, 9, 5))

    assert await campaigns_of(app, "edition_alert") == [
        (
            "7001",
            f"Veille : la note de la semaine de {pole.name} n'a pas pu partir. Nouvel essai le "
            "lundi 23/11 à 08:35, puis à intervalles croissants ; pas d'autre message tant que "
            "l'échec dure (le journal du bot dit pourquoi).",
        ),
        (
            "7002",
            f"Watch: this week's note of {pole.name} could not go out. Next try on Monday 23/11 "
            "at 08:35, then at growing intervals; no other message while it keeps failing (the "
            "bot's log says why).",
        ),
    ]


async def test_after_an_edition_went_out_a_new_failure_is_told_again(
    app: App,
    pole: Pole,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await animator_of(app, "7001")
    publish = failing(monkeypatch, pole, times=1)
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)
    await run_at(scheduler, time_machine, (0, 8, 30), (0, 8, 35))
    publish.left = 1

    await run_at(scheduler, time_machine, (7, 8, 30))

    assert [chat for chat, _ in await campaigns_of(app, "edition_alert")] == ["7001", "7001"]


async def test_a_failing_pole_does_not_hold_up_the_others(
    app: App,
    start_scheduler: StartScheduler,
    time_machine: TimeMachineFixture,
    server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agroe, hydreos = await default_pole(app), await other_pole(app)
    await watching(app, server, agroe, "rss2.xml", "5001")
    await watching(app, server, hydreos, "atom.xml", "6001")
    publish = failing(monkeypatch, agroe)
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)

    await run_at(scheduler, time_machine, (0, 8, 30), (0, 8, 31))

    assert publish.attempts == 1
    assert await queued(app) == [("6001", NOTE_TITLE.format(pole="Hydreos"))]


# --- each recipient's language ---------------------------------------------------------------


async def subscribed_member(app: App, user_id: str, locale: str) -> None:
    """A member of the default pôle on Telegram, speaking ``locale``, subscribed to every
    theme."""
    member = Chat(app, Platform.TELEGRAM, user_id)
    await member.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    if locale != "fr":
        await member.say(f"/langue {locale}")
    await member.say("/veille abonner")
    # The last button, before any theme is ticked: « Tous les thèmes », « All themes ».
    await member.press_value(member.buttons[-1].value)


async def test_each_member_receives_the_edition_in_their_language(
    app: App, pole: Pole, start_scheduler: StartScheduler, time_machine: TimeMachineFixture
) -> None:
    await subscribed_member(app, "8001", "en")
    await subscribed_member(app, "8002", "fr")
    scheduler = await started_at(start_scheduler, time_machine, 0, 8)

    await run_at(scheduler, time_machine, (0, 8, 30))

    # 5001, a group the animator subscribed, reads the default language.
    assert sorted(await queued(app)) == [
        ("5001", NOTE_TITLE.format(pole=pole.name)),
        ("8001", f"**{pole.name} CSR watch — this week's note**"),
        ("8002", NOTE_TITLE.format(pole=pole.name)),
    ]
