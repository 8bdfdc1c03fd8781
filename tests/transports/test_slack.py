import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Attachment, Button, Incoming, Platform, Reply, Text
from bot.storage.models import Upload
from bot.transports.http import HttpServer
from bot.transports.slack import EVENTS_PATH, SlackTransport
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.transports.conftest import NO_SLACK_WAIT, free_port, slack_transport

ALICE = "U0ALICE"
DM = "D" + ALICE  # the fake's direct-message channel with Alice


class Server:
    """Our Slack transport behind our HTTP server, and what Slack would post to it."""

    def __init__(self, fake: FakeSlack, transport: SlackTransport, url: str) -> None:
        self.fake = fake
        self.transport = transport
        self.url = url

    async def post(self, request: tuple[bytes, dict[str, str]]) -> int:
        status, _ = await self.fake.post(self.url, request)
        return status

    def received(self, channel: str = DM) -> list[dict]:
        return self.fake.messages_in(channel)

    async def dm(self, text: str) -> dict:
        before = len(self.received())
        assert await self.post(self.fake.dm(ALICE, text)) == 200
        await self.fake.wait_for(lambda: len(self.received()) > before)
        return self.received()[-1]

    async def press(self, label: str) -> dict:
        message = self.received()[-1]
        element = button(message, label)
        before = len(self.received())
        request = self.fake.press(ALICE, message, element["action_id"], element["value"])
        assert await self.post(request) == 200
        await self.fake.wait_for(lambda: len(self.received()) > before)
        return self.received()[-1]


def button(message: dict, label: str) -> dict:
    elements = [
        element
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"].startswith(label)
    ]
    assert len(elements) == 1, f"no button {label!r} in {message.get('blocks')}"
    return elements[0]


def text_of(message: dict) -> str:
    return "\n".join(
        block["text"]["text"] for block in message.get("blocks") or [] if block["type"] == "section"
    )


@pytest.fixture
async def slack(app: App, fake_slack: FakeSlack) -> AsyncIterator[Server]:
    port = free_port()
    transport = slack_transport(app, fake_slack)
    http = HttpServer("127.0.0.1", port)
    http.add_post(EVENTS_PATH, transport.events)
    await transport.start()
    await http.start()
    try:
        yield Server(fake_slack, transport, f"http://127.0.0.1:{port}{EVENTS_PATH}")
    finally:
        await http.stop()
        await transport.stop()


async def sign_up(slack: Server, name: str = "Alice Martin") -> dict:
    await slack.dm("/start")
    await slack.press("J'accepte")
    await slack.dm(name)
    await slack.dm("Biocoop Lyon")
    await slack.press("Industrie")
    return await slack.press("Rejoindre")


async def test_whole_onboarding_in_direct_messages(slack: Server) -> None:
    welcome = await slack.dm("/start")
    assert "Bonjour et bienvenue" in text_of(welcome)
    done = await sign_up(slack)
    assert "C'est fait, bienvenue Alice Martin !" in text_of(done)
    assert "• Secteur : Industrie" in text_of(done)


async def test_pressed_button_message_shows_the_choice(slack: Server) -> None:
    await slack.dm("/start")
    await slack.press("J'accepte")
    await slack.fake.wait_for(lambda: len(slack.fake.updates) == 1)
    updated = slack.fake.updates[0]
    assert all(block["type"] != "actions" for block in updated["blocks"])
    assert updated["blocks"][-1]["elements"][0]["text"] == "→ _J'accepte_"


async def test_slash_command_maps_onto_the_same_commands(slack: Server) -> None:
    assert await slack.post(slack.fake.slash(ALICE, "C0GENERAL", "aide")) == 200
    await slack.fake.wait_for(lambda: len(slack.received()) == 1)
    assert "Voici ce que vous pouvez faire ici" in text_of(slack.received()[0])


async def test_slash_command_is_acknowledged_at_once(slack: Server) -> None:
    started = time.monotonic()
    assert await slack.post(slack.fake.slash(ALICE, "C0GENERAL", "menu")) == 200
    assert time.monotonic() - started < 3


async def test_mention_in_a_channel_is_answered_there(slack: Server) -> None:
    assert await slack.post(slack.fake.mention(ALICE, "C0CLUB", "<@UBOT> aide")) == 200
    await slack.fake.wait_for(lambda: len(slack.received("C0CLUB")) == 1)
    assert "Voici ce que je sais faire dans ce groupe" in text_of(slack.received("C0CLUB")[0])


async def test_menu_button_runs_its_command(slack: Server) -> None:
    await sign_up(slack)
    await slack.dm("/menu")
    helped = await slack.press("Aide")
    assert "votre rôle : membre" in text_of(helped)


async def test_my_data_is_uploaded_as_a_json_file(slack: Server) -> None:
    await sign_up(slack)
    assert await slack.post(slack.fake.dm(ALICE, "/mesdonnees")) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.files) == 1)
    upload = slack.fake.files[0]
    assert upload["filename"] == "mes-donnees-rse-bot.json"
    assert json.loads(upload["content"])["personne"]["company"] == "Biocoop Lyon"


