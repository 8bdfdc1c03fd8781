"""A member's diagnostic history and the animators' anonymous synthesis, on rows inserted
directly, called through the context the router builds. Expected figures computed by hand."""

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

import pytest

from bot.app import App
from bot.conversation import Context
from bot.messages import Incoming, Platform, Reply
from bot.storage import repositories as repo
from bot.storage.models import Diagnostic, Pole
from content.loader import default_content
from handlers import charts, diagnostic_reports
from handlers.diagnostic_reports import MIN_COMPANIES, history, pole_average, synthesis

SECTIONS = [section.id for section in default_content().diagnostic.sections]
PNG = b"\x89PNG\r\n\x1a\n"
Report = Callable[[Context], Awaitable[list[Reply]]]


def by_subject(*percents: float | None) -> dict[str, float | None]:
    """Scores in the questionnaire's order: gouvernance, droits de l'Homme, conditions de
    travail, environnement, loyauté, consommateurs, communautés."""
    assert len(percents) == len(SECTIONS) == 7
    return dict(zip(SECTIONS, percents, strict=True))


async def add_member(
    app: App,
    user_id: str,
    name: str,
    company: str | None,
    *,
    role: str = "member",
    pole_id: int | None = None,
) -> tuple[int, int]:
    """A console account signed up in the default pôle (or ``pole_id``): (person id, pôle id)."""
    async with app.database.transaction() as session:
        pole = await repo.pole_by_id(session, pole_id) or await repo.default_pole(session)
        assert pole is not None
        person = await repo.create_person(
            session, platform="console", user_id=user_id, display_name=name, company=company
        )
        member = await repo.join_pole(session, person=person, pole=pole)
        await repo.set_role(session, member=member, role=role)
        assert person.id is not None and pole.id is not None
        return person.id, pole.id


async def add_diagnostic(
    app: App,
    member: tuple[int, int],
    *,
    company: str | None,
    when: datetime,
    score: float,
    level: str,
    sections: dict[str, float | None],
    version: str = "full",
) -> None:
    person_id, pole_id = member
    async with app.database.transaction() as session:
        session.add(
            Diagnostic(
                person_id=person_id,
                pole_id=pole_id,
                company=company,
                sector="agro_bio",
                questionnaire="diagnostic",
                version=version,
                score=score,
                level=level,
                section_scores=sections,
                completed_at=when,
            )
        )


async def run(app: App, user_id: str, report: Report) -> list[Reply]:
    """Call ``report`` with the context the router builds for this console account."""
    incoming = Incoming.typed(Platform.CONSOLE, user_id, user_id, "/diagnostic")
    async with app.database.transaction() as session:
        sender = await repo.account(session, platform="console", user_id=user_id)
        context = Context(
            session,
            app.settings,
            app.content,
            incoming,
            sender.state,
            app.router.visible_commands,
            sender.person,
            sender.pole,
            sender.member,
        )
        return await report(context)


def text_of(replies: Sequence[Reply]) -> str:
    return "\n".join(str(reply.text) for reply in replies)


def lines_of(replies: Sequence[Reply]) -> list[str]:
    return text_of(replies).splitlines()


# --- History -------------------------------------------------------------------------------


@pytest.fixture
async def alice(app: App) -> tuple[int, int]:
    """Alice's three diagnostics: quick in January, full in May and November 2026."""
    alice = await add_member(app, "alice", "Alice Martin", "Biocoop Lyon")
    for when, version, score, level, sections in [
        (
            datetime(2026, 1, 12, 10, 0, tzinfo=UTC),
            "quick",
            44.4,
            "intermediaire",
            by_subject(33.3, 33.3, 66.7, 33.3, 33.3, None, 66.7),
        ),
        (
            datetime(2026, 5, 18, 8, 0, tzinfo=UTC),
            "full",
            51.9,
            "intermediaire",
            by_subject(44.4, 33.3, 66.7, 44.4, 55.6, None, 77.8),
        ),
        (
            datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            "full",
            63.0,
            "confirme",
            by_subject(55.6, 33.3, 58.3, 66.7, 55.6, 44.4, None),
        ),
    ]:
        await add_diagnostic(
            app,
            alice,
            company="Biocoop Lyon",
            when=when,
            version=version,
            score=score,
            level=level,
            sections=sections,
        )
    return alice


