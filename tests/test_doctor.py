"""``rse-bot doctor`` as an operator runs it before going live, against the fake Telegram, Slack
and SMTP servers and the bot's own HTTP server: one line per check, the exit status a pipeline
reads, and never a secret."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.database import Database, upgrade
from bot.storage.models import Campaign, Feed
from bot.transports.http import HttpServer
from tests.helpers.cli import CliRun, run_rse_bot
from tests.helpers.fake_slack import FakeSlack, Workspace
from tests.helpers.fake_smtp import FakeSmtp
from tests.helpers.fake_telegram import FakeTelegram

SMTP_LOGIN = ("club-rse", "mot-de-passe-smtp")
WEBHOOK = "https://rse.example.org/telegram"
WEBHOOK_SECRET = "secret-du-webhook"


@dataclass
class Installation:
    """A migrated database and every outside server a full configuration talks to."""

    workdir: Path
    telegram: FakeTelegram
    slack: FakeSlack
    smtp: FakeSmtp
    public: HttpServer
    # Each pôle's workspace installs the app (OAuth), instead of one workspace's tokens.
    slack_oauth: bool = False

    @property
    def env(self) -> dict[str, str]:
        slack = (
            {
                "RSEBOT_SLACK_CLIENT_ID": self.slack.client_id,
                "RSEBOT_SLACK_CLIENT_SECRET": self.slack.client_secret,
            }
            if self.slack_oauth
            else {
                "RSEBOT_SLACK_BOT_TOKEN": self.slack.bot_token,
                "RSEBOT_SLACK_APP_TOKEN": self.slack.app_token,
            }
        )
        return slack | {
            "RSEBOT_TELEGRAM_TOKEN": self.telegram.token,
            "RSEBOT_TELEGRAM_API_URL": self.telegram.base_url,
            "RSEBOT_SLACK_SIGNING_SECRET": self.slack.signing_secret,
            "RSEBOT_SLACK_API_URL": self.slack.api_url,
            "RSEBOT_PUBLIC_URL": f"http://127.0.0.1:{self.public.port}",
            "RSEBOT_SMTP_URL": self.smtp.url,
            "RSEBOT_MAIL_FROM": "Pôle RSE <club-rse@example.org>",
        }

    @property
    def secrets(self) -> list[str]:
        return [
            self.telegram.token,
            self.slack.bot_token,
            self.slack.signing_secret,
            self.slack.app_token,
            self.slack.client_secret,
            SMTP_LOGIN[1],
            WEBHOOK_SECRET,
        ]

    async def doctor(self, *, database_url: str | None = None, **env: str) -> CliRun:
        done = await run_rse_bot(
            self.workdir, "doctor", database_url=database_url, env=self.env | env
        )
        assert "Traceback" not in done.stderr, done.stderr
        for secret in self.secrets:
            assert secret not in done.stdout + done.stderr
        return done


@pytest.fixture
async def installation(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Installation]:
    shutil.copyfile(migrated_sqlite, tmp_path / "rse-bot.db")
    public = HttpServer("127.0.0.1", 0)
    await public.start()
    try:
        async with (
            FakeTelegram() as telegram,
            FakeSlack() as slack,
            FakeSmtp(login=SMTP_LOGIN) as smtp,
        ):
            yield Installation(tmp_path, telegram, slack, smtp, public)
    finally:
        await public.stop()


def line(done: CliRun, label: str) -> str:
    """The line of the check named ``label``, with its advice line if any."""
    lines = done.stdout.splitlines()
    for number, found in enumerate(lines):
        if found[2:].startswith(f"{label} :"):
            advice = lines[number + 1] if number + 1 < len(lines) else ""
            return found + ("\n" + advice if advice.startswith("    → ") else "")
    raise AssertionError(f"no line {label!r} in:\n{done.stdout}")


async def test_a_good_configuration_passes_every_check(installation: Installation) -> None:
    done = await installation.doctor()

    assert done.returncode == 0, done.stdout
    checks = [found for found in done.stdout.splitlines() if not found.startswith("    ")]
    assert all(found[0] == "✓" for found in checks[:-1]), done.stdout
    assert checks[-1] == "Tout est prêt."
    assert line(done, "Base de données").endswith("schéma à jour (révision 0021)")
    assert line(done, "Telegram") == "✓ Telegram : jeton valide, bot @rse_test_bot"
    assert line(done, "Webhook Telegram").startswith("✓ Webhook Telegram : aucun")
    assert "espace « Test »" in line(done, "Slack")
    assert line(done, "Slack Socket Mode").startswith("✓")
    assert line(done, "Adresse publique").endswith("/healthz répond")
    assert "connecté en tant que club-rse" in line(done, "SMTP")
    assert line(done, "Fuseau horaire").startswith("✓ Fuseau horaire : Europe/Paris (UTC+0")


async def test_a_bad_telegram_token_fails_without_being_printed(
    installation: Installation,
) -> None:
    done = await installation.doctor(RSEBOT_TELEGRAM_TOKEN="4242:revoked-token-xyz")

    assert done.returncode == 1
    assert line(done, "Telegram") == (
        "✗ Telegram : jeton refusé par Telegram\n"
        "    → vérifiez RSEBOT_TELEGRAM_TOKEN (@BotFather, /mybots → API Token)"
    )
    assert "revoked-token-xyz" not in done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "1 problème à corriger."


async def test_a_webhook_set_elsewhere_fails(installation: Installation) -> None:
    installation.telegram.webhook = {
        "url": "https://ancien-serveur.example.org/hook",
        "secret_token": None,
        "allowed_updates": None,
    }

    done = await installation.doctor(
        RSEBOT_TELEGRAM_WEBHOOK_URL=WEBHOOK, RSEBOT_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET
    )

    assert done.returncode == 1
    assert line(done, "Webhook Telegram").startswith(
        "✗ Webhook Telegram : Telegram envoie les messages à "
        f"https://ancien-serveur.example.org/hook, pas à {WEBHOOK}\n"
        "    → une autre installation utilise-t-elle ce jeton ?"
    )


async def test_a_webhook_left_while_polling_fails(installation: Installation) -> None:
    installation.telegram.webhook = {"url": WEBHOOK, "secret_token": None, "allowed_updates": None}

    done = await installation.doctor()

    assert done.returncode == 1
    assert line(done, "Webhook Telegram").startswith(
        f"✗ Webhook Telegram : Telegram envoie les messages à {WEBHOOK}, alors que ce bot les "
        "attend en longue attente (polling)"
    )


async def test_the_webhook_configured_and_registered_passes(installation: Installation) -> None:
    installation.telegram.webhook = {"url": WEBHOOK, "secret_token": None, "allowed_updates": None}

    done = await installation.doctor(
        RSEBOT_TELEGRAM_WEBHOOK_URL=WEBHOOK, RSEBOT_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET
    )

    assert done.returncode == 0, done.stdout
    assert (
        line(done, "Webhook Telegram")
        == f"✓ Webhook Telegram : {WEBHOOK}, en attente chez Telegram : 0"
    )


async def test_a_webhook_telegram_cannot_reach_fails_with_telegram_s_reason(
    installation: Installation,
) -> None:
    installation.telegram.webhook = {"url": WEBHOOK, "secret_token": None, "allowed_updates": None}
    installation.telegram.webhook_error = "Connection timed out"
    installation.telegram.user_says(5001, "/start")

    done = await installation.doctor(
        RSEBOT_TELEGRAM_WEBHOOK_URL=WEBHOOK, RSEBOT_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET
    )

    assert done.returncode == 1
    assert line(done, "Webhook Telegram") == (
        f"✗ Webhook Telegram : {WEBHOOK} enregistré, mais Telegram n'arrive pas à le joindre : "
        "Connection timed out (en attente chez Telegram : 1)\n"
        "    → vérifiez le proxy HTTPS (certificat, redirection vers RSEBOT_HTTP_PORT)"
    )


async def test_an_unreachable_database_fails_and_hides_its_password(
    installation: Installation,
) -> None:
    done = await installation.doctor(
        database_url="postgresql://rsebot:mdp-base-5432@127.0.0.1:1/rsebot"
    )

    assert done.returncode == 1
    found = line(done, "Base de données")
    assert found.startswith(
        "✗ Base de données : injoignable (postgresql+asyncpg://rsebot:***@127.0.0.1:1/rsebot)"
    )
    assert "→ vérifiez RSEBOT_DATABASE_URL, que le serveur tourne" in found
    assert "mdp-base-5432" not in done.stdout + done.stderr
    # The checks reading the database are not attempted; the others still are.
    assert "File d'envoi" not in done.stdout
    assert line(done, "Telegram").startswith("✓")


async def test_a_missing_sqlite_file_fails_and_is_not_created(installation: Installation) -> None:
    missing = installation.workdir / "ailleurs" / "rse-bot.db"
    (installation.workdir / "ailleurs").mkdir()

    done = await installation.doctor(database_url=f"sqlite:///{missing}")

    assert done.returncode == 1
    assert line(done, "Base de données") == (
        f"✗ Base de données : fichier {missing} absent\n"
        "    → vérifiez RSEBOT_DATABASE_URL, ou créez la base : rse-bot db upgrade"
    )
    assert not missing.exists()


async def test_a_database_behind_this_version_asks_for_the_migrations(
    installation: Installation,
) -> None:
    older = installation.workdir / "ancienne.db"
    database = Database(f"sqlite+aiosqlite:///{older}")
    try:
        await upgrade(database, "0020")
    finally:
        await database.dispose()

    done = await installation.doctor(database_url=f"sqlite:///{older}")

    assert done.returncode == 1
    assert line(done, "Base de données") == (
        "✗ Base de données : schéma en retard (révision 0020, attendue 0021)\n"
        "    → appliquez les migrations : rse-bot db upgrade (le bot le fait aussi au démarrage)"
    )


async def test_a_bad_slack_token_fails(installation: Installation) -> None:
    done = await installation.doctor(RSEBOT_SLACK_BOT_TOKEN="xoxb-revoked-1")

    assert done.returncode == 1
    assert line(done, "Slack").startswith("✗ Slack : jeton refusé par Slack (invalid_auth)")
    assert "xoxb-revoked-1" not in done.stdout


async def test_a_bad_socket_mode_token_fails(installation: Installation) -> None:
    done = await installation.doctor(RSEBOT_SLACK_APP_TOKEN="xapp-revoked-token")

    assert done.returncode == 1
    assert line(done, "Slack Socket Mode").startswith(
        "✗ Slack Socket Mode : jeton d'application refusé par Slack (invalid_auth)"
    )


async def test_a_refused_smtp_login_fails(installation: Installation) -> None:
    port = installation.smtp.port
    done = await installation.doctor(
        RSEBOT_SMTP_URL=f"smtp://club-rse:mauvais-mot-de-passe@127.0.0.1:{port}"
    )

    assert done.returncode == 1
    assert line(done, "SMTP").startswith(f"✗ SMTP : 127.0.0.1:{port} refuse l'identifiant (535)")
    assert "mauvais-mot-de-passe" not in done.stdout


async def test_an_unreachable_public_address_fails(installation: Installation) -> None:
    await installation.public.stop()

    done = await installation.doctor()

    assert done.returncode == 1
    assert line(done, "Adresse publique").startswith(
        f"✗ Adresse publique : http://127.0.0.1:{installation.public.port}/healthz injoignable"
    )


@pytest.fixture
async def app_on_the_file(installation: Installation) -> AsyncIterator[App]:
    url = f"sqlite+aiosqlite:///{installation.workdir / 'rse-bot.db'}"
    app = await App.start(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        yield app
    finally:
        await app.close()


async def test_a_feed_failing_for_a_week_is_a_warning_naming_it(
    installation: Installation, app_on_the_file: App
) -> None:
    async with app_on_the_file.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        session.add(
            Feed(
                pole_id=pole.id,
                url="https://www.actu-environnement.example/flux.xml",
                failures=12,
                last_error="HTTP 404",
                created_at=datetime.now(UTC) - timedelta(days=10),
            )
        )

    done = await installation.doctor()

    assert done.returncode == 0, done.stdout
    assert line(done, "Flux de veille") == (
        "⚠ Flux de veille : 1 en échec depuis une semaine ou plus : « Pôle RSE » "
        "https://www.actu-environnement.example/flux.xml (HTTP 404)\n"
        "    → les animateurs du pôle corrigent ou retirent le flux (/veille sources, "
        "/veille retirer)"
    )


async def test_the_outbox_backlog_is_counted(
    installation: Installation, app_on_the_file: App
) -> None:
    async with app_on_the_file.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        await enqueue(
            session,
            campaign=Campaign(pole_id=pole.id, kind="broadcast", audience="all", text="AG"),
            recipients=[
                Recipient(Platform.TELEGRAM, "5001"),
                Recipient(Platform.TELEGRAM, "5002"),
                Recipient(Platform.TELEGRAM, "5003", unreachable="bot bloqué"),
            ],
        )

    done = await installation.doctor()

    assert line(done, "File d'envoi") == (
        "✓ File d'envoi : 2 à envoyer, 0 envoyés, 0 en échec, 1 destinataires injoignables ; "
        "le plus ancien attend depuis 0 min"
    )


async def test_each_workspace_installed_through_oauth_gets_its_line(
    installation: Installation, app_on_the_file: App
) -> None:
    installation.slack_oauth = True
    installation.slack.workspaces["T0BIO"] = Workspace(
        "T0BIO", "Cluster Bio", "xoxb-t0bio-1", "UBOT1", "BBOT1"
    )
    async with app_on_the_file.database.transaction() as session:
        default = await repo.default_pole(session)
        assert default is not None and default.id is not None
        bio = await repo.create_pole(session, name="Cluster Bio AURA")
        assert bio.id is not None
        for pole_id, team, name, token in (
            (bio.id, "T0BIO", "Cluster Bio", "xoxb-t0bio-1"),
            (default.id, "T0OLD", "Ancien espace", "xoxb-revoked-1"),
        ):
            await repo.save_slack_installation(
                session,
                team_id=team,
                team_name=name,
                pole_id=pole_id,
                bot_token=token,
                bot_id="B1",
                bot_user_id="U1",
                bot_scopes="chat:write",
            )

    done = await installation.doctor()

    assert done.returncode == 1
    assert line(done, "Slack") == (
        "✓ Slack : installation par espace de travail (OAuth), identifiants de l'app valides"
    )
    assert line(done, "Espace Slack « Cluster Bio »") == (
        "✓ Espace Slack « Cluster Bio » : pôle « Cluster Bio AURA », jeton valide"
    )
    assert line(done, "Espace Slack « Ancien espace »") == (
        "✗ Espace Slack « Ancien espace » : pôle « Pôle RSE », jeton refusé par Slack "
        "(invalid_auth)\n"
        "    → un administrateur de l'espace réinstalle l'app depuis le lien : rse-bot slack "
        "install-link --pole « Pôle RSE »"
    )
    assert "xoxb-revoked-1" not in done.stdout and "xoxb-t0bio-1" not in done.stdout


async def test_oauth_without_any_workspace_installed_is_a_warning(
    installation: Installation,
) -> None:
    installation.slack_oauth = True

    done = await installation.doctor()

    assert done.returncode == 0, done.stdout
    assert line(done, "Espaces Slack").startswith(
        "⚠ Espaces Slack : aucun espace de travail n'a installé l'app"
    )


async def test_a_bad_oauth_client_secret_fails(installation: Installation) -> None:
    installation.slack_oauth = True

    done = await installation.doctor(RSEBOT_SLACK_CLIENT_SECRET="mauvais-secret-client")

    assert done.returncode == 1
    assert line(done, "Slack").startswith(
        "✗ Slack : identifiants de l'app refusés par Slack (invalid_client)"
    )
    assert "mauvais-secret-client" not in done.stdout
