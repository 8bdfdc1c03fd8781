"""The watch digest as data: the themes' keyword rules that tag each item, and the editions'
default calendar, validated at load."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from content.loader import CONTENT_DIR, ContentError, Localized, Texts, read_yaml

# Same short French wording of pydantic's errors as the questionnaires.
from content.questionnaires.models import _explain
from content.schedules import Schedule, ScheduleError, parse_schedule
from content.text import fold

THEMES_PATH = CONTENT_DIR / "veille" / "themes.yaml"
# The edition kinds: the weekly note and the newsletter.
EDITION_KINDS = ("note", "newsletter")
_ID = r"^[a-z][a-z0-9_]*$"
_WORD = re.compile(r"\w+\*?")


def _keyword_pattern(keyword: str) -> str:
    """A keyword as a regular expression over folded text (see the rules in themes.yaml)."""
    parts = []
    for word in _WORD.findall(fold(keyword)):
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            # French plurals, so that the file need not list "déchet" and "déchets".
            parts.append(re.escape(word) + "(?:s|x)?")
    # Between the words, any run of spaces, hyphens or apostrophes ("éco-conception", "l'eau").
    return r"[\W_]+".join(parts)


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    label: Localized
    keywords: tuple[str, ...] = Field(min_length=1)

    @field_validator("keywords")
    @classmethod
    def _has_words(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        for keyword in keywords:
            if not _WORD.search(fold(keyword)):
                raise ValueError(f"mot-clé sans lettre ni chiffre : « {keyword} »")
        return keywords


class Fallback(BaseModel):
    """Where items no keyword describes go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    label: Localized


class Themes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    themes: tuple[Theme, ...] = Field(min_length=1)
    fallback: Fallback
    _rules: tuple[tuple[str, re.Pattern[str]], ...] = PrivateAttr(default=())
    _labels: dict[str, Localized] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _compile(self) -> Themes:
        ids = [theme.id for theme in self.themes] + [self.fallback.id]
        doubles = sorted({theme_id for theme_id in ids if ids.count(theme_id) > 1})
        if doubles:
            raise ValueError(f"identifiants de thème en double : {doubles}")
        # One expression per theme; the lookarounds make every keyword a whole word.
        self._rules = tuple(
            (
                theme.id,
                re.compile(
                    r"(?<!\w)(?:" + "|".join(map(_keyword_pattern, theme.keywords)) + r")(?!\w)"
                ),
            )
            for theme in self.themes
        )
        self._labels = {theme.id: theme.label for theme in self.themes}
        self._labels[self.fallback.id] = self.fallback.label
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        """Every theme id in the file's order, the fallback last."""
        return (*(theme.id for theme in self.themes), self.fallback.id)

    def tag(self, title: str, summary: str) -> tuple[str, ...]:
        """The themes whose keywords the item mentions, in file order; else the fallback."""
        text = fold(f"{title}\n{summary}")
        found = tuple(theme_id for theme_id, rule in self._rules if rule.search(text))
        return found or (self.fallback.id,)

    def label(self, theme_id: str, locale: str) -> str:
        """The theme's name in that language; KeyError for an id the file does not have."""
        return self._labels[theme_id](locale)


def load_themes(path: Path = THEMES_PATH) -> Themes:
    """Load and validate the themes file; a ContentError names it and says what is wrong."""
    try:
        return Themes.model_validate(read_yaml(path))
    except ValidationError as error:
        raise ContentError(f"{path.name} : {_explain(error)}") from None


def load_editions(path: Path, weekdays: Mapping[str, int], texts: Texts) -> dict[str, Schedule]:
    """The default calendar of each edition kind; a ContentError says, in ``texts``' words,
    what is wrong."""
    data = read_yaml(path)
    if sorted(data) != sorted(EDITION_KINDS):
        raise ContentError(f"{path.name} : il faut exactement {', '.join(EDITION_KINDS)}")
    editions = {}
    for kind in EDITION_KINDS:
        try:
            editions[kind] = parse_schedule(str(data[kind]), weekdays)
        except ScheduleError as error:
            reason = texts.label(error.key, **error.values)
            raise ContentError(f"{path.name} : {kind} illisible. {reason}") from None
    return editions
