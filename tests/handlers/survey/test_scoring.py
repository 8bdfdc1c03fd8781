from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.survey.scoring import (
    OPINIONS,
    Agreement,
    Counts,
    IndicatorInfo,
    moved_most,
    participation_rate,
    percent,
    score_wave,
    shareable_results,
    trend,
)

A = Agreement
GOV_PROJECT = IndicatorInfo("gouv-1", "gouvernance", "projet")
GOV_PROJECT_2 = IndicatorInfo("gouv-2", "gouvernance", "projet")
GOV_SPHERE = IndicatorInfo("gouv-3", "gouvernance", "sphere")
ENV_PROJECT = IndicatorInfo("env-1", "environnement", "projet")
INDICATORS = [GOV_PROJECT, GOV_PROJECT_2, GOV_SPHERE, ENV_PROJECT]
# The brief's example: 8 partners on one indicator.
EIGHT = [A.TOUT_A_FAIT] * 3 + [A.PLUTOT] * 2 + [A.NSP, A.PLUTOT_PAS, A.PAS_DU_TOUT]


def answers_on(indicator: str, choices: list[str]) -> dict[str, dict[str, str]]:
    return {f"partenaire-{i}": {indicator: choice} for i, choice in enumerate(choices)}


def test_the_eight_partners_example_by_hand() -> None:
    results = score_wave(answers_on("gouv-1", EIGHT), INDICATORS, invited=8)
    counts = results.indicator("gouv-1").counts
    assert counts == Counts(tout_a_fait=3, plutot=2, nsp=1, plutot_pas=1, pas_du_tout=1)
    assert (counts.answered, counts.opinions) == (8, 7)
    assert counts.top2_box == pytest.approx(500 / 7)  # 71.43 %
    assert counts.disagreement == pytest.approx(200 / 7)
    assert counts.net_agreement == pytest.approx(300 / 7)  # 42.86 %
    assert counts.non_answer_rate == 12.5
    assert counts.distribution == pytest.approx(
        {A.TOUT_A_FAIT: 300 / 7, A.PLUTOT: 200 / 7, A.PLUTOT_PAS: 100 / 7, A.PAS_DU_TOUT: 100 / 7}
    )
    assert A.NSP not in counts.distribution
    assert percent(counts.top2_box) == "71,4 %"
    assert percent(counts.net_agreement) == "42,9 %"


def test_an_indicator_answered_only_ne_se_prononce_pas_has_no_percentage() -> None:
    counts = score_wave(answers_on("gouv-1", ["nsp"] * 5), INDICATORS, invited=5).indicators[0]
    assert counts.counts.opinions == 0
    assert counts.counts.distribution is None
    assert counts.counts.top2_box is None
    assert counts.counts.net_agreement is None
    assert counts.counts.non_answer_rate == 100


def test_an_indicator_left_blank_by_everyone_has_no_rate_at_all() -> None:
    results = score_wave(answers_on("gouv-1", ["plutot"]), INDICATORS, invited=3)
    blank = results.indicator("env-1").counts
    assert (blank.answered, blank.non_answer_rate, blank.top2_box) == (0, None, None)


def test_axis_and_axis_level_figures_pool_the_answers() -> None:
    answers = {
        "p1": {
            "gouv-1": "tout_a_fait",
            "gouv-2": "nsp",
            "gouv-3": "pas_du_tout",
            "env-1": "plutot",
        },
        "p2": {"gouv-1": "plutot", "gouv-2": "nsp", "gouv-3": "plutot_pas"},
        "p3": {"gouv-1": "plutot_pas", "gouv-2": "tout_a_fait"},
        "p4": {"gouv-1": "nsp"},
    }
    results = score_wave(answers, INDICATORS, invited=5)
    project = results.axis("gouvernance", "projet")
    # gouv-1: TF, P, PP, NSP; gouv-2: NSP, NSP, TF -> 7 answers, 4 opinions, 3 agree.
    assert project.indicators == ("gouv-1", "gouv-2")
    assert project.counts == Counts(tout_a_fait=2, plutot=1, nsp=3, plutot_pas=1)
    assert project.counts.top2_box == 75  # pooled; the mean of 66.7 % and 100 % would be 83.3 %
    assert project.counts.net_agreement == 50
    assert project.counts.non_answer_rate == pytest.approx(300 / 7)
    sphere = results.axis("gouvernance", "sphere")
    assert sphere.counts.top2_box == 0
    assert sphere.counts.net_agreement == -100
    whole = results.axis("gouvernance")
    assert whole.counts == project.counts + sphere.counts
    assert whole.counts.top2_box == pytest.approx(300 / 6)
    assert [g.axis for g in results.axes] == ["gouvernance", "environnement"]
    assert [(g.axis, g.level) for g in results.axis_levels] == [
        ("gouvernance", "projet"),
        ("gouvernance", "sphere"),
        ("environnement", "projet"),
    ]


def test_participation_rate() -> None:
    results = score_wave({"p1": {}, "p2": {"gouv-1": "plutot"}}, INDICATORS, invited=8)
    assert results.submitted == 2
    assert results.participation_rate == 25
    assert participation_rate(0, 0) is None
    assert participation_rate(7, 8) == 87.5
    with pytest.raises(ValueError):
        participation_rate(9, 8)


