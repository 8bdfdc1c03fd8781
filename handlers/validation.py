"""Checks on what people type or send, shared by every flow that asks for free text or a file."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.conversation import Context, Retry
from bot.messages import IncomingFile, Reply

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Cleaned:
    value: str


def clean_line(context: Context, raw: str, *, max_length: int) -> Cleaned | Retry:
    """A one-line answer with whitespace collapsed, or the reason it cannot be used."""
    value = " ".join("".join(ch for ch in raw if ch.isprintable() or ch.isspace()).split())
    if not value:
        return Retry(context.say("errors.empty_answer"))
    if len(value) > max_length:
        return Retry(context.say("errors.too_long", length=len(value), maximum=max_length))
    if not any(ch.isalnum() for ch in value):
        return Retry(context.say("errors.no_letters"))
    return Cleaned(value)


async def fetch_file(
    context: Context, file: IncomingFile, *, maximum: int, too_big: str, failed: str
) -> bytes | Reply:
    """The file's bytes, fetched from the platform only now, at most ``maximum`` bytes (checked
    on the size announced, then on what came); else the text of ``too_big`` or ``failed``."""
    megabytes = maximum // 1_000_000
    if file.size is not None and file.size > maximum:
        return context.say(too_big, maximum=megabytes)
    try:
        data = await file.fetch()
    except Exception:
        logger.warning("could not fetch %s", file.filename, exc_info=True)
        return context.say(failed)
    if len(data) > maximum:
        return context.say(too_big, maximum=megabytes)
    return data
