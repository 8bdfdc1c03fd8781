"""The ``rse-bot`` command; heavy libraries are imported inside commands so --help is instant."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings
    from bot.storage.models import Campaign, Pole

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
jobs_cli = typer.Typer(help="Tâches planifiées.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(pole_cli, name="pole")
cli.add_typer(admin_cli, name="admin")
cli.add_typer(jobs_cli, name="jobs")
feeds_cli = typer.Typer(help="Flux RSS/Atom de la veille.", no_args_is_help=True)
digest_cli = typer.Typer(help="Éditions de la veille.", no_args_is_help=True)
cli.add_typer(feeds_cli, name="feeds")
cli.add_typer(digest_cli, name="digest")


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
    # Two lines a minute for the veille-editions job otherwise; the jobs log what they did.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
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


@cli.command()
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
            "veille:THÈME (ceux qui reçoivent ce thème, ex. veille:climat_energie)."
        ),
    ] = "all",
    platform: Annotated[
        str | None, typer.Option(help="telegram ou slack (par défaut : les deux).")
    ] = None,
    pole: Annotated[
        str | None, typer.Option(help="Nom ou code du pôle (par défaut : le pôle par défaut).")
    ] = None,
) -> None:
    """Diffuser un message aux membres d'un pôle, avec la progression puis le rapport d'envoi."""
    import mimetypes

    from bot.messages import Platform
    from content.loader import default_content
    from handlers.audiences import REACHABLE_FIRST, known
    from handlers.broadcast import ATTACHMENT_MAX, TEXT_MAX

    if not (text and text.strip()) and file is None:
        raise _fail("donnez le message avec --text (et/ou une pièce jointe avec --file).")
    if text is not None and len(text.strip()) > TEXT_MAX:
        raise _fail(f"le message fait {len(text.strip())} caractères ; {TEXT_MAX} au plus.")
    themes = default_content().themes.ids
    if not known(audience, themes):
        raise _fail(
            f"destinataires inconnus « {audience} » : all, veille, ou veille:THÈME avec un "
            f"thème parmi {', '.join(themes)}."
        )
    if platform is not None and platform not in {p.value for p in REACHABLE_FIRST}:
        raise _fail(f"plateforme inconnue « {platform} » : telegram ou slack.")
    if file is not None and not file.is_file():
        raise _fail(f"fichier introuvable : {file}")
    if file is not None and file.stat().st_size > ATTACHMENT_MAX:
        raise _fail(f"pièce jointe trop lourde : {ATTACHMENT_MAX // 1_000_000} Mo au plus.")

    async def send(app: App) -> None:
        from bot.outbox import enqueue
        from bot.storage.models import Campaign
        from handlers.audiences import resolve

        target = await _pole_or_fail(app, pole)
        assert target.id is not None
        async with app.database.transaction() as session:
            recipients = await resolve(
                session,
                audience=audience,
                pole_id=target.id,
                platform=Platform(platform) if platform else None,
            )
            if not recipients.reachable:
                raise _fail(f"personne à qui l'envoyer dans « {target.name} » sur ces plateformes.")
            campaign = Campaign(
                pole_id=target.id,
                kind="broadcast",
                audience=f"{audience}:{platform or 'any'}",
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

    _with_app(send)


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
    from bot.identities import parse_account
    from bot.storage import repositories as repo
    from content.text import fold
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


_JOB_KINDS = {"recurring": "récurrente", "moment": "ponctuelle", None: "inconnue"}
_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


@jobs_cli.command(
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
def jobs_list() -> None:
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

    _with_app(show)


@jobs_cli.command("run")
def jobs_run(
    job_id: Annotated[
        str, typer.Argument(metavar="ID", help="Identifiant, voir « rse-bot jobs list ».")
    ],
) -> None:
    """Exécuter maintenant une tâche récurrente, dans ce processus (son planning ne change pas)."""
    from scheduler.jobs import JOBS

    spec = next((spec for spec in JOBS if spec.id == job_id), None)
    if spec is None:
        known = ", ".join(spec.id for spec in JOBS)
        raise _fail(f"tâche inconnue « {job_id} ». Tâches connues : {known}.")

    async def run_now(app: App) -> None:
        await spec.func(app)
        typer.echo(f"Tâche « {spec.id} » exécutée.")

    _with_app(run_now)


async def _pole_or_fail(app: App, key: str | None) -> Pole:
    """The pôle named or coded ``key``, or the default pôle."""
    from bot.storage import repositories as repo

    async with app.database.transaction() as session:
        found = (
            await repo.pole_by_name_or_code(session, key=key)
            if key
            else await repo.default_pole(session)
        )
    if found is None or found.id is None:
        raise _fail(f"pôle « {key} » introuvable (voir « rse-bot pole list »).")
    return found


_POLE_OPTION = typer.Option(help="Nom ou code du pôle (par défaut : le pôle par défaut).")


@feeds_cli.command("import")
def feeds_import(
    file: Annotated[Path, typer.Argument(help="Fichier OPML (export d'un lecteur de flux).")],
    pole: Annotated[str | None, _POLE_OPTION] = None,
) -> None:
    """Ajouter au pôle les flux d'un fichier OPML (ceux déjà suivis sont ignorés)."""
    from bot.opml import OpmlError, read_opml

    try:
        outlines = read_opml(file.read_bytes())
    except OSError as exc:
        raise _fail(f"fichier illisible : {exc}") from None
    except OpmlError as exc:
        raise _fail(str(exc)) from None

    async def add(app: App) -> None:
        from handlers.veille.sources import add_feeds

        target = await _pole_or_fail(app, pole)
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

    _with_app(add)


