"""The ``rse-bot`` command: the Typer app, the helpers every group shares, and the one place
that registers the groups. Heavy libraries are imported inside commands so --help is instant."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings
    from bot.storage.models import Pole

T = TypeVar("T")

cli = typer.Typer(
    help="rse-bot : le bot RSE des pôles et clusters (Telegram, Slack et console).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

POLE_OPTION = typer.Option(help="Nom ou code du pôle (par défaut : le pôle par défaut).")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``Erreur : message`` on standard error; the exit to raise."""
    typer.echo(f"Erreur : {message}", err=True)
    return typer.Exit(code)


def settings() -> Settings:
    """The configuration, or exit saying what is wrong in it; logging set up from it."""
    from bot.config import ConfigError, load_settings
    from bot.logs import configure_logging

    try:
        loaded = load_settings()
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None
    configure_logging(loaded)
    return loaded


def with_app(work: Callable[[App], Awaitable[T]]) -> T:
    """Start the app (migrating the database), run ``work``, and always close it."""
    from bot.app import App
    from content.loader import ContentError

    configured = settings()

    async def main() -> T:
        try:
            app = await App.start(configured)
        except ContentError as exc:
            raise fail(f"contenu invalide : {exc}", code=2) from None
        except OSError as exc:
            raise fail(f"base de données injoignable : {exc}", code=2) from None
        try:
            return await work(app)
        finally:
            await app.close()

    return asyncio.run(main())


async def pole_or_fail(app: App, key: str | None) -> Pole:
    """The pôle named or coded ``key``, or the default pôle."""
    from bot.storage import repositories as repo

    async with app.database.transaction() as session:
        found = (
            await repo.pole_by_name_or_code(session, key=key)
            if key
            else await repo.default_pole(session)
        )
    if found is None or found.id is None:
        raise fail(f"pôle « {key} » introuvable (voir « rse-bot pole list »).")
    return found


# The groups import the helpers above, so they come after them.
from bot.cli import (  # noqa: E402
    admin,
    broadcast,
    chat,
    club,
    db,
    digest,
    doctor,
    feeds,
    jobs,
    pole,
    slack,
    survey,
)

cli.command()(chat.chat)
cli.command()(chat.run)
cli.command()(broadcast.broadcast)
cli.command(help=doctor.HELP)(doctor.doctor)
cli.add_typer(db.cli, name="db")
cli.add_typer(pole.cli, name="pole")
cli.add_typer(admin.cli, name="admin")
cli.add_typer(jobs.cli, name="jobs")
cli.add_typer(feeds.cli, name="feeds")
cli.add_typer(digest.cli, name="digest")
cli.add_typer(club.cli, name="club")
cli.add_typer(survey.cli, name="survey")
cli.add_typer(slack.cli, name="slack")


def main() -> None:
    cli()
