"""Watch items stored once, editions built from what no edition of their kind carried, and
queued for the subscribers of their themes."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.feeds import Entry, FetchOutcome
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Campaign, DigestSubscription, Edition, Feed, FeedItem, OutboxMessage
from handlers.veille import alerts, editions, sources
from tests.helpers.chat import Chat
from tests.helpers.feed_server import FeedServer

NOW = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def entry(title: str, url: str, *, days_ago: int = 1, source: str = "Actu-Environnement") -> Entry:
    return Entry(
        url=url,
        canonical_url=url.split("?")[0],
        title=title,
        summary="",
        published=NOW - timedelta(days=days_ago),
        source=source,
    )


CSRD = entry(
    "CSRD : les PME pourront suivre le standard volontaire VSME",
    "https://www.example.org/csrd-vsme?utm_source=rss",
)
COMPOST = entry(
    "Biodéchets : le tri à la source généralisé, où en sont les entreprises ?",
    "https://www.example.org/biodechets",
    days_ago=2,
)
CARBONE = entry(
    "Bilan carbone : trois PME de l'agroalimentaire racontent leur premier bilan",
    "https://www.example.org/bilan-carbone",
    days_ago=3,
)


@pytest.fixture
async def feed(app: App) -> Feed:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        stored = Feed(pole_id=pole.id, url="https://www.example.org/rss", title="Actu")
        session.add(stored)
        await session.flush()
        return stored


async def store(app: App, feed: Feed, *entries: Entry) -> int:
    async with app.database.transaction() as session:
        return await editions.store_items(session, app.content, feed, entries)


async def items(app: App) -> list[FeedItem]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(FeedItem).order_by(FeedItem.id)))


async def test_items_are_stored_once_by_address_and_by_title(app: App, feed: Feed) -> None:
    same_address = entry(CSRD.title + " (mise à jour)", "https://www.example.org/csrd-vsme?x=1")
    same_title = entry(CSRD.title.upper(), "https://autre.example.net/csrd", source="Novethic")

    assert await store(app, feed, CSRD, COMPOST) == 2
    assert await store(app, feed, same_address, same_title, COMPOST) == 0
    assert [item.url for item in await items(app)] == [CSRD.url, COMPOST.url]


async def test_items_are_tagged_by_theme(app: App, feed: Feed) -> None:
    await store(app, feed, CSRD, COMPOST)

    csrd, compost = await items(app)
    assert "reglementation" in csrd.themes
    assert "economie_circulaire_dechets" in compost.themes


async def test_a_feed_given_a_theme_tags_all_its_items(app: App, feed: Feed) -> None:
    feed.theme = "agriculture_alimentation"

    await store(app, feed, CSRD)

    (item,) = await items(app)
    assert item.themes[0] == "agriculture_alimentation"


async def test_a_feed_failing_for_a_week_is_flagged(feed: Feed) -> None:
    feed.last_ok_at = NOW - timedelta(days=8)
    for _ in range(3):
        sources.record_health(feed, FetchOutcome(feed.url, "error", error="HTTP 500"), NOW)

    assert (feed.failures, feed.last_error) == (3, "HTTP 500")
    assert sources.failing(feed, NOW)
    sources.record_health(feed, FetchOutcome(feed.url, "ok", etag='"v2"'), NOW)
    assert (feed.failures, feed.etag, sources.failing(feed, NOW)) == (0, '"v2"', False)


async def subscribe(app: App, chat_id: str, themes: list[str]) -> None:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        session.add(
            DigestSubscription(pole_id=pole.id, platform="telegram", chat_id=chat_id, themes=themes)
        )


async def test_an_edition_groups_new_items_by_theme_newest_first(app: App, feed: Feed) -> None:
    await store(app, feed, CARBONE, CSRD, COMPOST)
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None
        edition = await editions.draft(session, app.content, pole=pole, kind="note")

    assert edition is not None
    text = editions.render(app.content, edition, locale="fr")
    assert text.startswith("**Veille RSE de Pôle RSE — la note de la semaine**")
    assert text.index("Bilan carbone") < text.index("Biodéchets") < text.index("CSRD")
    assert f"• [{CSRD.title}]({CSRD.url}) — Actu-Environnement, 22/11" in text


async def test_publishing_queues_each_subscriber_their_themes_once(app: App, feed: Feed) -> None:
    await store(app, feed, CARBONE, CSRD, COMPOST)
    await subscribe(app, "5001", [])
    await subscribe(app, "5002", ["reglementation"])
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
    assert pole is not None and pole.id is not None

    assert await editions.publish(app, pole_id=pole.id, kind="note") is not None
    assert await editions.publish(app, pole_id=pole.id, kind="note") is None

    async with app.database.transaction() as session:
        campaigns = {c.id: c for c in await session.scalars(select(Campaign).order_by(Campaign.id))}
        rows = list(await session.scalars(select(OutboxMessage)))
        (edition,) = await session.scalars(select(Edition))
    texts = {row.chat_id: campaigns[row.campaign_id].text for row in rows}
    assert set(texts) == {"5001", "5002"}
    assert "Biodéchets" in texts["5001"] and "CSRD" in texts["5001"]
    assert "CSRD" in texts["5002"] and "Biodéchets" not in texts["5002"]
    assert len(edition.item_ids) == 3


async def test_the_newsletter_has_its_own_memory(app: App, feed: Feed) -> None:
    await store(app, feed, CSRD)
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
    assert pole is not None and pole.id is not None

    await editions.publish(app, pole_id=pole.id, kind="note")

    newsletter = await editions.publish(app, pole_id=pole.id, kind="newsletter", dry_run=True)
    assert newsletter is not None and "la lettre de la quinzaine" in newsletter


async def test_a_feed_at_an_internal_address_keeps_our_refusal_as_its_error(app: App) -> None:
    app.settings.feeds_allow_private = False
    async with FeedServer() as server:
        async with app.database.transaction() as session:
            pole = await repo.default_pole(session)
            assert pole is not None and pole.id is not None
            session.add(Feed(pole_id=pole.id, url=server.url("rss2.xml")))

        await editions.refresh(app)

    async with app.database.transaction() as session:
        (stored,) = await session.scalars(select(Feed))
    assert (stored.failures, stored.last_error) == (
        1,
        "adresse refusée : mène à une adresse interne (127.0.0.1)",
    )
    assert server.requests == []


async def test_each_fetch_is_counted_by_outcome_for_the_metrics(app: App) -> None:
    async with FeedServer() as server:
        async with app.database.transaction() as session:
            pole = await repo.default_pole(session)
            assert pole is not None and pole.id is not None
            session.add(Feed(pole_id=pole.id, url=server.url("rss2.xml")))
            session.add(Feed(pole_id=pole.id, url=server.url("atom.xml")))
            session.add(Feed(pole_id=pole.id, url=server.url("missing.xml")))

        await editions.refresh(app)

    def fetches(outcome: str) -> float | None:
        return app.metrics.registry.get_sample_value(
            "rse_bot_feed_fetches_total", {"outcome": outcome}
        )

    assert (fetches("ok"), fetches("error"), fetches("not_modified")) == (2, 1, None)


async def failing_for_ten_days_with_an_animator(app: App, feed: Feed) -> None:
    """The feed has failed since it was added ten days ago; Claire animates the pôle."""
    animator = Chat(app, Platform.TELEGRAM, "5001")
    await animator.sign_up("Claire Martin", "Pôle Végépolys")
    await animator.grant("animator")
    async with app.database.transaction() as session:
        stored = await session.get(Feed, feed.id)
        assert stored is not None
        stored.failures, stored.last_error = 9, "HTTP 404"
        stored.created_at = datetime.now(UTC) - timedelta(days=10)
        session.add(stored)


async def test_animators_are_told_of_feeds_failing_for_a_week(app: App, feed: Feed) -> None:
    await failing_for_ten_days_with_an_animator(app, feed)
    await Chat(app, Platform.TELEGRAM, "5002").sign_up("Bob Lefèvre", "Scop Les Tisserands")

    assert await alerts.alert_failing_feeds(app, pole_id=feed.pole_id) == 1

    async with app.database.transaction() as session:
        (row,) = await session.scalars(select(OutboxMessage))
        campaign = await session.get(Campaign, row.campaign_id)
    assert campaign is not None and row.chat_id == "5001"
    assert campaign.text == (
        "Veille : 1 flux en échec depuis plus d'une semaine. Vérifiez leur adresse "
        "(/veille sources) ou retirez-les (/veille retirer N).\n"
        "• Actu — HTTP 404"
    )


async def test_each_animator_is_told_of_failing_feeds_in_their_language(
    app: App, feed: Feed
) -> None:
    await failing_for_ten_days_with_an_animator(app, feed)
    english = Chat(app, Platform.TELEGRAM, "5003")
    await english.sign_up("Emma Wilson", "Hydreos")
    await english.grant("animator")
    await english.say("/langue en")

    assert await alerts.alert_failing_feeds(app, pole_id=feed.pole_id) == 2

    async with app.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, Campaign.text)
            .join(Campaign, Campaign.id == OutboxMessage.campaign_id)
            .order_by(OutboxMessage.chat_id)
        )
        firsts = [(chat_id, text.split("\n")[0]) for chat_id, text in rows]
    assert firsts == [
        (
            "5001",
            "Veille : 1 flux en échec depuis plus d'une semaine. Vérifiez leur adresse "
            "(/veille sources) ou retirez-les (/veille retirer N).",
        ),
        (
            "5003",
            "Watch: 1 feed(s) failing for over a week. Check their address (/veille sources) "
            "or remove them (/veille retirer N).",
        ),
    ]


async def test_the_failing_feeds_alert_goes_out_once_a_week_at_most(
    app: App, feed: Feed, time_machine: TimeMachineFixture
) -> None:
    await failing_for_ten_days_with_an_animator(app, feed)
    monday = datetime.now(UTC)

    sent = [await alerts.alert_failing_feeds(app, pole_id=feed.pole_id)]
    for days in (1, 5, 7):
        time_machine.move_to(monday + timedelta(days=days), tick=False)
        sent.append(await alerts.alert_failing_feeds(app, pole_id=feed.pole_id))

    assert sent == [1, 0, 0, 1]


async def test_no_alert_for_a_feed_failing_since_yesterday(app: App, feed: Feed) -> None:
    async with app.database.transaction() as session:
        stored = await session.get(Feed, feed.id)
        assert stored is not None
        stored.failures, stored.last_ok_at = 2, datetime.now(UTC) - timedelta(days=1)
        session.add(stored)

    assert await alerts.alert_failing_feeds(app, pole_id=feed.pole_id) == 0


async def test_an_edition_shows_at_most_the_configured_items_per_theme(
    app: App, feed: Feed
) -> None:
    app.settings.digest_per_theme = 1
    await store(app, feed, CSRD, entry("Taxonomie verte : ce qui change", "https://e.org/tx"))
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
    assert pole is not None and pole.id is not None

    text = await editions.publish(app, pole_id=pole.id, kind="note", dry_run=True)

    assert text is not None
    assert text.count("• [") == 1
