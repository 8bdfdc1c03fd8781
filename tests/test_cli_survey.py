"""``rse-bot survey`` on the test's database: projects, partners and exports of the partner
survey, and ``rse-bot broadcast --audience partners:PROJECT``."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.app import App
from bot.storage import repositories as repo
from bot.storage.models import Campaign, OutboxMessage, SurveyPartner, SurveyProject
from tests.handlers.test_broadcast_partners import a_project
from tests.helpers.cli import CliRun, run_rse_bot

CODE = re.compile(r"Son code d'invitation : ([A-HJKMNP-Z2-9]{8})\.")
MARCH = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # 09:00 in Paris
SEPTEMBER = datetime(2027, 9, 15, 7, 0, tzinfo=UTC)
# Two of the three partners answer the first wave; INRAE does not.
PARTNERS = ("Eurométropole de Strasbourg", "Hydreos Conseil", "INRAE")
FIRST_WAVE = {
    "Eurométropole de Strasbourg": {"gouv_concertation": "tout_a_fait", "gouv_roles": "plutot"},
    "Hydreos Conseil": {"gouv_concertation": "plutot_pas", "gouv_roles": "nsp"},
}
SECOND_WAVE = {
    "Eurométropole de Strasbourg": {"gouv_concertation": "plutot"},
    "Hydreos Conseil": {"gouv_concertation": "plutot"},
    "INRAE": {"gouv_concertation": "pas_du_tout"},
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the command is a thin layer over queries the chat's tests run on both
    databases."""
    return f"sqlite+aiosqlite:///{tmp_path / 'rse-bot.db'}"


async def rse_bot(app: App, workdir: Path, *args: str) -> CliRun:
    return await run_rse_bot(workdir, *args, database_url=app.settings.database_url)


async def test_a_project_is_created_given_partners_and_listed(app: App, tmp_path: Path) -> None:
    created = await rse_bot(
        app, tmp_path, "survey", "project", "create", "LUMIEAU-STRA", "--set", "hydreos"
    )
    assert created == (
        0,
        "Projet n°1 « LUMIEAU-STRA » créé dans « Pôle RSE ».\n"
        "Indicateurs : hydreos — Indicateurs de développement durable du projet collaboratif "
        "(26 affirmations).\n"
        "Anonymat : anonyme — les animateurs voient qui a répondu, jamais les réponses d'un "
        "partenaire.\n"
        "Vagues : chaque année le 15/03 et le 15/09 à 09:00, ouvertes 21 jours.\n"
        "Ajoutez ses partenaires : rse-bot survey partner add 1 NOM\n",
        "",
    )
    named = await rse_bot(
        app,
        tmp_path,
        "survey",
        "project",
        "create",
        "Bien-être 2027",
        "--set",
        "bien_etre",
        "--non-anonyme",
    )
    assert named.returncode == 0, named.stderr
    assert "Anonymat : non anonyme — les animateurs verront les réponses" in named.stdout

    by_name = await rse_bot(app, tmp_path, "survey", "partner", "add", "lumieau-stra", "INRAE")
    by_number = await rse_bot(app, tmp_path, "survey", "partner", "add", "1", "Hydreos  Conseil")

    printed = {}
    for done, partner in ((by_name, "INRAE"), (by_number, "Hydreos Conseil")):
        assert done.returncode == 0, done.stderr
        code = CODE.search(done.stdout)
        assert code is not None, done.stdout
        assert done.stdout == (
            f"Partenaire « {partner} » ajouté au projet « LUMIEAU-STRA ».\n"
            f"Son code d'invitation : {code[1]}. Ses répondants le tapent à /start ou avec "
            f"/enquete {code[1]}.\n"
        )
        printed[partner] = code[1]
    async with app.database.transaction() as session:
        codes = {p.name: p.code for p in (await session.scalars(select(SurveyPartner))).all()}
    assert codes == printed

    listed = await rse_bot(app, tmp_path, "survey", "project", "list")
    assert listed == (
        0,
        "n°2  Bien-être 2027 — bien_etre, non anonyme, 0 partenaire(s), 0 vague(s)\n"
        "n°1  LUMIEAU-STRA — hydreos, 2 partenaire(s), 0 vague(s)\n",
        "",
    )


