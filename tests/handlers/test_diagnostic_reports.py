"""A member's diagnostic history and the animators' anonymous synthesis, on rows inserted
directly, called through the context the router builds. Expected figures computed by hand."""

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from bot.app import App
from bot.messages import Reply
from bot.storage import repositories as repo
from bot.storage.models import Pole
from content.loader import default_content
from handlers.diagnostic import charts
from handlers.diagnostic.figures import PoleFigures, compared_with
from handlers.diagnostic.reports import history, synthesis
from tests.helpers.diagnostics import (
    FIVE,
    CompanyRow,
    add_companies,
    add_diagnostic,
    add_member,
    by_subject,
    lines_of,
    run,
    text_of,
)

PNG = b"\x89PNG\r\n\x1a\n"


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

# FIVE and a sixth company that also answered "je ne sais pas" on consumers: four of the six
# companies have a score there.
SIX: list[CompanyRow] = [
    *FIVE,
    ("Brasserie du Vercors", 60.0, "confirme", (55, 45, 60, 50, 65, None, 50)),
]
CONSUMERS = "Questions relatives aux consommateurs"
CONSUMERS_HIDDEN = (
    "• Questions relatives aux consommateurs : non affiché (moins de 5 entreprises y ont un score)"
)
HIDDEN_CELL = "moins de 5 entreprises : non affiché"


@pytest.fixture
async def animator(app: App) -> str:
    await add_member(app, "claire", "Claire Martin", "Pôle Végépolys", role="animator")
    return "claire"


def attachments(replies: Sequence[Reply]) -> dict[str, tuple[str, bytes]]:
    return {f.filename: (f.mime_type, f.data) for reply in replies for f in reply.attachments}


