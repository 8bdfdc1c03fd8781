"""What the outbox holds of one kind of campaign, as the tests of proactive messages read it."""

from sqlmodel import select

from bot.app import App
from bot.storage.models import Campaign, OutboxMessage


async def queued(app: App, kind: str) -> list[tuple[str, Campaign]]:
    """The outbox's messages of campaigns of ``kind``, in the order queued: to which chat, and
    the campaign."""
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, Campaign)
            .join(Campaign, Campaign.id == OutboxMessage.campaign_id)
            .where(Campaign.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return [(chat_id, campaign) for chat_id, campaign in rows]
