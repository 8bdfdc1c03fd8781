"""The one loader of ``content/``: reads the data files and validates them at start."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from content.roles import ROLES
from content.schedules import Schedule, weekday_names
from content.text import Text

if TYPE_CHECKING:
    from content.awareness.labels import Label
    from content.awareness.models import Module
    from content.awareness.programmes import Programme
    from content.awareness.readiness import ReadinessCheck
    from content.awareness.resources import Template
    from content.awareness.workshops import WorkshopTheme
    from content.questionnaires.models import Questionnaire
    from content.surveys.models import SurveySet
    from content.veille.models import Themes

CONTENT_DIR = Path(__file__).resolve().parent
LOCALES: tuple[str, ...] = ("fr", "en")


class ContentError(Exception):
    """A content file is missing, malformed or inconsistent between languages."""


class Localized(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr


class Sector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Localized


class MenuItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(pattern=r"^[a-z]+$")
    label: Localized
    role: str | None = "member"
    newcomers_only: bool = False

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str | None) -> str | None:
        if role is not None and role not in ROLES:
            raise ValueError(f"rôle inconnu {role!r} ({', '.join(ROLES)})")
        return role


class _Sectors(BaseModel):
    sectors: list[Sector] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> _Sectors:
        ids = [sector.id for sector in self.sectors]
        if len(ids) != len(set(ids)):
            raise ValueError("identifiants de secteur en double")
        return self


class _Charter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    updated: date
    text: Localized


class _Menu(BaseModel):
    menu: list[MenuItem] = Field(min_length=1)


_FORMATTER = string.Formatter()
_STRAY_MARKUP = re.compile(r"\*\*|__")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, path + "."))
        elif isinstance(value, str):
            flat[path] = value.rstrip("\n")
        else:
            raise ContentError(f"textes : {path} doit être un texte, pas {type(value).__name__}")
    return flat


@dataclass(frozen=True)
class Texts:
    """Every message the bot says, in one language."""

    locale: str
    templates: dict[str, Text]

    def __repr__(self) -> str:
        # Short: Python 3.11's asyncio.run formats the repr of whatever its signal handler
        # holds on every run, and the whole content took milliseconds a test to print.
        return f"Texts({self.locale}, {len(self.templates)} texts)"

    def __call__(self, key: str, **values: object) -> Text:
        return self.templates[key].format(values)

    def label(self, key: str, **values: object) -> str:
        """The text as plain characters, for button labels and file names."""
        return str(self(key, **values))


@dataclass(frozen=True, repr=False)
class Content:
    texts_by_locale: dict[str, Texts]
    sectors: tuple[Sector, ...]
    menu: tuple[MenuItem, ...]
    diagnostic: Questionnaire
    themes: Themes
    # Day names of every language, and their first three letters, to the day's number.
    weekdays: Mapping[str, int]
    # The default calendar of each edition kind of the watch digest.
    editions: Mapping[str, Schedule]
    # The charter of values a new club starts with.
    charter: Localized
    # The indicator sets of the partner survey, by id (their file name in surveys/).
    surveys: Mapping[str, SurveySet]
    # The awareness modules, by id, in their files' order.
    modules: Mapping[str, Module]
    # The RSE labels /labels presents, by id, in their files' order.
    labels: Mapping[str, Label]
    # The labels' readiness self-checks (« Suis-je prêt ? »), by label id, in the labels' order.
    readiness: Mapping[str, ReadinessCheck]
    # The programmes a pôle can run (/programme), by id, in their files' order.
    programmes: Mapping[str, Programme]
    # The workshops and thematic days members can ask for (/atelier), by id, in the file's order.
    workshops: Mapping[str, WorkshopTheme]
    # The satisfaction survey sent after a workshop.
    workshop_survey: Questionnaire
    # The templates /ressources sends as documents, by id, in their files' order.
    templates: Mapping[str, Template]

    def texts(self, locale: str) -> Texts:
        return self.texts_by_locale.get(locale, self.texts_by_locale["fr"])

    def __repr__(self) -> str:
        # Short, as Texts' (an error message or a task's repr may print it).
        return f"Content({len(self.modules)} modules, {len(self.labels)} labels, …)"

    def sector(self, sector_id: str | None) -> Sector | None:
        return next((s for s in self.sectors if s.id == sector_id), None)


# libyaml's loader when PyYAML was built with it: ten times faster, and every command loads the
# content at start.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path.name} illisible : {exc}") from None
    if not isinstance(data, dict):
        raise ContentError(f"{path.name} doit contenir un dictionnaire")
    return data


def _read_texts(directory: Path) -> dict[str, str]:
    """One language's texts: every ``.yaml`` under ``directory``, its keys prefixed by its path
    (``events/poll.yaml``'s ``closed`` is ``events.poll.closed``), so that each feature keeps its
    texts in files of its own."""
    if not directory.is_dir():
        raise ContentError(f"textes : dossier {directory.name}/ absent")
    flat: dict[str, str] = {}
    for path in sorted(directory.rglob("*.yaml")):
        prefix = ".".join(path.relative_to(directory).with_suffix("").parts) + "."
        for key, value in _flatten(read_yaml(path), prefix).items():
            if key in flat:
                raise ContentError(f"textes {directory.name} : {key} défini deux fois")
            flat[key] = value
    return flat


def _load_texts(directory: Path) -> dict[str, Texts]:
    raw = {locale: _read_texts(directory / locale) for locale in LOCALES}
    reference = raw["fr"]
    for locale, templates in raw.items():
        missing = sorted(set(reference) - set(templates))
        extra = sorted(set(templates) - set(reference))
        if missing or extra:
            raise ContentError(
                f"textes {locale} : clés manquantes {missing} ; clés en trop {extra}"
            )
        for key, template in templates.items():
            if _placeholders(template) != _placeholders(reference[key]):
                raise ContentError(f"textes {locale} : {key} n'a pas les mêmes variables qu'en fr")
            leftover = "".join(span.text for span in Text.parse(template).spans)
            if _STRAY_MARKUP.search(leftover):
                raise ContentError(f"textes {locale} : {key} a un ** ou __ non fermé")
    return {
        locale: Texts(locale, {key: Text.parse(value) for key, value in templates.items()})
        for locale, templates in raw.items()
    }


def load_content(directory: Path = CONTENT_DIR) -> Content:
    """Load and validate every content file; raise ContentError naming the faulty file."""
    try:
        sectors = _Sectors.model_validate(read_yaml(directory / "sectors.yaml")).sectors
        menu = _Menu.model_validate(read_yaml(directory / "menu.yaml")).menu
        charter = _Charter.model_validate(read_yaml(directory / "club" / "charter.yaml")).text
    except ValidationError as exc:
        raise ContentError(f"contenu invalide : {exc}") from None
    # Imported here: the questionnaire models build on this module.
    from content.awareness.labels import load_labels
    from content.awareness.models import load_modules
    from content.awareness.programmes import load_programmes
    from content.awareness.readiness import load_readiness
    from content.awareness.resources import load_templates
    from content.awareness.workshops import load_workshops
    from content.questionnaires.models import load_questionnaire
    from content.surveys.models import load_surveys
    from content.veille.models import load_editions, load_themes

    diagnostic = load_questionnaire("diagnostic", directory / "questionnaires")
    unknown = sorted(set(diagnostic.sectors_with_packs) - {sector.id for sector in sectors})
    if unknown:
        raise ContentError(f"packs de secteurs inconnus de sectors.yaml : {unknown}")
    themes = load_themes(directory / "veille" / "themes.yaml")
    texts = _load_texts(directory / "texts")
    try:
        weekdays = weekday_names(t.label("schedules.weekdays").split(",") for t in texts.values())
    except ValueError as exc:
        raise ContentError(f"textes : schedules.weekdays, {exc}") from None
    editions = load_editions(directory / "veille" / "editions.yaml", weekdays, texts["fr"])
    surveys = load_surveys(directory / "surveys")
    modules = load_modules(
        directory / "awareness" / "modules",
        sections=frozenset(section.id for section in diagnostic.sections),
    )
    labels = load_labels(directory / "awareness" / "labels", modules=frozenset(modules))
    workshops = load_workshops(
        directory / "awareness" / "workshops.yaml", modules=frozenset(modules)
    )
    workshop_survey = load_questionnaire("satisfaction_atelier", directory / "questionnaires")
    readiness = load_readiness(
        directory / "awareness" / "readiness", labels=tuple(labels), modules=frozenset(modules)
    )
    programmes = load_programmes(
        directory / "awareness" / "programmes",
        modules=frozenset(modules),
        labels=frozenset(labels),
        themes=frozenset(workshops),
    )
    return Content(
        texts,
        tuple(sectors),
        tuple(menu),
        diagnostic,
        themes,
        weekdays,
        editions,
        charter,
        surveys,
        modules,
        labels,
        readiness,
        programmes,
        workshops=workshops,
        workshop_survey=workshop_survey,
        templates=load_templates(directory / "awareness" / "resources"),
    )


@cache
def default_content() -> Content:
    return load_content()