async def test_user_text_is_escaped_in_mrkdwn(slack: Server) -> None:
    done = await sign_up(slack, name="Zoé <Dupont> & Fils")
    assert "bienvenue Zoé &lt;Dupont&gt; &amp; Fils !" in text_of(done)


async def test_bad_signature_is_refused_and_does_nothing(slack: Server) -> None:
    body, _ = slack.fake.dm(ALICE, "/aide")
    forged = slack.fake.signed(body, content_type="application/json", secret="not-the-secret")
    assert await slack.post(forged) == 401
    assert slack.received() == []


async def test_stale_timestamp_is_refused(slack: Server) -> None:
    body, _ = slack.fake.dm(ALICE, "/aide")
    old = slack.fake.signed(body, content_type="application/json", timestamp=int(time.time()) - 301)
    assert await slack.post(old) == 401
    assert slack.received() == []


async def test_an_old_button_gets_a_polite_answer(slack: Server) -> None:
    consent = await slack.dm("/start")
    await slack.press("J'accepte")
    refuse = button(consent, "Je refuse")
    before = len(slack.received())
    request = slack.fake.press(ALICE, consent, refuse["action_id"], refuse["value"])
    assert await slack.post(request) == 200
    await slack.fake.wait_for(lambda: len(slack.received()) > before)
    assert "Ce bouton ne correspond plus" in text_of(slack.received()[-1])


async def test_home_tab_shows_the_member_summary(slack: Server) -> None:
    await sign_up(slack)
    assert await slack.post(slack.fake.home_opened(ALICE)) == 200
    await slack.fake.wait_for(lambda: ALICE in slack.fake.views)
    view = slack.fake.views[ALICE]
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert "*Alice Martin* — Biocoop Lyon" in sections[0]
    assert any(b["type"] == "actions" for b in view["blocks"])


