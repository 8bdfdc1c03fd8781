"""Who takes part in the workshop tests: Claire animates the pôle; Bob, Chloé and Dora are
members of three companies, on Telegram, Slack and the console."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Workshop
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


# The workshop the tests plan starts on Friday 12/03/2027 at 9:30 in Paris.
WHEN = "12/03/2027 9h30"
PLACE = "Salle Anjou, 10 rue du Végétal, 49000 Angers"


async def plan(
    claire: Chat, *, number: int = 1, capacity: str = "20", audience: str = "Tout"
) -> str:
    """Claire plans the workshop of the ``number``-th request of the ranking for ``audience``
    (« Tout le pôle » or « Ceux qui l'ont demandé ») and sends it; the text she reads."""
    await claire.say("/atelier demandes")
    await claire.press(f"📅 Planifier le {number}")
    await claire.press("Garder")
    await claire.say(WHEN)
    await claire.say(PLACE)
    await (claire.press("Sans limite") if capacity == "none" else claire.say(capacity))
    await claire.press(audience)
    await claire.press("Envoyer")
    return claire.text


async def workshop_number(app: App) -> int:
    """The first workshop's number (its event's), in id order."""
    async with app.database.transaction() as session:
        found = await session.scalar(select(Workshop).order_by(Workshop.id))
    assert found is not None
    return found.event_id
