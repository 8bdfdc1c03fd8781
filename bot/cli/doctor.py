"""``rse-bot doctor``: check a configuration before going live, and a running bot."""

from __future__ import annotations

import asyncio

import typer

from bot.cli import settings

# Typer keeps a docstring's line breaks: the help is written as paragraphs.
HELP = (
    "Vérifier la configuration et l'installation : base de données, Telegram, Slack, adresse "
    "publique, SMTP, tâches planifiées, file d'envoi, flux de veille."
    "\n\n"
    "Une ligne par vérification : ✓ bon, ⚠ à regarder, ✗ à corriger (avec quoi faire), – non "
    "configuré. Ne modifie rien et n'affiche aucun secret. Code de sortie 1 s'il y a un ✗ (pour "
    "arrêter un déploiement), 2 si la configuration est illisible."
)


def doctor() -> None:
    """Print each check's lines, then exit 1 if one is wrong."""
    from bot.doctor import diagnose, failed

    checks = asyncio.run(diagnose(settings()))
    for check in checks:
        for line in check.lines():
            typer.echo(line)
    errors = sum(check.status == "error" for check in checks)
    if failed(checks):
        typer.echo(f"{errors} problème{'s' if errors > 1 else ''} à corriger.")
        raise typer.Exit(1)
    typer.echo("Tout est prêt.")
