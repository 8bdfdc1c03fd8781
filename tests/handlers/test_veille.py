"""/veille in the chat: subscribing with themes, groups subscribed by animators, the latest
edition, searching, and the pôle's feeds."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import ForwardedFrom, Incoming, Platform
from bot.opml import Outline, write_opml
from bot.storage import repositories as repo
from bot.storage.models import DigestSubscription, EditionSchedule, Feed
from handlers.veille import editions
from tests.handlers.test_digest import COMPOST, CSRD, store
from tests.helpers.chat import Chat


@pytest.fixture
async def member(chat: Chat) -> Chat:
    await chat.sign_up("Alice Martin", "Biocoop Lyon")
    return chat


@pytest.fixture
async def animator(member: Chat) -> Chat:
    await member.grant("animator")
    return member


async def subscriptions(app: App) -> list[tuple[str, str, list[str]]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(DigestSubscription).order_by(DigestSubscription.id))
        return [(row.platform, row.chat_id, row.themes) for row in rows]


async def feeds(app: App) -> list[tuple[str, str | None]]:
    async with app.database.transaction() as session:
        return [(f.url, f.theme) for f in await session.scalars(select(Feed).order_by(Feed.id))]


async def in_group(chat: Chat, text: str) -> str:
    incoming = Incoming.typed(chat.platform, chat.user_id, "-100777", text, is_group=True)
    await chat._send(incoming)
    return chat.text


async def test_a_member_subscribes_to_the_themes_they_tick(app: App, member: Chat) -> None:
    await member.say("/veille abonner")
    assert "☐ 1. Climat et énergie" in member.text

    await member.press_value("veille:themes:7")
    await member.press_value("veille:themes:1")
    assert "☑ 1. Climat et énergie" in member.text
    await member.press("Valider")

    assert member.text == (
        "C'est noté : vous recevrez la veille (Climat et énergie, Réglementation) : la note de "
        "la semaine chaque lundi à 08:30 ; la lettre de la quinzaine le 1er et le 15 de chaque "
        "mois à 09:00. /veille desabonner pour arrêter."
    )
    assert await subscriptions(app) == [("console", "alice", ["climat_energie", "reglementation"])]


async def test_every_theme_is_one_press(app: App, member: Chat) -> None:
    await member.say("/veille abonner")

    await member.press("Tous les thèmes")

    assert "(tous les thèmes)" in member.text
    assert await subscriptions(app) == [("console", "alice", [])]


async def test_unsubscribing_stops_the_watch(app: App, member: Chat) -> None:
    await member.say("/veille abonner")
    await member.press("Tous les thèmes")

    await member.say("/veille desabonner")

    assert member.text == "C'est fait : plus de veille ici."
    assert await subscriptions(app) == []


async def test_only_an_animator_subscribes_a_group(app: App, member: Chat) -> None:
    refused = await in_group(member, "/veille abonner")
    assert refused.startswith("Dans un groupe ou un canal, seul un animateur")

    await member.grant("animator")
    accepted = await in_group(member, "/veille abonner")

    assert accepted.startswith("Cette conversation recevra désormais la veille de Pôle RSE")
    assert await subscriptions(app) == [("console", "-100777", [])]


async def test_the_latest_edition_is_shown_on_demand(app: App, member: Chat) -> None:
    await member.say("/veille")
    assert member.text.startswith("Pas encore d'édition de la veille de Pôle RSE")

    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        feed = Feed(pole_id=pole.id, url="https://www.example.org/rss")
        session.add(feed)
        await session.flush()
    await store(app, feed, CSRD, COMPOST)
    await editions.publish(app, pole_id=pole.id, kind="note")

    await member.say("/veille")
    assert member.text.startswith("Veille RSE de Pôle RSE — la note de la semaine")
    assert "CSRD : les PME pourront suivre le standard volontaire VSME" in member.text


async def test_search_finds_words_without_accents(app: App, animator: Chat) -> None:
    await animator.say("/veille ajouter https://www.example.org/rss")
    async with app.database.transaction() as session:
        (feed,) = await session.scalars(select(Feed))
    await store(app, feed, CSRD, COMPOST)

    await animator.say("/veille cherche biodechets")

    assert animator.text.startswith("1 article(s) sur « biodechets »")
    assert "Biodéchets : le tri à la source" in animator.text


async def test_animators_add_list_and_remove_feeds(app: App, animator: Chat) -> None:
    await animator.say("/veille ajouter https://www.example.org/rss reglementation")
    assert animator.text.startswith("Flux ajouté : https://www.example.org/rss.")
    await animator.say("/veille ajouter https://www.example.org/rss")
    assert animator.text == "Ce flux est déjà suivi."
    await animator.say("/veille ajouter https://autre.example.net/feed climat")
    assert animator.text.startswith("Je ne connais pas le thème « climat ».")

    await animator.say("/veille sources")
    assert "1. https://www.example.org/rss — ⏳ pas encore relevé" in animator.text

    await animator.say("/veille retirer 1")
    assert animator.text == "Flux retiré : https://www.example.org/rss."
    assert await feeds(app) == []


async def test_sources_show_each_feeds_failures_and_last_error(app: App, animator: Chat) -> None:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        long_ago = datetime.now(UTC) - timedelta(days=10)
        session.add_all(
            [
                Feed(pole_id=pole.id, url="https://ok.example/rss", last_ok_at=long_ago),
                Feed(
                    pole_id=pole.id,
                    url="https://lent.example/rss",
                    failures=2,
                    last_error="délai dépassé",
                    last_ok_at=datetime.now(UTC),
                ),
                Feed(
                    pole_id=pole.id,
                    url="https://mort.example/rss",
                    failures=40,
                    last_error="HTTP 404",
                    created_at=long_ago,
                ),
            ]
        )

    await animator.say("/veille sources")

    assert "1. https://ok.example/rss — ✅ en forme" in animator.text
    assert "2. https://lent.example/rss — ⚠️ 2 échec(s) de suite : délai dépassé" in animator.text
    assert (
        "3. https://mort.example/rss — 🔴 en échec depuis plus d'une semaine : HTTP 404"
    ) in animator.text


async def test_a_member_cannot_manage_feeds(member: Chat) -> None:
    await member.say("/veille ajouter https://www.example.org/rss")

    assert "réservée aux personnes ayant le rôle animateur" in member.text


async def test_animators_export_and_import_feeds_as_opml_in_the_chat(
    app: App, animator: Chat
) -> None:
    await animator.say("/veille ajouter https://www.example.org/rss reglementation")
    await animator.say("/veille ajouter https://autre.example.net/feed")

    await animator.say("/veille export")

    assert animator.text.startswith("Les 2 flux du pôle, au format OPML")
    (opml,) = animator.replies[0].attachments
    assert b'xmlUrl="https://www.example.org/rss" category="reglementation"' in opml.data
    await animator.say("/veille retirer 2")

    await animator.say("/veille import")
    assert animator.text.startswith("Envoyez le fichier OPML")
    await animator.say("le voici")
    assert animator.text.startswith("J'attends un fichier OPML")
    await animator.send_file("veille.opml", b"<html>pas un opml</html>", "text/html")
    assert animator.text.startswith("Je ne peux pas lire ce fichier : ce fichier n'est pas un OPML")
    await animator.send_file("veille.opml", opml.data, "text/x-opml")

    assert animator.text.startswith("1 flux ajouté(s), 1 déjà suivi(s).")
    assert sorted(await feeds(app)) == [
        ("https://autre.example.net/feed", None),
        ("https://www.example.org/rss", "reglementation"),
    ]


@pytest.fixture
def deployed(app: App) -> None:
    """Internal feed addresses refused, as by default (the test settings allow them)."""
    app.settings.feeds_allow_private = False


@pytest.mark.usefixtures("deployed")
@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8080/rss", "127.0.0.1"),
        ("http://10.0.0.5/flux.xml", "10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]/rss", "::1"),
        ("http://localhost:9000/rss", "localhost"),
    ],
)
async def test_a_feed_leading_to_an_internal_address_is_refused_when_added(
    app: App, animator: Chat, url: str, address: str
) -> None:
    await animator.say(f"/veille ajouter {url}")

    assert animator.text.startswith(
        f"Adresse refusée : {url} mène à une adresse interne ({address})."
    )
    assert await feeds(app) == []


@pytest.mark.usefixtures("deployed")
async def test_the_refusal_is_in_english_for_an_english_speaker(animator: Chat) -> None:
    await animator.say("/langue en")

    await animator.say("/veille ajouter http://169.254.169.254/latest/meta-data/")

    assert animator.text.startswith(
        "Address refused: http://169.254.169.254/latest/meta-data/ leads to an internal "
        "address (169.254.169.254)."
    )


@pytest.mark.usefixtures("deployed")
async def test_an_opml_import_leaves_out_the_internal_addresses(app: App, animator: Chat) -> None:
    opml = write_opml(
        "Veille",
        [
            Outline("https://www.example.org/rss", "Actu"),
            Outline("http://192.168.1.20/intranet.rss", "Intranet"),
        ],
    )
    await animator.say("/veille import")

    await animator.send_file("veille.opml", opml, "text/x-opml")

    imported, refused = (str(reply.text) for reply in animator.replies)
    assert imported.startswith("1 flux ajouté(s), 0 déjà suivi(s).")
    assert refused == (
        "Adresses refusées, car elles mènent à une adresse interne : "
        "http://192.168.1.20/intranet.rss (192.168.1.20)."
    )
    assert await feeds(app) == [("https://www.example.org/rss", None)]


async def test_a_search_of_5000_characters_is_refused_clearly(member: Chat) -> None:
    await member.say("/veille cherche " + "x" * 5000)

    assert member.text == (
        "Votre réponse est trop longue (5000 caractères ; 100 au plus). Pouvez-vous la raccourcir ?"
    )


@pytest.fixture
def wednesday(time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("Europe/Paris")))


@pytest.mark.usefixtures("wednesday")
async def test_a_member_sees_the_calendar_and_the_next_editions(member: Chat) -> None:
    await member.say("/veille horaire")

    assert member.text.splitlines()[:3] == [
        "Calendrier de la veille de Pôle RSE",
        "• La note de la semaine : chaque lundi à 08:30 (par défaut) — prochaine le lundi 30/11 "
        "à 08:30",
        "• La lettre de la quinzaine : le 1er et le 15 de chaque mois à 09:00 (par défaut) — "
        "prochaine le mardi 01/12 à 09:00",
    ]


@pytest.mark.usefixtures("wednesday")
async def test_an_animator_moves_the_note(animator: Chat) -> None:
    await animator.say("/veille horaire note mardi, jeudi 7h15")
    assert animator.text == (
        "C'est noté : la note de la semaine de Pôle RSE partira chaque mardi et jeudi à 07:15 "
        "(prochaine le jeudi 26/11 à 07:15)."
    )

    await animator.say("/veille horaire")
    assert "• La note de la semaine : chaque mardi et jeudi à 07:15 — prochaine" in animator.text


async def test_an_animator_stops_the_newsletter_then_brings_it_back(animator: Chat) -> None:
    await animator.say("/veille horaire lettre aucune")
    assert animator.text == (
        "C'est noté : Pôle RSE n'enverra plus la lettre de la quinzaine. Pour la reprendre : "
        "/veille horaire lettre défaut."
    )
    await animator.say("/veille horaire")
    assert "• La lettre de la quinzaine : pas d'envoi" in animator.text

    await animator.say("/veille horaire lettre défaut")
    await animator.say("/veille horaire")
    assert "• La lettre de la quinzaine : le 1er et le 15 de chaque mois à 09:00 (par défaut)" in (
        animator.text
    )


async def test_naming_an_edition_without_a_calendar_shows_the_calendar(animator: Chat) -> None:
    await animator.say("/veille horaire lettre")

    assert animator.text.startswith("Calendrier de la veille de Pôle RSE")


async def test_a_member_cannot_change_the_calendar(member: Chat) -> None:
    await member.say("/veille horaire note mardi 9h")

    assert member.text == (
        "Cette commande est réservée aux personnes ayant le rôle animateur ou animatrice dans "
        "votre pôle."
    )
    await member.say("/veille horaire")
    assert "chaque lundi à 08:30 (par défaut)" in member.text


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (
            "/veille horaire note lundi 25h",
            "« 25h » n'est pas une heure : écrivez par exemple 8h30 ou 08:30.",
        ),
        ("/veille horaire note 9h", "Quels jours ? Par exemple « lundi 8h30 » ou « 1,15 9h »."),
        (
            "/veille horaire gazette lundi 9h",
            "Quelle édition ? /veille horaire note JOURS HEURE ou /veille horaire lettre JOURS "
            "HEURE, par exemple /veille horaire note lundi 8h30.",
        ),
    ],
)
async def test_an_unreadable_calendar_is_explained_and_changes_nothing(
    animator: Chat, command: str, answer: str
) -> None:
    await animator.say(command)
    assert animator.text == answer

    await animator.say("/veille horaire")
    assert "chaque lundi à 08:30 (par défaut)" in animator.text


async def test_before_the_first_edition_the_poles_own_calendar_is_given(animator: Chat) -> None:
    await animator.say("/veille horaire note mardi 9h")
    await animator.say("/veille horaire lettre aucune")

    await animator.say("/veille")

    assert animator.text == (
        "Pas encore d'édition de la veille de Pôle RSE. Au calendrier : la note de la semaine "
        "chaque mardi à 09:00. Abonnez-vous pour la recevoir."
    )


@pytest.fixture
async def telegram_animator(app: App) -> Chat:
    chat = Chat(app, Platform.TELEGRAM, "5001")
    await chat.sign_up("Claire Martin", "Pôle Végépolys")
    await chat.grant("animator")
    return chat


async def forward(chat: Chat, channel_id: str, title: str, text: str) -> str:
    incoming = Incoming.typed(
        chat.platform,
        chat.user_id,
        chat.user_id,
        text,
        forwarded_from=ForwardedFrom(channel_id, title),
    )
    await chat._send(incoming)
    return chat.text


async def test_an_animator_subscribes_a_telegram_channel_by_forwarding_one_of_its_posts(
    app: App, telegram_animator: Chat
) -> None:
    await telegram_animator.say("/veille canal")
    assert telegram_animator.text.startswith(
        "Pour qu'un canal Telegram reçoive la veille de Pôle RSE : ajoutez-y le bot"
    )
    await telegram_animator.say("Voici le canal RSE Végépolys")
    assert telegram_animator.text.startswith("J'attends un message transféré depuis le canal")

    answer = await forward(telegram_animator, "-1001234", "RSE Végépolys", "Club jeudi")

    assert answer.startswith(
        "Le canal « RSE Végépolys » recevra désormais la veille de Pôle RSE, tous thèmes : "
        "la note de la semaine chaque lundi à 08:30"
    )
    assert await subscriptions(app) == [("telegram", "-1001234", [])]


async def test_forwarding_a_subscribed_channel_again_offers_to_stop_it(
    app: App, telegram_animator: Chat
) -> None:
    await telegram_animator.say("/veille canal")
    await forward(telegram_animator, "-1001234", "RSE Végépolys", "Club jeudi")
    await telegram_animator.say("/veille canal")

    answer = await forward(telegram_animator, "-1001234", "RSE Végépolys", "Club jeudi")
    assert answer.startswith("Le canal « RSE Végépolys » reçoit déjà la veille.")
    await telegram_animator.press("Arrêter la veille dans ce canal")

    assert telegram_animator.text == (
        "C'est fait : le canal « RSE Végépolys » ne recevra plus la veille."
    )
    assert await subscriptions(app) == []


async def test_only_animators_subscribe_a_channel(app: App) -> None:
    member = Chat(app, Platform.TELEGRAM, "5002")
    await member.sign_up("Bob Lefèvre", "Scop Les Tisserands")

    await member.say("/veille canal")

    assert member.text.startswith("Cette commande est réservée aux personnes ayant le rôle")


async def test_outside_telegram_channels_are_subscribed_from_within(animator: Chat) -> None:
    await animator.say("/veille canal")

    assert animator.text.startswith(
        "Pour abonner un groupe ou un canal, un animateur ou une animatrice y tape"
    )


async def test_an_unreadable_stored_calendar_falls_back_to_the_default(
    app: App, member: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        session.add(EditionSchedule(pole_id=pole.id, kind="note", schedule="lundo 08:30"))

    await member.say("/veille horaire")

    assert "• La note de la semaine : chaque lundi à 08:30 (par défaut)" in member.text
    assert "Unreadable note calendar 'lundo 08:30'" in caplog.text
