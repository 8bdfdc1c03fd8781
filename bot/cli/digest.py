"""``rse-bot digest``: the watch's editions of a pôle, built, sent or scheduled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import POLE_OPTION, fail, pole_or_fail, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Éditions de la veille.", no_args_is_help=True)


@cli.command("build")
def build(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Afficher sans rien envoyer.")] = False,
    kind: Annotated[str, typer.Option(help="note (hebdomadaire) ou newsletter.")] = "note",
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Construire la prochaine édition de la veille (et l'envoyer, sauf avec --dry-run)."""
    _digest(kind, pole, dry_run=dry_run)


@cli.command("send")
def send(
    kind: Annotated[str, typer.Option(help="note (hebdomadaire) ou newsletter.")] = "note",
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Relever les flux, construire la prochaine édition et la mettre en file d'envoi."""
    _digest(kind, pole, dry_run=False)


@cli.command("schedule")
def schedule(
    kind: Annotated[
        str | None, typer.Argument(help="note ou lettre ; sans rien : afficher le calendrier.")
    ] = None,
    words: Annotated[
        list[str] | None,
        typer.Argument(help="Jours puis heure (« lundi 8h30 », « 1,15 9h »), aucune ou défaut."),
    ] = None,
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Afficher ou changer le calendrier des éditions de la veille du pôle."""
    from bot.storage.models import utcnow
    from bot.transports.console import render
    from content.schedules import ScheduleError
    from content.text import fold
    from handlers.veille import calendar

    edition = calendar.KIND_WORDS.get(fold(kind)) if kind else None
    if kind is not None and (edition is None or not words):
        raise fail("donnez l'édition (note ou lettre) puis le calendrier, ex. : note lundi 8h30")

    async def show(app: App) -> None:
        target = await pole_or_fail(app, pole)
        assert target.id is not None
        texts, now = app.content.texts(app.settings.locale), utcnow()
        async with app.database.transaction() as session:
            if edition is not None and words:
                try:
                    await calendar.change(
                        session,
                        app.content,
                        pole_id=target.id,
                        kind=edition,
                        words=" ".join(words),
                        now=now,
                    )
                except ScheduleError as error:
                    raise fail(texts.label(error.key, **error.values)) from None
            planned = await calendar.calendar(session, app.content, pole_id=target.id)
        text = calendar.calendar_text(texts, target, planned, now=now, zone=app.settings.tz)
        typer.echo(render(text))

    with_app(show)


def _digest(kind: str, pole: str | None, *, dry_run: bool) -> None:
    from content.veille.models import EDITION_KINDS
    from handlers.veille import editions

    if kind not in EDITION_KINDS:
        raise fail(f"édition inconnue « {kind} » : {' ou '.join(EDITION_KINDS)}.")

    async def publish(app: App) -> None:
        target = await pole_or_fail(app, pole)
        assert target.id is not None
        await editions.refresh(app, pole_id=target.id)
        text = await editions.publish(app, pole_id=target.id, kind=kind, dry_run=dry_run)
        if text is None:
            typer.echo("Rien de nouveau depuis la dernière édition : pas d'envoi.")
            return
        from bot.messages import Text
        from bot.transports.console import render

        typer.echo(render(Text.parse(text)))
        if not dry_run:
            typer.echo("\nÉdition mise en file : le bot l'envoie aux abonnés.")

    with_app(publish)