async def test_an_unknown_set_a_taken_name_and_a_long_one_are_refused(
    app: App, tmp_path: Path
) -> None:
    unknown = await rse_bot(app, tmp_path, "survey", "project", "create", "X", "--set", "iso")
    await rse_bot(app, tmp_path, "survey", "project", "create", "LUMIEAU-STRA", "--set", "hydreos")
    taken = await rse_bot(
        app, tmp_path, "survey", "project", "create", "lumieau-stra", "--set", "bien_etre"
    )
    long = await rse_bot(
        app, tmp_path, "survey", "project", "create", "x" * 121, "--set", "hydreos"
    )

    assert unknown == (
        1,
        "",
        "Erreur : jeu d'indicateurs inconnu « iso » ; au choix : bien_etre (Indice bien-être "
        "au travail), hydreos (Indicateurs de développement durable du projet collaboratif).\n",
    )
    assert taken == (
        1,
        "",
        "Erreur : le pôle « Pôle RSE » a déjà un projet nommé « lumieau-stra ».\n",
    )
    assert long == (1, "", "Erreur : le nom du projet doit faire entre 1 et 120 caractères.\n")
    async with app.database.transaction() as session:
        projects = (await session.scalars(select(SurveyProject))).all()
    assert [(p.name, p.survey) for p in projects] == [("LUMIEAU-STRA", "hydreos")]


async def test_a_project_belongs_to_its_pole(app: App, tmp_path: Path) -> None:
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    created = await rse_bot(
        app,
        tmp_path,
        "survey",
        "project",
        "create",
        "Lumière",
        "--set",
        "hydreos",
        "--pole",
        other.invite_code,
    )
    assert created.returncode == 0, created.stderr

    in_default = await rse_bot(app, tmp_path, "survey", "project", "list")
    partner = await rse_bot(app, tmp_path, "survey", "partner", "add", "Lumière", "INRAE")
    in_cluster = await rse_bot(
        app, tmp_path, "survey", "project", "list", "--pole", "cluster lumière grand est"
    )

    assert in_default == (
        0,
        "Aucun projet dans « Pôle RSE » (rse-bot survey project create NOM --set JEU).\n",
        "",
    )
    assert partner == (
        1,
        "",
        "Erreur : aucun projet « Lumière » dans « Pôle RSE » "
        "(voir « rse-bot survey project list »).\n",
    )
    assert in_cluster == (0, "n°1  Lumière — hydreos, 0 partenaire(s), 0 vague(s)\n", "")


async def a_closed_wave(
    app: App,
    project: str,
    answers: dict[str, dict[str, str]],
    *,
    opened_at: datetime,
    invited: int,
) -> None:
    """Open the project's next wave at ``opened_at``, submit each partner's ``answers`` (one
    respondent per partner) and close it, as the waves' job would."""
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        found = await repo.survey_project_by_name(session, pole_id=pole.id, name=project)
        assert found is not None and found.id is not None
        partners = {p.name: p for p in await repo.survey_partners(session, project_id=found.id)}
        wave = await repo.open_survey_wave(
            session,
            project=found,
            opened_at=opened_at,
            closes_at=opened_at + timedelta(days=21),
            invited=invited,
        )
        assert wave is not None and wave.id is not None
        for name, chosen in answers.items():
            partner = partners[name]
            assert partner.id is not None
            person = await repo.create_person(
                session,
                platform="telegram",
                user_id=f"{wave.id}-{partner.id}",
                display_name=f"Répondant {name}",
            )
            assert person.id is not None
            await repo.add_respondent(session, partner_id=partner.id, person_id=person.id)
            await repo.submit_response(
                session,
                wave_id=wave.id,
                partner_id=partner.id,
                person_id=person.id,
                answers=chosen,
                comments={},
                now=opened_at + timedelta(days=3),
            )
        assert await repo.close_survey_wave(
            session, wave_id=wave.id, now=opened_at + timedelta(days=21)
        )


async def a_project_with_partners(app: App, tmp_path: Path, *options: str) -> None:
    created = await rse_bot(
        app, tmp_path, "survey", "project", "create", "LUMIEAU-STRA", "--set", "hydreos", *options
    )
    assert created.returncode == 0, created.stderr
    for partner in PARTNERS:
        added = await rse_bot(app, tmp_path, "survey", "partner", "add", "1", partner)
        assert added.returncode == 0, added.stderr


