"""``rse-bot slack``: the Slack app's manifest, and the workspaces that installed it (one per
pôle, through Slack's OAuth)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import POLE_OPTION, fail, pole_or_fail, settings, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="L'app Slack : manifeste et espaces de travail.", no_args_is_help=True)


@cli.command("manifest")
def manifest(
    url: Annotated[
        str | None,
        typer.Option(
            help="Adresse publique du bot (https://…) : Slack y envoie ses requêtes et y "
            "renvoie après une installation. Sans elle : le manifeste pour Socket Mode."
        ),
    ] = None,
) -> None:
    """Afficher le manifeste de l'app Slack, à coller dans « Create New App → From a manifest »."""
    from bot.transports.slack_manifest import manifest_yaml

    if url is not None and not url.startswith("https://"):
        raise fail("--url attend l'adresse https://… du bot (Slack n'envoie rien en http).")
    typer.echo(manifest_yaml(url), nl=False)


@cli.command("install-link")
def install_link(pole: Annotated[str | None, POLE_OPTION] = None) -> None:
    """Afficher le lien qui installe l'app dans l'espace de travail Slack d'un pôle (7 jours)."""
    from bot.slack_links import LINK_SECONDS, install_links

    configured = settings()
    if not configured.slack_oauth:
        raise fail(
            "l'installation par espace de travail demande RSEBOT_SLACK_CLIENT_ID et "
            "RSEBOT_SLACK_CLIENT_SECRET (page Basic Information de l'app Slack)."
        )

    async def show(app: App) -> None:
        found = await pole_or_fail(app, pole)
        assert found.id is not None
        days = LINK_SECONDS // 86400
        typer.echo(
            f"Lien d'installation pour le pôle « {found.name} » (valable {days} jours), à "
            "ouvrir par un administrateur de son espace de travail Slack :"
        )
        typer.echo(install_links(app.settings).link(found.id))

    with_app(show)


@cli.command("workspaces")
def workspaces() -> None:
    """Lister les espaces de travail Slack où l'app est installée, avec leur pôle."""
    from bot.storage import repositories as repo

    async def show(app: App) -> None:
        async with app.database.transaction() as session:
            installed = await repo.slack_installations(session)
        if not installed:
            typer.echo("Aucun espace de travail installé (voir « rse-bot slack install-link »).")
        for installation, pole in installed:
            day = installation.installed_at.strftime("%d/%m/%Y")
            typer.echo(
                f"{installation.team_id}  {installation.team_name} → pôle « {pole.name} » "
                f"(installé le {day})"
            )

    with_app(show)
