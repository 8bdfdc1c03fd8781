"""``rse-bot slack install-link`` and ``rse-bot slack workspaces``, as an operator runs them."""

import asyncio
from pathlib import Path

from slack_sdk.oauth.installation_store import Installation

from bot.app import App
from bot.config import Settings
from bot.slack_links import install_links
from bot.storage import repositories as repo
from bot.transports.slack_manifest import bot_scopes
from bot.transports.slack_oauth import Workspaces
from tests.helpers.cli import rse_bot

OAUTH = {
    "RSEBOT_SLACK_CLIENT_ID": "4821.7730",
    "RSEBOT_SLACK_CLIENT_SECRET": "9f2c-client-secret",
    "RSEBOT_SLACK_SIGNING_SECRET": "a1b2-signing-secret",
    "RSEBOT_PUBLIC_URL": "https://rse.cluster-bio.fr",
}


def test_install_link_names_the_pole_and_carries_it_signed(tmp_path: Path) -> None:
    assert rse_bot(tmp_path, "pole", "create", "Cluster Bio AURA", env=OAUTH).returncode == 0
    done = rse_bot(tmp_path, "slack", "install-link", "--pole", "Cluster Bio AURA", env=OAUTH)

    assert done.returncode == 0, done.stderr
    intro, link = done.stdout.splitlines()
    assert intro.startswith(
        "Lien d'installation pour le pôle « Cluster Bio AURA » (valable 7 jours)"
    )
    assert link.startswith("https://rse.cluster-bio.fr/slack/install?pole=")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_client_id=OAUTH["RSEBOT_SLACK_CLIENT_ID"],
        slack_client_secret=OAUTH["RSEBOT_SLACK_CLIENT_SECRET"],
        slack_signing_secret=OAUTH["RSEBOT_SLACK_SIGNING_SECRET"],
        public_url=OAUTH["RSEBOT_PUBLIC_URL"],
    )
    token = link.split("pole=")[1]
    assert install_links(settings).pole_of_link(token) == 2  # the default pôle is the first
    assert OAUTH["RSEBOT_SLACK_CLIENT_SECRET"] not in done.stdout


def test_install_link_needs_the_slack_apps_client_id_and_secret(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "slack", "install-link")

    assert done.returncode == 1
    assert done.stderr.startswith("Erreur : l'installation par espace de travail demande ")
    assert "RSEBOT_SLACK_CLIENT_ID et RSEBOT_SLACK_CLIENT_SECRET" in done.stderr


def test_install_link_of_an_unknown_pole_says_where_to_look(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "slack", "install-link", "--pole", "Végépolys", env=OAUTH)

    assert done.returncode == 1
    assert "pôle « Végépolys » introuvable (voir « rse-bot pole list »)" in done.stderr


def test_workspaces_lists_each_installed_workspace_with_its_pole(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'rse-bot.db'}"
    assert rse_bot(tmp_path, "slack", "workspaces").stdout.startswith("Aucun espace de travail")

    async def install() -> None:
        app = await App.start(Settings(_env_file=None, database_url=database))  # type: ignore[call-arg]
        try:
            async with app.database.transaction() as session:
                pole = await repo.create_pole(session, name="Pôle Végépolys")
            assert pole.id is not None
            installation = Installation(
                team_id="T0VEGE",
                team_name="Végépolys Valley",
                bot_token="xoxb-vege-1",
                bot_id="B0VEGE",
                bot_user_id="U0VEGEBOT",
                bot_scopes=bot_scopes(),
                user_id="U0VEGEADM",
            )
            await Workspaces(app.database).save(installation, pole_id=pole.id)
        finally:
            await app.close()

    asyncio.run(install())
    done = rse_bot(tmp_path, "slack", "workspaces")

    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("T0VEGE  Végépolys Valley → pôle « Pôle Végépolys » (installé le ")
    assert "xoxb" not in done.stdout