async def test_long_text_fits_block_kit_limits(slack: Server) -> None:
    paragraphs = [f"Point {n} : " + "engagement RSE des PME. " * 100 for n in range(80)]
    buttons = tuple(Button(f"Choix {n}", f"/aide {n}") for n in range(30))
    await slack.transport.send(DM, Reply(Text.plain("\n\n".join(paragraphs)), buttons))
    messages = slack.received()
    assert len(messages) > 1
    for message in messages:
        assert len(message["blocks"]) <= 50
        for block in message["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
            else:
                assert len(block["elements"]) <= 25
    pressed = [
        e["value"]
        for m in messages
        for b in m["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert pressed == [f"/aide {n}" for n in range(30)]


async def test_files_go_through_files_upload_v2(slack: Server) -> None:
    invite = Attachment("club.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    await slack.transport.send(DM, Reply(Text.plain("Invitation"), attachments=(invite,)))
    assert slack.fake.files[0]["content"] == invite.data
    assert slack.fake.files[0]["channel"] == DM


async def test_socket_mode_takes_events_without_an_http_server(
    app: App, fake_slack: FakeSlack
) -> None:
    transport = SlackTransport(
        bot_token=fake_slack.bot_token,
        signing_secret=fake_slack.signing_secret,
        app_token=fake_slack.app_token,
        api_url=fake_slack.api_url,
        handle=app.handle,
        on_unreachable=app.mark_unreachable,
        limits=NO_SLACK_WAIT,
    )
    await transport.start()
    try:
        await fake_slack.wait_for(lambda: fake_slack.socket_connected)
        ack = await fake_slack.push(fake_slack.dm(ALICE, "/aide"))
        (answer,) = await fake_slack.wait_for_messages(DM, 1)
    finally:
        await transport.stop()
    assert "envelope_id" in ack
    assert "Voici ce que vous pouvez faire ici" in text_of(answer)


async def test_onboarding_menu_and_my_data_through_slash_command_dm_and_mention(
    slack: Server,
) -> None:
    assert await slack.post(slack.fake.slash(ALICE, "C0GENERAL", "start")) == 200
    await slack.fake.wait_for(lambda: len(slack.received()) == 1)
    assert "Bonjour et bienvenue" in text_of(slack.received()[0])
    await slack.press("J'accepte")
    await slack.dm("Alice Martin")
    await slack.dm("Biocoop Lyon")
    await slack.press("Numérique")
    done = await slack.press("Rejoindre")
    assert "C'est fait, bienvenue Alice Martin !" in text_of(done)

    assert await slack.post(slack.fake.slash(ALICE, "C0GENERAL", "menu")) == 200
    await slack.fake.wait_for(lambda: "Que voulez-vous faire ?" in text_of(slack.received()[-1]))
    helped = await slack.press("Aide")
    assert "votre rôle : membre" in text_of(helped)

    assert await slack.post(slack.fake.mention(ALICE, "C0CLUB", "<@UBOT> menu")) == 200
    (menu,) = await slack.fake.wait_for_messages("C0CLUB", 1)
    assert "Que voulez-vous faire ?" in text_of(menu)

    assert await slack.post(slack.fake.slash(ALICE, "C0GENERAL", "mesdonnees")) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.files) == 1)
    assert slack.fake.files[0]["channel"] == DM
    assert json.loads(slack.fake.files[0]["content"])["personne"]["sector"] == "numerique"


async def test_requests_are_acknowledged_before_a_slow_answer(fake_slack: FakeSlack) -> None:
    finished = asyncio.Event()

    async def slow(incoming: Incoming) -> list[Reply]:
        await asyncio.sleep(4)
        finished.set()
        return [Reply(Text.plain("Voici votre synthèse RSE."))]

    async def ignore(*_: object) -> None:
        return None

    port = free_port()
    transport = SlackTransport(
        bot_token=fake_slack.bot_token,
        signing_secret=fake_slack.signing_secret,
        api_url=fake_slack.api_url,
        handle=slow,
        on_unreachable=ignore,
        limits=NO_SLACK_WAIT,
    )
    http = HttpServer("127.0.0.1", port)
    http.add_post(EVENTS_PATH, transport.events)
    await http.start()
    try:
        url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        started = time.monotonic()
        statuses = [
            (await fake_slack.post(url, fake_slack.slash(ALICE, "C0GENERAL", "diagnostic")))[0],
            (await fake_slack.post(url, fake_slack.dm(ALICE, "bonjour")))[0],
        ]
        acknowledged = time.monotonic() - started
        assert statuses == [200, 200]
        assert acknowledged < 3
        assert not finished.is_set()
        await asyncio.wait_for(finished.wait(), timeout=10)
    finally:
        await http.stop()
        await transport.stop()
    assert len(fake_slack.messages_in(DM)) == 2


async def test_a_file_shared_without_text_gets_asked_for_text(slack: Server) -> None:
    body, _ = slack.fake.dm(ALICE, "")
    envelope = json.loads(body)
    envelope["event"]["subtype"] = "file_share"
    envelope["event"]["files"] = [{"id": "F0PHOTO", "name": "photo.jpg"}]
    shared = slack.fake.signed(json.dumps(envelope).encode(), content_type="application/json")
    assert await slack.post(shared) == 200
    (answer,) = await slack.fake.wait_for_messages(DM, 1)
    assert "Je ne lis que le texte" in text_of(answer)


async def broadcast_up_to_the_attachment(app: App, slack: Server) -> None:
    """Alice, animator on Slack, has written a broadcast and is asked for a file."""
    alice = Chat(app, Platform.SLACK, ALICE)
    await alice.sign_up("Alice Martin", "Biocoop Lyon")
    await alice.grant("animator")
    await slack.dm("/diffuser")
    await slack.dm("Club RSE jeudi 9 h")


async def test_a_shared_file_is_downloaded_with_the_bot_token(app: App, slack: Server) -> None:
    await broadcast_up_to_the_attachment(app, slack)

    before = len(slack.received())
    assert await slack.post(slack.fake.dm_file(ALICE, "programme.pdf", b"%PDF-1.4 club")) == 200
    await slack.fake.wait_for(lambda: len(slack.received()) > before)

    assert "À qui l'envoyer ?" in text_of(slack.received()[-1])
    async with app.database.transaction() as session:
        (upload,) = await session.scalars(select(Upload))
    assert (upload.filename, upload.mime_type, upload.data) == (
        "programme.pdf",
        "application/pdf",
        b"%PDF-1.4 club",
    )


async def test_the_bot_token_never_goes_to_another_host(app: App, slack: Server) -> None:
    await broadcast_up_to_the_attachment(app, slack)
    body, _ = slack.fake.dm_file(ALICE, "programme.pdf", b"%PDF-1.4 club")
    envelope = json.loads(body)
    envelope["event"]["files"][0]["url_private_download"] = "https://collect.example/f.pdf"

    before = len(slack.received())
    shared = slack.fake.signed(json.dumps(envelope).encode(), content_type="application/json")
    assert await slack.post(shared) == 200
    await slack.fake.wait_for(lambda: len(slack.received()) > before)

    assert "Je n'ai pas pu récupérer ce fichier" in text_of(slack.received()[-1])


async def test_a_quick_diagnostic_ends_with_the_radar_chart_uploaded(slack: Server) -> None:
    await sign_up(slack)
    await slack.dm("/diagnostic")
    await slack.press("Version rapide")
    for letter in ("A", "B", "B", "C", "D", "A"):
        await slack.press(letter)
    message = slack.received()[-1]
    element = button(message, "C")
    request = slack.fake.press(ALICE, message, element["action_id"], element["value"])
    assert await slack.post(request) == 200

    await slack.fake.wait_for(lambda: len(slack.fake.files) == 1)
    (chart,) = slack.fake.files
    assert (chart["channel"], chart["filename"]) == (DM, "diagnostic-rse.png")
    await slack.fake.wait_for(lambda: "Vos axes de progrès" in text_of(slack.received()[-1]))
    assert any("Votre niveau : Intermédiaire* — 57 %" in text_of(m) for m in slack.received())
