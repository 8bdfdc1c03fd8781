"""Templates members receive as documents on request (/ressources), as data: Pôle ICP's
« prêt à l'emploi » specification for a responsible lighting project and its evaluation grid
are the first two. One file per template in ``content/awareness/resources/``, named by its id;
validated at load like the modules.

A template is sections of points: a specification (``docx``) writes each section as a heading,
its guidance and its points with room to answer, to be completed in a word processor; a grid
(``xlsx``) writes each point as a criterion to score on the template's ``scale``, with the
section's and the grid's totals computed by the spreadsheet itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from content.awareness.models import Source, load_numbered
from content.loader import CONTENT_DIR, Localized

# The diagnostic's engine: its item base and checks.
from content.questionnaires.models import _ID, _Item

RESOURCES_DIR = CONTENT_DIR / "awareness" / "resources"
FORMATS = ("docx", "xlsx")


class TemplateSection(_Item):
    title: Localized
    # What to write in this section, or how to score it.
    guidance: Localized | None = None
    points: tuple[Localized, ...] = Field(min_length=1)


class ScoreLevel(_Item):
    points: int = Field(ge=0, le=10)
    label: Localized


class Template(_Item):
    id: str = Field(pattern=_ID)
    format: Literal["docx", "xlsx"]
    title: Localized
    summary: Localized
    # The document's name as the member receives it, without its extension.
    file_name: Localized
    # Whose work it adapts (« Pôle Industries Culturelles et Patrimoine »), said on the document.
    origin: Localized
    sections: tuple[TemplateSection, ...] = Field(min_length=1)
    # A grid's levels, lowest first; a specification has none.
    scale: tuple[ScoreLevel, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)
    reviewed: date
    review_by: date

    @model_validator(mode="after")
    def _check(self) -> Template:
        if self.review_by <= self.reviewed:
            raise ValueError("la date de révision doit suivre celle de la vérification")
        if (self.format == "xlsx") != bool(self.scale):
            raise ValueError("une grille (xlsx) a une échelle de notation, un cahier (docx) non")
        points = [level.points for level in self.scale]
        if points != sorted(set(points)):
            raise ValueError("les niveaux de l'échelle vont du plus bas au plus haut, sans doublon")
        return self

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


MIME_TYPES: Mapping[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def load_templates(folder: Path = RESOURCES_DIR) -> Mapping[str, Template]:
    """Every template of the folder by id, in the files' order (prefix their names with a
    number)."""
    return load_numbered(
        Template,
        folder,
        kind="modèle",
        known=lambda template: (),
        allowed=frozenset(),
        unknown_message="",
    )
