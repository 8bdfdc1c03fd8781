"""``rse-bot db``: the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.cli import with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Base de données.", no_args_is_help=True)


@cli.command("upgrade")
def upgrade() -> None:
    """Appliquer les migrations (aussi fait automatiquement au démarrage)."""

    async def done(_: App) -> None:
        typer.echo("Base de données à jour.")

    with_app(done)
