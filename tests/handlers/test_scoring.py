"""Scores computed by hand: A = 3, B = 2, C = 1, D = 0 points; "je ne sais pas" left out."""

import pytest

from content.loader import default_content
from content.questionnaires.models import DONT_KNOW, Questionnaire
from handlers.diagnostic.scoring import grade, score

FULL = default_content().diagnostic
QUICK = FULL.quick()


def answering(questionnaire: Questionnaire, *choices: str) -> dict[str, str]:
    """The questions in order, answered with ``choices`` (the last one repeated)."""
    ids = [question.id for _, question in questionnaire.questions()]
    padded = list(choices) + [choices[-1]] * (len(ids) - len(choices))
    return dict(zip(ids, padded, strict=True))


def test_all_a_is_expert_at_100() -> None:
    result = score(QUICK, answering(QUICK, "A"))

    assert (result.percent, result.level.id) == (100.0, "expert")
    assert {s.percent for s in result.sections} == {100.0}


def test_all_d_is_beginner_at_0() -> None:
    result = score(FULL, answering(FULL, "D"))

    assert (result.percent, result.level.id) == (0.0, "debutant")


@pytest.mark.parametrize(
    ("choices", "percent", "level"),
    [
        # 20 answered (60 points possible), 1 unknown: 21 points = 35 %, 20 points = 33.3 %.
        ((DONT_KNOW, "A", "A", "A", "A", "A", "A", "A", "D"), 35.0, "intermediaire"),
        ((DONT_KNOW, "A", "A", "A", "A", "A", "B", "A", "D"), 33.3, "debutant"),
    ],
)
def test_the_35_percent_boundary(choices: tuple[str, ...], percent: float, level: str) -> None:
    result = score(FULL, answering(FULL, *choices))

    assert (result.percent, result.level.id, result.unknown) == (percent, level, 1)


@pytest.mark.parametrize(
    ("choices", "percent", "level"),
    [
        # 5 answered (15 points possible), 2 unknown.
        ((DONT_KNOW, DONT_KNOW, "A", "A", "A", "D", "D"), 60.0, "confirme"),
        ((DONT_KNOW, DONT_KNOW, "A", "A", "B", "D", "D"), 53.3, "intermediaire"),
        ((DONT_KNOW, DONT_KNOW, "A", "A", "A", "A", "D"), 80.0, "expert"),
        ((DONT_KNOW, DONT_KNOW, "A", "A", "A", "B", "D"), 73.3, "confirme"),
    ],
)
def test_the_60_and_80_percent_boundaries(
    choices: tuple[str, ...], percent: float, level: str
) -> None:
    result = score(QUICK, answering(QUICK, *choices))

    assert (result.percent, result.level.id, result.answered, result.unknown) == (
        percent,
        level,
        5,
        2,
    )


def test_a_section_answered_only_with_dont_know_has_no_score() -> None:
    result = score(QUICK, answering(QUICK, DONT_KNOW, "B"))

    first, *others = result.sections
    assert (first.percent, first.unknown) == (None, 1)
    assert {s.percent for s in others} == {66.7}
    assert result.percent == 66.7


def test_nothing_but_dont_know_has_no_level() -> None:
    with pytest.raises(ValueError, match="aucune réponse"):
        score(QUICK, answering(QUICK, DONT_KNOW))


@pytest.mark.parametrize(
    ("percent", "letter"),
    [(100, "A"), (84, "A"), (82, "B"), (50, "B"), (49, "C"), (17, "C"), (16, "D"), (0, "D")],
)
def test_a_section_grade_is_the_nearest_answer(percent: float, letter: str) -> None:
    # Of 3 points: 84 % is 2.52, nearer A; 82 % is 2.46, nearer B; 50 % is 1.5, a tie, which
    # goes to the better answer; 49 % is 1.47, nearer C; 17 % is 0.51, nearer C; 16 %, D.
    assert grade(FULL, percent).id == letter
