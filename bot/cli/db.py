"""``rse-bot db``: the database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli import fail, settings, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Base de données.", no_args_is_help=True)


@cli.command("upgrade")
def upgrade() -> None:
    """Appliquer les migrations (aussi fait automatiquement au démarrage)."""

    async def done(_: App) -> None:
        typer.echo("Base de données à jour.")

    with_app(done)


FILE_ARGUMENT = typer.Argument(help="Fichier de sauvegarde.", dir_okay=False)


@cli.command("backup")
def backup(file: Path = FILE_ARGUMENT) -> None:
    """Sauvegarder la base, même pendant que le bot tourne (SQLite : copie cohérente ;
    PostgreSQL : pg_dump au format custom)."""
    from bot.storage.backup import BackupError, backup_postgres, backup_sqlite, database_file

    url = settings().database_url
    try:
        if database_file(url) is not None:
            backup_sqlite(url, file)
        else:
            backup_postgres(url, file)
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Base sauvegardée dans {file} ({file.stat().st_size} octets).")


@cli.command("restore")
def restore(file: Path = FILE_ARGUMENT) -> None:
    """Remplacer la base par une sauvegarde ; refusé tant que le bot ou une commande
    l'utilise. Ensuite, « rse-bot db upgrade » la met à jour si elle est plus ancienne."""
    from bot.storage.backup import BackupError, database_file, restore_postgres, restore_sqlite

    url = settings().database_url
    try:
        if database_file(url) is not None:
            restore_sqlite(file, url)
        else:
            restore_postgres(file, url)
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Base restaurée depuis {file}.")
