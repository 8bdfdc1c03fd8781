"""An animator plans a workshop as the workshop tests, the RGPD fill and the end-to-end test do
(handlers/workshops/planning.py), and which one it was."""

from __future__ import annotations

from sqlmodel import select

from bot.app import App
from bot.storage.models import Workshop
from tests.helpers.chat import Chat

# The workshop the tests plan starts on Friday 12/03/2027 at 9:30 in Paris.
WHEN = "12/03/2027 9h30"
PLACE = "Salle Anjou, 10 rue du Végétal, 49000 Angers"


async def plan(
    claire: Chat,
    *,
    number: int = 1,
    capacity: str = "20",
    audience: str = "Tout",
    when: str = WHEN,
) -> str:
    """Claire plans the workshop of the ``number``-th request of the ranking for ``audience``
    (« Tout le pôle » or « Ceux qui l'ont demandé ») and sends it; the text she reads."""
    await claire.say("/atelier demandes")
    await claire.press(f"📅 Planifier le {number}")
    await claire.press("Garder")
    await claire.say(when)
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
