"""The workshops and thematic days a pôle offers on demand, as data: Vegepolys' three workshops
(« Qu'est-ce que la RSE ? », « Comment allier RSE et amélioration continue ? », « Comment
maîtriser la communication durable ? ») and a thematic day like Cluster Bio's, each with what it
covers, the /decouvrir module that prepares it, the words that recognise it in a member's own
request, and where the offer comes from. One file, ``content/awareness/workshops.yaml``,
validated at load: a broken file stops the bot at start, naming it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from content.awareness.models import Source
from content.loader import CONTENT_DIR, ContentError, Localized, read_yaml
from content.questionnaires.models import _ID, _explain, _Item, _refuse_duplicates
from content.text import fold

WORKSHOPS_FILE = CONTENT_DIR / "awareness" / "workshops.yaml"


class WorkshopTheme(_Item):
    id: str = Field(pattern=_ID)
    # A workshop of a few hours, or a whole thematic day.
    kind: Literal["workshop", "thematic_day"]
    title: Localized
    summary: Localized
    # The /decouvrir module that prepares it.
    module: str
    # Folded words any of which, in a member's own words, means this theme.
    keywords: tuple[str, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = Field(min_length=1)

    @field_validator("keywords")
    @classmethod
    def _folded(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        unfolded = [word for word in keywords if fold(word) != word or not word.strip()]
        if unfolded:
            raise ValueError(f"mots-clés à écrire sans majuscule ni accent : {unfolded}")
        return keywords


class _Themes(_Item):
    themes: tuple[WorkshopTheme, ...] = Field(min_length=1)


def load_workshops(
    path: Path = WORKSHOPS_FILE, *, modules: frozenset[str]
) -> Mapping[str, WorkshopTheme]:
    """The themes by id, in the file's order; ``modules`` are the awareness modules' ids, which
    each theme's ``module`` must name."""
    name = f"awareness/{path.name}"
    try:
        themes = _Themes.model_validate(read_yaml(path)).themes
    except ValidationError as error:
        raise ContentError(f"{name} : {_explain(error)}") from None
    try:
        _refuse_duplicates("thème", [theme.id for theme in themes])
    except ValueError as error:
        raise ContentError(f"{name} : {error}") from None
    unknown = sorted({theme.module for theme in themes} - modules)
    if unknown:
        raise ContentError(f"{name} : modules inconnus : {unknown}")
    return {theme.id: theme for theme in themes}
