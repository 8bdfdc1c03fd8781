"""Read what the app stored, straight from its database, to check what a conversation kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, inspect, text
from sqlmodel import SQLModel, select

from bot.app import App
from bot.storage import repositories as repo
from bot.storage.models import ConversationState, Identity, Membership, Person, Pole


async def count(app: App, model: type[SQLModel]) -> int:
    async with app.database.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def stored(app: App) -> dict[str, int]:
    """Row counts of every table that holds something about people."""
    return {
        "people": await count(app, Person),
        "identities": await count(app, Identity),
        "memberships": await count(app, Membership),
        "conversation_states": await count(app, ConversationState),
    }


async def memberships_of(app: App, person: Person) -> dict[str, str]:
    """The person's role in each pôle, by pôle name."""
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(Pole.name, Membership.role)
            .join(Membership, Membership.pole_id == Pole.id)
            .where(Membership.person_id == person.id)
        )
        return {name: role for name, role in rows}


async def new_pole(app: App, name: str) -> Pole:
    async with app.database.transaction() as session:
        return await repo.create_pole(session, name=name)


async def every_row(app: App) -> dict[str, list[str]]:
    """Every row of every table in the database, as text (bytes read as Latin-1)."""
    dumped: dict[str, list[str]] = {}
    async with app.database.transaction() as session:
        names = await session.run_sync(lambda sync: inspect(sync.connection()).get_table_names())
        for name in names:
            result = await session.execute(text(f'SELECT * FROM "{name}"'))
            dumped[name] = [" | ".join(map(_as_text, row)) for row in result]
    return dumped


def _as_text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
