"""``rse-bot survey``: the partner survey's projects, their partners and the animators' exports
(issue 13), through the same queries and reports as ``/enquete``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import POLE_OPTION, fail, pole_or_fail, with_app

if TYPE_CHECKING:
    from bot.app import App
    from bot.storage.models import Pole, SurveyProject
    from bot.storage.session import Session

cli = typer.Typer(
    help="Enquête partenaires des projets collaboratifs (modèle HYDREOS).", no_args_is_help=True
)
project_cli = typer.Typer(help="Projets d'enquête du pôle.", no_args_is_help=True)
partner_cli = typer.Typer(help="Organisations partenaires d'un projet.", no_args_is_help=True)
cli.add_typer(project_cli, name="project")
cli.add_typer(partner_cli, name="partner")

PROJECT_ARGUMENT = typer.Argument(
    help="Nom ou numéro du projet (voir « rse-bot survey project list »)."
)


async def project_or_fail(session: Session, pole: Pole, key: str) -> SurveyProject:
    """The pôle's project named ``key``, else numbered ``key``; another pôle's is unknown."""
    from bot.storage import repositories as repo

    assert pole.id is not None
    found = await repo.survey_project_by_name(session, pole_id=pole.id, name=key)
    if found is None and key.strip().isdigit():
        found = await repo.survey_project(session, pole_id=pole.id, project_id=int(key))
    if found is None:
        raise fail(
            f"aucun projet « {' '.join(key.split())} » dans « {pole.name} » "
            "(voir « rse-bot survey project list »)."
        )
    return found


def _calendar(project: SurveyProject) -> str:
    """« chaque année le 15/03 et le 15/09 à 09:00, ouvertes 21 jours »."""
    if not project.wave_dates:
        return f"ouvertes à la main seulement, pour {project.wave_days} jours"
    days = [f"le {day[3:5]}/{day[0:2]}" for day in project.wave_dates]
    listed = days[0] if len(days) == 1 else f"{', '.join(days[:-1])} et {days[-1]}"
    return f"chaque année {listed} à {project.wave_time}, ouvertes {project.wave_days} jours"


@project_cli.command("create")
def project_create(
    name: Annotated[str, typer.Argument(help="Nom du projet, ex. LUMIEAU-STRA.")],
    survey: Annotated[
        str, typer.Option("--set", help="Jeu d'indicateurs (un fichier de content/surveys/).")
    ],
    pole: Annotated[str | None, POLE_OPTION] = None,
    named: Annotated[
        bool,
        typer.Option(
            "--non-anonyme",
            help="Les animateurs verront les réponses de chaque partenaire dans l'export.",
        ),
    ] = False,
) -> None:
    """Créer un projet d'enquête du pôle et afficher son numéro et son calendrier de vagues."""
    from bot.storage import repositories as repo
    from content.surveys.models import project_sets
    from handlers.survey.projects import NAME_MAX

    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise fail(f"le nom du projet doit faire entre 1 et {NAME_MAX} caractères.")

    async def create(app: App) -> None:
        sets = project_sets(app.content.surveys)
        if survey not in sets:
            listed = ", ".join(
                f"{key} ({sets[key].title(app.settings.locale)})" for key in sorted(sets)
            )
            raise fail(f"jeu d'indicateurs inconnu « {survey} » ; au choix : {listed}.")
        target = await pole_or_fail(app, pole)
        assert target.id is not None
        try:
            async with app.database.transaction() as session:
                project = await repo.create_survey_project(
                    session, pole_id=target.id, name=cleaned, survey=survey, anonymous=not named
                )
        except repo.SurveyNameTaken:
            raise fail(f"le pôle « {target.name} » a déjà un projet nommé « {cleaned} ».") from None
        chosen = sets[survey]
        anonymity = (
            "anonyme — les animateurs voient qui a répondu, jamais les réponses d'un partenaire"
            if project.anonymous
            else "non anonyme — les animateurs verront les réponses de chaque partenaire "
            "dans l'export"
        )
        typer.echo(
            f"Projet n°{project.id} « {project.name} » créé dans « {target.name} ».\n"
            f"Indicateurs : {survey} — {chosen.title(app.settings.locale)} "
            f"({len(chosen.indicators)} affirmations).\n"
            f"Anonymat : {anonymity}.\n"
            f"Vagues : {_calendar(project)}.\n"
            f"Ajoutez ses partenaires : rse-bot survey partner add {project.id} NOM"
        )

    with_app(create)


