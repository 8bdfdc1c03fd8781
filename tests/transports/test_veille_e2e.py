"""The watch digest end to end: a Telegram channel subscribed by an animator's forwarded post, a
Slack channel by a slash command, a member by the theme buttons; the edition reaches all three
through the running bot's outbox, links rendered as each platform shows them."""

import asyncio
import json

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.outbox import Tuning
from bot.runner import serve
from bot.storage import repositories as repo
from bot.storage.models import Feed
from handlers.veille import editions
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.feed_server import FeedServer
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_broadcast_e2e import button

CLAIRE, BOB, CHANNEL = 5001, 5002, -1001234567
SAMIA, SLACK_CHANNEL = "U0SAMIA", "C0VEILLE"
QUICK = Tuning(poll_interval=0.05)
ARTICLE = "https://actu-rse.example/csrd-omnibus/"


async def test_an_edition_reaches_a_telegram_channel_a_slack_channel_and_a_member(
    settings: Settings, fake_telegram: FakeTelegram, fake_slack: FakeSlack
) -> None:
    port = free_port()
    configured = on_both_fakes(settings, fake_telegram, fake_slack, port=port)
    app = await App.start(configured)
    claire = Chat(app, Platform.TELEGRAM, str(CLAIRE))
    await claire.sign_up("Claire Martin", "Pôle Végépolys")
    await claire.grant("animator")
    await Chat(app, Platform.TELEGRAM, str(BOB)).sign_up("Bob Lefèvre", "Scop Les Tisserands")
    samia = Chat(app, Platform.SLACK, SAMIA)
    await samia.sign_up("Samia Benali", "Hydreos Conseil")
    await samia.grant("animator")
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK))
    try:
        async with FeedServer() as feeds:
            async with app.database.transaction() as session:
                pole = await repo.default_pole(session)
                assert pole is not None and pole.id is not None
                session.add(Feed(pole_id=pole.id, url=feeds.url("rss2.xml")))

            fake_telegram.user_says(CLAIRE, "/veille canal")
            await fake_telegram.wait_for_messages(CLAIRE, 1)
            fake_telegram.user_forwards_from_channel(CLAIRE, CHANNEL, "RSE Végépolys", "Club")
            await fake_telegram.wait_for_messages(CLAIRE, 2)

            fake_telegram.user_says(BOB, "/veille abonner")
            await fake_telegram.wait_for_messages(BOB, 1)
            fake_telegram.user_presses(BOB, *button(fake_telegram, BOB, "Tous les thèmes"))
            await fake_telegram.wait_for(
                lambda: "C'est noté" in str(fake_telegram.messages_to(BOB)[-1])
            )

            url = f"http://127.0.0.1:{port}/slack/events"
            mention = fake_slack.mention(SAMIA, SLACK_CHANNEL, "<@UBOT> veille abonner")
            assert (await fake_slack.post(url, mention))[0] == 200
            (subscribed,) = await fake_slack.wait_for_messages(SLACK_CHANNEL, 1)

            await editions.refresh(app, pole_id=pole.id)
            await editions.publish(app, pole_id=pole.id, kind="note")

            (in_channel,) = await fake_telegram.wait_for_messages(CHANNEL, 1)
            _, in_slack = await fake_slack.wait_for_messages(SLACK_CHANNEL, 2)
            await fake_telegram.wait_for(lambda: len(fake_telegram.messages_to(BOB)) == 3)
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()

    assert (
        "recevra désormais la veille de Pôle RSE" in fake_telegram.messages_to(CLAIRE)[-1]["text"]
    )
    assert subscribed["text"].startswith("Cette conversation recevra désormais la veille")
    assert in_channel["text"].startswith("<b>Veille RSE de Pôle RSE — la note de la semaine</b>")
    assert (
        f'<a href="{ARTICLE}?id=42#haut">'
        "CSRD : ce que l’Omnibus change pour les PME</a> — Actu RSE &amp; Climat, 23/11"
    ) in in_channel["text"]
    assert fake_telegram.messages_to(BOB)[-1]["text"] == in_channel["text"]
    blocks = json.dumps(in_slack["blocks"], ensure_ascii=False)
    assert (
        f"<{ARTICLE}?id=42#haut|"
        "CSRD : ce que l’Omnibus change pour les PME> — Actu RSE &amp; Climat, 23/11"
    ) in blocks
