"""``rse-bot feeds``: the watch's RSS/Atom feeds of a pôle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import POLE_OPTION, fail, pole_or_fail, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Flux RSS/Atom de la veille.", no_args_is_help=True)


@cli.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Fichier OPML (export d'un lecteur de flux).")],
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Ajouter au pôle les flux d'un fichier OPML (ceux déjà suivis sont ignorés)."""
    from bot.opml import OpmlError, read_opml

    try:
        outlines = read_opml(file.read_bytes())
    except OSError as exc:
        raise fail(f"fichier illisible : {exc}") from None
    except OpmlError as exc:
        raise fail(str(exc)) from None

    async def add(app: App) -> None:
        from handlers.veille.sources import add_feeds

        target = await pole_or_fail(app, pole)
        assert target.id is not None
        async with app.database.transaction() as session:
            imported = await add_feeds(
                session,
                app.content,
                pole_id=target.id,
                outlines=outlines,
                allow_private=app.settings.feeds_allow_private,
            )
        typer.echo(
            f"{imported.added} flux ajouté(s) à « {target.name} », {imported.known} déjà suivi(s)."
        )
        texts = app.content.texts(app.settings.locale)
        for url, address in imported.refused:
            typer.echo(texts.label("veille.address_refused", url=url, address=address))

    with_app(add)


@cli.command("export")
def export(pole: Annotated[str | None, POLE_OPTION] = None) -> None:
    """Écrire les flux du pôle en OPML sur la sortie standard."""
    from bot.opml import Outline, write_opml

    async def write(app: App) -> None:
        from bot.storage import repositories as repo

        target = await pole_or_fail(app, pole)
        assert target.id is not None
        async with app.database.transaction() as session:
            feeds = await repo.pole_feeds(session, pole_id=target.id)
            outlines = [Outline(f.url, f.title, f.theme) for f in feeds]
        sys.stdout.buffer.write(write_opml(f"Veille RSE — {target.name}", outlines))

    with_app(write)


@cli.command("check")
def check(pole: Annotated[str | None, POLE_OPTION] = None) -> None:
    """Relever chaque flux une fois, avec une barre de progression, puis afficher leur état."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from handlers.veille import editions

    async def fetch(app: App) -> None:
        target = await pole_or_fail(app, pole)
        with Progress(transient=True) as progress:
            bar = progress.add_task("Relevé des flux", total=None)
            outcomes = await editions.refresh(
                app, pole_id=target.id, on_done=lambda _: progress.advance(bar)
            )
        table = Table("Flux", "État", "Articles")
        for outcome in outcomes:
            state = {"ok": "en forme", "not_modified": "inchangé (304)"}.get(
                outcome.status, f"échec : {outcome.error}"
            )
            table.add_row(outcome.title or outcome.url, state, str(len(outcome.entries)))
        Console().print(table)

    with_app(fetch)
