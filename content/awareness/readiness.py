"""The label readiness self-checks, as data: for each label of ``content/awareness/labels/``,
what its public material asks of a company, one requirement a question, each with what to
prepare when it is not met, its sources with the day they were checked, and the /decouvrir
modules that help. One file per label in ``content/awareness/readiness/``, named by the label's
id; ``answers.yaml`` beside them holds the answers every check offers (oui, en partie, non, je
ne sais pas). Validated at load: the label and the modules must exist.

A check is asked by the questionnaire engine (handlers/questionnaire.py): ``questionnaire()``
is the check as one section of questions on that scale, without comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import Field, model_validator

from content.awareness.models import Source
from content.loader import CONTENT_DIR, ContentError, Localized

# The diagnostic's engine: its item base, models, French error messages and checks.
from content.questionnaires.models import (
    _ID,
    Question,
    Questionnaire,
    ScaleChoice,
    Section,
    _Item,
    _refuse_duplicates,
    _validated,
)

READINESS_DIR = CONTENT_DIR / "awareness" / "readiness"
ANSWERS_FILE = "answers.yaml"
# The scale's answer that counts a requirement as met; any other is something to prepare.
MET = "yes"


class Answers(_Item):
    """The answers of every check, best first: ``yes`` (met) comes first."""

    scale: tuple[ScaleChoice, ...] = Field(min_length=2)
    dont_know: Localized

    @model_validator(mode="after")
    def _check(self) -> Answers:
        if self.scale[0].id != MET:
            raise ValueError(f"la première réponse doit être « {MET} » (l'exigence remplie)")
        return self


class Requirement(_Item):
    id: str = Field(pattern=_ID)
    # A few words naming it in the result.
    title: Localized
    # The question the member answers: is this in place?
    text: Localized
    # What to prepare when it is not (yet) in place.
    prepare: Localized
    sources: tuple[Source, ...] = Field(min_length=1)
    # The /decouvrir modules that help prepare it.
    modules: tuple[str, ...] = ()


class ReadinessCheck(_Item):
    label: str = Field(pattern=_ID)
    title: Localized
    intro: Localized
    requirements: tuple[Requirement, ...] = Field(min_length=3)
    reviewed: date
    review_by: date
    # Filled by load_readiness from answers.yaml, the same for every check.
    answers: Answers | None = None

    @model_validator(mode="after")
    def _check(self) -> ReadinessCheck:
        _refuse_duplicates("exigence", [requirement.id for requirement in self.requirements])
        if self.review_by <= self.reviewed:
            raise ValueError("la date de révision doit suivre celle de la vérification")
        return self

    def requirement(self, requirement_id: str) -> Requirement:
        return next(r for r in self.requirements if r.id == requirement_id)

    def questionnaire(self) -> Questionnaire:
        """The check as the engine asks it: one section, a question per requirement."""
        assert self.answers is not None
        questions = [Question(id=r.id, text=r.text) for r in self.requirements]
        return Questionnaire(
            id=f"readiness_{self.label}",
            title=self.title,
            scale=self.answers.scale,
            dont_know=self.answers.dont_know,
            sections=(Section(id=self.label, title=self.title, questions=tuple(questions)),),
            question_comments=False,
        )


def load_readiness(
    folder: Path = READINESS_DIR, *, labels: tuple[str, ...], modules: frozenset[str]
) -> Mapping[str, ReadinessCheck]:
    """Every check of the folder by its label's id, in the labels' order; a ContentError names
    the faulty file: a label unknown (``labels``, the labels' ids), a module unknown."""
    answers = _validated(Answers, folder / ANSWERS_FILE, f"awareness/readiness/{ANSWERS_FILE}")
    found: dict[str, ReadinessCheck] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == ANSWERS_FILE:
            continue
        name = f"awareness/readiness/{path.name}"
        check = _validated(ReadinessCheck, path, name)
        if check.answers is not None:
            raise ContentError(f"{name} : les réponses se donnent dans {ANSWERS_FILE}")
        if check.label != path.stem:
            raise ContentError(
                f"{name} : le label « {check.label} » ne correspond pas au fichier "
                "(identifiant_du_label.yaml)"
            )
        if check.label not in labels:
            raise ContentError(f"{name} : label inconnu « {check.label} »")
        unknown = sorted({m for r in check.requirements for m in r.modules} - modules)
        if unknown:
            raise ContentError(f"{name} : modules inconnus : {unknown}")
        found[check.label] = check.model_copy(update={"answers": answers})
    return {label: found[label] for label in labels if label in found}