def csv_rows(replies: Sequence[Reply]) -> list[list[str]]:
    data = attachments(replies)["synthese-diagnostics-pole-rse.csv"][1]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


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
    colleagues: list[CompanyRow] = [
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

    assert lines_of(replies)[1].startswith("5 entreprises, chacune par son autodiagnostic")


async def test_synthesis_from_five_companies_shows_the_figures_five_of_them_make(
    app: App, animator: str
) -> None:
    await add_companies(app, FIVE)

    lines = lines_of(await run(app, animator, synthesis))

    # Means: (72 + 45.5 + 30 + 85 + 52.5) / 5 = 57; per subject, e.g. the environment
    # (60 + 40 + 20 + 85 + 33) / 5 = 47.6. Consumers: four scores only, hidden. Levels: 1, 2,
    # 1 and 1 companies, even merged they only make the total, hidden.
    assert lines == [
        "Synthèse des autodiagnostics de Pôle RSE",
        "5 entreprises, chacune par son autodiagnostic le plus récent. Aucune réponse "
        "individuelle n'est montrée, et aucun chiffre ne repose sur moins de 5 entreprises.",
        "",
        "Score moyen : 57 %",
        "",
        "Répartition par niveau",
        "• moins de 5 entreprises par niveau : répartition non affichée",
        "",
        "Score moyen par question centrale",
        "• Gouvernance de l'organisation : 63 % (B)",
        "• Droits de l'Homme : 50 % (B)",
        "• Relations et conditions de travail : 62 % (B)",
        "• L'environnement : 48 % (C)",
        "• Loyauté des pratiques : 73 % (B)",
        CONSUMERS_HIDDEN,
        "• Communautés et développement local : 48 % (C)",
        "",
        "Questions centrales les plus faibles : L'environnement, "
        "Communautés et développement local, Droits de l'Homme",
        "",
        "En pièce jointe, un fichier CSV pour Excel avec ces seuls chiffres agrégés : moyenne et "
        "nombre d'entreprises par question centrale, nombre d'entreprises par niveau ; une case "
        "vide est un chiffre non affiché.",
    ]


async def test_a_subject_answered_by_four_of_six_companies_shows_no_mean(
    app: App, animator: str
) -> None:
    await add_companies(app, SIX)

    lines = lines_of(await run(app, animator, synthesis))

    assert CONSUMERS_HIDDEN in lines
    # The four scores' mean, (70 + 50 + 80 + 40) / 4 = 60, appears nowhere.
    assert not [line for line in lines if CONSUMERS in line and "%" in line]


async def test_the_csv_blanks_a_subject_answered_by_four_of_six_companies(
    app: App, animator: str
) -> None:
    await add_companies(app, SIX)

    rows = csv_rows(await run(app, animator, synthesis))

    assert ["Question centrale", CONSUMERS, "", "", HIDDEN_CELL] in rows


async def test_the_chart_has_no_bar_for_a_subject_answered_by_four_of_six_companies(
    app: App, animator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: dict[str, list] = {}

    def bars_png(labels, values, **_):  # type: ignore[no-untyped-def]
        drawn.update(labels=list(labels), values=list(values))
        return PNG

    monkeypatch.setattr(charts, "bars_png", bars_png)
    await add_companies(app, SIX)

    await run(app, animator, synthesis)

    assert CONSUMERS not in drawn["labels"]
    assert len(drawn["labels"]) == len(drawn["values"]) == 6
    # Governance over the six companies: (313 + 55) / 6.
    assert drawn["values"][0] == pytest.approx(61.33, abs=0.01)


async def test_the_csv_has_no_minimum_or_maximum(app: App, animator: str) -> None:
    await add_companies(app, FIVE)

    rows = csv_rows(await run(app, animator, synthesis))

    assert rows[0] == ["Type", "Libellé", "Moyenne (%)", "Entreprises", "Remarque"]
    # No cell is one company's own score: the lowest and highest overall, per subject.
    cells = {cell for row in rows for cell in row}
    assert not cells & {"30,0", "85,0", "33,0", "90,0", "0,0", "100,0", "20,0"}


async def test_the_csv_holds_aggregated_rows_only(app: App, animator: str) -> None:
    await add_companies(app, FIVE)

    files = attachments(await run(app, animator, synthesis))

    data = files["synthese-diagnostics-pole-rse.csv"][1]
    assert data.startswith("\ufeff".encode())  # so that Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] == [
        ["Ensemble", "Score global", "57,0", "5", ""],
        ["Question centrale", "Gouvernance de l'organisation", "62,6", "5", ""],
        ["Question centrale", "Droits de l'Homme", "50,0", "5", ""],
        ["Question centrale", "Relations et conditions de travail", "62,4", "5", ""],
        ["Question centrale", "L'environnement", "47,6", "5", ""],
        ["Question centrale", "Loyauté des pratiques", "73,4", "5", ""],
        ["Question centrale", CONSUMERS, "", "", HIDDEN_CELL],
        ["Question centrale", "Communautés et développement local", "48,0", "5", ""],
        ["Niveau", "Débutant", "", "", HIDDEN_CELL],
        ["Niveau", "Intermédiaire", "", "", HIDDEN_CELL],
        ["Niveau", "Confirmé", "", "", HIDDEN_CELL],
        ["Niveau", "Expert", "", "", HIDDEN_CELL],
    ]
    text = data.decode("utf-8-sig")
    for company, *_ in FIVE:
        assert company is not None and company not in text
    assert "agro_bio" not in text


async def test_small_levels_are_merged_with_their_neighbours(app: App, animator: str) -> None:
    # Ten companies: 2 beginners, 3 intermediate, 4 confirmed, 1 expert.
    levels = ["debutant"] * 2 + ["intermediaire"] * 3 + ["confirme"] * 4 + ["expert"]
    companies: list[CompanyRow] = [
        (f"Coopérative {n}", 50.0, level, (50, 50, 50, 50, 50, 50, 50))
        for n, level in enumerate(levels)
    ]
    await add_companies(app, companies)

    replies = await run(app, animator, synthesis)

    lines = lines_of(replies)
    start = lines.index("Répartition par niveau")
    assert lines[start + 1 : start + 4] == [
        "• Débutant à Intermédiaire : 5",
        "• Confirmé à Expert : 5",
        "(niveaux voisins regroupés : aucun groupe de moins de 5 entreprises n'est affiché)",
    ]
    assert csv_rows(replies)[-2:] == [
        [
            "Niveau",
            "Débutant à Intermédiaire",
            "",
            "5",
            "niveaux regroupés : moins de 5 entreprises chacun",
        ],
        [
            "Niveau",
            "Confirmé à Expert",
            "",
            "5",
            "niveaux regroupés : moins de 5 entreprises chacun",
        ],
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

    assert lines[1].startswith("6 entreprises")
    # (285 + 20) / 6 = 50.8
    assert "Score moyen : 51 %" in lines


async def test_two_people_of_one_company_count_once_by_its_latest_diagnostic(
    app: App, animator: str
) -> None:
    await add_companies(app, FIVE)
    # A colleague at Biocoop Lyon answered after membre-0: the company's latest diagnostic.
    colleague = await add_member(app, "lucie", "Lucie Roche", "Biocoop Lyon")
    await add_diagnostic(
        app,
        colleague,
        company="Biocoop Lyon",
        when=datetime(2026, 12, 1, tzinfo=UTC),
        score=20.0,
        level="debutant",
        sections=by_subject(20, 20, 20, 20, 20, 20, 20),
    )

    lines = lines_of(await run(app, animator, synthesis))

    assert lines[1].startswith("5 entreprises")
    # (20 + 45.5 + 30 + 85 + 52.5) / 5 = 46.6: Biocoop Lyon once, by the colleague's.
    assert "Score moyen : 47 %" in lines


async def test_a_colleagues_score_does_not_make_a_subject_reach_the_threshold(
    app: App, animator: str
) -> None:
    await add_companies(app, FIVE)
    # Hydreos Conseil's older diagnostic, by a colleague, had a score on consumers; the
    # company's latest (November) has none: four companies only.
    colleague = await add_member(app, "marc", "Marc Vidal", "Hydréos conseil")
    await add_diagnostic(
        app,
        colleague,
        company="Hydréos conseil",
        when=datetime(2026, 10, 1, tzinfo=UTC),
        score=40.0,
        level="intermediaire",
        sections=by_subject(40, 40, 40, 40, 40, 50, 40),
    )

    lines = lines_of(await run(app, animator, synthesis))

    assert CONSUMERS_HIDDEN in lines


async def test_a_lower_threshold_setting_shows_the_synthesis_from_three_companies(
    app: App, animator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.settings, "min_group_size", 3)
    await add_companies(app, FIVE[:3])

    lines = lines_of(await run(app, animator, synthesis))

    # (72 + 45.5 + 30) / 3 = 49.2; consumers: two scores, under 3.
    assert "Score moyen : 49 %" in lines
    assert (
        "• Questions relatives aux consommateurs : non affiché "
        "(moins de 3 entreprises y ont un score)"
    ) in lines


async def test_a_higher_threshold_setting_hides_the_synthesis_of_five_companies(
    app: App, animator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.settings, "min_group_size", 6)
    await add_companies(app, FIVE)

    replies = await run(app, animator, synthesis)

    assert "La synthèse s'affiche à partir de 6 entreprises" in text_of(replies)
    assert not attachments(replies)


async def test_synthesis_names_no_company(app: App, animator: str) -> None:
    await add_companies(app, FIVE)

    replies = await run(app, animator, synthesis)

    for company, *_ in FIVE:
        assert company is not None and company not in text_of(replies)


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


async def test_a_member_is_refused_the_synthesis(app: App) -> None:
    await add_companies(app, FIVE)
    await add_member(app, "alice", "Alice Martin", "Biocoop Lyon")

    replies = await run(app, "alice", synthesis)

    assert text_of(replies).startswith(
        "La synthèse des autodiagnostics du pôle est réservée à ses animateurs et animatrices."
    )
    assert not attachments(replies)


# --- A member's comparison with the pôle ---------------------------------------------------


async def compared(app: App, user_id: str) -> PoleFigures:
    """The figures the member ``user_id`` is compared with after a diagnostic."""
    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="console", user_id=user_id)
        pole = await repo.default_pole(session)
        assert person is not None and person.id is not None
        assert isinstance(pole, Pole) and pole.id is not None
        latest = await repo.latest_pole_diagnostics(session, pole_id=pole.id)
        return compared_with(
            latest,
            questionnaire=app.content.diagnostic,
            minimum=app.settings.min_group_size,
            company=person.company,
            person_id=person.id,
        )


async def test_the_comparison_is_over_the_other_companies(app: App) -> None:
    await add_companies(app, SIX)

    # Brasserie du Vercors (membre-5) is compared with the five others.
    result = await compared(app, "membre-5")

    assert result.companies == 5
    assert result.overall.mean == pytest.approx(57.0)
    assert result.sections["gouvernance"].mean == pytest.approx(62.6)


async def test_the_comparison_is_hidden_under_five_other_companies(app: App) -> None:
    await add_companies(app, FIVE)

    # Without Fromagerie Berthaut, four companies remain: too few to show.
    result = await compared(app, "membre-4")

    assert result.overall.mean is None
    assert all(figure.mean is None for figure in result.sections.values())


async def test_the_comparison_leaves_a_colleagues_diagnostic_out(app: App) -> None:
    await add_companies(app, FIVE)
    await add_member(app, "paul", "Paul Girard", "Fromagerie Berthaut")

    # Paul's colleague answered for Fromagerie Berthaut: four other companies.
    result = await compared(app, "paul")

    assert (result.companies, result.overall.mean) == (4, None)


async def test_the_comparison_hides_a_subject_answered_by_four_of_six_companies(
    app: App,
) -> None:
    atelier: CompanyRow = ("Atelier Bois Rhône", 66.0, "confirme", (70, 60, 65, 70, 60, 70, 65))
    await add_companies(app, [*SIX, atelier])

    result = await compared(app, "membre-6")

    assert result.companies == 6
    assert result.sections["consommateurs"].mean is None
    assert result.sections["environnement"].mean == pytest.approx(48.0)


async def test_the_comparison_takes_each_companys_latest_diagnostic_only(app: App) -> None:
    await add_companies(app, SIX)
    # Biocoop Lyon's member had done better in the spring: only November's diagnostic counts.
    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="console", user_id="membre-0")
        assert person is not None and person.id is not None and person.active_pole_id
        biocoop = (person.id, person.active_pole_id)
    await add_diagnostic(
        app,
        biocoop,
        company="Biocoop Lyon",
        when=datetime(2026, 4, 2, tzinfo=UTC),
        score=97.0,
        level="expert",
        sections=by_subject(100, 100, 100, 100, 100, 100, 100),
    )

    result = await compared(app, "membre-5")

    assert result.companies == 5
    assert result.overall.mean == pytest.approx(57.0)