@pytest.fixture
async def bob(app: App) -> tuple[int, int]:
    """Another member of the same pôle, with one expert diagnostic."""
    bob = await add_member(app, "bob", "Bob Lefèvre", "Scop Les Tisserands")
    await add_diagnostic(
        app,
        bob,
        company="Scop Les Tisserands",
        when=datetime(2026, 6, 1, 14, 0, tzinfo=UTC),
        score=91.7,
        level="expert",
        sections=by_subject(100, 88.9, 100, 77.8, 100, 88.9, 88.9),
    )
    return bob


async def test_history_lists_own_diagnostics_oldest_first(
    app: App, alice: tuple[int, int], bob: tuple[int, int]
) -> None:
    lines = lines_of(await run(app, "alice", history))

    assert lines[:4] == [
        "Vos autodiagnostics RSE (3)",
        "• 12/01/2026 — version rapide — Intermédiaire — 44 %",
        "• 18/05/2026 — version complète — Intermédiaire — 52 %",
        "• 02/11/2026 — version complète — Confirmé — 63 %",
    ]


async def test_history_never_shows_another_members_diagnostics(
    app: App, bob: tuple[int, int]
) -> None:
    await add_member(app, "alice", "Alice Martin", "Biocoop Lyon")

    replies = await run(app, "alice", history)

    assert "aucun autodiagnostic" in text_of(replies)
    assert "01/06/2026" not in text_of(replies)
    assert "92 %" not in text_of(replies)
    assert "Expert" not in text_of(replies)


async def test_history_shows_the_change_per_subject_since_the_previous_diagnostic(
    app: App, alice: tuple[int, int]
) -> None:
    lines = lines_of(await run(app, "alice", history))

    start = lines.index("Évolution depuis le 18/05/2026")
    assert lines[start + 1 :] == [
        "• Score global : 52 % → 63 % (+11)",
        "• Gouvernance de l'organisation : 44 % → 56 % (+12)",
        "• Droits de l'Homme : 33 % → 33 % (+0)",
        "• Relations et conditions de travail : 67 % → 58 % (-9)",
        "• L'environnement : 44 % → 67 % (+23)",
        "• Loyauté des pratiques : 56 % → 56 % (+0)",
        "• Questions relatives aux consommateurs : — → 44 % "
        "(pas de score dans l'un des deux : pas de comparaison)",
        "• Communautés et développement local : 78 % → — "
        "(pas de score dans l'un des deux : pas de comparaison)",
    ]


async def test_history_attaches_an_evolution_chart_from_two_diagnostics(
    app: App, alice: tuple[int, int]
) -> None:
    replies = await run(app, "alice", history)

    [chart] = [file for reply in replies for file in reply.attachments]
    assert chart.mime_type == "image/png"
    assert chart.data.startswith(PNG)


