"""Several pôles on Slack: each pôle's workspace installs the app through Slack's OAuth, from an
install link carrying its pôle, and everything the bot says there goes with that workspace's
token — checked by the fake Slack server, which refuses a user or channel of another workspace,
and a method whose scope the install did not grant."""

import asyncio
import html
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http.cookies import SimpleCookie

import aiohttp
import pytest
from sqlmodel import select

from bot.app import App
from bot.config import Settings
from bot.messages import Reply, Text
from bot.outbox import Tuning
from bot.runner import Pacing, build_transports, serve
from bot.slack_links import install_links
from bot.storage import repositories as repo
from bot.storage.models import Identity, Pole, SlackChat
from bot.transports.base import Unreachable
from bot.transports.http import HttpServer
from bot.transports.slack_manifest import EVENTS_PATH, bot_scopes
from tests.helpers.fake_slack import FakeSlack
from tests.transports.conftest import free_port, slack_transport
from tests.transports.test_slack import button, text_of

QUICK = Tuning(poll_interval=0.05)
PROGRAMME = b"%PDF-1.4 programme de l'atelier achats responsables"
AURA, VEGE = "T0AURA", "T0VEGE"


def on_oauth(settings: Settings, fake: FakeSlack, port: int) -> Settings:
    """A bot serving every workspace that installs it, at http://127.0.0.1:port."""
    return Settings.model_validate(
        settings.model_dump()
        | {
            "_env_file": None,
            "slack_client_id": fake.client_id,
            "slack_client_secret": fake.client_secret,
            "slack_signing_secret": fake.signing_secret,
            "slack_api_url": fake.api_url,
            "public_url": f"http://127.0.0.1:{port}",
            "http_host": "127.0.0.1",
            "http_port": port,
        }
    )


@dataclass
class Bot:
    app: App
    fake: FakeSlack
    url: str
    aura: Pole
    vege: Pole

    async def get(self, url: str, cookie: str = "") -> tuple[int, str, aiohttp.ClientResponse]:
        headers = {"Cookie": cookie} if cookie else {}
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, headers=headers, allow_redirects=False) as answer,
        ):
            return answer.status, await answer.text(), answer

    async def install(self, pole: Pole, team_id: str, name: str, installer: str) -> str:
        """An admin of the workspace opens the pôle's install link, allows the app on Slack's
        page and comes back: the page they see."""
        assert pole.id is not None
        status, _, answer = await self.get(install_links(self.app.settings).link(pole.id))
        assert status == 302
        # What their browser keeps, and sends back on its return from Slack.
        cookie = SimpleCookie(answer.headers["Set-Cookie"])
        sent = "; ".join(f"{key}={morsel.value}" for key, morsel in cookie.items())
        back = self.fake.approve(
            answer.headers["Location"], team_id=team_id, name=name, installer=installer
        )
        status, page, _ = await self.get(back, sent)
        assert status == 200, page
        return html.unescape(page)

    async def post(self, request: tuple[bytes, dict[str, str]]) -> dict:
        """Slack posts ``request`` (in a direct message); the bot's answer there."""
        channel = "D" + json.loads(request[0])["event"]["user"]
        before = len(self.fake.messages_in(channel))
        status, _ = await self.fake.post(self.url, request)
        assert status == 200
        await self.fake.wait_for(lambda: len(self.fake.messages_in(channel)) > before)
        return self.fake.messages_in(channel)[-1]

    async def say(self, user: str, team: str, text: str) -> dict:
        return await self.post(self.fake.dm(user, text, team=team))

    async def press(self, user: str, team: str, label: str) -> dict:
        channel = "D" + user
        message = self.fake.messages_in(channel)[-1]
        element = button(message, label)
        before = len(self.fake.messages_in(channel))
        request = self.fake.press(user, message, element["action_id"], element["value"], team=team)
        status, _ = await self.fake.post(self.url, request)
        assert status == 200
        await self.fake.wait_for(lambda: len(self.fake.messages_in(channel)) > before)
        return self.fake.messages_in(channel)[-1]

    async def sign_up(self, user: str, team: str, name: str, company: str) -> dict:
        await self.say(user, team, "/start")
        await self.press(user, team, "J'accepte")
        await self.say(user, team, name)
        await self.say(user, team, company)
        return await self.press(user, team, "Agroalimentaire")


@pytest.fixture
async def bot(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[Bot]:
    port = free_port()
    app = await App.start(on_oauth(settings, fake_slack, port))
    async with app.database.transaction() as session:
        aura = await repo.create_pole(session, name="Cluster Bio AURA")
        vege = await repo.create_pole(session, name="Pôle Végépolys")
    stop = asyncio.Event()
    quick = Pacing(telegram_private_interval=0, slack_channel_interval=0)
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK, pacing=quick))
    url = f"http://127.0.0.1:{port}"
    try:
        await _listening(url)
        yield Bot(app, fake_slack, url + EVENTS_PATH, aura, vege)
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()


