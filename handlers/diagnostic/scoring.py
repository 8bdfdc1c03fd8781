"""Scores of a questionnaire's answers: overall and per section, as a percentage of the points
possible on the questions answered; "je ne sais pas" counts in no denominator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from content.questionnaires.models import DONT_KNOW, Level, Questionnaire, ScaleChoice


@dataclass(frozen=True, slots=True)
class SectionScore:
    section: str
    # None when every question of the section was answered "je ne sais pas".
    percent: float | None
    answered: int
    unknown: int


@dataclass(frozen=True, slots=True)
class Scores:
    percent: float
    level: Level
    sections: tuple[SectionScore, ...]
    answered: int
    unknown: int

    def by_section(self) -> dict[str, float | None]:
        return {score.section: score.percent for score in self.sections}


def _percent(points: int, answered: int, maximum: int) -> float | None:
    return round(100 * points / (answered * maximum), 1) if answered else None


def score(questionnaire: Questionnaire, answers: Mapping[str, str]) -> Scores:
    """Score ``answers`` (question id -> scale choice id or DONT_KNOW).

    Raises ValueError when nothing was answered on the scale: there is no level to give.
    """
    maximum = questionnaire.max_points
    sections = []
    total_points = total_answered = total_unknown = 0
    for section in questionnaire.sections:
        points = answered = unknown = 0
        for question in section.questions:
            choice = answers.get(question.id)
            if choice is None:
                continue
            if choice == DONT_KNOW:
                unknown += 1
                continue
            value = questionnaire.points(choice)
            assert value is not None
            points += value
            answered += 1
        sections.append(
            SectionScore(section.id, _percent(points, answered, maximum), answered, unknown)
        )
        total_points += points
        total_answered += answered
        total_unknown += unknown
    overall = _percent(total_points, total_answered, maximum)
    if overall is None:
        raise ValueError("aucune réponse de A à D : pas de score")
    return Scores(
        overall, questionnaire.level_for(overall), tuple(sections), total_answered, total_unknown
    )


def grade(questionnaire: Questionnaire, percent: float) -> ScaleChoice:
    """The scale answer nearest to a percentage: 100 % is the best answer, 0 % the worst."""
    points = percent / 100 * questionnaire.max_points
    return min(
        questionnaire.scale, key=lambda choice: (abs(choice.points - points), -choice.points)
    )
