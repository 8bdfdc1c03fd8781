"""/slack: a pôle's admin gets the link that installs the bot in the pôle's Slack workspace."""

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.slack_links import install_links
from bot.storage import repositories as repo
from tests.helpers.chat import Chat

OAUTH = {
    "slack_client_id": "4821.7730",
    "slack_client_secret": "9f2c-client-secret",
    "slack_signing_secret": "a1b2-signing-secret",
    "public_url": "https://rse.cluster-bio.fr",
}


@pytest.fixture
def oauth_settings(settings: Settings) -> Settings:
    return Settings.model_validate(settings.model_dump() | OAUTH | {"_env_file": None})


@pytest.fixture
async def oauth_app(oauth_settings: Settings) -> AsyncIterator[App]:
    started = await App.start(oauth_settings)
    yield started
    await started.close()


async def test_an_admin_gets_the_install_link_of_their_pole(oauth_app: App) -> None:
    admin = Chat(oauth_app, Platform.TELEGRAM, "7391846025")
    await admin.sign_up("Alice Martin", "Cluster Bio AURA")
    await admin.grant("admin")

    await admin.say("/slack")

    assert "l'espace de travail Slack du pôle « Pôle RSE »" in admin.text
    link = next(line for line in admin.text.splitlines() if line.startswith("https://"))
    async with oauth_app.database.transaction() as session:
        pole = await repo.default_pole(session)
    assert pole is not None
    token = link.removeprefix("https://rse.cluster-bio.fr/slack/install?pole=")
    assert install_links(oauth_app.settings).pole_of_link(token) == pole.id


async def test_a_member_is_refused_the_install_link(oauth_app: App) -> None:
    member = Chat(oauth_app, Platform.TELEGRAM, "7391846026")
    await member.sign_up("Bob Lefèvre", "Scop Les Tisserands")

    await member.say("/slack")

    assert "réservée aux personnes ayant le rôle administrateur" in member.text
    assert "https://" not in member.text


async def test_with_one_bot_token_the_admin_is_told_there_is_no_link(chat: Chat) -> None:
    await chat.sign_up("Alice Martin", "Cluster Bio AURA")
    await chat.grant("admin")

    await chat.say("/slack")

    assert chat.text.startswith("Ce bot sert un seul espace de travail Slack, avec son jeton")
