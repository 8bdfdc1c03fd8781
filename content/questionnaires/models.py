"""Questionnaires as data: the self-diagnostic, and later the partner survey, validated at load.

A questionnaire has its own answer scale, sections of questions, optional maturity levels and
recommended actions. Sector packs (``packs/<sector>.yaml``) add or replace questions; every pack
is applied once at load, so a faulty pack stops the bot at start, not in a member's chat.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

# Same reading and error messages as the other content files.
from content.loader import CONTENT_DIR, ContentError, Localized, read_yaml

QUESTIONNAIRES_DIR = CONTENT_DIR / "questionnaires"
# The answer id of "je ne sais pas": stored like a choice, left out of every score.
DONT_KNOW = "dont_know"
_ID = r"^[a-z][a-z0-9_]*$"


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleChoice(_Item):
    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    points: int = Field(ge=0)
    label: Localized


class Action(_Item):
    id: str = Field(pattern=_ID)
    text: Localized
    source: str | None = None


class Question(_Item):
    id: str = Field(pattern=_ID)
    text: Localized
    # Keyed by scale choice id. A survey of plain statements has none: the scale labels suffice.
    answers: dict[str, Localized] | None = None
    actions: tuple[str, ...] = ()
    quick: bool = False
    source: str | None = None


class ClosingComment(_Item):
    """An optional comment asked once the section's questions are answered, e.g. one per axis
    of the partner survey. Stored with the per-question comments, under its own id."""

    id: str = Field(pattern=_ID)
    # The invitation shown after the section's last answer.
    prompt: Localized


class Section(_Item):
    id: str = Field(pattern=_ID)
    title: Localized
    questions: tuple[Question, ...] = Field(min_length=1)
    actions: tuple[Action, ...] = ()
    closing_comment: ClosingComment | None = None
    source: str | None = None

    def action(self, action_id: str) -> Action:
        return _find(self.actions, action_id)

    def actions_for(self, question: Question) -> tuple[Action, ...]:
        """The section's actions that would improve this question's answer."""
        return tuple(self.action(action_id) for action_id in question.actions)


class Level(_Item):
    id: str = Field(pattern=_ID)
    min: float = Field(ge=0, lt=100)
    label: Localized
    afaq_label: Localized | None = None
    description: Localized


class Questionnaire(_Item):
    id: str = Field(pattern=_ID)
    title: Localized
    intro: Localized | None = None
    source: str | None = None
    # Listed from the best answer to the worst; "je ne sais pas" is kept apart (see DONT_KNOW).
    scale: tuple[ScaleChoice, ...] = Field(min_length=2)
    dont_know: Localized | None = None
    requires_answers: bool = False
    min_questions_per_section: int = Field(default=3, ge=1)
    levels: tuple[Level, ...] = ()
    sections: tuple[Section, ...] = Field(min_length=1)
    # Folder of sector packs, next to the questionnaire file; None: no sector variants.
    sector_packs: str | None = None
    # False: no « ajouter un commentaire » button on each question (see Section.closing_comment).
    question_comments: bool = True

    # Filled by load_questionnaire: the questionnaire of each sector, its pack applied.
    _by_sector: dict[str, Questionnaire] = PrivateAttr(default_factory=dict)
    _sector: str | None = PrivateAttr(default=None)

    @field_validator("scale")
    @classmethod
    def _check_scale(cls, scale: tuple[ScaleChoice, ...]) -> tuple[ScaleChoice, ...]:
        ids = [choice.id for choice in scale]
        _refuse_duplicates("réponse de l'échelle", ids)
        if DONT_KNOW in ids:
            raise ValueError(f"« {DONT_KNOW} » est réservé à « je ne sais pas »")
        points = [choice.points for choice in scale]
        if any(better <= worse for better, worse in pairwise(points)):
            raise ValueError(f"les points de l'échelle doivent décroître strictement : {points}")
        return scale

    @field_validator("levels")
    @classmethod
    def _check_levels(cls, levels: tuple[Level, ...]) -> tuple[Level, ...]:
        if not levels:
            return levels
        _refuse_duplicates("niveau", [level.id for level in levels])
        minimums = [level.min for level in levels]
        if minimums[0] != 0:
            raise ValueError(f"le premier niveau doit commencer à 0, pas à {minimums[0]:g}")
        if any(low >= high for low, high in pairwise(minimums)):
            raise ValueError(f"les minimums des niveaux doivent croître strictement : {minimums}")
        return levels

    @model_validator(mode="after")
    def _check_sections(self) -> Questionnaire:
        _refuse_duplicates("section", [section.id for section in self.sections])
        _refuse_duplicates("question", [q.id for _, q in self.questions()])
        action_ids = [a.id for s in self.sections for a in s.actions]
        _refuse_duplicates("action", action_ids)
        # An action plan stores action ids beside answers stored by question id: keep them apart.
        shared = sorted(set(action_ids) & {q.id for _, q in self.questions()})
        if shared:
            raise ValueError(f"identifiant(s) à la fois question et action : {', '.join(shared)}")
        # Comments on questions and closing comments are stored together, keyed by their id.
        closing_ids = [s.closing_comment.id for s in self.sections if s.closing_comment]
        _refuse_duplicates("commentaire de fin de section", closing_ids)
        shared = sorted(set(closing_ids) & {q.id for _, q in self.questions()})
        if shared:
            raise ValueError(
                "identifiant(s) à la fois question et commentaire de fin de section : "
                f"{', '.join(shared)}"
            )
        scale_ids = [choice.id for choice in self.scale]
        quick_used = any(question.quick for _, question in self.questions())
        for section in self.sections:
            count = len(section.questions)
            if count < self.min_questions_per_section:
                raise ValueError(
                    f"section {section.id} : {count} question(s), il en faut au moins "
                    f"{self.min_questions_per_section}"
                )
            quick = [q.id for q in section.questions if q.quick]
            # The quick version asks one question per section, so that it still covers them all.
            if quick_used and len(quick) != 1:
                raise ValueError(
                    f"section {section.id} : {len(quick)} question(s) rapide(s) {quick}, "
                    "il en faut exactement une"
                )
            known_actions = {action.id for action in section.actions}
            for question in section.questions:
                _check_answers(question, scale_ids, self.requires_answers)
                unknown = [a for a in question.actions if a not in known_actions]
                if unknown:
                    raise ValueError(
                        f"question {question.id} : action(s) inconnue(s) {unknown} "
                        f"dans la section {section.id}"
                    )
        return self

    def questions(self) -> list[tuple[Section, Question]]:
        """Every question in the order asked, with its section."""
        return [(section, question) for section in self.sections for question in section.questions]

    def section(self, section_id: str) -> Section:
        return _find(self.sections, section_id)

    def question(self, question_id: str) -> tuple[Section, Question]:
        """A question and its section, e.g. to resume a conversation from a stored id."""
        for section, question in self.questions():
            if question.id == question_id:
                return section, question
        raise KeyError(question_id)

    def points(self, choice_id: str) -> int | None:
        """Points of a scale answer; None for "je ne sais pas", which no score counts."""
        if choice_id == DONT_KNOW:
            return None
        return _find(self.scale, choice_id).points

    @property
    def max_points(self) -> int:
        return self.scale[0].points

    def level_for(self, percent: float) -> Level:
        """The maturity level of a score in percent (0 to 100)."""
        if not self.levels:
            raise LookupError(f"le questionnaire {self.id} n'a pas de niveaux")
        if not 0 <= percent <= 100:
            raise ValueError(f"score hors de 0–100 : {percent}")
        return [level for level in self.levels if level.min <= percent][-1]

    @property
    def sectors_with_packs(self) -> tuple[str, ...]:
        return tuple(self._by_sector)

    @property
    def sector(self) -> str | None:
        """The sector whose pack was applied, if any."""
        return self._sector

    def for_sector(self, sector_id: str | None) -> Questionnaire:
        """This questionnaire with the sector's pack applied; itself for a sector with none.

        Call it before ``quick()``: packs replace and add questions of the full version.
        """
        return self._by_sector.get(sector_id or "", self)

    def quick(self) -> Questionnaire:
        """The quick version: only the question marked ``quick`` in each section."""
        sections = tuple(
            section.model_copy(update={"questions": tuple(q for q in section.questions if q.quick)})
            for section in self.sections
        )
        if not any(section.questions for section in sections):
            raise LookupError(f"le questionnaire {self.id} n'a pas de version rapide")
        # model_copy does not validate: one question per section is what a quick version is.
        quick = self.model_copy(update={"sections": sections, "min_questions_per_section": 1})
        quick._by_sector = {}
        return quick


class PackAddition(_Item):
    section: str
    question: Question


class PackReplacement(_Item):
    id: str
    question: Question


class PackAction(_Item):
    section: str
    action: Action


class SectorPack(_Item):
    """Questions (and actions) a sector adds to, or replaces in, a questionnaire."""

    sector: str = Field(pattern=_ID)
    add: tuple[PackAddition, ...] = ()
    replace: tuple[PackReplacement, ...] = ()
    add_actions: tuple[PackAction, ...] = ()

    @model_validator(mode="after")
    def _changes_something(self) -> SectorPack:
        if not self.add and not self.replace:
            raise ValueError("le pack n'ajoute ni ne remplace aucune question")
        _refuse_duplicates("question remplacée", [r.id for r in self.replace])
        return self

    def apply_to(self, base: Questionnaire) -> Questionnaire:
        """The base with this pack's actions and questions; re-validated as a whole."""
        section_ids = {section.id for section in base.sections}
        named = [a.section for a in self.add] + [a.section for a in self.add_actions]
        unknown_sections = sorted({name for name in named if name not in section_ids})
        if unknown_sections:
            raise ValueError(f"section(s) inconnue(s) {unknown_sections}")
        question_ids = {question.id for _, question in base.questions()}
        unknown_questions = [r.id for r in self.replace if r.id not in question_ids]
        if unknown_questions:
            raise ValueError(f"remplace des questions inconnues {unknown_questions}")
        replacements = {r.id: r.question for r in self.replace}
        sections = []
        for section in base.sections:
            questions = []
            for question in section.questions:
                replacement = replacements.get(question.id)
                if replacement is None:
                    questions.append(question.model_dump())
                else:
                    # A replaced quick question keeps its place in the quick version.
                    quick = question.quick or replacement.quick
                    questions.append(replacement.model_dump() | {"quick": quick})
            questions += [a.question.model_dump() for a in self.add if a.section == section.id]
            actions = [action.model_dump() for action in section.actions]
            actions += [a.action.model_dump() for a in self.add_actions if a.section == section.id]
            sections.append(section.model_dump() | {"questions": questions, "actions": actions})
        data = base.model_dump() | {"sections": sections}
        return Questionnaire.model_validate(data)