async def test_the_evolution_chart_has_one_line_per_subject_and_one_overall(
    app: App, alice: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: dict[str, object] = {}

    def evolution_png(dates, series, *, title):  # type: ignore[no-untyped-def]
        drawn.update(dates=dates, series=series, title=title)
        return PNG

    monkeypatch.setattr(charts, "evolution_png", evolution_png)
    await run(app, "alice", history)

    assert drawn["dates"] == [date(2026, 1, 12), date(2026, 5, 18), date(2026, 11, 2)]
    series = drawn["series"]
    assert isinstance(series, dict)
    assert list(series) == [
        "Score global",
        *(s.title("fr") for s in default_content().diagnostic.sections),
    ]
    assert series["Score global"] == [44.4, 51.9, 63.0]
    assert series["L'environnement"] == [33.3, 44.4, 66.7]
    assert series["Questions relatives aux consommateurs"] == [None, None, 44.4]


async def test_a_single_diagnostic_has_no_chart_and_no_change(
    app: App, bob: tuple[int, int]
) -> None:
    replies = await run(app, "bob", history)

    assert "• 01/06/2026 — version complète — Expert — 92 %" in lines_of(replies)
    assert "Évolution" not in text_of(replies)
    assert "Refaites l'autodiagnostic dans quelques mois" in text_of(replies)
    assert not [file for reply in replies for file in reply.attachments]


async def test_history_dates_are_in_local_time(app: App) -> None:
    claire = await add_member(app, "claire", "Claire Durand", "Hydreos Conseil")
    # 22:30 UTC on 31 March is 00:30 on 1 April in Paris (summer time).
    await add_diagnostic(
        app,
        claire,
        company="Hydreos Conseil",
        when=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
        version="quick",
        score=33.3,
        level="debutant",
        sections=by_subject(33.3, 0, 66.7, 33.3, 33.3, 33.3, 33.3),
    )

    lines = lines_of(await run(app, "claire", history))

    assert "• 01/04/2026 — version rapide — Débutant — 33 %" in lines


async def test_without_diagnostic_the_member_is_offered_to_start_one(app: App) -> None:
    await add_member(app, "alice", "Alice Martin", "Biocoop Lyon")

    [reply] = await run(app, "alice", history)

    assert str(reply.text).startswith("Vous n'avez encore terminé aucun autodiagnostic RSE.")
    assert [(b.label, b.value) for b in reply.buttons] == [
        ("Faire mon autodiagnostic", "/diagnostic")
    ]


# --- Synthesis -----------------------------------------------------------------------------

# Five companies of the pôle: name, score, level, then scores per subject (see by_subject).
FIVE = [
    ("Biocoop Lyon", 72.0, "confirme", (80, 67, 75, 60, 90, 70, 62)),
    ("Scop Les Tisserands", 45.5, "intermediaire", (50, 33, 50, 40, 67, 50, 30)),
    ("Hydreos Conseil", 30.0, "debutant", (33, 0, 40, 20, 50, None, 33)),
    ("Maison Perrin Vignobles", 85.0, "expert", (90, 100, 80, 85, 90, 80, 70)),
    ("Fromagerie Berthaut", 52.5, "intermediaire", (60, 50, 67, 33, 70, 40, 45)),
]
NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


async def add_companies(
    app: App,
    companies: Sequence[tuple[str | None, float, str, tuple]],
    *,
    prefix: str = "membre",
    pole_id: int | None = None,
) -> None:
    """One member per entry (``membre-0``, ``membre-1``...), each with one diagnostic of that
    company."""
    for index, (company, score, level, sections) in enumerate(companies):
        member = await add_member(
            app, f"{prefix}-{index}", f"Membre {index}", company, pole_id=pole_id
        )
        await add_diagnostic(
            app,
            member,
            company=company,
            when=NOVEMBER,
            score=score,
            level=level,
            sections=by_subject(*sections),
        )


@pytest.fixture
async def animator(app: App) -> str:
    await add_member(app, "claire", "Claire Martin", "Pôle Végépolys", role="animator")
    return "claire"


def attachments(replies: Sequence[Reply]) -> dict[str, tuple[str, bytes]]:
    return {f.filename: (f.mime_type, f.data) for reply in replies for f in reply.attachments}


async def test_synthesis_is_hidden_under_five_companies(app: App, animator: str) -> None:
    await add_companies(app, FIVE[:4])

    replies = await run(app, animator, synthesis)

    assert text_of(replies) == (
        "Synthèse des autodiagnostics de Pôle RSE : 4 entreprise(s) ont répondu pour l'instant. "
        "La synthèse s'affiche à partir de 5 entreprises, pour qu'aucune ne puisse être reconnue "
        "dans les chiffres."
    )
    assert not attachments(replies)


async def test_synthesis_counts_companies_not_members(app: App, animator: str) -> None:
    # Six members, four companies: names are compared without case, accents or extra spaces.
    colleagues = [
        ("BIOCOOP  lyon", 60.0, "confirme", FIVE[0][3]),
        ("Hydréos conseil", 40.0, "intermediaire", FIVE[2][3]),
    ]
    await add_companies(app, [*FIVE[:4], *colleagues])

    replies = await run(app, animator, synthesis)

    assert "4 entreprise(s) ont répondu" in text_of(replies)
    assert not attachments(replies)


async def test_synthesis_ignores_other_poles(app: App, animator: str) -> None:
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Vegepolys Valley")
    await add_companies(app, FIVE[:4])
    await add_companies(app, FIVE[2:], prefix="autre", pole_id=other.id)

    replies = await run(app, animator, synthesis)

    assert "4 entreprise(s) ont répondu" in text_of(replies)


async def test_a_member_without_company_counts_as_one(app: App, animator: str) -> None:
    await add_companies(app, [*FIVE[:4], (None, 52.5, "intermediaire", FIVE[4][3])])

    replies = await run(app, animator, synthesis)

    assert "5 autodiagnostics, de 5 entreprises" in text_of(replies)


async def test_synthesis_from_five_companies_shows_levels_and_means(
    app: App, animator: str
) -> None:
    await add_companies(app, FIVE)

    lines = lines_of(await run(app, animator, synthesis))

    # Means: (72 + 45.5 + 30 + 85 + 52.5) / 5 = 57; per subject, e.g. the environment
    # (60 + 40 + 20 + 85 + 33) / 5 = 47.6, consumers over the 4 scores 240 / 4 = 60.
    assert lines == [
        "Synthèse des autodiagnostics de Pôle RSE",
        "5 autodiagnostics, de 5 entreprises (le plus récent de chaque membre). "
        "Aucune réponse individuelle n'est montrée.",
        "",
        "Score moyen : 57 %",
        "",
        "Répartition par niveau",
        "• Débutant : 1",
        "• Intermédiaire : 2",
        "• Confirmé : 1",
        "• Expert : 1",
        "",
        "Score moyen par question centrale",
        "• Gouvernance de l'organisation : 63 % (B)",
        "• Droits de l'Homme : 50 % (B)",
        "• Relations et conditions de travail : 62 % (B)",
        "• L'environnement : 48 % (C)",
        "• Loyauté des pratiques : 73 % (B)",
        "• Questions relatives aux consommateurs : 60 % (B)",
        "• Communautés et développement local : 48 % (C)",
        "",
        "Questions centrales les plus faibles : L'environnement, "
        "Communautés et développement local, Droits de l'Homme",
        "",
        "En pièce jointe, un fichier CSV pour Excel avec ces seuls chiffres agrégés : moyenne, "
        "minimum et maximum par question centrale, nombre d'autodiagnostics par niveau.",
    ]


async def test_synthesis_counts_each_members_latest_diagnostic_only(
    app: App, animator: str
) -> None:
    await add_companies(app, FIVE)
    paul = await add_member(app, "paul", "Paul Girard", "Brasserie du Vercors")
    # Paul's expert diagnostic of March was followed by a beginner one in October.
    for month, score, level in [(3, 90.0, "expert"), (10, 20.0, "debutant")]:
        await add_diagnostic(
            app,
            paul,
            company="Brasserie du Vercors",
            when=datetime(2026, month, 1, tzinfo=UTC),
            score=score,
            level=level,
            sections=by_subject(20, 20, 20, 20, 20, 20, 20),
        )

    lines = lines_of(await run(app, animator, synthesis))

    assert lines[1].startswith("6 autodiagnostics, de 6 entreprises")
    assert "• Débutant : 2" in lines
    assert "• Expert : 1" in lines
    # (285 + 20) / 6 = 50.8
    assert "Score moyen : 51 %" in lines


async def test_synthesis_names_no_company(app: App, animator: str) -> None:
    await add_companies(app, FIVE)

    replies = await run(app, animator, synthesis)

    for company, *_ in FIVE:
        assert company not in text_of(replies)


async def test_synthesis_attaches_a_bar_chart_and_a_csv(app: App, animator: str) -> None:
    await add_companies(app, FIVE)

    files = attachments(await run(app, animator, synthesis))

    assert sorted(files) == [
        "synthese-diagnostics-pole-rse.csv",
        "synthese-diagnostics-pole-rse.png",
    ]
    mime_type, png = files["synthese-diagnostics-pole-rse.png"]
    assert mime_type == "image/png" and png.startswith(PNG)
    assert files["synthese-diagnostics-pole-rse.csv"][0] == "text/csv"


async def test_the_csv_holds_aggregated_rows_only(app: App, animator: str) -> None:
    await add_companies(app, FIVE)

    files = attachments(await run(app, animator, synthesis))

    data = files["synthese-diagnostics-pole-rse.csv"][1]
    assert data.startswith("\ufeff".encode())  # so that Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Type", "Libellé", "Moyenne (%)", "Minimum (%)", "Maximum (%)", "Nombre"],
        ["Ensemble", "Score global", "57,0", "30,0", "85,0", "5"],
        ["Question centrale", "Gouvernance de l'organisation", "62,6", "33,0", "90,0", "5"],
        ["Question centrale", "Droits de l'Homme", "50,0", "0,0", "100,0", "5"],
        ["Question centrale", "Relations et conditions de travail", "62,4", "40,0", "80,0", "5"],
        ["Question centrale", "L'environnement", "47,6", "20,0", "85,0", "5"],
        ["Question centrale", "Loyauté des pratiques", "73,4", "50,0", "90,0", "5"],
        ["Question centrale", "Questions relatives aux consommateurs", "60,0", "40,0", "80,0", "4"],
        ["Question centrale", "Communautés et développement local", "48,0", "30,0", "70,0", "5"],
        ["Niveau", "Débutant", "", "", "", "1"],
        ["Niveau", "Intermédiaire", "", "", "", "2"],
        ["Niveau", "Confirmé", "", "", "", "1"],
        ["Niveau", "Expert", "", "", "", "1"],
    ]
    text = data.decode("utf-8-sig")
    for company, *_ in FIVE:
        assert company not in text
    assert "agro_bio" not in text


