"""``rse-bot broadcast --audience club:NAME``: the members of the pôle's club of that name who
accepted its current charter, nobody else."""

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Campaign, OutboxMessage
from tests.handlers.club.test_clubs import create_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat
from tests.helpers.cli import CliRun, run_rse_bot

Run = Callable[..., Awaitable[CliRun]]
TEXT = "Prochaine rencontre du club jeudi 9 h chez Scop Les Tisserands."


@pytest.fixture
def rse_bot(app: App, tmp_path: Path) -> Run:
    """``rse-bot broadcast ARGS`` on the test's database, with no platform configured (the
    messages stay in the outbox), from a directory without a .env."""

    async def run(*args: str) -> CliRun:
        return await run_rse_bot(
            tmp_path, "broadcast", *args, database_url=app.settings.database_url
        )

    return run


async def outbox(app: App) -> list[tuple[str, str]]:
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, Campaign.audience).join(
                Campaign, Campaign.id == OutboxMessage.campaign_id
            )
        )
        return [(chat_id, audience) for chat_id, audience in rows]


async def test_a_club_audience_reaches_only_its_members_under_the_current_charter(
    app: App, rse_bot: Run
) -> None:
    claire = await an_animator(app)
    code = await create_club(claire)
    for user_id, name, answer in (
        ("7391846032", "Bob Lefèvre", "J'accepte la charte"),
        ("7391846033", "Chloé Durand", "Je refuse"),
    ):
        member = Chat(app, Platform.TELEGRAM, user_id)
        await member.sign_up(name, "Scop Les Tisserands")
        await member.say(f"/club rejoindre {code}")
        await member.press(answer)

    done = await rse_bot("--text", TEXT, "--audience", "club:club  bourse")

    assert done.returncode == 0, done.stderr
    assert "Diffusion n°1 pour « Pôle RSE » : 1 destinataire(s)." in done.stdout
    club_id = await _club_id(app, "Club BouRSE")
    assert await outbox(app) == [("7391846032", f"club:{club_id}:any")]


async def _club_id(app: App, name: str) -> int:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        club = await repo.club_by_name(session, pole_id=pole.id, name=name)
    assert club is not None and club.id is not None
    return club.id


async def test_a_club_is_looked_for_in_the_pole_given_and_unknown_elsewhere(
    app: App, rse_bot: Run
) -> None:
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
        club = await repo.create_club(
            session, pole_id=other.id, name="Club Lumière", charter="Charte du club Lumière."
        )
    bruno = Chat(app, Platform.TELEGRAM, "7391846050")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.say(f"/club rejoindre {club.code}")
    await bruno.press("J'accepte la charte")

    unknown = await rse_bot("--text", TEXT, "--audience", "club:Club Lumière")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "Erreur : aucun club « Club Lumière » dans « Pôle RSE » (voir « rse-bot club list »).\n"
    )
    assert await outbox(app) == []

    found = await rse_bot(
        "--text", TEXT, "--audience", "club:Club Lumière", "--pole", "Cluster Lumière Grand Est"
    )
    assert found.returncode == 0, found.stderr
    assert [chat_id for chat_id, _ in await outbox(app)] == ["7391846050"]
