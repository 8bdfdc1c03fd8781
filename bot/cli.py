"""The ``rse-bot`` command; heavy libraries are imported inside commands so --help is instant."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings

T = TypeVar("T")

cli = typer.Typer(
    help="rse-bot : le bot RSE des pôles et clusters (Telegram, Slack et console).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Base de données.", no_args_is_help=True)
pole_cli = typer.Typer(help="Pôles (clusters) hébergés par ce déploiement.", no_args_is_help=True)
admin_cli = typer.Typer(help="Rôles des membres.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(pole_cli, name="pole")
cli.add_typer(admin_cli, name="admin")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"Erreur : {message}", err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    from bot.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise _fail(str(exc), code=2) from None
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # These log request URLs and headers, where Telegram puts the bot token: never below WARNING.
    for chatty in ("httpx", "httpcore", "slack_sdk", "slack_bolt"):
        logging.getLogger(chatty).setLevel(
            max(logging.WARNING, logging.getLevelName(settings.log_level))
        )
    return settings


def _with_app(work: Callable[[App], Awaitable[T]]) -> T:
    """Start the app (migrating the database), run ``work``, and always close it."""
    from bot.app import App
    from content.loader import ContentError

    settings = _settings()

    async def main() -> T:
        try:
            app = await App.start(settings)
        except ContentError as exc:
            raise _fail(f"contenu invalide : {exc}", code=2) from None
        except OSError as exc:
            raise _fail(f"base de données injoignable : {exc}", code=2) from None
        try:
            return await work(app)
        finally:
            await app.close()

    return asyncio.run(main())


async def _console(app: App, user: str) -> None:
    from bot.transports.console import ConsoleTransport

    console = ConsoleTransport(
        app.handle, user=user, stdin=sys.stdin, stdout=sys.stdout, files_dir=app.settings.files_dir
    )
    await console.run()


@cli.command()
def chat(
    user: Annotated[
        str | None, typer.Option(help="Votre nom d'utilisateur dans la console.")
    ] = None,
) -> None:
    """Discuter avec le bot dans le terminal (une ligne = un message)."""

    async def converse(app: App) -> None:
        await _console(app, user or getpass.getuser())

    try:
        _with_app(converse)
    except KeyboardInterrupt:
        typer.echo("")


@cli.command()
def run() -> None:
    """Démarrer le bot sur Telegram et/ou Slack (selon la configuration), sinon en console."""
    from bot.runner import configured
    from bot.runner import run as serve

    async def start(app: App) -> None:
        if configured(app):
            await serve(app)
        else:
            typer.echo("Ni Telegram ni Slack configuré : discussion en console.", err=True)
            await _console(app, getpass.getuser())

    try:
        _with_app(start)
    except KeyboardInterrupt:
        typer.echo("")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Appliquer les migrations (aussi fait automatiquement au démarrage)."""

    async def done(_: App) -> None:
        typer.echo("Base de données à jour.")

    _with_app(done)


@pole_cli.command("create")
def pole_create(name: Annotated[str, typer.Argument(help="Nom du pôle.")]) -> None:
    """Créer un pôle et afficher son code d'invitation."""
    from bot.storage import repositories as repo

    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 120:
        raise _fail("le nom du pôle doit faire entre 1 et 120 caractères.")

    async def create(app: App) -> None:
        try:
            async with app.database.transaction() as session:
                pole = await repo.create_pole(session, name=cleaned)
        except repo.PoleNameTaken:
            raise _fail(f"un pôle s'appelle déjà « {cleaned} ».") from None
        typer.echo(f"Pôle « {pole.name} » créé. Code d'invitation : {pole.invite_code}")

    _with_app(create)


@pole_cli.command("list")
def pole_list() -> None:
    """Lister les pôles avec leur code d'invitation et leur nombre de membres."""
    from bot.storage import repositories as repo

    async def show(app: App) -> None:
        async with app.database.transaction() as session:
            for pole in await repo.list_poles(session):
                count = len(await repo.members_of(session, pole_id=pole.id))
                default = " (par défaut)" if pole.is_default else ""
                typer.echo(f"{pole.invite_code}  {pole.name}{default} — {count} membre(s)")

    _with_app(show)


@admin_cli.command("grant")
def admin_grant(
    role: Annotated[str, typer.Argument(help="member, animator ou admin (ou en français).")],
    account: Annotated[str, typer.Argument(help="console:NOM, telegram:ID ou slack:ID.")],
    pole: Annotated[
        str | None, typer.Option(help="Nom ou code du pôle (par défaut : son pôle actuel).")
    ] = None,
) -> None:
    """Donner un rôle à une personne inscrite."""
    from bot.conversation import fold
    from bot.identities import parse_account
    from bot.storage import repositories as repo
    from handlers.roles import ROLE_WORDS

    wanted = ROLE_WORDS.get(fold(role))
    if wanted is None:
        raise _fail(f"rôle inconnu « {role} » : member, animator ou admin.")
    parsed = parse_account(account)
    if parsed is None:
        raise _fail(f"compte « {account} » illisible : console:NOM, telegram:ID ou slack:ID.")
    platform, user_id = parsed

    async def grant(app: App) -> None:
        async with app.database.transaction() as session:
            person = await repo.person_for(session, platform=platform.value, user_id=user_id)
            if person is None:
                raise _fail(
                    f"personne n'est inscrit avec {account} : cette personne doit d'abord "
                    "s'inscrire avec /start."
                )
            target = (
                await repo.pole_by_name_or_code(session, key=pole)
                if pole
                else await repo.pole_by_id(session, person.active_pole_id)
            )
            if target is None:
                raise _fail(f"pôle « {pole} » introuvable (voir « rse-bot pole list »).")
            member = await repo.membership(session, person_id=person.id, pole_id=target.id)
            if member is None:
                raise _fail(f"{account} n'est pas membre du pôle « {target.name} ».")
            await repo.set_role(session, member=member, role=wanted)
        role_name = app.content.texts(app.settings.locale).label(f"roles.{wanted}")
        typer.echo(
            f"{person.display_name} ({account}) est désormais {role_name} de « {target.name} »."
        )

    _with_app(grant)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
