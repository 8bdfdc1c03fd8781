"""``rse-bot chat`` and ``rse-bot run``: the bot in the terminal, or on its platforms."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import fail, with_app

if TYPE_CHECKING:
    from bot.app import App


async def _console(app: App, user: str) -> None:
    from bot.transports.console import ConsoleTransport

    console = ConsoleTransport(
        app.handle, user=user, stdin=sys.stdin, stdout=sys.stdout, files_dir=app.settings.files_dir
    )
    await console.run()


def chat(
    user: Annotated[
        str | None, typer.Option(help="Votre nom d'utilisateur dans la console.")
    ] = None,
) -> None:
    """Discuter avec le bot dans le terminal (une ligne = un message)."""

    async def converse(app: App) -> None:
        await _console(app, user or getpass.getuser())

    try:
        with_app(converse)
    except KeyboardInterrupt:
        typer.echo("")


def run() -> None:
    """Démarrer le bot sur Telegram et/ou Slack (selon la configuration), sinon en console."""
    from bot.runner import configured
    from bot.runner import run as serve
    from bot.transports.base import CredentialsRefused

    async def start(app: App) -> None:
        if configured(app):
            try:
                await serve(app)
            except CredentialsRefused as refused:
                raise fail(str(refused), code=2) from None
        else:
            typer.echo("Ni Telegram ni Slack configuré : discussion en console.", err=True)
            await _console(app, getpass.getuser())

    try:
        with_app(start)
    except KeyboardInterrupt:
        typer.echo("")
