"""Fixtures: a fresh database per test (SQLite, and PostgreSQL when RSEBOT_TEST_POSTGRES_URL is
set), the app started on it, and chats driving it."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from bot.app import App
from bot.config import Settings, normalize_database_url
from bot.messages import Platform
from scheduler.store import JOBS_TABLE
from tests.helpers.chat import Chat
from tests.helpers.content_files import copy_content

POSTGRES_URL = os.environ.get("RSEBOT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


async def _admin_execute(server_url: str, *statements: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own on the test server for this run, dropped at the end."""
    assert POSTGRES_URL is not None
    server = normalize_database_url(POSTGRES_URL)
    name = f"rsebot_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_tables(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            existing = set(
                await connection.run_sync(lambda sync: sync.dialect.get_table_names(sync))
            )
            tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name in existing]
            # DELETE, children first, is several times faster than TRUNCATE on tables this small.
            # The scheduler's job store too: jobs a test stored would otherwise run, or be
            # stepped through minute by minute up to another test's fake clock.
            deletes = [f'DELETE FROM "{name}"' for name in reversed(tables)]
            if JOBS_TABLE in existing:
                deletes.append(f"DELETE FROM {JOBS_TABLE}")
            counters = [
                name
                for name in tables
                if "id" in (columns := SQLModel.metadata.tables[name].c) and columns.id.primary_key
            ]
            resets = [
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), 1, false)"
                for name in counters
            ]
            # One round trip for them all (asyncpg runs a script without parameters as is):
            # some sixty tables, each its own statement, cost a test 70 ms otherwise.
            if deletes:
                raw = await connection.get_raw_connection()
                await raw.driver_connection.execute(";\n".join(deletes + resets))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or the PostgreSQL test database emptied."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'rse-bot.db'}"
    url = request.getfixturevalue("postgres_database")
    asyncio.run(_empty_tables(url))
    return url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once: copying it saves every test the migrations (70 ms)."""
    path = tmp_path_factory.mktemp("template") / "rse-bot.db"

    async def migrate() -> None:
        url = f"sqlite+aiosqlite:///{path}"
        app = await App.start(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
        await app.close()

    asyncio.run(migrate())
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, migrated_sqlite: Path) -> Settings:
    """Settings on the test's database; an SQLite one starts as a copy of the migrated file."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        shutil.copyfile(migrated_sqlite, url.database)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        locale="fr",
        timezone="Europe/Paris",
        files_dir=tmp_path / "fichiers",
        # The tests' feeds are served on 127.0.0.1, an internal address the bot would refuse.
        feeds_allow_private=True,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    started = await App.start(settings)
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
def chat(app: App) -> Chat:
    """A console account named alice talking to the app."""
    return Chat(app, Platform.CONSOLE, "alice")


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the content files, for a test to break."""
    return copy_content(tmp_path)
