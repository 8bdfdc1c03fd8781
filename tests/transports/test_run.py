"""``rse-bot run`` as a real process against the fake Telegram server."""

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.helpers.fake_telegram import FakeTelegram

ALICE = 1001


async def start_bot(fake: FakeTelegram, workdir: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    env |= {
        "RSEBOT_DATABASE_URL": f"sqlite:///{workdir / 'rse-bot.db'}",
        "RSEBOT_TELEGRAM_TOKEN": fake.token,
        "RSEBOT_TELEGRAM_API_URL": fake.base_url,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def polled(fake: FakeTelegram) -> int:
    return sum(1 for method, _ in fake.calls if method == "getUpdates")


async def test_sigterm_lets_the_replies_being_made_finish(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    bot = await start_bot(fake_telegram, tmp_path)
    try:
        await fake_telegram.wait_for(lambda: polled(fake_telegram) >= 1, timeout=20)
        for n in range(5):
            fake_telegram.user_says(ALICE + n, "/aide")
        # Stop as soon as the bot has fetched the updates, before it has answered them all.
        fetched = polled(fake_telegram)
        await fake_telegram.wait_for(lambda: polled(fake_telegram) > fetched, timeout=10)
        bot.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.wait(), timeout=20)
    finally:
        if bot.returncode is None:
            bot.kill()
    assert code == 0, (await bot.stderr.read()).decode()
    answered = [len(fake_telegram.messages_to(ALICE + n)) for n in range(5)]
    assert answered == [1, 1, 1, 1, 1]
    assert fake_telegram.webhook is None


async def test_run_without_any_platform_opens_the_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    env["RSEBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'rse-bot.db'}"
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(bot.communicate(b"/aide\n"), timeout=30)
    assert bot.returncode == 0
    assert "Voici ce que vous pouvez faire ici" in out.decode()
    assert "Ni Telegram ni Slack configuré" in err.decode()


async def test_a_refused_telegram_token_stops_with_what_to_do_and_never_the_token(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    refused = "123456:jeton-refuse-par-telegram"
    env |= {
        "RSEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'rse-bot.db'}",
        "RSEBOT_TELEGRAM_TOKEN": refused,
        "RSEBOT_TELEGRAM_API_URL": fake_telegram.base_url,
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(bot.communicate(), timeout=60)

    assert bot.returncode == 2
    said = (out + err).decode()
    assert "Erreur : Telegram refuse le jeton RSEBOT_TELEGRAM_TOKEN : vérifiez-le" in said
    assert refused not in said and "jeton-refuse" not in said
    assert "Traceback" not in said
