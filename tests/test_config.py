import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings
from tests.helpers.cli import rse_bot


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No RSEBOT_ variable and an empty current folder, so only what a test sets is read."""
    for name in list(os.environ):
        if name.startswith("RSEBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_are_a_local_sqlite_file_in_french_at_paris_time() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./rse-bot.db"
    assert settings.locale == "fr"
    assert settings.timezone == "Europe/Paris"
    assert settings.tz == ZoneInfo("Europe/Paris")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RSEBOT_LOCALE", "en")
    monkeypatch.setenv("RSEBOT_TIMEZONE", "America/Martinique")
    monkeypatch.setenv("RSEBOT_DEFAULT_POLE_NAME", "Cluster Bio AURA")
    monkeypatch.setenv("RSEBOT_LOG_LEVEL", "info")
    settings = load_settings()
    assert settings.locale == "en"
    assert settings.tz == ZoneInfo("America/Martinique")
    assert settings.default_pole_name == "Cluster Bio AURA"
    assert settings.log_level == "INFO"


def test_dotenv_file_in_the_current_folder_is_read(bare_environment: Path) -> None:
    (bare_environment / ".env").write_text(
        "RSEBOT_LOCALE=en\nRSEBOT_DEFAULT_POLE_NAME=Pôle Végétal Anjou\n", encoding="utf-8"
    )
    settings = load_settings()
    assert settings.locale == "en"
    assert settings.default_pole_name == "Pôle Végétal Anjou"


def test_environment_wins_over_dotenv_file(
    bare_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (bare_environment / ".env").write_text("RSEBOT_LOCALE=en\n", encoding="utf-8")
    monkeypatch.setenv("RSEBOT_LOCALE", "fr")
    assert load_settings().locale == "fr"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///data/rse-bot.db", "sqlite+aiosqlite:///data/rse-bot.db"),
        (
            "postgresql://rsebot@db.pole-rse.fr:5432/rsebot",
            "postgresql+asyncpg://rsebot@db.pole-rse.fr:5432/rsebot",
        ),
        ("postgres://rsebot@localhost/rsebot", "postgresql+asyncpg://rsebot@localhost/rsebot"),
        ("sqlite+aiosqlite:///rse-bot.db", "sqlite+aiosqlite:///rse-bot.db"),
    ],
)
def test_database_urls_get_the_async_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("RSEBOT_DATABASE_URL", given)
    assert load_settings().database_url == used


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RSEBOT_LOCALE", "de"),
        ("RSEBOT_TIMEZONE", "Europe/Lyon"),
        ("RSEBOT_TIMEZONE", "Europe/Paris\nEurope/Lyon"),
        ("RSEBOT_DATABASE_URL", "mysql://rsebot@localhost/rsebot"),
        ("RSEBOT_DATABASE_URL", "rse-bot.db"),
        ("RSEBOT_LOG_FORMAT", "xml"),
        ("RSEBOT_METRICS", "peut-être"),
    ],
)
def test_bad_value_is_reported_in_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"{variable}=")
    assert "\n" not in message


def test_bad_database_url_is_reported_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RSEBOT_DATABASE_URL", "mysql://rsebot:Tr3s-s3cret@db.pole-rse.fr/rsebot")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "RSEBOT_DATABASE_URL" in str(raised.value)
    assert "Tr3s-s3cret" not in str(raised.value)


def test_cli_stops_on_a_bad_value_with_one_line_and_exit_code_2(bare_environment: Path) -> None:
    database = bare_environment / "rse-bot.db"
    done = rse_bot(bare_environment, "db", "upgrade", env={"RSEBOT_LOCALE": "de"})
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "RSEBOT_LOCALE" in lines[0]
    assert not database.exists()


def test_mail_settings_give_the_address_of_the_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RSEBOT_SMTP_URL", "smtp://club-rse:Mont%40Blanc74@smtp.pole-rse.fr:587")
    monkeypatch.setenv("RSEBOT_MAIL_FROM", "Pôle Mont-Blanc Industries <club-rse@pole-rse.fr>")
    settings = load_settings()
    assert settings.mail_enabled
    assert settings.mail_address == "club-rse@pole-rse.fr"
    assert "Mont%40Blanc74" not in repr(settings)


def test_an_smtp_url_without_a_sender_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RSEBOT_SMTP_URL", "smtp://club-rse@smtp.pole-rse.fr:587")
    with pytest.raises(ConfigError, match="RSEBOT_SMTP_URL et RSEBOT_MAIL_FROM vont ensemble"):
        load_settings()


def test_a_bad_smtp_url_is_reported_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RSEBOT_SMTP_URL", "imap://club-rse:Mont%40Blanc74@mail.pole-rse.fr")
    monkeypatch.setenv("RSEBOT_MAIL_FROM", "club-rse@pole-rse.fr")
    with pytest.raises(ConfigError, match=r"^RSEBOT_SMTP_URL=") as raised:
        load_settings()
    assert "Mont" not in str(raised.value)


def test_the_public_url_loses_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RSEBOT_PUBLIC_URL", "https://rse.pole-rse.fr/")
    assert load_settings().public_url == "https://rse.pole-rse.fr"


def _slack_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RSEBOT_SLACK_CLIENT_ID", "4821.7730")
    monkeypatch.setenv("RSEBOT_SLACK_CLIENT_SECRET", "9f2c-client-secret")
    monkeypatch.setenv("RSEBOT_SLACK_SIGNING_SECRET", "a1b2-signing-secret")
    monkeypatch.setenv("RSEBOT_PUBLIC_URL", "https://rse.cluster-bio.fr")


def test_slack_oauth_serves_slack_without_a_bot_token(monkeypatch: pytest.MonkeyPatch) -> None:
    _slack_oauth(monkeypatch)
    settings = load_settings()
    assert settings.slack_oauth and settings.slack_enabled
    assert settings.slack_bot_token is None


def test_a_slack_client_id_without_its_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _slack_oauth(monkeypatch)
    monkeypatch.delenv("RSEBOT_SLACK_CLIENT_SECRET")
    with pytest.raises(ConfigError, match="RSEBOT_SLACK_CLIENT_ID et RSEBOT_SLACK_CLIENT_SECRET"):
        load_settings()


def test_slack_oauth_and_a_bot_token_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _slack_oauth(monkeypatch)
    monkeypatch.setenv("RSEBOT_SLACK_BOT_TOKEN", "xoxb-1-secret")
    with pytest.raises(ConfigError, match="pas les deux") as refused:
        load_settings()
    assert "xoxb-1-secret" not in str(refused.value)


def test_slack_oauth_needs_the_public_url_slack_returns_to(monkeypatch: pytest.MonkeyPatch) -> None:
    _slack_oauth(monkeypatch)
    monkeypatch.delenv("RSEBOT_PUBLIC_URL")
    with pytest.raises(ConfigError, match="RSEBOT_PUBLIC_URL manquant"):
        load_settings()


def test_slack_oauth_is_not_served_through_socket_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    _slack_oauth(monkeypatch)
    monkeypatch.setenv("RSEBOT_SLACK_APP_TOKEN", "xapp-1-secret")
    with pytest.raises(ConfigError, match="Socket Mode"):
        load_settings()
