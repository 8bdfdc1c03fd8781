"""Settings read from the environment (``RSEBOT_*``) and an optional ``.env`` file."""

from __future__ import annotations

import re
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "RSEBOT_"


class ConfigError(Exception):
    """A setting has a value the program cannot use; the message is one line for the operator."""


def normalize_database_url(url: str) -> str:
    """Give a plain ``sqlite://`` or ``postgresql://`` URL the async driver the bot runs on."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url.removeprefix(plain)
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./rse-bot.db"
    locale: Literal["fr", "en"] = "fr"
    timezone: str = "Europe/Paris"
    # A recurring job missed while the bot was down runs once at restart if this recent.
    misfire_grace_hours: float = Field(default=6, gt=0)
    default_pole_name: str = Field(default="Pôle RSE", min_length=1, max_length=120)
    files_dir: Path = Path("rse-bot-fichiers")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # "json": one JSON object a line (time, level, logger, message, exception), for a log
    # collector; the text of people's messages is never in it (bot/logs.py).
    log_format: Literal["text", "json"] = "text"
    # GET /metrics on the HTTP server, in Prometheus' format; the server then runs even when
    # nothing else needs it (long polling, Socket Mode).
    metrics: bool = False

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_max_per_second: float = Field(default=30.0, gt=0, le=1000)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Several pôles, each with its own workspace: the app is installed in each through Slack's
    # OAuth (/slack/install), instead of one workspace's bot token.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None

    http_host: str = "0.0.0.0"
    http_port: int = Field(default=8080, ge=1, le=65535)
    # The address this bot's HTTP server is reached at from outside (https://bot.example.org):
    # members' calendar feeds are served under it.
    public_url: str | None = None

    # Calendar invitations by e-mail: smtp://user:password@host:port (STARTTLS when offered) or
    # smtps://… (TLS from the start); a secret, for the password it holds. The sender is the
    # pôle's address (« Pôle RSE <club@example.org> »), which calendars check before applying
    # an update or a cancellation.
    smtp_url: SecretStr | None = None
    mail_from: str | None = None

    # Fewest companies behind any figure shown about other companies (a mean, a count per
    # level): under it the figure is hidden. Not 1: that would show one company's own score.
    min_group_size: int = Field(default=5, ge=2)

    # How long a message being sent stays reserved to its worker without news from it: after
    # a crash, what it was sending goes out again this much later.
    outbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Items of one theme an edition of the watch digest shows at most.
    digest_per_theme: int = Field(default=5, ge=1, le=50)
    # Feeds on loopback, private or link-local addresses (an intranet's): refused unless set,
    # so that a feed address cannot make the bot fetch what only its own network sees.
    feeds_allow_private: bool = False

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_signing_secret is not None and (
            self.slack_bot_token is not None or self.slack_oauth
        )

    @property
    def slack_oauth(self) -> bool:
        """Workspaces install the app themselves (one per pôle), rather than one bot token."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def mail_enabled(self) -> bool:
        return self.smtp_url is not None and self.mail_from is not None

    @property
    def mail_address(self) -> str | None:
        """The bare address of RSEBOT_MAIL_FROM (« club@example.org »), None without it."""
        return parseaddr(self.mail_from)[1] if self.mail_from else None

    @field_validator("telegram_api_url", "slack_api_url", "telegram_webhook_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("attendu une adresse http:// ou https://")
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        # Joined with "/agenda/…": « https://bot.example.org/ » must not give « //agenda ».
        return value.rstrip("/") if value else None

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("attendu smtp://utilisateur:mot-de-passe@hôte:port ou smtps://…")
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _, address = parseaddr(value)
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise ValueError("attendu une adresse e-mail (exemple : Pôle RSE <club@example.org>)")
        return value.strip()

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram only accepts 1-256 characters among A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("1 à 256 caractères parmi A-Z, a-z, 0-9, _ et -")
        return value

    @model_validator(mode="after")
    def _complete_pairs(self) -> Settings:
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise ValueError(
                "RSEBOT_TELEGRAM_WEBHOOK_SECRET manquant : obligatoire avec "
                "RSEBOT_TELEGRAM_WEBHOOK_URL"
            )
        if self.slack_bot_token is not None and self.slack_signing_secret is None:
            raise ValueError(
                "RSEBOT_SLACK_SIGNING_SECRET manquant : obligatoire avec RSEBOT_SLACK_BOT_TOKEN"
            )
        if (self.smtp_url is None) != (self.mail_from is None):
            raise ValueError(
                "RSEBOT_SMTP_URL et RSEBOT_MAIL_FROM vont ensemble : donnez les deux, ou aucun"
            )
        self._check_slack_oauth()
        if self.slack_app_token is not None and self.slack_bot_token is None:
            raise ValueError(
                "RSEBOT_SLACK_BOT_TOKEN manquant : obligatoire avec RSEBOT_SLACK_APP_TOKEN"
            )
        return self

    def _check_slack_oauth(self) -> None:
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            raise ValueError(
                "RSEBOT_SLACK_CLIENT_ID et RSEBOT_SLACK_CLIENT_SECRET vont ensemble : donnez "
                "les deux, ou aucun"
            )
        if not self.slack_oauth:
            return
        if self.slack_bot_token is not None:
            raise ValueError(
                "RSEBOT_SLACK_BOT_TOKEN ou RSEBOT_SLACK_CLIENT_ID/SECRET, pas les deux : un jeton "
                "pour un seul espace de travail, ou l'installation OAuth pour un espace par pôle"
            )
        if self.slack_app_token is not None:
            raise ValueError(
                "RSEBOT_SLACK_APP_TOKEN (Socket Mode) sert un seul espace de travail : avec "
                "RSEBOT_SLACK_CLIENT_ID, Slack envoie les événements en HTTP à RSEBOT_PUBLIC_URL"
            )
        if self.slack_signing_secret is None:
            raise ValueError(
                "RSEBOT_SLACK_SIGNING_SECRET manquant : obligatoire avec RSEBOT_SLACK_CLIENT_ID"
            )
        if self.public_url is None:
            # Slack sends the installing admin back to RSEBOT_PUBLIC_URL/slack/oauth_redirect.
            raise ValueError(
                "RSEBOT_PUBLIC_URL manquant : obligatoire avec RSEBOT_SLACK_CLIENT_ID (l'adresse "
                "où Slack renvoie après l'installation)"
            )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        url = normalize_database_url(value.strip())
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("attendu sqlite:///fichier.db ou postgresql://utilisateur@hôte/base")
        return url

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("fuseau horaire inconnu (exemple : Europe/Paris)") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation error into one line that names the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        if not error["loc"]:
            # A rule across several variables: its message names them.
            raise ConfigError(str(error["msg"]).removeprefix("Value error, ")) from None
        field = str(error["loc"][0])
        variable = ENV_PREFIX + field.upper()
        value = _shown(field, error.get("input"))
        reason = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "literal_error":
            reason = "valeurs permises : " + str(error.get("ctx", {}).get("expected", "")).replace(
                " or ", " ou "
            )
        raise ConfigError(f"{variable}={value} invalide : {reason}") from None


def _shown(field: str, value: object) -> str:
    """The bad value as it may be printed: secrets never, database passwords masked."""
    # The SMTP URL holds the mail account's password.
    if any(word in field for word in ("token", "secret", "password", "smtp_url")):
        return "(masqué)"
    if field == "database_url" and isinstance(value, str):
        try:
            return repr(make_url(value).render_as_string(hide_password=True))
        except ArgumentError:
            return "(illisible)"
    return repr(value)
