"""An indicator set as a questionnaire of the diagnostic's engine (handlers/questionnaire.py), so
that a partner answers the survey in the chat like a member answers the diagnostic: one
affirmation at a time, its progress, the scale as buttons, a comment, resumed days later.

Each axis × level cell is a section (« Gouvernance — le projet »), each indicator a question of
the same id with no described answers: the scale's labels are the buttons. The four opinions
keep their ids and points; « ne se prononce pas » becomes the engine's own non-answer
(``DONT_KNOW``), shown last, left out of the engine's scores like of the survey's. The engine's
answers come back as ``Agreement`` values through ``agreement_of`` / ``agreements_of``, which
``score_wave`` scores with ``indicator_infos``.

The comment is one per axis, not per question: the last section of an axis that has an
invitation to comment (``Axis.comment``) closes with it (the engine's ``closing_comment``, keyed
by the axis's id), and the questions offer none: a partner's comments are keyed by axis.
"""

from __future__ import annotations

from collections.abc import Mapping

from content.loader import Localized
from content.questionnaires.models import (
    DONT_KNOW,
    ClosingComment,
    Question,
    Questionnaire,
    ScaleChoice,
    Section,
)
from content.surveys.models import SurveySet
from handlers.survey.scoring import Agreement, IndicatorInfo

# Between the axis and the level in a section's title, as in « Gouvernance — le projet ».
TITLE_DASH = " — "


def questionnaire(survey: SurveySet) -> Questionnaire:
    """The set as the engine asks it; validated by ``Questionnaire`` like the diagnostic."""
    sections = tuple(
        Section(
            id=section_id(axis.id, level.id),
            title=Localized(
                fr=axis.title.fr + TITLE_DASH + _lower_first(level.title.fr),
                en=axis.title.en + TITLE_DASH + _lower_first(level.title.en),
            ),
            questions=tuple(
                Question(id=indicator.id, text=indicator.text, source=indicator.source)
                for indicator in survey.cell(axis.id, level.id)
            ),
            closing_comment=(
                ClosingComment(id=axis.id, prompt=axis.comment)
                if axis.comment is not None and level == survey.levels[-1]
                else None
            ),
        )
        for axis in survey.axes
        for level in survey.levels
    )
    # SurveySet checked the scale: four opinions with points, strictly decreasing, and one
    # non-answer without any.
    (non_answer,) = [choice for choice in survey.scale if choice.non_answer]
    return Questionnaire(
        id=survey.id,
        title=survey.title,
        intro=survey.intro,
        source=survey.source,
        scale=tuple(
            ScaleChoice(id=choice.id, points=choice.points, label=choice.label)
            for choice in survey.scale
            if choice.points is not None
        ),
        dont_know=non_answer.label,
        min_questions_per_section=survey.min_per_cell,
        sections=sections,
        question_comments=False,
    )


def section_id(axis: str, level: str) -> str:
    """The id of the section of one axis at one level."""
    return f"{axis}__{level}"


def agreement_of(answer_id: str) -> Agreement:
    """The survey's choice for an answer the engine stored: ``nsp`` for ``dont_know``.

    Raises ValueError for anything else the engine cannot have stored, ``nsp`` included.
    """
    if answer_id == DONT_KNOW:
        return Agreement.NSP
    agreement = Agreement(answer_id)
    if agreement is Agreement.NSP:
        raise ValueError(f"« {Agreement.NSP} » is stored by the engine as « {DONT_KNOW} »")
    return agreement


def answer_of(agreement: Agreement | str) -> str:
    """The engine's answer id for a survey choice: ``dont_know`` for ``nsp``."""
    agreement = Agreement(agreement)
    return DONT_KNOW if agreement is Agreement.NSP else agreement.value


def agreements_of(answers: Mapping[str, str]) -> dict[str, Agreement]:
    """A partner's answers as the engine keeps them (question id -> answer id) as
    ``score_wave`` takes them (indicator id -> choice); the question ids are the indicators'."""
    return {question_id: agreement_of(answer) for question_id, answer in answers.items()}


def indicator_infos(survey: SurveySet) -> list[IndicatorInfo]:
    """The set's indicators as scoring needs them, in the set's order."""
    return [IndicatorInfo(i.id, i.axis, i.level) for i in survey.indicators]


def _lower_first(title: str) -> str:
    """« Le projet » -> « le projet » in the middle of a title; an acronym (« PME ») is kept."""
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]
