"""``rse-bot`` run in this process, as an operator's shell would run it, without the two seconds
of imports a new process costs: only the RSEBOT_* variables given, in a working directory, with
stdin lines, giving back the exit code and what was printed on each stream.

Each run reads its settings afresh (``load_settings``; the content files are cached, being the
same for every run), leaves the logging as it found it, and must close every database connection
it opened: ``asyncio.run`` closes its event loop, and a connection left open fails the test."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.pool import Pool
from typer.testing import CliRunner

from bot.cli import cli


class CliRun(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def rse_bot(
    workdir: Path,
    *args: str,
    database_url: str | None = None,
    env: Mapping[str, str] = {},
    lines: list[str] | None = None,
) -> CliRun:
    """``rse-bot ARGS`` run in ``workdir`` (database: ``database_url``, else an SQLite file
    there) with only ``env`` as RSEBOT_* and ``lines`` on stdin, from a thread without an event
    loop (the command runs its own); one run at a time, as it borrows the process's streams."""
    environment: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("RSEBOT_")
    }
    environment["RSEBOT_DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'rse-bot.db'}"
    environment.update(env)
    stdin = None if lines is None else "".join(f"{line}\n" for line in lines)
    with contextlib.chdir(workdir), _logging_restored(), _connections_closed():
        result = CliRunner().invoke(cli, list(args), input=stdin, env=environment)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What the interpreter would print before exiting with 1.
        stderr += "".join(traceback.format_exception(result.exception))
    return CliRun(result.exit_code, result.stdout, stderr)


async def run_rse_bot(
    workdir: Path,
    *args: str,
    database_url: str | None = None,
    env: Mapping[str, str] = {},
    lines: list[str] | None = None,
) -> CliRun:
    """``rse_bot`` from a test's event loop, which keeps serving fakes meanwhile."""
    return await asyncio.to_thread(
        rse_bot, workdir, *args, database_url=database_url, env=env, lines=lines
    )


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """Let the command configure logging as in a new process (``basicConfig`` to its stderr),
    then put back pytest's handlers and every logger's level."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = logging.Logger.manager.loggerDict
    levels = {
        name: found.level for name, found in loggers.items() if isinstance(found, logging.Logger)
    }
    root.handlers.clear()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, found in list(loggers.items()):
            if isinstance(found, logging.Logger):
                found.setLevel(levels.get(name, logging.NOTSET))


# DBAPI connections opened by the thread running a command, until they are closed.
_opened: dict[int, set[int]] = {}


@event.listens_for(Pool, "connect")
def _connected(dbapi_connection: Any, _record: Any) -> None:
    opened = _opened.get(threading.get_ident())
    if opened is not None:
        opened.add(id(dbapi_connection))


@event.listens_for(Pool, "close")
def _closed(dbapi_connection: Any, _record: Any) -> None:
    for opened in _opened.values():
        opened.discard(id(dbapi_connection))


@event.listens_for(Pool, "close_detached")
def _closed_detached(dbapi_connection: Any) -> None:
    _closed(dbapi_connection, None)


@contextlib.contextmanager
def _connections_closed() -> Iterator[None]:
    """Fail if the command left a database connection open (an engine not disposed)."""
    opened = _opened.setdefault(threading.get_ident(), set())
    try:
        yield
    finally:
        del _opened[threading.get_ident()]
    assert not opened, f"rse-bot left {len(opened)} database connection(s) open"