async def test_a_member_is_refused_the_synthesis(app: App) -> None:
    await add_companies(app, FIVE)
    await add_member(app, "alice", "Alice Martin", "Biocoop Lyon")

    replies = await run(app, "alice", synthesis)

    assert text_of(replies).startswith(
        "La synthèse des autodiagnostics du pôle est réservée à ses animateurs et animatrices."
    )
    assert not attachments(replies)


# --- Pôle average --------------------------------------------------------------------------


async def average(app: App, **options: int) -> diagnostic_reports.PoleAverage | None:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert isinstance(pole, Pole) and pole.id is not None
        return await pole_average(session, pole_id=pole.id, **options)


async def member_of(app: App, user_id: str) -> tuple[int, int]:
    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="console", user_id=user_id)
        assert person is not None and person.id is not None and person.active_pole_id
        return person.id, person.active_pole_id


async def test_pole_average_is_none_under_five_companies(app: App) -> None:
    await add_companies(app, FIVE[:4])

    assert MIN_COMPANIES == 5
    assert await average(app) is None


async def test_pole_average_from_five_companies(app: App) -> None:
    await add_companies(app, FIVE)

    result = await average(app)

    assert result is not None
    assert (result.companies, result.diagnostics) == (5, 5)
    assert result.percent == pytest.approx(57.0)
    assert result.sections == pytest.approx(by_subject(62.6, 50.0, 62.4, 47.6, 73.4, 60.0, 48.0))


async def test_pole_average_takes_each_persons_latest_diagnostic_only(app: App) -> None:
    await add_companies(app, FIVE)
    # Biocoop Lyon's member had done better in the spring: only November's diagnostic counts.
    await add_diagnostic(
        app,
        await member_of(app, "membre-0"),
        company="Biocoop Lyon",
        when=datetime(2026, 4, 2, tzinfo=UTC),
        score=97.0,
        level="expert",
        sections=by_subject(100, 100, 100, 100, 100, 100, 100),
    )

    result = await average(app)

    assert result is not None
    assert result.diagnostics == 5
    assert result.percent == pytest.approx(57.0)
    assert result.sections["gouvernance"] == pytest.approx(62.6)


async def test_pole_average_can_leave_the_member_out(app: App) -> None:
    await add_companies(app, FIVE)
    person_id, _ = await member_of(app, "membre-4")

    # Without Fromagerie Berthaut, four companies remain: too few to show.
    assert await average(app, exclude_person_id=person_id) is None
