"""The running bot: settings, database, content and router, started together."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.features import all_features
from bot.messages import Incoming, Platform, Reply
from bot.metrics import Metrics
from bot.router import Router
from bot.storage import repositories as repo
from bot.storage.database import Database, upgrade
from content.loader import Content, default_content

logger = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    database: Database
    content: Content
    router: Router

    @classmethod
    async def start(cls, settings: Settings, content: Content | None = None) -> App:
        """Migrate the database, make sure a default pôle exists, and wire the handlers."""
        content = content or default_content()
        database = Database(settings.database_url)
        try:
            await upgrade(database)
            async with database.transaction() as session:
                await repo.ensure_default_pole(session, name=settings.default_pole_name)
        except BaseException:
            await database.dispose()
            raise
        router = Router(
            database=database, settings=settings, content=content, features=all_features()
        )
        return cls(settings, database, content, router)

    @property
    def metrics(self) -> Metrics:
        """This app's counters (``/metrics``), kept by its router."""
        return self.router.metrics

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return await self.router.handle(incoming)

    async def mark_unreachable(self, platform: Platform, user_id: str, reason: str) -> None:
        """A platform refused to deliver to this account: remember it, for reports and retries."""
        async with self.database.transaction() as session:
            await repo.mark_unreachable(
                session, platform=platform.value, user_id=user_id, reason=reason[:200]
            )

    async def close(self) -> None:
        await self.database.dispose()
