"""A database of its own on a PostgreSQL server, for a benchmark run, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import normalize_database_url


@asynccontextmanager
async def fresh_database(server: str, prefix: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on ``server`` (any database URL on it)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(normalize_database_url(server), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(normalize_database_url(server))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
