import os
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from bot.config import normalize_database_url
from bot.storage.database import Database, alembic_config, current_revision, upgrade
from bot.storage.models import Identity, LinkCode, Person, Pole, utcnow
from bot.storage.search import INDEXES, in_metadata, is_search_table

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _on_server(statement: str) -> None:
    server = create_async_engine(
        normalize_database_url(os.environ["RSEBOT_TEST_POSTGRES_URL"]),
        isolation_level="AUTOCOMMIT",
    )
    try:
        async with server.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await server.dispose()


@pytest.fixture
async def empty(database_url: str) -> AsyncIterator[Database]:
    """The database, without any table.

    The shared PostgreSQL test database already holds the schema, so each test gets a database
    of its own there.
    """
    if database_url.startswith("sqlite"):
        database = Database(database_url)
        yield database
        await database.dispose()
        return
    name = f"rsebot_migrations_{uuid.uuid4().hex[:10]}"
    await _on_server(f'CREATE DATABASE "{name}"')
    database = Database(
        make_url(database_url).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield database
    finally:
        await database.dispose()
        await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _names(empty: Database) -> list[str]:
    def names() -> list[str]:
        with empty.engine.connect() as connection:
            return inspect(connection).get_table_names()

    return await empty.run(names)


async def _tables(empty: Database) -> set[str]:
    """The database's tables, but for the full-text search tables (outside the metadata)."""
    return {name for name in await _names(empty) if not is_search_table(name)}


async def _search_tables(empty: Database) -> set[str]:
    return {name for name in await _names(empty) if is_search_table(name)}


async def _revision(empty: Database) -> str | None:
    return await current_revision(empty)


async def _downgrade(empty: Database, revision: str) -> None:
    def run() -> None:
        with empty.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)

    await empty.run(run)


async def test_upgrade_creates_every_table_and_records_the_head(empty: Database) -> None:
    assert await _tables(empty) == set()
    await upgrade(empty)
    assert await _tables(empty) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert {index.name for index in INDEXES} <= await _search_tables(empty)
    assert await _revision(empty) == HEAD


async def test_upgrading_twice_changes_nothing(empty: Database) -> None:
    await upgrade(empty)
    async with empty.transaction() as session:
        session.add(Pole(name="Cluster Bio AURA", invite_code="KB7WQ2ZP"))
    await upgrade(empty)
    async with empty.transaction() as session:
        names = list(await session.scalars(select(Pole.name)))
    assert names == ["Cluster Bio AURA"]
    assert await _revision(empty) == HEAD


async def test_migrated_schema_matches_the_models(empty: Database) -> None:
    await upgrade(empty)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": in_metadata}
        )
        return list(compare_metadata(context, SQLModel.metadata))

    def compared() -> list[object]:
        with empty.engine.connect() as connection:
            return differences(connection)

    assert await empty.run(compared) == []


async def test_downgrade_to_base_then_upgrade_again(empty: Database) -> None:
    await upgrade(empty)
    await _downgrade(empty, "base")
    assert await _tables(empty) == {"alembic_version"}
    assert await _search_tables(empty) == set()
    assert await _revision(empty) is None
    await upgrade(empty)
    assert await _tables(empty) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert await _revision(empty) == HEAD


async def test_downgrading_links_and_reachability_keeps_the_accounts(empty: Database) -> None:
    await upgrade(empty)
    async with empty.transaction() as session:
        claire = Person(display_name="Claire Martin", consent_at=utcnow())
        session.add(claire)
        await session.flush()
        session.add(
            Identity(
                person_id=claire.id,
                platform="telegram",
                platform_user_id="1001",
                unreachable_at=utcnow(),
                unreachable_reason="Forbidden: bot was blocked by the user",
            )
        )
        session.add(LinkCode(code="KB7WQ2ZP", person_id=claire.id, expires_at=utcnow()))

    await _downgrade(empty, "0001")

    async with empty.transaction() as session:
        accounts = (
            await session.execute(text("SELECT platform, platform_user_id FROM identities"))
        ).all()
    assert [tuple(row) for row in accounts] == [("telegram", "1001")]
    assert "link_codes" not in await _tables(empty)
    assert await _revision(empty) == "0001"