def written(done: CliRun) -> tuple[Path, Path]:
    """The workbook's and the CSV's paths that ``rse-bot survey export`` printed."""
    assert done.returncode == 0, done.stderr
    workbook, table = (Path(line.rpartition(" : ")[2]) for line in done.stdout.splitlines())
    return workbook, table


def cells(line: str) -> list[str]:
    return line.split(";")


def csv_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def test_the_export_of_the_latest_closed_wave_read_back(app: App, tmp_path: Path) -> None:
    await a_project_with_partners(app, tmp_path)
    await a_closed_wave(app, "LUMIEAU-STRA", FIRST_WAVE, opened_at=MARCH, invited=3)
    out = tmp_path / "exports"

    done = await rse_bot(app, tmp_path, "survey", "export", "LUMIEAU-STRA", "--out", str(out))

    workbook_path, csv_path = written(done)
    assert done.stdout == (
        f"Classeur des 1 vague(s) close(s) : {out / 'enquete-lumieau-stra.xlsx'}\n"
        f"CSV de « Vague 1 (15/03/2027) » : {csv_path}\n"
    )
    assert csv_path.parent == out and csv_path.name.endswith(".csv")
    rows = csv_rows(csv_path)
    assert rows[0][:4] == ["Indicateur", "Axe", "Niveau", "Tout à fait d'accord"]
    by_indicator = {row[0]: row for row in rows[1:]}
    # gouv_concertation: 1 strongly agrees, 1 somewhat disagrees: top-2 50 %, net 0.
    assert by_indicator["gouv_concertation"] == cells(
        "gouv_concertation;Gouvernance;Le projet;1;0;0;1;0;2;2;50,00;0,00;0,00"
    )
    # gouv_roles: 1 somewhat agrees, 1 no opinion: top-2 and net over 1 opinion, NSP 50 %.
    assert by_indicator["gouv_roles"] == cells(
        "gouv_roles;Gouvernance;Le projet;0;1;1;0;0;2;1;100,00;100,00;50,00"
    )
    assert by_indicator["gouv_information"][8:] == ["0", "0", "", "", ""]
    # Governance × project pooled: 1, 1, 1 NSP, 1, 0 -> top-2 2/3, net (2 − 1)/3, NSP 1/4.
    pooled = [row for row in rows if row[:3] == ["Ensemble", "Gouvernance", "Le projet"]]
    assert pooled == [cells("Ensemble;Gouvernance;Le projet;1;1;1;1;0;4;3;66,67;33,33;25,00")]

    workbook = load_workbook(workbook_path)
    assert [name.split(" ")[0] for name in workbook.sheetnames] == [
        "Résultats",
        "Tendances",
        "Indicateurs",
    ]
    results = list(workbook.worksheets[0].iter_rows(values_only=True))
    concertation = next(row for row in results if row[0] == "gouv_concertation")
    assert concertation[3:13] == (1, 0, 0, 1, 0, 2, 2, 50, 0, 0)
    assert results[-3:] == [
        ("Partenaires invités", 3) + (None,) * 11,
        ("Partenaires ayant répondu", 2) + (None,) * 11,
        ("Taux de participation (%)", pytest.approx(200 / 3)) + (None,) * 11,
    ]


async def test_a_wave_opened_non_anonymous_exports_each_partners_answers(
    app: App, tmp_path: Path
) -> None:
    await a_project_with_partners(app, tmp_path, "--non-anonyme")
    await a_closed_wave(app, "LUMIEAU-STRA", FIRST_WAVE, opened_at=MARCH, invited=3)

    workbook_path, _ = written(await rse_bot(app, tmp_path, "survey", "export", "1"))

    workbook = load_workbook(workbook_path)
    assert workbook.sheetnames[-1].startswith("Réponses par partenaire")
    answers = list(workbook.worksheets[-1].iter_rows(values_only=True))
    assert answers[0] == (
        "Indicateur",
        "Affirmation",
        "Eurométropole de Strasbourg",
        "Hydreos Conseil",
    )
    assert answers[1][0] == "gouv_concertation"
    assert answers[1][2:] == ("Tout à fait d'accord", "Plutôt pas d'accord")
    assert answers[2][2:] == ("Plutôt d'accord", "Ne se prononce pas")


