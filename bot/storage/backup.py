"""Backups of the database, and restoring one: ``rse-bot db backup`` and ``rse-bot db restore``.

SQLite: a consistent copy taken while the bot runs, with SQLite's online backup API (it copies
the pages of one read transaction, so writes going on meanwhile are either all in the copy or
not at all), written beside the destination and renamed into place. PostgreSQL: ``pg_dump`` in
its custom format and ``pg_restore``, the tools of the server's own distribution; the password
goes to them in the environment, never on a command line that ``ps`` shows.

A database in use is never overwritten. Every process that opens a SQLite database (the bot,
``rse-bot broadcast``, any CLI command) holds a shared ``flock`` on its file for as long as it
has it open (``hold_shared``, taken by ``Database``), and a restore needs the exclusive one;
SQLite's own locks are POSIX record locks, which ``flock`` does not interfere with on Linux. On
PostgreSQL, any other session connected to the database means it is in use.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

# The table every migrated database of ours has: a file without it is not one of our backups.
_VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """Why a backup or a restore cannot be made, in French, for the person running it."""


def database_file(url: str) -> Path | None:
    """The SQLite database file of ``url``; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def hold_shared(url: str) -> IO[bytes] | None:
    """A shared lock on the database file while it is open (the file created if need be);
    close the returned file to release it. None when there is no file to lock."""
    path = database_file(url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "ab")  # noqa: SIM115 - held until the database is disposed of
    # Blocking: a restore in progress is waited for rather than read half-written.
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with open(path, "ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"la base {path} est en cours d'utilisation : arrêtez le bot et toute commande "
                "rse-bot qui l'utilise, puis recommencez"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _checked_backup(source: Path) -> None:
    """A readable SQLite database of ours, or the reason it is not."""
    if not source.is_file():
        raise BackupError(f"fichier introuvable : {source}")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as connection:
            (status,) = connection.execute("PRAGMA quick_check").fetchone()
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} n'est pas une base SQLite lisible : {exc}") from None
    if status != "ok":
        raise BackupError(f"{source} est endommagé : {status}")
    if _VERSION_TABLE not in tables:
        raise BackupError(f"{source} n'est pas une sauvegarde de rse-bot (pas de {_VERSION_TABLE})")


def backup_sqlite(url: str, destination: Path) -> None:
    """Copy the SQLite database of ``url`` to ``destination``, consistent even while the bot
    writes to it; ``destination`` appears only once complete."""
    source = database_file(url)
    if source is None or not source.is_file():
        raise BackupError(f"pas de base SQLite à sauvegarder ({source or url})")
    if destination.resolve() == source.resolve():
        raise BackupError("la sauvegarde ne peut pas remplacer la base elle-même")
    partial = destination.with_name(destination.name + ".partiel")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
        # Waits its turn behind a writer instead of failing at once, as the bot's own do.
        live.execute("PRAGMA busy_timeout=10000")
        live.backup(copy)
    # A copy in a single file, readable without the -wal beside it.
    with sqlite3.connect(partial) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")
    os.replace(partial, destination)


def restore_sqlite(source: Path, url: str) -> None:
    """Replace the SQLite database of ``url`` with the backup ``source``; refused while any
    process has the database open."""
    target = database_file(url)
    if target is None:
        raise BackupError("pas de fichier de base SQLite où restaurer")
    _checked_backup(source)
    if target.exists() and source.resolve() == target.resolve():
        raise BackupError("la sauvegarde et la base sont le même fichier")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target), sqlite3.connect(source) as backup, sqlite3.connect(target) as live:
        backup.backup(live)


# ---------------------------------------------------------------- PostgreSQL


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump and pg_restore without its password, and their environment with it."""
    parsed = make_url(url).set(drivername="postgresql")
    environment = dict(os.environ)
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} introuvable : installez les outils clients de PostgreSQL "
            f"(paquet postgresql-client) de la version du serveur"
        )
    return found


def _run(command: list[str], environment: dict[str, str]) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué : {done.stderr.strip()}")


def backup_postgres(url: str, destination: Path) -> None:
    """``pg_dump`` in the custom format (one consistent snapshot, restorable with pg_restore)."""
    target, environment = _libpq(url)
    partial = destination.with_name(destination.name + ".partiel")
    _run([_tool("pg_dump"), "--format=custom", f"--file={partial}", target], environment)
    os.replace(partial, destination)


def postgres_sessions(url: str) -> int:
    """How many other sessions are connected to the database of ``url``."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                or 0
            )
    finally:
        engine.dispose()


def restore_postgres(source: Path, url: str) -> None:
    """``pg_restore`` of ``source`` over the database of ``url``, whose objects it replaces;
    refused while anyone else is connected to it."""
    if not source.is_file():
        raise BackupError(f"fichier introuvable : {source}")
    others = postgres_sessions(url)
    if others:
        raise BackupError(
            f"la base est en cours d'utilisation ({others} autre(s) connexion(s)) : arrêtez "
            "le bot et toute commande rse-bot qui l'utilise, puis recommencez"
        )
    target, environment = _libpq(url)
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={target}",
            str(source),
        ],
        environment,
    )
