"""``rse-bot club`` on the test's database: the clubs ``/club`` knows."""

import re
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Club, ClubCharter
from tests.helpers.chat import Chat
from tests.helpers.cli import CliRun, run_rse_bot

CREATED = re.compile(
    r"^Le club (.+) est créé, avec la charte des valeurs par défaut \(version 1\)\.\n"
    r"Son code : ([A-HJKMNP-Z2-9]{8})\. Donnez-le aux entreprises"
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the command is a thin layer over queries the chat's tests run on both
    databases."""
    return f"sqlite+aiosqlite:///{tmp_path / 'rse-bot.db'}"


async def rse_bot_club(app: App, workdir: Path, *args: str) -> CliRun:
    return await run_rse_bot(workdir, "club", *args, database_url=app.settings.database_url)


async def created_code(app: App, workdir: Path, *args: str) -> str:
    """The code ``rse-bot club create ARGS`` prints."""
    code, out, err = await rse_bot_club(app, workdir, "create", *args)
    assert (code, err) == (0, ""), out + err
    found = CREATED.match(out)
    assert found is not None, out
    return found[2]


async def test_a_created_club_is_listed_and_joined_in_the_chat(app: App, tmp_path: Path) -> None:
    bourse = await created_code(app, tmp_path, "Club  BouRSE")
    climat = await created_code(app, tmp_path, "Club Climat")
    bob = Chat(app, Platform.TELEGRAM, "7391846032")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await bob.say(f"/club rejoindre {bourse}")
    await bob.press("J'accepte la charte")
    assert "Bienvenue dans le club Club BouRSE" in bob.text

    listed = await rse_bot_club(app, tmp_path, "list")

    assert listed == (
        0,
        f"{bourse}  Club BouRSE — 1 membre(s)\n{climat}  Club Climat — 0 membre(s)\n",
        "",
    )
    async with app.database.transaction() as session:
        charters = (await session.scalars(select(ClubCharter))).all()
    assert {(c.version, c.text) for c in charters} == {(1, app.content.charter("fr"))}


async def test_a_club_belongs_to_the_pole_named(app: App, tmp_path: Path) -> None:
    async with app.database.transaction() as session:
        pole = await repo.create_pole(session, name="Cluster Bio AURA")
    code = await created_code(app, tmp_path, "Club BouRSE", "--pole", pole.invite_code)

    in_default = await rse_bot_club(app, tmp_path, "list")
    in_cluster = await rse_bot_club(app, tmp_path, "list", "--pole", "cluster bio aura")

    assert in_default == (0, "Aucun club dans « Pôle RSE » (rse-bot club create NOM).\n", "")
    assert in_cluster == (0, f"{code}  Club BouRSE — 0 membre(s)\n", "")


async def test_a_taken_name_exits_1_with_the_reason(app: App, tmp_path: Path) -> None:
    await created_code(app, tmp_path, "Club BouRSE")

    taken = await rse_bot_club(app, tmp_path, "create", "club  bourse")

    assert taken == (
        1,
        "",
        "Erreur : le pôle « Pôle RSE » a déjà un club nommé « club bourse ».\n",
    )
    async with app.database.transaction() as session:
        assert len((await session.scalars(select(Club))).all()) == 1


@pytest.mark.parametrize("args", [["create", "Club BouRSE"], ["list"]])
async def test_an_unknown_pole_exits_1(app: App, tmp_path: Path, args: list[str]) -> None:
    done = await rse_bot_club(app, tmp_path, *args, "--pole", "Cluster Fantôme")

    assert done == (
        1,
        "",
        "Erreur : pôle « Cluster Fantôme » introuvable (voir « rse-bot pole list »).\n",
    )
    async with app.database.transaction() as session:
        assert (await session.scalars(select(Club))).all() == []
