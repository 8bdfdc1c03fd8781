"""``rse-bot club``: a pôle's clubs (Club BouRSE), created and listed as ``/club`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import POLE_OPTION, fail, pole_or_fail, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Clubs RSE des pôles (Club BouRSE).", no_args_is_help=True)


@cli.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Nom du club.")],
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Créer un club du pôle, avec la charte des valeurs par défaut, et afficher son code."""
    from bot.storage import repositories as repo
    from bot.transports.console import render
    from handlers.club.clubs import NAME_MAX

    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise fail(f"le nom du club doit faire entre 1 et {NAME_MAX} caractères.")

    async def add(app: App) -> None:
        target = await pole_or_fail(app, pole)
        assert target.id is not None
        locale = app.settings.locale
        try:
            async with app.database.transaction() as session:
                club = await repo.create_club(
                    session, pole_id=target.id, name=cleaned, charter=app.content.charter(locale)
                )
        except repo.ClubNameTaken:
            raise fail(f"le pôle « {target.name} » a déjà un club nommé « {cleaned} ».") from None
        texts = app.content.texts(locale)
        typer.echo(render(texts("club.created", club=club.name, code=club.code)))

    with_app(add)


@cli.command("list")
def list_(pole: Annotated[str | None, POLE_OPTION] = None) -> None:
    """Lister les clubs du pôle avec leur code et leur nombre de membres."""
    from bot.storage import repositories as repo

    async def show(app: App) -> None:
        target = await pole_or_fail(app, pole)
        assert target.id is not None
        async with app.database.transaction() as session:
            clubs = await repo.pole_clubs(session, pole_id=target.id)
        if not clubs:
            typer.echo(f"Aucun club dans « {target.name} » (rse-bot club create NOM).")
        for club, count in clubs:
            typer.echo(f"{club.code}  {club.name} — {count} membre(s)")

    with_app(show)
