"""Logs as JSON lines (RSEBOT_LOG_FORMAT=json): each line one object a collector can read, and
neither a secret nor what people wrote in any of them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.app import App
from bot.config import Settings
from bot.logs import JsonFormatter, configure_logging, masker, secrets_of
from tests.helpers.cli import rse_bot

TOKEN = "7312:AAE-jeton-telegram-de-test"
SLACK_TOKEN = "xoxb-jeton-1"
SMTP_PASSWORD = "mot-de-passe-smtp"
SIGN_UP = ["/start", "1", "Claire Martin", "Scop Les Tisserands", "1", "1"]
WORDS = "Nous voulons réduire nos déchets textiles de 30 % cette année"


def parsed(stderr: str) -> list[dict[str, str]]:
    """Each line of standard error as a JSON object (a line that is not one fails)."""
    return [json.loads(found) for found in stderr.splitlines()]


def test_a_chat_logs_json_lines_without_the_token_or_the_member_s_words(tmp_path: Path) -> None:
    done = rse_bot(
        tmp_path,
        "chat",
        "--user",
        "claire",
        env={
            "RSEBOT_LOG_FORMAT": "json",
            "RSEBOT_LOG_LEVEL": "DEBUG",
            "RSEBOT_TELEGRAM_TOKEN": TOKEN,
            "RSEBOT_SLACK_BOT_TOKEN": SLACK_TOKEN,
            "RSEBOT_SLACK_SIGNING_SECRET": "secret-de-signature-slack",
        },
        lines=[*SIGN_UP, WORDS],
    )

    assert "bienvenue Claire Martin" in done.stdout, done.stdout + done.stderr
    entries = parsed(done.stderr)
    assert entries, "DEBUG logs something"
    for entry in entries:
        assert set(entry) >= {"time", "level", "logger", "message"}
        assert entry["time"].endswith("+00:00")
    for hidden in (TOKEN, SLACK_TOKEN, "secret-de-signature-slack", WORDS, "Claire Martin"):
        assert hidden not in done.stderr


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """The lines RSEBOT_LOG_FORMAT=json writes, with a bot token and an SMTP password set."""
    configured = Settings(
        _env_file=None,  # type: ignore[call-arg]
        log_format="json",
        telegram_token=TOKEN,
        smtp_url=f"smtp://club-rse:{SMTP_PASSWORD}@smtp.example.org:587",
        mail_from="Pôle RSE <club-rse@example.org>",
    )
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    handler.setFormatter(JsonFormatter(masker(secrets_of(configured))))
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_a_secret_in_an_error_is_masked_in_the_message_and_the_traceback(
    logged: list[str],
) -> None:
    logger = logging.getLogger("tests.logs")
    try:
        # What python-telegram-bot raises on a refused token.
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        logger.exception("Telegram: start failed (%s)", f"smtp password {SMTP_PASSWORD}")

    (line,) = logged
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "tests.logs"
    assert entry["message"] == "Telegram: start failed (smtp password (masqué))"
    assert "RuntimeError: The token `(masqué)` was rejected" in entry["exception"]
    assert TOKEN not in line and SMTP_PASSWORD not in line


async def test_a_database_error_leaves_out_the_values_people_gave(app: App) -> None:
    with pytest.raises(IntegrityError) as refused:
        async with app.database.transaction() as session:
            # The default pôle has id 1 already.
            await session.execute(
                text("INSERT INTO poles (id, name) VALUES (:id, :name)"),
                {"id": 1, "name": WORDS},
            )

    assert WORDS not in str(refused.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(refused.value)


def test_the_libraries_logging_requests_stay_at_warning(settings: Settings) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        configure_logging(settings.model_copy(update={"log_level": "DEBUG", "log_format": "json"}))
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        for name in ("telegram", "httpx", "slack_sdk", "aiosqlite"):
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name in ("telegram", "httpx", "httpcore", "slack_sdk", "slack_bolt", "aiosqlite"):
            logging.getLogger(name).setLevel(logging.NOTSET)