async def _listening(url: str) -> None:
    for _ in range(200):
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.02)
    raise AssertionError("the bot's HTTP server never answered")


async def test_two_workspaces_each_tied_to_its_pole_chat_and_a_broadcast_stays_in_its_own(
    bot: Bot,
) -> None:
    page = await bot.install(bot.aura, AURA, "Cluster Bio AURA", installer="U0AURAADM")
    assert "installé dans l'espace de travail « Cluster Bio AURA », pour le pôle « Cluster" in page
    await bot.install(bot.vege, VEGE, "Végépolys Valley", installer="U0VEGEADM")
    # Each install asked Slack for the scopes of the manifest, and only those.
    assert bot.fake.workspaces[AURA].scopes == frozenset(bot_scopes())

    # Members of both workspaces sign up, and join their workspace's pôle without a code.
    done = await bot.sign_up("U0AMANDINE", AURA, "Amandine Roche", "Biocoop Lyon")
    assert "C'est fait, bienvenue Amandine Roche" in text_of(done)
    assert "Cluster Bio AURA" in text_of(done)
    await bot.sign_up("U0BASTIEN", AURA, "Bastien Morel", "Scop Les Tisserands")
    done = await bot.sign_up("U0CHLOE", VEGE, "Chloé Garnier", "Pépinières d'Anjou")
    assert "Pôle Végépolys" in text_of(done)
    helped = await bot.say("U0CHLOE", VEGE, "/aide")
    assert "Voici ce que vous pouvez faire ici" in text_of(helped)

    # Amandine, animator of Cluster Bio AURA, broadcasts to her pôle from Slack.
    async with bot.app.database.transaction() as session:
        person = await repo.person_for(session, platform="slack", user_id="U0AMANDINE")
        assert person is not None and person.id is not None
        member = await repo.membership(session, person_id=person.id, pole_id=bot.aura.id)
        assert member is not None
        await repo.set_role(session, member=member, role="animator")
    await bot.say("U0AMANDINE", AURA, "/diffuser")
    await bot.say("U0AMANDINE", AURA, "Atelier achats responsables jeudi 9 h à Lyon.")
    # Her programme, shared with the bot: fetched with her workspace's token (the fake serves
    # the file to that token only).
    await bot.post(bot.fake.dm_file("U0AMANDINE", "programme-atelier.pdf", PROGRAMME, team=AURA))
    await bot.press("U0AMANDINE", AURA, "Tous les membres")
    preview = await bot.press("U0AMANDINE", AURA, "Slack seulement (2)")
    assert "Destinataires : " in text_of(preview)
    await bot.press("U0AMANDINE", AURA, "Envoyer")

    def reached(channel: str) -> bool:
        return any("Atelier achats" in str(m["text"]) for m in bot.fake.messages_in(channel))

    await bot.fake.wait_for(lambda: reached("DU0BASTIEN"))
    await bot.fake.wait_for(lambda: any(f["channel"] == "DU0BASTIEN" for f in bot.fake.files))
    (programme,) = [f for f in bot.fake.files if f["channel"] == "DU0BASTIEN"]
    assert programme["content"] == PROGRAMME
    async with bot.app.database.transaction() as session:
        assert (
            await session.scalar(select(SlackChat.team_id).where(SlackChat.chat_id == "U0CHLOE"))
            == VEGE
        )
    assert not reached("DU0CHLOE")
    sent_with = {
        team
        for (method, params), team in zip(bot.fake.calls, bot.fake.call_teams, strict=True)
        if method == "chat.postMessage" and "Atelier achats" in str(params.get("text"))
    }
    assert sent_with == {AURA}
    # No call of the bot was about another workspace than its token's, or outside its scopes.
    assert bot.fake.outside == []


async def test_members_of_the_other_workspace_get_files_and_home_with_its_token(bot: Bot) -> None:
    await bot.install(bot.aura, AURA, "Cluster Bio AURA", installer="U0AURAADM")
    await bot.install(bot.vege, VEGE, "Végépolys Valley", installer="U0VEGEADM")
    await bot.sign_up("U0CHLOE", VEGE, "Chloé Garnier", "Pépinières d'Anjou")

    await bot.say("U0CHLOE", VEGE, "/mesdonnees")
    await bot.fake.wait_for(lambda: any(f["channel"] == "DU0CHLOE" for f in bot.fake.files))
    status, _ = await bot.fake.post(bot.url, bot.fake.home_opened("U0CHLOE", team=VEGE))
    assert status == 200
    await bot.fake.wait_for(lambda: "U0CHLOE" in bot.fake.views)

    assert "Chloé Garnier" in str(bot.fake.views["U0CHLOE"])
    teams = {
        team
        for (method, _), team in zip(bot.fake.calls, bot.fake.call_teams, strict=True)
        if method in {"files.completeUploadExternal", "views.publish"}
    }
    assert teams == {VEGE}
    assert bot.fake.outside == []


