"""Run ``rse-bot`` as a real process from async tests, which keep serving fakes meanwhile."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path


async def run_rse_bot(
    workdir: Path, *args: str, database_url: str | None = None, env: Mapping[str, str] = {}
) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of ``rse-bot ARGS`` run in ``workdir``
    (database: ``database_url``, else an SQLite file there), with only ``env`` as RSEBOT_*."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    clean["RSEBOT_DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'rse-bot.db'}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=workdir,
        env=clean | dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