async def test_an_anonymous_wave_exports_no_partners_answers(app: App, tmp_path: Path) -> None:
    await a_project_with_partners(app, tmp_path)
    await a_closed_wave(app, "LUMIEAU-STRA", FIRST_WAVE, opened_at=MARCH, invited=3)

    workbook_path, _ = written(await rse_bot(app, tmp_path, "survey", "export", "1"))

    assert not any("partenaire" in name for name in load_workbook(workbook_path).sheetnames)


async def test_the_wave_chosen_and_the_ones_that_cannot_be(app: App, tmp_path: Path) -> None:
    await a_project_with_partners(app, tmp_path)
    none_closed = await rse_bot(app, tmp_path, "survey", "export", "1")
    await a_closed_wave(app, "LUMIEAU-STRA", FIRST_WAVE, opened_at=MARCH, invited=3)
    await a_closed_wave(app, "LUMIEAU-STRA", SECOND_WAVE, opened_at=SEPTEMBER, invited=3)

    first = await rse_bot(app, tmp_path, "survey", "export", "1", "--wave", "1")
    unknown = await rse_bot(app, tmp_path, "survey", "export", "1", "--wave", "3")
    no_project = await rse_bot(app, tmp_path, "survey", "export", "Micropolluants")

    assert none_closed == (
        1,
        "",
        "Erreur : le projet « LUMIEAU-STRA » n'a encore aucune vague close.\n",
    )
    workbook_path, csv_path = written(first)
    assert "CSV de « Vague 1 (15/03/2027) »" in first.stdout
    assert first.stdout.startswith("Classeur des 2 vague(s) close(s) : ")
    assert csv_path.parent == tmp_path
    rows = {row[0]: row for row in csv_rows(csv_path)}
    assert rows["gouv_concertation"][3:10] == ["1", "0", "0", "1", "0", "2", "2"]
    sheets = load_workbook(workbook_path).sheetnames
    assert [name.split(" ")[0] for name in sheets] == [
        "Résultats",
        "Résultats",
        "Tendances",
        "Indicateurs",
    ]
    assert unknown == (
        1,
        "",
        "Erreur : pas de vague close n°3 dans le projet « LUMIEAU-STRA » (vagues closes : 1, 2).\n",
    )
    assert no_project == (
        1,
        "",
        "Erreur : aucun projet « Micropolluants » dans « Pôle RSE » "
        "(voir « rse-bot survey project list »).\n",
    )


async def test_a_broadcast_to_a_projects_partners(app: App, tmp_path: Path) -> None:
    lumieau = await a_project(
        app,
        "LUMIEAU-STRA",
        {
            "Eurométropole de Strasbourg": [("telegram", "6001"), ("telegram", "6002")],
            "Hydreos Conseil": [("telegram", "6001")],
        },
    )
    await a_project(app, "Micropolluants 2030", {"INRAE": [("telegram", "6003")]})

    by_name = await rse_bot(
        app,
        tmp_path,
        "broadcast",
        "--text",
        "Comité de pilotage le 2 avril.",
        "--audience",
        "partners:lumieau-stra",
    )
    by_number = await rse_bot(
        app,
        tmp_path,
        "broadcast",
        "--text",
        "Compte rendu du comité.",
        "--audience",
        f"partners:{lumieau}",
        "--platform",
        "telegram",
    )
    unknown = await rse_bot(
        app, tmp_path, "broadcast", "--text", "Bonjour.", "--audience", "partners:Lumière"
    )

    assert by_name.returncode == 0, by_name.stderr
    assert "Diffusion n°1 pour « Pôle RSE » : 2 destinataire(s)." in by_name.stdout
    assert by_number.returncode == 0, by_number.stderr
    async with app.database.transaction() as session:
        rows = await session.execute(
            select(Campaign.audience, OutboxMessage.chat_id)
            .join(OutboxMessage, OutboxMessage.campaign_id == Campaign.id)
            .order_by(OutboxMessage.id)
        )
        sent = sorted((audience, chat_id) for audience, chat_id in rows)
    assert sent == [
        (f"partners:{lumieau}:any", "6001"),
        (f"partners:{lumieau}:any", "6002"),
        (f"partners:{lumieau}:telegram", "6001"),
        (f"partners:{lumieau}:telegram", "6002"),
    ]
    assert unknown == (
        1,
        "",
        "Erreur : aucun projet « Lumière » dans « Pôle RSE » "
        "(voir « rse-bot survey project list »).\n",
    )
