"""The terminal as a chat platform: ``rse-bot chat``.

Buttons are numbered ``[1] Label``; the person answers with the number or the label. The prompt
``> `` is printed (and flushed) only once every reply to the previous line has been written, so
another program can converse through pipes by waiting for it.
"""

from __future__ import annotations

import asyncio
import mimetypes
import threading
from functools import partial
from pathlib import Path
from typing import TextIO

from bot.messages import Attachment, Button, Incoming, IncomingFile, Platform, Reply, Text
from bot.transports.base import Handle
from content.text import fold

PROMPT = "> "
# A line starting with this sends the file whose path follows, as attaching it would elsewhere.
FILE_PREFIX = "@"


def render(text: Text, *, ansi: bool = False) -> str:
    """Plain text (links as ``text (address)``), bold and italic too in a terminal."""
    parts = []
    for span in text.spans:
        style = ("1;" if span.bold else "") + ("3;" if span.italic else "") if ansi else ""
        shown = f"\033[{style.rstrip(';')}m{span.text}\033[0m" if style else span.text
        parts.append(f"{shown} ({span.link})" if span.link else shown)
    return "".join(parts)


class ConsoleTransport:
    platform = Platform.CONSOLE

    def __init__(
        self,
        handle: Handle,
        *,
        user: str,
        stdin: TextIO,
        stdout: TextIO,
        files_dir: Path,
    ) -> None:
        self.handle = handle
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.files_dir = files_dir
        self.interactive = stdin.isatty()
        self._ansi = stdout.isatty()
        self._buttons: list[Button] = []

    async def run(self) -> None:
        """Converse until end of input (or Ctrl-D / Ctrl-C in a terminal)."""
        while True:
            self._write(PROMPT, newline=False)
            line = await self._read_line()
            if not line:
                self._write("")
                return
            line = line.rstrip("\r\n")
            if not self.interactive:
                self._write(line)  # a terminal echoes what was typed; a pipe does not
            replies = await self.handle(self._incoming(line))
            self._buttons = []
            for reply in replies:
                await self.send(self.user, reply)

    async def _read_line(self) -> str:
        """Read in a daemon thread, so that Ctrl-C never waits for a line that is not coming."""
        loop = asyncio.get_running_loop()
        line: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            try:
                text = self.stdin.readline()
            except Exception as exc:
                loop.call_soon_threadsafe(line.set_exception, exc)
            else:
                loop.call_soon_threadsafe(line.set_result, text)

        threading.Thread(target=read, name="console-input", daemon=True).start()
        return await line

    def _incoming(self, line: str) -> Incoming:
        pressed = self._button_for(line)
        if pressed is not None:
            return Incoming.pressed(self.platform, self.user, self.user, pressed.value)
        sent = _file_at(line)
        if sent is not None:
            return Incoming(self.platform, self.user, self.user, files=(sent,))
        return Incoming.typed(self.platform, self.user, self.user, line)

    def _button_for(self, line: str) -> Button | None:
        typed = line.strip()
        if typed.isdigit() and 1 <= int(typed) <= len(self._buttons):
            return self._buttons[int(typed) - 1]
        return next((b for b in self._buttons if fold(b.label) == fold(typed) and typed), None)

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Print one reply: its text, its numbered buttons and where its files were saved."""
        lines = [render(reply.text, ansi=self._ansi)]
        for button in reply.buttons:
            self._buttons.append(button)
            lines.append(f"[{len(self._buttons)}] {button.label}")
        lines.extend(f"📎 {self._save(file)}" for file in reply.attachments)
        self._write("\n".join(lines) + "\n")

    def _save(self, attachment: Attachment) -> Path:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / Path(attachment.filename).name
        counter = 1
        while path.exists():
            counter += 1
            path = self.files_dir / f"{Path(attachment.filename).stem}-{counter}{path.suffix}"
        path.write_bytes(attachment.data)
        return path

    def _write(self, text: str, *, newline: bool = True) -> None:
        self.stdout.write(text + ("\n" if newline else ""))
        self.stdout.flush()


def _file_at(line: str) -> IncomingFile | None:
    """``@chemin/du/fichier.pdf`` sends that file, as attaching it would on a chat platform."""
    if not line.startswith(FILE_PREFIX):
        return None
    path = Path(line.removeprefix(FILE_PREFIX).strip()).expanduser()
    if not path.is_file():
        return None
    return IncomingFile(
        path.name,
        mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        path.stat().st_size,
        partial(asyncio.to_thread, path.read_bytes),
    )
