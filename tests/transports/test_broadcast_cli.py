"""``rse-bot broadcast``, sending through the fake Telegram server."""

from pathlib import Path

import pytest

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat
from tests.helpers.cli import CliRun, run_rse_bot
from tests.helpers.fake_telegram import FakeTelegram

MEMBERS = {6001: "Bob Lefèvre", 6002: "Chloé Durand", 6003: "Samir Haddad"}
TEXT = "Rappel : **Club BouRSE** jeudi 4 décembre, 9 h, chez Biocoop Lyon."


@pytest.fixture
async def members(app: App) -> None:
    for user_id, name in MEMBERS.items():
        await Chat(app, Platform.TELEGRAM, str(user_id)).sign_up(name, "Biocoop Lyon")


async def rse_bot_broadcast(
    database_url: str, fake: FakeTelegram | None, workdir: Path, *args: str
) -> CliRun:
    env = {}
    if fake is not None:
        env = {"RSEBOT_TELEGRAM_TOKEN": fake.token, "RSEBOT_TELEGRAM_API_URL": fake.base_url}
    return await run_rse_bot(workdir, "broadcast", *args, database_url=database_url, env=env)


async def test_the_broadcast_reaches_every_member_with_its_attachment(
    app: App, members: None, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    programme = tmp_path / "programme-club.pdf"
    programme.write_bytes(b"%PDF-1.4 programme du club")

    code, out, err = await rse_bot_broadcast(
        app.settings.database_url, fake_telegram, tmp_path, "--text", TEXT, "--file", str(programme)
    )

    assert code == 0, err
    assert "Diffusion n°1 pour « Pôle RSE » : 3 destinataire(s)." in out
    assert "Envoyés 3/3 · en attente 0 · échecs 0 · injoignables 0" in out
    for user_id in MEMBERS:
        text, document = fake_telegram.messages_to(user_id)
        assert (
            text["text"] == "Rappel : <b>Club BouRSE</b> jeudi 4 décembre, 9 h, chez Biocoop Lyon."
        )
        assert document["document"]["filename"] == "programme-club.pdf"
        assert document["document"]["content"] == b"%PDF-1.4 programme du club"


async def test_the_report_names_who_blocked_the_bot(
    app: App, members: None, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake_telegram.fail(6002, 403)

    code, out, err = await rse_bot_broadcast(
        app.settings.database_url, fake_telegram, tmp_path, "--text", TEXT
    )

    assert code == 0, err
    assert "Envoyés 2/3 · en attente 0 · échecs 0 · injoignables 1" in out
    assert "injoignable (1) : Forbidden: bot was blocked by the user" in out


async def test_without_a_platform_the_messages_wait_for_the_bot(
    app: App, members: None, tmp_path: Path
) -> None:
    code, out, err = await rse_bot_broadcast(
        app.settings.database_url, None, tmp_path, "--text", TEXT
    )

    assert code == 0, err
    assert "les messages restent en file et partiront au démarrage du bot" in out


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "Erreur : donnez le message avec --text"),
        (("--text", "x" * 4001), "Erreur : le message fait 4001 caractères ; 4000 au plus."),
        (("--text", TEXT, "--audience", "club"), "Erreur : destinataires inconnus « club »"),
        (
            ("--text", TEXT, "--audience", "veille:meteo"),
            "Erreur : destinataires inconnus « veille:meteo » : all, veille, ou veille:THÈME",
        ),
        (
            ("--text", TEXT, "--audience", "all:climat_energie"),
            "Erreur : destinataires inconnus « all:climat_energie »",
        ),
        (("--text", TEXT, "--platform", "teams"), "Erreur : plateforme inconnue « teams »"),
        (("--text", TEXT, "--pole", "Inconnu"), "Erreur : pôle « Inconnu » introuvable"),
        (("--text", TEXT, "--file", "absent.pdf"), "Erreur : fichier introuvable"),
    ],
)
async def test_bad_options_fail_clearly(tmp_path: Path, args: tuple[str, ...], error: str) -> None:
    database_url = f"sqlite:///{tmp_path / 'rse-bot.db'}"

    code, _, err = await rse_bot_broadcast(database_url, None, tmp_path, *args)

    assert code == 1
    assert err.startswith(error), err
    assert "Traceback" not in err
