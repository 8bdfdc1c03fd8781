"""The RSE labels an SME hears about, as data: what each one evaluates, for whom, its steps,
its cost and validity where they are public, every page with its sources and the dates they were
checked and must be checked again. One file per label in ``content/awareness/labels/``, named by
its id; validated at load like the modules.

A cost or a validity that no checked source gives is left out (None): the page then says so
rather than guess. ``related_modules`` name the /decouvrir modules a page leads to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import Field, model_validator

from content.awareness.models import Source, load_numbered
from content.loader import CONTENT_DIR, Localized

# The diagnostic's engine: its item base, French error messages and checks.
from content.questionnaires.models import _ID, _Item, _refuse_duplicates

LABELS_DIR = CONTENT_DIR / "awareness" / "labels"


class Label(_Item):
    id: str = Field(pattern=_ID)
    title: Localized
    # Who it is meant for, and who runs it.
    for_whom: Localized
    what: Localized
    steps: tuple[Localized, ...] = Field(min_length=1)
    # None when no checked source gives it: the page sends the reader to the label's site.
    cost: Localized | None = None
    validity: Localized | None = None
    # The /decouvrir modules this page leads to.
    related_modules: tuple[str, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)
    reviewed: date
    review_by: date

    @model_validator(mode="after")
    def _check(self) -> Label:
        _refuse_duplicates("module lié", list(self.related_modules))
        if self.review_by <= self.reviewed:
            raise ValueError("la date de révision doit suivre celle de la vérification")
        return self


def load_labels(folder: Path = LABELS_DIR, *, modules: frozenset[str]) -> Mapping[str, Label]:
    """Every label of the folder by id, in the files' order (prefix their names with a
    number); ``modules`` are the awareness modules' ids, which ``related_modules`` must name."""
    return load_numbered(
        Label,
        folder,
        kind="label",
        known=lambda label: label.related_modules,
        allowed=modules,
        unknown_message="modules inconnus",
    )