@project_cli.command("list")
def project_list(pole: Annotated[str | None, POLE_OPTION] = None) -> None:
    """Lister les projets du pôle avec leur jeu d'indicateurs, partenaires et vagues."""
    from bot.storage import repositories as repo

    async def show(app: App) -> None:
        target = await pole_or_fail(app, pole)
        assert target.id is not None
        async with app.database.transaction() as session:
            projects = await repo.pole_survey_projects(session, pole_id=target.id)
            lines = []
            for project in projects:
                assert project.id is not None
                partners = await repo.survey_partners(session, project_id=project.id)
                waves = await repo.project_waves(session, project_id=project.id)
                named = "" if project.anonymous else ", non anonyme"
                lines.append(
                    f"n°{project.id}  {project.name} — {project.survey}{named}, "
                    f"{len(partners)} partenaire(s), {len(waves)} vague(s)"
                )
        if not lines:
            typer.echo(
                f"Aucun projet dans « {target.name} » "
                "(rse-bot survey project create NOM --set JEU)."
            )
        for line in lines:
            typer.echo(line)

    with_app(show)


@partner_cli.command("add")
def partner_add(
    project: Annotated[str, PROJECT_ARGUMENT],
    name: Annotated[str, typer.Argument(help="Nom de l'organisation partenaire.")],
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Ajouter une organisation partenaire au projet et afficher son code d'invitation."""
    from bot.storage import repositories as repo
    from handlers.survey.projects import PARTNER_MAX

    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > PARTNER_MAX:
        raise fail(f"le nom du partenaire doit faire entre 1 et {PARTNER_MAX} caractères.")

    async def add(app: App) -> None:
        target = await pole_or_fail(app, pole)
        async with app.database.transaction() as session:
            found = await project_or_fail(session, target, project)
            assert found.id is not None
            try:
                partner = await repo.add_survey_partner(session, project_id=found.id, name=cleaned)
            except repo.SurveyNameTaken:
                raise fail(
                    f"le projet « {found.name} » a déjà un partenaire nommé « {cleaned} »."
                ) from None
        typer.echo(
            f"Partenaire « {partner.name} » ajouté au projet « {found.name} ».\n"
            f"Son code d'invitation : {partner.code}. Ses répondants le tapent à /start ou "
            f"avec /enquete {partner.code}."
        )

    with_app(add)


@cli.command("export")
def export(
    project: Annotated[str, PROJECT_ARGUMENT],
    wave: Annotated[
        int | None,
        typer.Option(help="Numéro de la vague du CSV (par défaut : la dernière close).", min=1),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Dossier où écrire les fichiers (par défaut : le dossier courant).",
            file_okay=False,
        ),
    ] = None,
    pole: Annotated[str | None, POLE_OPTION] = None,
) -> None:
    """Écrire le classeur XLSX des vagues closes du projet et le CSV d'une vague."""
    from handlers.survey import reports

    async def write(app: App) -> None:
        from bot.storage import repositories as repo

        target = await pole_or_fail(app, pole)
        texts = app.content.texts(app.settings.locale)
        async with app.database.transaction() as session:
            found = await project_or_fail(session, target, project)
            assert found.id is not None
            survey = app.content.surveys.get(found.survey)
            if survey is None:
                raise fail(
                    f"le jeu d'indicateurs « {found.survey} » du projet « {found.name} » "
                    "n'est plus dans content/surveys/."
                )
            figures = await reports.closed_figures(
                session,
                project=found,
                survey=survey,
                texts=texts,
                zone=app.settings.tz,
                minimum=app.settings.min_group_size,
            )
            if not figures:
                raise fail(f"le projet « {found.name} » n'a encore aucune vague close.")
            if wave is None:
                chosen = figures[-1]
            else:
                numbered = (f for f in figures if f.wave.number == wave)
                if (chosen := next(numbered, None)) is None:
                    closed = ", ".join(str(f.wave.number) for f in figures)
                    raise fail(
                        f"pas de vague close n°{wave} dans le projet « {found.name} » "
                        f"(vagues closes : {closed})."
                    )
            by_partner = None
            # Each wave keeps the setting it opened with: the project's may have changed since.
            if chosen.wave.anonymous is False:
                by_partner = await reports.named_answers(
                    session,
                    survey=survey,
                    wave=chosen.wave,
                    label=chosen.all.label,
                    partners=await repo.survey_partners(session, project_id=found.id),
                )
        files = reports.export_files(
            texts,
            project=found,
            survey=survey,
            waves=[f.all for f in figures],
            wave=chosen.all,
            by_partner=by_partner,
        )
        folder = out or Path.cwd()
        workbook, table = (folder / file.filename for file in files)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for path, file in zip((workbook, table), files, strict=True):
                path.write_bytes(file.data)
        except OSError as exc:
            raise fail(f"impossible d'écrire dans {folder} : {exc}") from None
        typer.echo(f"Classeur des {len(figures)} vague(s) close(s) : {workbook}")
        typer.echo(f"CSV de « {chosen.all.label} » : {table}")

    with_app(write)
