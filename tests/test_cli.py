"""``rse-bot`` on an SQLite file, as an operator would run it: in this process, but for
``--help``, whose test is about what a new process imports."""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.cli import CliRun, rse_bot

SIGN_UP = ["/start", "1", "Alice Martin", "Biocoop Lyon", "1", "1"]
CREATED = re.compile(r"^Pôle « Cluster Bio AURA » créé\. Code d'invitation : ([A-HJKMNP-Z2-9]{8})$")
HEAVY_MODULES = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "pydantic_settings",
    "aiosqlite",
    "asyncpg",
    "yaml",
)


def assert_fails_clearly(done: CliRun, *expected: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Erreur : "), done.stderr
    for words in expected:
        assert words in done.stderr


@dataclass(frozen=True)
class Deployment:
    """A database where « Cluster Bio AURA » was created, then alice signed up."""

    database: Path
    created: CliRun
    code: str


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    workdir = tmp_path_factory.mktemp("deploiement")
    created = rse_bot(workdir, "pole", "create", "Cluster Bio AURA")
    found = CREATED.match(created.stdout.strip())
    assert found is not None, created.stdout + created.stderr
    signed_up = rse_bot(workdir, "chat", "--user", "alice", lines=SIGN_UP)
    assert "bienvenue Alice Martin" in signed_up.stdout, signed_up.stdout + signed_up.stderr
    return Deployment(workdir / "rse-bot.db", created, found[1])


@pytest.fixture
def workdir(deployment: Deployment, tmp_path: Path) -> Path:
    """A copy of the deployment, which the test may change."""
    shutil.copy(deployment.database, tmp_path / "rse-bot.db")
    return tmp_path


@pytest.fixture(scope="module")
def help_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """``rse-bot --help``, reporting afterwards which heavy libraries it imported."""
    script = (
        "import sys\n"
        "sys.argv = ['rse-bot', '--help']\n"
        "import bot.cli\n"
        "try:\n"
        "    bot.cli.main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    workdir = tmp_path_factory.mktemp("aide")
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(workdir.iterdir()) == []
    return done


def test_help_lists_the_commands(help_run: subprocess.CompletedProcess[str]) -> None:
    assert "Usage: rse-bot" in help_run.stdout
    for command, summary in [
        ("chat", "Discuter avec le bot"),
        ("db", "Base de données"),
        ("pole", "Pôles (clusters)"),
        ("admin", "Rôles des membres"),
    ]:
        assert re.search(rf"\b{command}\s+{re.escape(summary)}", help_run.stdout), help_run.stdout


def test_help_does_not_import_the_heavy_libraries(
    help_run: subprocess.CompletedProcess[str],
) -> None:
    # What keeps `rse-bot --help` under half a second.
    assert help_run.stdout.splitlines()[-1] == "[]"


def test_pole_create_prints_the_invitation_code(deployment: Deployment) -> None:
    assert deployment.created.returncode == 0
    assert deployment.created.stderr == ""
    assert CREATED.match(deployment.created.stdout.strip())


def test_pole_create_refuses_a_taken_name(workdir: Path) -> None:
    done = rse_bot(workdir, "pole", "create", "cluster bio aura")
    assert_fails_clearly(done, "un pôle s'appelle déjà « cluster bio aura »")


def test_pole_list_shows_the_default_pole_and_the_created_one(
    workdir: Path, deployment: Deployment
) -> None:
    done = rse_bot(workdir, "pole", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    assert re.fullmatch(r"[A-Z2-9]{8}  Pôle RSE \(par défaut\) — 1 membre\(s\)", lines[0])
    assert lines[1] == f"{deployment.code}  Cluster Bio AURA — 0 membre(s)"


def test_db_upgrade_reports_success(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Base de données à jour.\n"
    assert (tmp_path / "rse-bot.db").exists()


def test_grant_refuses_someone_who_never_signed_up(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "admin", "grant", "admin", "console:alice")
    assert_fails_clearly(done, "console:alice", "/start")


def test_granted_admin_gets_the_admin_commands_in_help(workdir: Path) -> None:
    granted = rse_bot(workdir, "admin", "grant", "admin", "console:alice")
    assert granted.returncode == 0, granted.stderr
    assert (
        granted.stdout
        == "Alice Martin (console:alice) est désormais administrateur ou administratrice "
        "de « Pôle RSE ».\n"
    )
    helped = rse_bot(workdir, "chat", "--user", "alice", lines=["/aide"])
    assert "votre rôle : administrateur ou administratrice" in helped.stdout, helped.stdout
    assert "/nommer — " in helped.stdout


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["chef", "console:alice"], "rôle inconnu « chef »"),
        (["admin", "alice"], "compte « alice » illisible"),
    ],
)
def test_grant_refuses_an_unknown_role_or_an_unreadable_account(
    tmp_path: Path, arguments: list[str], expected: str
) -> None:
    done = rse_bot(tmp_path, "admin", "grant", *arguments)
    assert_fails_clearly(done, expected)


def test_grant_refuses_a_pole_the_person_is_not_a_member_of(
    workdir: Path, deployment: Deployment
) -> None:
    done = rse_bot(
        workdir, "admin", "grant", "animator", "console:alice", "--pole", deployment.code
    )
    assert_fails_clearly(done, "console:alice n'est pas membre du pôle « Cluster Bio AURA »")
