"""Logging as the settings ask: text lines, or JSON lines for a log collector, never a secret.

Kept light (the standard library only): ``rse-bot --help`` imports it.

No secret: every secret of the settings (tokens, signing secret, SMTP and database passwords) is
masked in every line, whatever library put it in a message or an exception. No person's text:
our own log calls name accounts and rows by id, never what someone wrote; the libraries that log
requests and their bodies (message texts, tokens in URLs, query parameters) are kept at WARNING,
and the engine hides SQL parameters from its errors (bot/storage/database.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from bot.config import Settings

# Never below WARNING: these log request URLs and headers, where Telegram puts the bot token,
# (python-telegram-bot, slack_sdk) every request's parameters, a message's text among them, or
# (aiosqlite) every query's parameters, calendar feed tokens among them.
SECRET_LOGGERS = ("httpx", "httpcore", "slack_sdk", "slack_bolt", "aiosqlite", "telegram")
MASK = "(masqué)"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold, the passwords inside URLs too, longest first (a
    secret holding another is masked whole)."""
    # Every SecretStr field, those added later too.
    found = [
        value.get_secret_value()
        for name in type(settings).model_fields
        if hasattr(value := getattr(settings, name), "get_secret_value")
    ]
    for url in (*found, settings.database_url):
        try:
            password = urlsplit(url).password
        except ValueError:
            continue
        if password:
            found += [password, unquote(password)]
    # Shorter ones would mask pieces of ordinary words.
    return sorted({secret for secret in found if len(secret) >= 4}, key=len, reverse=True)


def masker(secrets: Iterable[str]) -> Callable[[str], str]:
    """A function masking each of ``secrets`` in a text."""
    ordered = tuple(secrets)

    def mask(text: str) -> str:
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    return mask


class TextFormatter(logging.Formatter):
    """The usual text line, secrets masked."""

    def __init__(self, mask: Callable[[str], str]) -> None:
        super().__init__(TEXT_FORMAT)
        self._mask = mask

    def format(self, record: logging.LogRecord) -> str:
        return self._mask(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message and, when there is
    one, exception (its traceback as text); secrets masked in each."""

    def __init__(self, mask: Callable[[str], str]) -> None:
        super().__init__()
        self._mask = mask

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._mask(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self._mask(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self._mask(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Standard error at RSEBOT_LOG_LEVEL, in RSEBOT_LOG_FORMAT; the chatty libraries capped."""
    mask = masker(secrets_of(settings))
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(mask) if settings.log_format == "json" else TextFormatter(mask)
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    for chatty in SECRET_LOGGERS:
        logging.getLogger(chatty).setLevel(
            max(logging.WARNING, logging.getLevelName(settings.log_level))
        )
    # Two lines a minute for the veille-editions job otherwise; the jobs log what they did.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
