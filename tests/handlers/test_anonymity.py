"""The anonymity rule on its own: examples, then properties over any set of contributions."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, load_settings
from bot.storage.models import Diagnostic
from content.loader import default_content
from handlers.anonymity import Band, aggregate, distribution
from handlers.diagnostic.figures import pole_figures

LEVELS = ["debutant", "intermediaire", "confirme", "expert"]
QUESTIONNAIRE = default_content().diagnostic
SECTIONS = [section.id for section in QUESTIONNAIRE.sections]


def test_a_mean_of_five_companies_is_shown() -> None:
    figure = aggregate(
        {
            "Biocoop Lyon": 72.0,
            "Scop Les Tisserands": 45.5,
            "Hydreos Conseil": 30.0,
            "Maison Perrin Vignobles": 85.0,
            "Fromagerie Berthaut": 52.5,
        },
        minimum=5,
    )

    assert (figure.companies, figure.mean) == (5, pytest.approx(57.0))


def test_a_company_without_a_value_does_not_contribute() -> None:
    figure = aggregate(
        {
            "Biocoop Lyon": 70.0,
            "Scop Les Tisserands": 50.0,
            "Hydreos Conseil": None,  # "je ne sais pas" on every question of the subject
            "Maison Perrin Vignobles": 80.0,
            "Fromagerie Berthaut": 40.0,
        },
        minimum=5,
    )

    assert (figure.companies, figure.mean) == (4, None)


def test_a_minimum_of_one_is_refused() -> None:
    with pytest.raises(ValueError):
        aggregate({"Biocoop Lyon": 72.0}, minimum=1)


def levels_of(*counts: int) -> dict[str, str]:
    """Companies ("Coopérative 0"...) with ``counts`` of them per level, in LEVELS order."""
    levels = [level for level, count in zip(LEVELS, counts, strict=True) for _ in range(count)]
    return {f"Coopérative {n}": level for n, level in enumerate(levels)}


def test_levels_too_small_alone_are_merged_with_the_next() -> None:
    assert distribution(levels_of(2, 3, 4, 1), LEVELS, minimum=5) == [
        Band(("debutant", "intermediaire"), 5),
        Band(("confirme", "expert"), 5),
    ]


def test_levels_left_too_small_at_the_end_join_the_band_before() -> None:
    assert distribution(levels_of(5, 0, 5, 2), LEVELS, minimum=5) == [
        Band(("debutant",), 5),
        Band(("intermediaire", "confirme", "expert"), 7),
    ]


def test_a_distribution_that_would_be_only_the_total_is_hidden() -> None:
    assert distribution(levels_of(1, 2, 1, 1), LEVELS, minimum=5) == []


def test_the_setting_defaults_to_five_and_refuses_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RSEBOT_MIN_GROUP_SIZE", raising=False)
    assert load_settings(_env_file=None).min_group_size == 5

    monkeypatch.setenv("RSEBOT_MIN_GROUP_SIZE", "1")
    with pytest.raises(ConfigError, match="RSEBOT_MIN_GROUP_SIZE"):
        load_settings(_env_file=None)


# --- Properties ----------------------------------------------------------------------------

companies = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
values = st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False))
minimums = st.integers(min_value=2, max_value=8)


@given(st.dictionaries(companies, values, max_size=15), minimums)
def test_a_shown_mean_always_has_the_minimum_of_contributors(
    contributions: dict[str, float | None], minimum: int
) -> None:
    figure = aggregate(contributions, minimum=minimum)

    given_values = [value for value in contributions.values() if value is not None]
    assert figure.companies == len(given_values)
    if figure.mean is not None:
        assert figure.companies >= minimum
    if len(given_values) < minimum:
        # Nothing at all is shown, so in particular never a lone company's own value.
        assert figure.mean is None
        assert all(figure.mean != value for value in given_values)


@given(st.dictionaries(companies, st.sampled_from(LEVELS), max_size=25), minimums)
def test_no_band_of_a_distribution_is_under_the_minimum(
    categories: dict[str, str], minimum: int
) -> None:
    bands = distribution(categories, LEVELS, minimum=minimum)

    assert all(band.companies >= minimum for band in bands)
    if bands:
        # Adjacent levels, each in exactly one band, every company counted once.
        assert [level for band in bands for level in band.categories] == LEVELS
        assert sum(band.companies for band in bands) == len(categories)
        assert len(bands) >= 2


diagnostic_rows = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=12),  # person
        st.sampled_from(
            [
                "Biocoop Lyon",
                "biocoop  LYON",
                "Hydreos Conseil",
                "Scop Les Tisserands",
                "Maison Perrin",
                "Fromagerie Berthaut",
                "Vergers du Lyonnais",
                None,
            ]
        ),
        st.integers(min_value=0, max_value=30),  # days after the first
        st.lists(values, min_size=len(SECTIONS), max_size=len(SECTIONS)),
    ),
    max_size=20,
)


@given(diagnostic_rows, minimums)
def test_every_pole_figure_rests_on_the_minimum_of_companies(
    rows: list[tuple[int, str | None, int, list[float | None]]], minimum: int
) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    diagnostics = [
        Diagnostic(
            id=index + 1,
            person_id=person,
            pole_id=1,
            company=company,
            questionnaire="diagnostic",
            version="full",
            score=next((value for value in scores if value is not None), 50.0),
            level="intermediaire",
            section_scores=dict(zip(SECTIONS, scores, strict=True)),
            completed_at=start + timedelta(days=days),
        )
        for index, (person, company, days, scores) in enumerate(rows)
    ]

    figures = pole_figures(diagnostics, questionnaire=QUESTIONNAIRE, minimum=minimum)

    for figure in [figures.overall, *figures.sections.values()]:
        assert figure.mean is None or figure.companies >= minimum
        assert figure.companies <= figures.companies
    assert all(band.companies >= minimum for band in figures.levels)
    # Colleagues (the same name, folded) are one company.
    named = {" ".join(company.casefold().split()) for _, company, _, _ in rows if company}
    unnamed = {person for person, company, _, _ in rows if not company}
    assert figures.companies <= len(named) + len(unnamed)
