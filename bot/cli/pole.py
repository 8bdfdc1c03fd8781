"""``rse-bot pole``: the pôles this deployment hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import fail, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Pôles (clusters) hébergés par ce déploiement.", no_args_is_help=True)


@cli.command("create")
def create(name: Annotated[str, typer.Argument(help="Nom du pôle.")]) -> None:
    """Créer un pôle et afficher son code d'invitation."""
    from bot.storage import repositories as repo

    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 120:
        raise fail("le nom du pôle doit faire entre 1 et 120 caractères.")

    async def add(app: App) -> None:
        try:
            async with app.database.transaction() as session:
                pole = await repo.create_pole(session, name=cleaned)
        except repo.PoleNameTaken:
            raise fail(f"un pôle s'appelle déjà « {cleaned} ».") from None
        typer.echo(f"Pôle « {pole.name} » créé. Code d'invitation : {pole.invite_code}")

    with_app(add)


@cli.command("list")
def list_() -> None:
    """Lister les pôles avec leur code d'invitation et leur nombre de membres."""
    from bot.storage import repositories as repo

    async def show(app: App) -> None:
        async with app.database.transaction() as session:
            for pole in await repo.list_poles(session):
                count = len(await repo.members_of(session, pole_id=pole.id))
                default = " (par défaut)" if pole.is_default else ""
                typer.echo(f"{pole.invite_code}  {pole.name}{default} — {count} membre(s)")

    with_app(show)