def test_bad_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown indicators"):
        score_wave({"p1": {"autre": "plutot"}}, INDICATORS, invited=1)
    with pytest.raises(ValueError):
        score_wave({"p1": {"gouv-1": "neutre"}}, INDICATORS, invited=1)
    with pytest.raises(ValueError, match="same id"):
        score_wave({}, [GOV_PROJECT, GOV_PROJECT], invited=1)


def test_trend_and_the_indicators_that_moved_most() -> None:
    before = score_wave(
        {
            "p1": {"gouv-1": "plutot", "gouv-2": "plutot", "gouv-3": "nsp", "env-1": "plutot"},
            "p2": {"gouv-1": "pas_du_tout", "gouv-2": "plutot_pas", "env-1": "plutot_pas"},
        },
        INDICATORS,
        invited=4,
        label="Mars 2025",
    )
    after = score_wave(
        {
            "p1": {"gouv-1": "plutot", "gouv-2": "plutot", "gouv-3": "plutot", "env-1": "plutot"},
            "p2": {"gouv-1": "plutot", "gouv-2": "pas_du_tout", "env-1": "plutot_pas"},
            "p3": {"env-1": "pas_du_tout"},
        },
        INDICATORS,
        invited=4,
        label="Septembre 2025",
    )
    changes = trend(before, after)
    assert (changes.before, changes.after) == ("Mars 2025", "Septembre 2025")
    rows = {row.indicator.id: row for row in changes.indicators}
    assert rows["gouv-1"].top2_change == 50  # 50 % -> 100 %
    assert rows["gouv-1"].net_change == 100  # 0 -> 100
    assert rows["gouv-2"].top2_change == 0
    assert rows["gouv-3"].top2_change is None  # no opinion in March
    assert rows["gouv-3"].top2_after == 100
    assert rows["env-1"].top2_change == pytest.approx(100 / 3 - 50)
    order = [row.indicator.id for row in moved_most(changes)]
    assert order == ["gouv-1", "env-1", "gouv-2"]
    assert [r.indicator.id for r in moved_most(changes, measure="net_agreement", limit=2)] == [
        "gouv-1",
        "env-1",
    ]


def test_equal_changes_are_ordered_by_id() -> None:
    indicators = [IndicatorInfo(i, "gouvernance", "projet") for i in ("b", "a", "c")]
    before = score_wave(
        {"p1": {"a": "plutot_pas", "b": "plutot_pas", "c": "plutot"}}, indicators, invited=1
    )
    after = score_wave(
        {"p1": {"a": "plutot", "b": "plutot", "c": "pas_du_tout"}}, indicators, invited=1
    )
    assert [r.indicator.id for r in moved_most(trend(before, after))] == ["a", "b", "c"]


def test_results_are_shared_only_from_the_minimum_of_partners() -> None:
    four = answers_on("gouv-1", ["plutot"] * 4)
    assert shareable_results(four, INDICATORS, invited=8, minimum=5) is None
    five = answers_on("gouv-1", ["plutot"] * 5)
    shown = shareable_results(five, INDICATORS, invited=8, minimum=5)
    assert shown == score_wave(five, INDICATORS, invited=8)
    with pytest.raises(ValueError):  # the anonymity module's floor
        shareable_results(five, INDICATORS, invited=8, minimum=1)


def test_percent_is_written_the_french_way() -> None:
    assert percent(62.5) == "62,5 %"
    assert percent(100.0) == "100 %"
    assert percent(0) == "0 %"
    assert percent(200 / 7, decimals=2) == "28,57 %"
    assert percent(14.28, signed=True) == "+14,3 %"
    assert percent(-14.28, signed=True) == "-14,3 %"
    assert percent(-0.01, signed=True) == "0 %"
    assert percent(None) == "—"


CHOICES = st.sampled_from(list(Agreement))
PARTNER_ANSWERS = st.dictionaries(
    st.sampled_from([i.id for i in INDICATORS]), CHOICES, max_size=len(INDICATORS)
)
WAVES = st.dictionaries(st.text(min_size=1, max_size=5), PARTNER_ANSWERS, max_size=12)


@settings(max_examples=60, deadline=None)
@given(WAVES)
def test_figures_hold_together(answers: Mapping[str, Mapping[str, Agreement]]) -> None:
    results = score_wave(answers, INDICATORS, invited=len(answers))
    groups = [r.counts for r in results.indicators]
    groups += [g.counts for g in (*results.axes, *results.axis_levels)]
    for counts in groups:
        distribution = counts.distribution
        if counts.opinions:
            assert sum(distribution.values()) == pytest.approx(100)
            assert set(distribution) == set(OPINIONS)
            assert counts.top2_box - counts.disagreement == pytest.approx(counts.net_agreement)
            assert 0 <= counts.top2_box <= 100
        else:
            assert distribution is None and counts.top2_box is None
            assert counts.net_agreement is None
        if counts.answered:
            assert 0 <= counts.non_answer_rate <= 100


@settings(max_examples=60, deadline=None)
@given(WAVES, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_of_partners(answers, random) -> None:
    partners = list(answers.items())
    random.shuffle(partners)
    assert score_wave(dict(partners), INDICATORS, invited=len(answers)) == score_wave(
        answers, INDICATORS, invited=len(answers)
    )