async def test_an_install_link_not_made_by_the_bot_is_refused_with_what_to_do(bot: Bot) -> None:
    assert bot.aura.id is not None
    link = install_links(bot.app.settings).link(bot.aura.id)
    forged = link.replace(f"pole={bot.aura.id}.", f"pole={bot.vege.id}.")
    status, page, answer = await bot.get(forged)

    assert status == 403
    assert "Location" not in answer.headers
    assert "Demandez-en un nouveau à l'administrateur du bot" in html.unescape(page)
    assert "rse-bot slack install-link --pole" in html.unescape(page)


async def test_a_state_altered_on_the_way_back_from_slack_installs_nothing(bot: Bot) -> None:
    assert bot.aura.id is not None
    status, _, answer = await bot.get(install_links(bot.app.settings).link(bot.aura.id))
    assert status == 302
    cookie = SimpleCookie(answer.headers["Set-Cookie"])
    sent = "; ".join(f"{key}={morsel.value}" for key, morsel in cookie.items())
    back = bot.fake.approve(
        answer.headers["Location"], team_id=VEGE, name="Végépolys Valley", installer="U0VEGEADM"
    )
    # Someone sends the admin's return to Slack's redirect with another pôle in the state.
    altered = back.replace(f"state={bot.aura.id}.", f"state={bot.vege.id}.")
    status, page, _ = await bot.get(altered, sent)

    assert status >= 400
    assert "L'installation de rse-bot n'a pas abouti" in html.unescape(page)
    async with bot.app.database.transaction() as session:
        assert await repo.slack_installations(session) == []


async def test_a_message_to_an_account_of_no_installed_workspace_is_unreachable(
    bot: Bot,
) -> None:
    await bot.install(bot.aura, AURA, "Cluster Bio AURA", installer="U0AURAADM")
    await bot.sign_up("U0AMANDINE", AURA, "Amandine Roche", "Biocoop Lyon")
    (slack,), _ = build_transports(bot.app)

    with pytest.raises(Unreachable):
        await slack.send("U0INCONNU", Reply(Text.plain("Atelier jeudi")))
    await slack.send("U0AMANDINE", Reply(Text.plain("Atelier jeudi")))

    assert bot.fake.messages_in("DU0AMANDINE")[-1]["text"] == "Atelier jeudi"
    async with bot.app.database.transaction() as session:
        unreachable = await session.scalar(
            select(Identity.unreachable_reason).where(Identity.platform_user_id == "U0AMANDINE")
        )
    assert unreachable is None


async def test_with_one_bot_token_nothing_about_workspaces_is_stored(
    app: App, fake_slack: FakeSlack
) -> None:
    transport = slack_transport(app, fake_slack)
    http = HttpServer("127.0.0.1", port := free_port())
    http.add_post(EVENTS_PATH, transport.events)
    await transport.start()
    await http.start()
    try:
        url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        assert (await fake_slack.post(url, fake_slack.dm("U0ALICE", "/aide")))[0] == 200
        await fake_slack.wait_for_messages("DU0ALICE", 1)
    finally:
        await http.stop()
        await transport.stop()
    async with app.database.transaction() as session:
        assert list(await session.scalars(select(SlackChat))) == []


async def test_a_channel_that_mentioned_the_bot_later_gets_its_messages_with_its_token(
    bot: Bot,
) -> None:
    await bot.install(bot.aura, AURA, "Cluster Bio AURA", installer="U0AURAADM")
    await bot.install(bot.vege, VEGE, "Végépolys Valley", installer="U0VEGEADM")
    mention = bot.fake.mention("U0CHLOE", "C0VEGECLUB", "<@UBOT2> aide", team=VEGE)
    assert (await bot.fake.post(bot.url, mention))[0] == 200
    await bot.fake.wait_for_messages("C0VEGECLUB", 1)
    (slack,), _ = build_transports(bot.app)

    # What the outbox sends the channel later (a digest it subscribed to), by another transport.
    await slack.send("C0VEGECLUB", Reply(Text.plain("La note de veille de mardi")))

    (_, note) = bot.fake.messages_in("C0VEGECLUB")
    assert note["text"] == "La note de veille de mardi"
    assert bot.fake.call_teams[-1] == VEGE
    assert bot.fake.outside == []
