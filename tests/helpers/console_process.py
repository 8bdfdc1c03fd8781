"""Run ``rse-bot chat`` as a real process and converse with it through pipes."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.transports.console import PROMPT


def chat_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    env["RSEBOT_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def chat_command(user: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", "chat", "--user", user]


class ConsoleProcess:
    """A chat process; ``say`` returns everything printed before the next prompt."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, workdir: Path, user: str = "alice") -> ConsoleProcess:
        process = await asyncio.create_subprocess_exec(
            *chat_command(user),
            cwd=workdir,
            env=chat_env(workdir / "rse-bot.db"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        console = cls(process)
        await console._until_prompt()
        return console

    async def say(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        return await self._until_prompt()

    async def _until_prompt(self) -> str:
        assert self.process.stdout is not None
        output = b""
        while not (output == PROMPT.encode() or output.endswith(b"\n" + PROMPT.encode())):
            chunk = await asyncio.wait_for(self.process.stdout.read(4096), timeout=20)
            if not chunk:
                raise AssertionError(f"chat ended without a prompt; printed: {output.decode()}")
            output += chunk
        return output.decode().removesuffix(PROMPT)

    def kill(self) -> None:
        self.process.kill()

    async def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return await asyncio.wait_for(self.process.wait(), timeout=20)
