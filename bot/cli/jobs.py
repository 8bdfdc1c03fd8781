"""``rse-bot jobs``: the scheduled jobs, listed or run now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import fail, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Tâches planifiées.", no_args_is_help=True)

_JOB_KINDS = {"recurring": "récurrente", "moment": "ponctuelle", None: "inconnue"}
_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


@cli.command(
    "list",
    help=(
        "Lister les tâches planifiées : identifiant, type et prochaine exécution (heure locale)."
        "\n\nFonctionne que le bot tourne ou non : lit les tâches que le bot a enregistrées en "
        "base, sans les modifier (seule l'instance qui exécute les tâches le fait). Une tâche "
        "que le bot n'a pas encore enregistrée (il n'a pas tourné depuis qu'elle existe) est "
        "affichée avec sa prochaine exécution calculée maintenant et la mention « pas encore "
        "enregistrée »."
    ),
)
def list_() -> None:
    from scheduler.service import list_jobs

    async def show(app: App) -> None:
        rows = await list_jobs(app)
        if not rows:
            typer.echo("Aucune tâche planifiée.")
        width = max((len(row.id) for row in rows), default=0)
        for row in rows:
            kind = _JOB_KINDS[row.kind]
            if row.next_run is None:
                when = "en pause"
            else:
                local = row.next_run.astimezone(app.settings.tz)
                when = f"prochaine exécution : {_WEEKDAYS[local.weekday()]} {local:%d/%m/%Y %H:%M}"
            pending = "" if row.stored else " (pas encore enregistrée)"
            typer.echo(f"{row.id:<{width}}  {kind:<10}  {when}{pending}")

    with_app(show)


@cli.command("run")
def run(
    job_id: Annotated[
        str, typer.Argument(metavar="ID", help="Identifiant, voir « rse-bot jobs list ».")
    ],
) -> None:
    """Exécuter maintenant une tâche récurrente, dans ce processus (son planning ne change pas)."""
    from scheduler.jobs import JOBS

    spec = next((spec for spec in JOBS if spec.id == job_id), None)
    if spec is None:
        known = ", ".join(spec.id for spec in JOBS)
        raise fail(f"tâche inconnue « {job_id} ». Tâches connues : {known}.")

    async def run_now(app: App) -> None:
        await spec.func(app)
        typer.echo(f"Tâche « {spec.id} » exécutée.")

    with_app(run_now)
