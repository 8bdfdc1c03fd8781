import os
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlmodel import SQLModel

from bot.config import normalize_database_url
from bot.storage.database import alembic_config, create_engine, upgrade
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
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database without any table.

    The shared PostgreSQL test database already holds the schema, so each test gets a database
    of its own there.
    """
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        yield engine
        await engine.dispose()
        return
    name = f"rsebot_migrations_{uuid.uuid4().hex[:10]}"
    await _on_server(f'CREATE DATABASE "{name}"')
    engine = create_engine(
        make_url(database_url).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _tables(engine: AsyncEngine) -> set[str]:
    """The database's tables, but for the full-text search tables (outside the metadata)."""
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return {name for name in names if not is_search_table(name)}


async def _search_tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return {name for name in names if is_search_table(name)}


async def _revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_upgrade_creates_every_table_and_records_the_head(engine: AsyncEngine) -> None:
    assert await _tables(engine) == set()
    await upgrade(engine)
    assert await _tables(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert {index.name for index in INDEXES} <= await _search_tables(engine)
    assert await _revision(engine) == HEAD


async def test_upgrading_twice_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with AsyncSession(engine) as session, session.begin():
        session.add(Pole(name="Cluster Bio AURA", invite_code="KB7WQ2ZP"))
    await upgrade(engine)
    async with AsyncSession(engine) as session:
        names = list(await session.scalars(select(Pole.name)))
    assert names == ["Cluster Bio AURA"]
    assert await _revision(engine) == HEAD


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    await upgrade(engine)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": in_metadata}
        )
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_downgrade_to_base_then_upgrade_again(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await _downgrade(engine, "base")
    assert await _tables(engine) == {"alembic_version"}
    assert await _search_tables(engine) == set()
    assert await _revision(engine) is None
    await upgrade(engine)
    assert await _tables(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert await _revision(engine) == HEAD


async def test_downgrading_links_and_reachability_keeps_the_accounts(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with AsyncSession(engine) as session, session.begin():
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

    await _downgrade(engine, "0001")

    async with engine.connect() as connection:
        accounts = (
            await connection.execute(text("SELECT platform, platform_user_id FROM identities"))
        ).all()
    assert [tuple(row) for row in accounts] == [("telegram", "1001")]
    assert "link_codes" not in await _tables(engine)
    assert await _revision(engine) == "0001"
