"""``rse-bot broadcast``: an animator's broadcast, sent from this process with its report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import POLE_OPTION, fail, pole_or_fail, with_app

if TYPE_CHECKING:
    from bot.app import App
    from bot.storage.models import Campaign


def broadcast(
    text: Annotated[
        str | None, typer.Option(help="Le message ; mise en forme **gras** et __italique__.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(help="Une pièce jointe (image, PDF…).", dir_okay=False, resolve_path=True),
    ] = None,
    audience: Annotated[
        str,
        typer.Option(
            help="Destinataires : all (tous les membres), veille (les abonnés à la veille), "
            "veille:THÈME (ceux qui reçoivent ce thème, ex. veille:climat_energie), "
            "club:NOM (les membres d'un club du pôle qui ont accepté sa charte actuelle, "
            "ex. « club:Club BouRSE »), partners:PROJET (les répondants des partenaires d'un "
            "projet d'enquête du pôle, membres ou non, par son nom ou son numéro, "
            "ex. partners:LUMIEAU-STRA)."
        ),
    ] = "all",
    platform: Annotated[
        str | None, typer.Option(help="telegram ou slack (par défaut : les deux).")
    ] = None,
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Diffuser un message aux membres d'un pôle, avec la progression puis le rapport d'envoi."""
    import mimetypes

    from bot.messages import Platform
    from content.loader import default_content
    from handlers.audiences import REACHABLE_FIRST, known
    from handlers.broadcast import ATTACHMENT_MAX, TEXT_MAX

    if not (text and text.strip()) and file is None:
        raise fail("donnez le message avec --text (et/ou une pièce jointe avec --file).")
    if text is not None and len(text.strip()) > TEXT_MAX:
        raise fail(f"le message fait {len(text.strip())} caractères ; {TEXT_MAX} au plus.")
    themes = default_content().themes.ids
    kind, _, named = audience.partition(":")
    named = " ".join(named.split())
    # A club or a project is found by its name in the pôle, once the database is open.
    if not (kind in {"club", "partners"} and named) and not known(audience, themes):
        raise fail(
            f"destinataires inconnus « {audience} » : all, veille, ou veille:THÈME avec un "
            f"thème parmi {', '.join(themes)} ; club:NOM, les membres d'un club du pôle ; ou "
            "partners:PROJET, les répondants des partenaires d'un projet d'enquête du pôle."
        )
    if platform is not None and platform not in {p.value for p in REACHABLE_FIRST}:
        raise fail(f"plateforme inconnue « {platform} » : telegram ou slack.")
    if file is not None and not file.is_file():
        raise fail(f"fichier introuvable : {file}")
    if file is not None and file.stat().st_size > ATTACHMENT_MAX:
        raise fail(f"pièce jointe trop lourde : {ATTACHMENT_MAX // 1_000_000} Mo au plus.")

    async def send(app: App) -> None:
        from bot.outbox import enqueue
        from bot.storage import repositories as repo
        from bot.storage.models import Campaign
        from handlers.audiences import resolve

        target = await pole_or_fail(app, pole)
        assert target.id is not None
        async with app.database.transaction() as session:
            chosen = audience
            if kind == "club":
                club = await repo.club_by_name(session, pole_id=target.id, name=named)
                if club is None:
                    raise fail(
                        f"aucun club « {named} » dans « {target.name} » "
                        "(voir « rse-bot club list »)."
                    )
                chosen = f"club:{club.id}"
            elif kind == "partners":
                from bot.cli.survey import project_or_fail

                project = await project_or_fail(session, target, named)
                chosen = f"partners:{project.id}"
            recipients = await resolve(
                session,
                audience=chosen,
                pole_id=target.id,
                platform=Platform(platform) if platform else None,
            )
            if not recipients.reachable:
                raise fail(f"personne à qui l'envoyer dans « {target.name} » sur ces plateformes.")
            campaign = Campaign(
                pole_id=target.id,
                kind="broadcast",
                audience=f"{chosen}:{platform or 'any'}",
                text=(text or "").strip(),
                attachment_name=file.name if file else None,
                attachment_type=(mimetypes.guess_type(file.name)[0] if file else None),
                attachment_data=file.read_bytes() if file else None,
            )
            await enqueue(session, campaign=campaign, recipients=recipients.recipients)
        typer.echo(
            f"Diffusion n°{campaign.id} pour « {target.name} » : "
            f"{recipients.reachable} destinataire(s)."
        )
        await _deliver(app, campaign)

    with_app(send)


async def _deliver(app: App, campaign: Campaign) -> None:
    """Send ``campaign`` from this process, showing progress, then print its report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from bot.outbox import OutboxWorker, Tuning, report
    from bot.runner import build_transports

    transports, _ = build_transports(app)
    if not transports:
        typer.echo(
            "Aucune plateforme configurée ici : les messages restent en file et partiront "
            "au démarrage du bot (rse-bot run)."
        )
        return
    for transport in transports:
        await transport.start(receive=False)
    worker = OutboxWorker(
        app.database,
        {t.platform: t for t in transports},
        Tuning(lease=app.settings.outbox_lease_seconds),
        campaign_id=campaign.id,
    )
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, TimeRemainingColumn(), transient=True) as progress:
            bar = progress.add_task("Envoi", total=None)
            sending = asyncio.create_task(worker.drain())
            while not sending.done():
                async with app.database.transaction() as session:
                    state = await report(session, campaign=campaign)
                progress.update(bar, total=state.total, completed=state.done)
                await asyncio.wait({sending}, timeout=0.3)
            await sending
    finally:
        for transport in transports:
            await transport.stop()
    async with app.database.transaction() as session:
        state = await report(session, campaign=campaign)
    from handlers.broadcast import delivery_lines

    for line in delivery_lines(app.content.texts(app.settings.locale), state):
        typer.echo(str(line))
