"""Several pôles on Slack: each pôle's workspace installs the app through Slack's OAuth, from an
install link carrying its pôle, and everything the bot says there goes with that workspace's
token — checked by the fake Slack server, which refuses a user or channel of another workspace,
and a method whose scope the install did not grant."""

import asyncio
import html
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http.cookies import SimpleCookie

import aiohttp
import pytest
from sqlmodel import select

from bot.app import App
from bot.config import Settings
from bot.outbox import Tuning
from bot.runner import Pacing, serve
from bot.storage import repositories as repo
from bot.storage.models import Pole, SlackChat
from bot.transports.slack_manifest import EVENTS_PATH, bot_scopes
from bot.transports.slack_oauth import install_links
from tests.helpers.fake_slack import FakeSlack
from tests.transports.conftest import free_port
from tests.transports.test_slack import button, text_of

QUICK = Tuning(poll_interval=0.05)
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

    async def say(self, user: str, team: str, text: str) -> dict:
        channel = "D" + user
        before = len(self.fake.messages_in(channel))
        status, _ = await self.fake.post(self.url, self.fake.dm(user, text, team=team))
        assert status == 200
        await self.fake.wait_for(lambda: len(self.fake.messages_in(channel)) > before)
        return self.fake.messages_in(channel)[-1]

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
    await bot.press("U0AMANDINE", AURA, "Sans pièce jointe")
    preview = await bot.press("U0AMANDINE", AURA, "Tous les membres")
    while "Envoyer" not in str(preview["blocks"]):
        preview = await bot.press("U0AMANDINE", AURA, "Slack")
    await bot.press("U0AMANDINE", AURA, "Envoyer")

    def reached(channel: str) -> bool:
        return any("Atelier achats" in str(m["text"]) for m in bot.fake.messages_in(channel))

    await bot.fake.wait_for(lambda: reached("DU0BASTIEN"))
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
