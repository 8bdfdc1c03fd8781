"""``rse-bot db backup`` and ``rse-bot db restore`` (bot/storage/backup.py): a backup of SQLite
taken while members are chatting restores to a database that ``rse-bot db upgrade`` accepts and
that holds every member; a restore over a database in use is refused, as is a file that is not
one of our backups; PostgreSQL through pg_dump and pg_restore when a server is given."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.storage.models import Person
from tests.conftest import POSTGRES_URL
from tests.helpers.chat import Chat
from tests.helpers.cli import run_rse_bot

MEMBERS = 12
COMPANIES = ("Scop Les Tisserands", "Biocoop Lyon", "Fromagerie Berthaut", "Hydreos Conseil")


def sqlite_only(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's backup: the PostgreSQL one is tested below")
    assert url.database is not None
    return Path(url.database)


async def members(app: App) -> list[Chat]:
    chats = []
    for number in range(MEMBERS):
        chat = Chat(app, Platform.CONSOLE, f"membre{number}")
        await chat.sign_up(f"Membre {number} Durand", COMPANIES[number % len(COMPANIES)])
        chats.append(chat)
    return chats


async def keep_chatting(chats: list[Chat], stop: asyncio.Event) -> int:
    """Each member in turn switches their language back and forth, a write each time, until told;
    unlike a module's steps, which end, this goes on however long the backup takes."""
    handled = 0
    while not stop.is_set():
        for chat in chats:
            await chat.say("/langue en")
            await chat.say("/langue fr")
            handled += 2
    return handled


def backups(folder: Path) -> list[str]:
    """The files of the folder that the backup wrote, partial ones included."""
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("sauvegarde"))


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


async def test_a_backup_taken_while_members_chat_restores_with_every_member(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    live = sqlite_only(settings)
    chats = await members(app)
    stop = asyncio.Event()
    chatting = asyncio.create_task(keep_chatting(chats, stop))
    await asyncio.sleep(0.05)

    backup = tmp_path / "sauvegarde.db"
    done = await run_rse_bot(
        tmp_path, "db", "backup", str(backup), database_url=f"sqlite:///{live}"
    )
    stop.set()
    handled = await chatting

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Base sauvegardée dans {backup} (")
    assert handled > 0
    restored = tmp_path / "restaurée" / "rse-bot.db"
    url = f"sqlite:///{restored}"
    put_back = await run_rse_bot(tmp_path, "db", "restore", str(backup), database_url=url)
    assert put_back.returncode == 0, put_back.stderr
    assert put_back.stdout == f"Base restaurée depuis {backup}.\n"
    upgraded = await run_rse_bot(tmp_path, "db", "upgrade", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert count(restored, "people") == MEMBERS
    assert count(restored, "identities") == MEMBERS


async def test_the_backup_is_one_self_contained_file(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    live = sqlite_only(settings)
    await members(app)
    backup = tmp_path / "sauvegarde.db"

    done = await run_rse_bot(
        tmp_path, "db", "backup", str(backup), database_url=f"sqlite:///{live}"
    )

    assert done.returncode == 0, done.stderr
    assert backups(tmp_path) == ["sauvegarde.db"]
    with sqlite3.connect(backup) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert count(backup, "people") == MEMBERS


async def test_a_restore_over_a_database_in_use_is_refused(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    live = sqlite_only(settings)
    await members(app)
    backup = tmp_path / "sauvegarde.db"
    await run_rse_bot(tmp_path, "db", "backup", str(backup), database_url=f"sqlite:///{live}")

    refused = await run_rse_bot(
        tmp_path, "db", "restore", str(backup), database_url=f"sqlite:///{live}"
    )

    assert refused.returncode == 1
    assert f"la base {live} est en cours d'utilisation : arrêtez le bot" in refused.stderr
    # The running bot goes on with its data.
    late = Chat(app, Platform.CONSOLE, "retardataire")
    await late.sign_up("Léa Retard", "Biocoop Lyon")
    assert count(live, "people") == MEMBERS + 1


async def test_once_the_bot_stopped_the_restore_goes_through(
    settings: Settings, tmp_path: Path
) -> None:
    live = sqlite_only(settings)
    app = await App.start(settings)
    await members(app)
    backup = tmp_path / "sauvegarde.db"
    await run_rse_bot(tmp_path, "db", "backup", str(backup), database_url=f"sqlite:///{live}")
    await Chat(app, Platform.CONSOLE, "apres").sign_up("Après Sauvegarde", "Biocoop Lyon")
    await app.close()

    done = await run_rse_bot(
        tmp_path, "db", "restore", str(backup), database_url=f"sqlite:///{live}"
    )

    assert done.returncode == 0, done.stderr
    assert count(live, "people") == MEMBERS


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"PDF-1.4 pas une base", "n'est pas une base SQLite lisible"),
        (None, "n'est pas une sauvegarde de rse-bot (pas de alembic_version)"),
    ],
)
async def test_a_file_that_is_not_our_backup_is_refused(
    tmp_path: Path, content: bytes | None, said: str
) -> None:
    given = tmp_path / "autre.db"
    if content is None:
        with sqlite3.connect(given) as connection:
            connection.execute("CREATE TABLE factures (id INTEGER PRIMARY KEY)")
    else:
        given.write_bytes(content)

    refused = await run_rse_bot(tmp_path, "db", "restore", str(given))

    assert refused.returncode == 1
    assert said in refused.stderr
    assert not (tmp_path / "rse-bot.db").exists()


@pytest.mark.skipif(
    POSTGRES_URL is None or shutil.which("pg_dump") is None,
    reason="PostgreSQL's backup needs RSEBOT_TEST_POSTGRES_URL and pg_dump",
)
async def test_postgresql_backup_and_restore_with_pg_dump(
    settings: Settings, tmp_path: Path
) -> None:
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        pytest.skip("the PostgreSQL run of this test")
    app = await App.start(settings)
    try:
        await members(app)
        backup = tmp_path / "sauvegarde.dump"
        done = await run_rse_bot(
            tmp_path, "db", "backup", str(backup), database_url=settings.database_url
        )
        assert done.returncode == 0, done.stderr
        # The running bot's database is not overwritten.
        refused = await run_rse_bot(
            tmp_path, "db", "restore", str(backup), database_url=settings.database_url
        )
        assert refused.returncode == 1 and "en cours d'utilisation" in refused.stderr
    finally:
        await app.close()

    # Restored on a new server's empty database, which nobody else uses.
    async with empty_database(settings.database_url) as target:
        put_back = await run_rse_bot(tmp_path, "db", "restore", str(backup), database_url=target)
        assert put_back.returncode == 0, put_back.stderr
        upgraded = await run_rse_bot(tmp_path, "db", "upgrade", database_url=target)
        assert upgraded.returncode == 0, upgraded.stderr
        restored = Settings.model_validate(settings.model_dump() | {"database_url": target})
        app = await App.start(restored)
        try:
            async with app.database.transaction() as session:
                assert await session.scalar(select(func.count()).select_from(Person)) == MEMBERS
        finally:
            await app.close()


@asynccontextmanager
async def empty_database(beside: str) -> AsyncIterator[str]:
    """A new database on the server of ``beside``, dropped on leaving."""
    name = f"rsebot_restore_{uuid.uuid4().hex[:10]}"
    server = make_url(beside)
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()