@feeds_cli.command("export")
def feeds_export(pole: Annotated[str | None, _POLE_OPTION] = None) -> None:
    """Écrire les flux du pôle en OPML sur la sortie standard."""
    from bot.opml import Outline, write_opml

    async def export(app: App) -> None:
        from bot.storage import repositories as repo

        target = await _pole_or_fail(app, pole)
        assert target.id is not None
        async with app.database.transaction() as session:
            feeds = await repo.pole_feeds(session, pole_id=target.id)
            outlines = [Outline(f.url, f.title, f.theme) for f in feeds]
        sys.stdout.buffer.write(write_opml(f"Veille RSE — {target.name}", outlines))

    _with_app(export)


@feeds_cli.command("check")
def feeds_check(pole: Annotated[str | None, _POLE_OPTION] = None) -> None:
    """Relever chaque flux une fois, avec une barre de progression, puis afficher leur état."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from handlers.veille import editions

    async def check(app: App) -> None:
        target = await _pole_or_fail(app, pole)
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

    _with_app(check)


@digest_cli.command("build")
def digest_build(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Afficher sans rien envoyer.")] = False,
    kind: Annotated[str, typer.Option(help="note (hebdomadaire) ou newsletter.")] = "note",
    pole: Annotated[str | None, _POLE_OPTION] = None,
) -> None:
    """Construire la prochaine édition de la veille (et l'envoyer, sauf avec --dry-run)."""
    _digest(kind, pole, dry_run=dry_run)


@digest_cli.command("send")
def digest_send(
    kind: Annotated[str, typer.Option(help="note (hebdomadaire) ou newsletter.")] = "note",
    pole: Annotated[str | None, _POLE_OPTION] = None,
) -> None:
    """Relever les flux, construire la prochaine édition et la mettre en file d'envoi."""
    _digest(kind, pole, dry_run=False)


@digest_cli.command("schedule")
def digest_schedule(
    kind: Annotated[
        str | None, typer.Argument(help="note ou lettre ; sans rien : afficher le calendrier.")
    ] = None,
    words: Annotated[
        list[str] | None,
        typer.Argument(help="Jours puis heure (« lundi 8h30 », « 1,15 9h »), aucune ou défaut."),
    ] = None,
    pole: Annotated[str | None, _POLE_OPTION] = None,
) -> None:
    """Afficher ou changer le calendrier des éditions de la veille du pôle."""
    from bot.storage.models import utcnow
    from bot.transports.console import render
    from content.schedules import ScheduleError
    from content.text import fold
    from handlers.veille import calendar

    edition = calendar.KIND_WORDS.get(fold(kind)) if kind else None
    if kind is not None and (edition is None or not words):
        raise _fail("donnez l'édition (note ou lettre) puis le calendrier, ex. : note lundi 8h30")

    async def schedule(app: App) -> None:
        target = await _pole_or_fail(app, pole)
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
                    raise _fail(texts.label(error.key, **error.values)) from None
            planned = await calendar.calendar(session, app.content, pole_id=target.id)
        text = calendar.calendar_text(texts, target, planned, now=now, zone=app.settings.tz)
        typer.echo(render(text))

    _with_app(schedule)


def _digest(kind: str, pole: str | None, *, dry_run: bool) -> None:
    from content.veille.models import EDITION_KINDS
    from handlers.veille import editions

    if kind not in EDITION_KINDS:
        raise _fail(f"édition inconnue « {kind} » : {' ou '.join(EDITION_KINDS)}.")

    async def build(app: App) -> None:
        target = await _pole_or_fail(app, pole)
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

    _with_app(build)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
