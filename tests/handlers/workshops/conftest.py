"""Who takes part in the workshop tests: Claire animates the pôle; Bob, Chloé and Dora are
members of three companies, on Telegram, Slack and the console."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat

CLAIRE, BOB, CHLOE = "7391846031", "7391846032", "U0CHLOE42"


@pytest.fixture
async def claire(app: App) -> Chat:
    claire = Chat(app, Platform.TELEGRAM, CLAIRE)
    await claire.sign_up("Claire Roux", "Pôle Végépolys")
    await claire.grant("animator")
    return claire


@pytest.fixture
async def bob(app: App) -> Chat:
    bob = Chat(app, Platform.TELEGRAM, BOB)
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    return bob


@pytest.fixture
async def chloe(app: App) -> Chat:
    chloe = Chat(app, Platform.SLACK, CHLOE)
    await chloe.sign_up("Chloé Garnier", "Fromagerie Garnier")
    return chloe


@pytest.fixture
async def dora(app: App) -> Chat:
    dora = Chat(app, Platform.CONSOLE, "dora")
    await dora.sign_up("Dora Nguyen", "Menuiserie Nguyen")
    return dora
