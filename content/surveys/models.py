"""Indicator sets of the partner survey, validated at load like the diagnostic's questionnaire.

A set is a list of affirmations (indicators), each placed on one axis (gouvernance, dimension
sociale…) and one level (the project, its sphere of influence), answered on the five-point
agreement scale whose « ne se prononce pas » is a non-answer: no points, left out of every score
and reported as its own rate. One file per set in ``content/surveys/``, named by the set's id;
adding a set is adding a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from itertools import pairwise
from pathlib import Path

from pydantic import Field, model_validator

from content.loader import CONTENT_DIR, ContentError, Localized

# The diagnostic's engine: its scale choice, its French error messages and its checks.
from content.questionnaires.models import _ID, ScaleChoice, _Item, _refuse_duplicates, _validated

SURVEYS_DIR = CONTENT_DIR / "surveys"
# The five choices, in the order shown, with the ids of handlers/survey/scoring.py. Fixed, so
# that scoring can name who agrees (top-2 box) and who disagrees (net agreement) in every set.
AGREE = ("tout_a_fait", "plutot")
NON_ANSWER = "nsp"
DISAGREE = ("plutot_pas", "pas_du_tout")
AGREEMENT_SCALE = (*AGREE, NON_ANSWER, *DISAGREE)


class SurveyChoice(ScaleChoice):
    # None for the non-answer, which no score counts.
    points: int | None = Field(default=None, ge=0)
    non_answer: bool = False


class Axis(_Item):
    id: str = Field(pattern=_ID)
    title: Localized
    # The invitation to comment on the axis, once its indicators are answered; the comment is
    # optional. None: no comment asked on this axis.
    comment: Localized | None = None


class SurveyLevel(_Item):
    id: str = Field(pattern=_ID)
    title: Localized


class Indicator(_Item):
    id: str = Field(pattern=_ID)
    axis: str
    level: str
    text: Localized
    # Where the wording comes from, when it is quoted rather than ours.
    source: str | None = None


class SurveySet(_Item):
    id: str = Field(pattern=_ID)
    title: Localized
    intro: Localized | None = None
    source: str = Field(min_length=1)
    # When the set was written or last checked against its source.
    updated: date
    scale: tuple[SurveyChoice, ...]
    axes: tuple[Axis, ...] = Field(min_length=1)
    levels: tuple[SurveyLevel, ...] = Field(min_length=1)
    min_per_cell: int = Field(default=3, ge=1)
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    # A set a member sends to their own clients (handlers/readiness/clients.py): not offered
    # for the pôle's projects.
    for_clients: bool = False

    @model_validator(mode="after")
    def _check(self) -> SurveySet:
        _check_scale(self.scale)
        _refuse_duplicates("axe", [axis.id for axis in self.axes])
        _refuse_duplicates("niveau", [level.id for level in self.levels])
        _refuse_duplicates("indicateur", [indicator.id for indicator in self.indicators])
        axes = [axis.id for axis in self.axes]
        levels = [level.id for level in self.levels]
        for indicator in self.indicators:
            if indicator.axis not in axes:
                raise ValueError(
                    f"indicateur {indicator.id} : axe inconnu « {indicator.axis} » "
                    f"({', '.join(axes)})"
                )
            if indicator.level not in levels:
                raise ValueError(
                    f"indicateur {indicator.id} : niveau inconnu « {indicator.level} » "
                    f"({', '.join(levels)})"
                )
        for axis in axes:
            for level in levels:
                count = len(self.cell(axis, level))
                if count < self.min_per_cell:
                    raise ValueError(
                        f"axe {axis}, niveau {level} : {count} indicateur(s), il en faut au moins "
                        f"{self.min_per_cell}"
                    )
        return self

    def cell(self, axis: str, level: str) -> tuple[Indicator, ...]:
        """The indicators of one axis at one level, in the file's order."""
        return tuple(i for i in self.indicators if i.axis == axis and i.level == level)

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)

    def axis(self, axis_id: str) -> Axis:
        for axis in self.axes:
            if axis.id == axis_id:
                return axis
        raise KeyError(axis_id)

    def points(self, choice_id: str) -> int | None:
        """Points of an answer; None for « ne se prononce pas »."""
        for choice in self.scale:
            if choice.id == choice_id:
                return choice.points
        raise KeyError(choice_id)


def project_sets(surveys: Mapping[str, SurveySet]) -> dict[str, SurveySet]:
    """The sets a pôle's project may answer: all but those meant for a member's clients."""
    return {key: survey for key, survey in surveys.items() if not survey.for_clients}


def _check_scale(scale: tuple[SurveyChoice, ...]) -> None:
    non_answers = [choice.id for choice in scale if choice.non_answer]
    if non_answers != [NON_ANSWER]:
        raise ValueError(
            f"l'échelle doit avoir une et une seule non-réponse, « {NON_ANSWER} » "
            f"(non_answer: true), pas {non_answers or 'aucune'}"
        )
    ids = [choice.id for choice in scale]
    if tuple(ids) != AGREEMENT_SCALE:
        raise ValueError(
            f"l'échelle doit être exactement, dans cet ordre : {', '.join(AGREEMENT_SCALE)} ; "
            f"elle est : {', '.join(ids)}"
        )
    for choice in scale:
        if choice.non_answer and choice.points is not None:
            raise ValueError(f"« {choice.id} » est une non-réponse : elle ne vaut aucun point")
        if not choice.non_answer and choice.points is None:
            raise ValueError(f"réponse {choice.id} : points manquants")
    points = [choice.points for choice in scale if choice.points is not None]
    if any(better <= worse for better, worse in pairwise(points)):
        raise ValueError(f"les points de l'échelle doivent décroître strictement : {points}")


def load_surveys(folder: Path = SURVEYS_DIR) -> Mapping[str, SurveySet]:
    """Every indicator set of the folder by id; a ContentError names the faulty file."""
    surveys: dict[str, SurveySet] = {}
    for path in sorted(folder.glob("*.yaml")):
        label = f"surveys/{path.name}"
        survey = _validated(SurveySet, path, label)
        # The file name is what an animator picks and a maintainer looks for.
        if survey.id != path.stem:
            raise ContentError(
                f"{label} : l'identifiant « {survey.id} » ne correspond pas au fichier"
            )
        surveys[survey.id] = survey
    if not surveys:
        raise ContentError(f"aucun jeu d'indicateurs dans {folder}")
    return surveys
