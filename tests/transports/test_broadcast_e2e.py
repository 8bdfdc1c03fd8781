"""/diffuser end to end: an animator on Telegram writes and attaches a file, members on Telegram
and Slack receive both, through the running bot's transports and outbox worker."""

import asyncio

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.outbox import Tuning
from bot.runner import serve
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port, on_both_fakes

CLAIRE, BOB = 5001, 5002
QUICK = Tuning(poll_interval=0.05)
PROGRAMME = b"%PDF-1.4 programme du club RSE"


def button(fake: FakeTelegram, chat_id: int, label: str) -> tuple[dict, str]:
    """The last message to ``chat_id`` with a button starting with ``label``, and its data."""
    for message in reversed(fake.messages_to(chat_id)):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for key in row:
                if key["text"].startswith(label):
                    return message, key["callback_data"]
    raise AssertionError(f"no button {label!r} in the messages to {chat_id}")


async def test_an_animator_broadcasts_from_telegram_to_telegram_and_slack(
    settings: Settings, fake_telegram: FakeTelegram, fake_slack: FakeSlack
) -> None:
    configured = on_both_fakes(settings, fake_telegram, fake_slack, port=free_port())
    app = await App.start(configured)
    claire = Chat(app, Platform.TELEGRAM, str(CLAIRE))
    await claire.sign_up("Claire Martin", "Pôle Végépolys")
    await claire.grant("animator")
    await Chat(app, Platform.TELEGRAM, str(BOB)).sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await Chat(app, Platform.SLACK, "U0SAMIA").sign_up("Samia Benali", "Hydreos Conseil")
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK))
    try:
        fake_telegram.user_says(CLAIRE, "/diffuser")
        await fake_telegram.wait_for_messages(CLAIRE, 1)
        fake_telegram.user_says(CLAIRE, "Club RSE jeudi 9 h chez **Biocoop Lyon**.")
        await fake_telegram.wait_for_messages(CLAIRE, 2)
        fake_telegram.user_sends_file(CLAIRE, "programme-club.pdf", PROGRAMME)
        await fake_telegram.wait_for_messages(CLAIRE, 3)
        fake_telegram.user_presses(CLAIRE, *button(fake_telegram, CLAIRE, "Tous les membres"))
        await fake_telegram.wait_for(
            lambda: "Sur quelles plateformes" in str(fake_telegram.sent[-1])
        )
        fake_telegram.user_presses(CLAIRE, *button(fake_telegram, CLAIRE, "Telegram et Slack"))
        await fake_telegram.wait_for(lambda: "Destinataires : " in str(fake_telegram.sent[-1]))
        fake_telegram.user_presses(CLAIRE, *button(fake_telegram, CLAIRE, "Envoyer"))

        (to_samia,) = await fake_slack.wait_for_messages("DU0SAMIA", 1)
        await fake_slack.wait_for(lambda: len(fake_slack.files) == 1)
        await fake_telegram.wait_for(lambda: len(fake_telegram.messages_to(BOB)) == 2)
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()
    assert to_samia["text"] == "Club RSE jeudi 9 h chez Biocoop Lyon."
    to_bob, programme_to_bob = fake_telegram.messages_to(BOB)
    assert to_bob["text"] == "Club RSE jeudi 9 h chez <b>Biocoop Lyon</b>."
    assert programme_to_bob["document"]["filename"] == "programme-club.pdf"
    assert programme_to_bob["document"]["content"] == PROGRAMME
    assert fake_slack.files[0]["channel"] == "DU0SAMIA"
    assert any(
        "Diffusion n°1 lancée" in m.get("text", "") for m in fake_telegram.messages_to(CLAIRE)
    )
