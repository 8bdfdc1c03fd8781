"""Settings read from the environment (``RSEBOT_*``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
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
    default_pole_name: str = Field(default="Pôle RSE", min_length=1, max_length=120)
    files_dir: Path = Path("rse-bot-fichiers")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

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
        field = str(error["loc"][0]) if error["loc"] else "?"
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
    if any(word in field for word in ("token", "secret", "password")):
        return "(masqué)"
    if field == "database_url" and isinstance(value, str):
        try:
            return repr(make_url(value).render_as_string(hide_password=True))
        except ArgumentError:
            return "(illisible)"
    return repr(value)
