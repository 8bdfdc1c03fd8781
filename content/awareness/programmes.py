"""Programmes a pôle can run, as data: a path through the awareness modules, the diagnostic,
the action plan and its monthly follow-up, workshops, the label pages and a closing review, each
step due some days or months after the run's start. One file per programme in
``content/awareness/programmes/``, named by its id; validated at load like the modules and
labels, so that a step naming a module, label or workshop theme that does not exist stops the
bot at start, naming its file.

What makes a step done is read from the features' own data (handlers/programmes/steps.py): the
module's quiz finished, a diagnostic, a plan, a follow-up answered, a workshop attended; only the
label aimed at and the closing review are recorded for the programme itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from content.awareness.models import Source, load_numbered
from content.loader import CONTENT_DIR, Localized

# The diagnostic's engine: its item base, French error messages and checks.
from content.questionnaires.models import _ID, _Item, _refuse_duplicates

PROGRAMMES_DIR = CONTENT_DIR / "awareness" / "programmes"
StepKind = Literal["module", "diagnostic", "plan", "follow_up", "workshop", "label", "review"]
STEP_KINDS: tuple[str, ...] = StepKind.__args__  # type: ignore[attr-defined]


class Offset(_Item):
    """When a step is due, counted from the run's start: months first, then days."""

    months: int = Field(default=0, ge=0, le=36)
    days: int = Field(default=0, ge=0, le=365)


class ProgrammeStep(_Item):
    id: str = Field(pattern=_ID)
    kind: StepKind
    title: Localized
    # What the member is asked to do, said when the step comes due.
    what: Localized
    due: Offset
    # The awareness module of a ``module`` step.
    module: str | None = None
    # The workshop theme of a ``workshop`` step.
    theme: str | None = None
    # The label pages a ``label`` step offers (all of them when empty).
    labels: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> ProgrammeStep:
        needs = {"module": self.module, "workshop": self.theme}
        for kind, value in needs.items():
            if (self.kind == kind) != (value is not None):
                field = "module" if kind == "module" else "theme"
                raise ValueError(
                    f"étape {self.id} : « {field} » va avec une étape « {kind} », et seulement"
                )
        if self.labels and self.kind != "label":
            raise ValueError(f"étape {self.id} : « labels » va avec une étape « label »")
        _refuse_duplicates("label", list(self.labels))
        return self


class Programme(_Item):
    id: str = Field(pattern=_ID)
    title: Localized
    summary: Localized
    steps: tuple[ProgrammeStep, ...] = Field(min_length=2)
    sources: tuple[Source, ...] = Field(min_length=1)
    reviewed: date
    review_by: date

    @model_validator(mode="after")
    def _check(self) -> Programme:
        _refuse_duplicates("étape", [step.id for step in self.steps])
        offsets = [(step.due.months, step.due.days) for step in self.steps]
        if offsets != sorted(offsets):
            raise ValueError("les étapes doivent suivre l'ordre de leurs dates")
        if self.review_by <= self.reviewed:
            raise ValueError("la date de révision doit suivre celle de la vérification")
        return self

    def step(self, step_id: str) -> ProgrammeStep | None:
        return next((step for step in self.steps if step.id == step_id), None)


def _names(programme: Programme) -> Iterable[str]:
    """What the programme's steps name, each prefixed by its kind (``module:…``)."""
    for step in programme.steps:
        if step.module is not None:
            yield f"module:{step.module}"
        if step.theme is not None:
            yield f"atelier:{step.theme}"
        yield from (f"label:{label}" for label in step.labels)


def load_programmes(
    folder: Path = PROGRAMMES_DIR,
    *,
    modules: frozenset[str],
    labels: frozenset[str],
    themes: frozenset[str],
) -> Mapping[str, Programme]:
    """Every programme of the folder by id, in the files' order; its steps must name existing
    ``modules``, ``labels`` and workshop ``themes``."""
    allowed = frozenset(
        {f"module:{m}" for m in modules}
        | {f"label:{label}" for label in labels}
        | {f"atelier:{theme}" for theme in themes}
    )
    return load_numbered(
        Programme,
        folder,
        kind="programme",
        known=_names,
        allowed=allowed,
        unknown_message="étapes nommant ce qui n'existe pas",
    )