_Identified = TypeVar("_Identified", Action, Section, ScaleChoice)


def _find(items: tuple[_Identified, ...], item_id: str) -> _Identified:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)


def _refuse_duplicates(kind: str, ids: list[str]) -> None:
    duplicates = sorted(i for i, count in Counter(ids).items() if count > 1)
    if duplicates:
        raise ValueError(f"identifiant(s) de {kind} en double : {', '.join(duplicates)}")


def _check_answers(question: Question, scale_ids: list[str], required: bool) -> None:
    if question.answers is None:
        if required:
            raise ValueError(f"question {question.id} : réponses manquantes {scale_ids}")
        return
    missing = [i for i in scale_ids if i not in question.answers]
    if missing:
        raise ValueError(f"question {question.id} : réponses manquantes {missing}")
    extra = [i for i in question.answers if i not in scale_ids]
    if extra:
        raise ValueError(f"question {question.id} : réponses hors de l'échelle {extra}")


# The pydantic errors a content editor is likely to make, said in French.
_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "clé inconnue",
    "string_too_short": "texte vide",
    "too_short": "liste trop courte",
    "string_pattern_mismatch": "identifiant invalide (lettres sans accent, chiffres et _)",
}


def _explain(error: ValidationError) -> str:
    """Pydantic's errors as short French lines: where, then what."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = _MESSAGES.get(item["type"], item["msg"].removeprefix("Value error, "))
        lines.append(f"{where} : {message}" if where else message)
    return " ; ".join(lines)


_Model = TypeVar("_Model", bound=BaseModel)


def _validated(model: type[_Model], path: Path, name: str) -> _Model:
    try:
        return model.model_validate(read_yaml(path))
    except ValidationError as error:
        raise ContentError(f"{name} : {_explain(error)}") from None


def load_questionnaire(
    name: str = "diagnostic", folder: Path = QUESTIONNAIRES_DIR
) -> Questionnaire:
    """Load a questionnaire and apply its sector packs; a ContentError names the faulty file."""
    path = folder / f"{name}.yaml"
    if not path.is_file():
        raise ContentError(f"questionnaire introuvable : {path}")
    base = _validated(Questionnaire, path, path.name)
    if base.sector_packs is None:
        return base
    packs = folder / base.sector_packs
    if not packs.is_dir():
        raise ContentError(f"{path.name} : dossier de packs introuvable : {packs}")
    by_sector: dict[str, Questionnaire] = {}
    for pack_path in sorted(packs.glob("*.yaml")):
        label = f"{base.sector_packs}/{pack_path.name}"
        pack = _validated(SectorPack, pack_path, label)
        # The file name is what a maintainer looks for: it must be the sector it adapts.
        if pack.sector != pack_path.stem:
            raise ContentError(
                f"{label} : le secteur « {pack.sector} » ne correspond pas au fichier"
            )
        try:
            applied = pack.apply_to(base)
        except ValidationError as error:
            raise ContentError(f"{label} : une fois appliqué, {_explain(error)}") from None
        except ValueError as error:
            raise ContentError(f"{label} : {error}") from None
        applied._sector = pack.sector
        by_sector[pack.sector] = applied
    base._by_sector = by_sector
    return base
