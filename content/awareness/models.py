"""Awareness modules as data: a few short messages each, every fact with its source, the date
it was checked and the date it must be checked again, then a three-question quiz whose answers
are explained. One file per module in ``content/awareness/modules/``, named by its id;
validated at load like the diagnostic, so a module without a source stops the bot at start.

A module names the diagnostic's sections it deepens (``subjects``: ids of the sections of
``content/questionnaires/diagnostic.yaml``), so that an improvement axis of a diagnostic leads
to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import Field, field_validator, model_validator

from content.loader import CONTENT_DIR, ContentError, Localized

# The diagnostic's engine: its item base, French error messages and checks.
from content.questionnaires.models import _ID, _Item, _refuse_duplicates, _validated

MODULES_DIR = CONTENT_DIR / "awareness" / "modules"
QUIZ_LENGTH = 3


class Source(_Item):
    """Where a fact comes from (« ISO 26000:2010, 6.5 », « Directive (UE) 2026/470 »), and
    when it was checked against it. A title that reads the same in both languages (a standard's
    or a text's own name) is one string; one that has an English name gives both."""

    title: Localized | str
    url: str | None = Field(default=None, pattern=r"^https://")
    checked: date

    @field_validator("title")
    @classmethod
    def _long_enough(cls, title: Localized | str) -> Localized | str:
        for name in (title,) if isinstance(title, str) else (title.fr, title.en):
            if len(name) < 3:
                raise ValueError("le titre d'une source a au moins 3 caractères")
        return title

    def name(self, locale: str) -> str:
        """The source's title in ``locale``."""
        return self.title if isinstance(self.title, str) else self.title(locale)


class Step(_Item):
    """One message of a module, its facts' sources, and an optional « en savoir plus »."""

    text: Localized
    sources: tuple[Source, ...] = Field(min_length=1)
    deeper: Localized | None = None


class Choice(_Item):
    id: str = Field(pattern=_ID)
    text: Localized


class QuizQuestion(_Item):
    id: str = Field(pattern=_ID)
    question: Localized
    choices: tuple[Choice, ...] = Field(min_length=2, max_length=4)
    answer: str
    # Why the answer is right, shown whatever was chosen.
    explanation: Localized

    @model_validator(mode="after")
    def _check(self) -> QuizQuestion:
        ids = [choice.id for choice in self.choices]
        _refuse_duplicates("choix", ids)
        if self.answer not in ids:
            raise ValueError(
                f"question {self.id} : la réponse « {self.answer} » n'est pas un choix"
            )
        return self


class Module(_Item):
    id: str = Field(pattern=_ID)
    title: Localized
    summary: Localized
    # The diagnostic's sections this module deepens (improvement axes lead here).
    subjects: tuple[str, ...] = ()
    # When its facts were last checked, and when they must be checked again: past that date,
    # the pôles' admins are told.
    reviewed: date
    review_by: date
    steps: tuple[Step, ...] = Field(min_length=2)
    quiz: tuple[QuizQuestion, ...]

    @model_validator(mode="after")
    def _check(self) -> Module:
        if len(self.quiz) != QUIZ_LENGTH:
            raise ValueError(f"le quiz doit avoir {QUIZ_LENGTH} questions, pas {len(self.quiz)}")
        _refuse_duplicates("question du quiz", [question.id for question in self.quiz])
        if self.review_by <= self.reviewed:
            raise ValueError("la date de révision doit suivre celle de la vérification")
        return self

    @property
    def sources(self) -> tuple[Source, ...]:
        """Every source of the module, each once, in order."""
        return tuple(dict.fromkeys(source for step in self.steps for source in step.sources))


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)


def load_numbered(
    model: type[T],
    folder: Path,
    *,
    kind: str,
    known: Callable[[T], Iterable[str]],
    allowed: frozenset[str],
    unknown_message: str,
) -> dict[str, T]:
    """Every file ``NN_<id>.yaml`` of ``folder`` as ``model``, by id, in the files' order; each
    refused, naming its file, when its id is not its file's, is there twice, or names in
    ``known(item)`` something not in ``allowed`` (``unknown_message``, then the names)."""
    items: dict[str, T] = {}
    for path in sorted(folder.glob("*.yaml")):
        name = f"awareness/{folder.name}/{path.name}"
        item = _validated(model, path, name)
        if path.stem.split("_", 1)[-1] != item.id:
            raise ContentError(
                f"{name} : l'identifiant « {item.id} » ne correspond pas au fichier "
                "(NN_identifiant.yaml)"
            )
        unknown = sorted(set(known(item)) - allowed)
        if unknown:
            raise ContentError(f"{name} : {unknown_message} : {unknown}")
        if item.id in items:
            raise ContentError(f"{name} : {kind} « {item.id} » en double")
        items[item.id] = item
    if not items:
        raise ContentError(f"aucun {kind} dans {folder}")
    return items


def load_modules(folder: Path = MODULES_DIR, *, sections: frozenset[str]) -> Mapping[str, Module]:
    """Every module of the folder by id, in the files' order (their names sort them: prefix
    them with a number); ``sections`` are the diagnostic's, which ``subjects`` must name."""
    return load_numbered(
        Module,
        folder,
        kind="module",
        known=lambda module: module.subjects,
        allowed=sections,
        unknown_message="sections du diagnostic inconnues",
    )
