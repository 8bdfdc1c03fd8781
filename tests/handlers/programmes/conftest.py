"""A pôle's animator on the console and member on Telegram, and a run opened the way an
animator would."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat


@pytest.fixture
async def animator(app: App) -> Chat:
    chat = Chat(app, Platform.CONSOLE, "claire")
    await chat.sign_up("Claire Roux", "Cluster Bio Auvergne-Rhône-Alpes")
    await chat.grant("animator")
    return chat


@pytest.fixture
async def member(app: App) -> Chat:
    # On Telegram: the outbox writes first to Telegram and Slack accounts, not the console.
    chat = Chat(app, Platform.TELEGRAM, "5001")
    await chat.sign_up("Alice Martin", "Biocoop Lyon")
    return chat


async def open_run(animator: Chat, programme: str = "cluster_bio", day: str = "05/01/2027") -> int:
    """Open a run as the animator; its number."""
    await animator.say(f"/programme ouvrir {programme} {day}")
    assert "est ouvert dans votre pôle" in animator.text, animator.text
    return int(animator.text.split("(n°")[1].split(")")[0])
