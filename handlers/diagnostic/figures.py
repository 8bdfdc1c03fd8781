"""The pôle's figures from its companies' diagnostics, as the anonymity rule lets them be shown
(handlers/anonymity.py): for the animators' synthesis and for a member's comparison.

Companies are counted by the company name given with each diagnostic, folded ("Biocoop  lyon"
is "Biocoop Lyon"), a person who gave none being a company of their own. Each company counts
once, by its latest diagnostic: of each member's latest one (an older one is superseded by the
member's own), the most recent among the company's members. So two colleagues who both answered
are one company, with the answers it gave last.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.storage.models import Diagnostic
from content.questionnaires.models import Level, Questionnaire
from content.text import fold
from handlers.anonymity import Aggregate, Band, aggregate, distribution


@dataclass(frozen=True, slots=True)
class PoleFigures:
    """What may be shown of a pôle's companies, each by its latest diagnostic."""

    companies: int
    overall: Aggregate
    # Section id -> that subject's mean, over the companies that have a score in it.
    sections: Mapping[str, Aggregate]
    # Companies per maturity level, levels merged so that no band is under the threshold.
    levels: Sequence[Band]


def company_key(company: str | None, person_id: int) -> Hashable:
    """Who a diagnostic speaks for: its company, folded, or the person when they gave none."""
    name = fold(company or "")
    return ("company", name) if name else ("person", person_id)


def pole_figures(
    diagnostics: Iterable[Diagnostic],
    *,
    questionnaire: Questionnaire,
    minimum: int,
    excluding: Hashable | None = None,
) -> PoleFigures:
    """The figures that may be shown of these members' latest diagnostics (one per member),
    each company counted once by its latest, without the company ``excluding``."""
    by_company: dict[Hashable, Diagnostic] = {}
    for diagnostic in diagnostics:
        key = company_key(diagnostic.company, diagnostic.person_id)
        known = by_company.get(key)
        if known is None or _order(diagnostic) > _order(known):
            by_company[key] = diagnostic
    by_company.pop(excluding, None)
    return PoleFigures(
        companies=len(by_company),
        overall=aggregate({key: d.score for key, d in by_company.items()}, minimum=minimum),
        sections={
            # A subject answered only "je ne sais pas" has no score: that company adds nothing.
            section.id: aggregate(
                {key: d.section_scores.get(section.id) for key, d in by_company.items()},
                minimum=minimum,
            )
            for section in questionnaire.sections
        },
        levels=distribution(
            {key: level_of(questionnaire, d).id for key, d in by_company.items()},
            [level.id for level in questionnaire.levels],
            minimum=minimum,
        ),
    )


def _order(diagnostic: Diagnostic) -> tuple[datetime, int]:
    return diagnostic.completed_at, diagnostic.id or 0


def compared_with(
    diagnostics: Iterable[Diagnostic],
    *,
    questionnaire: Questionnaire,
    minimum: int,
    company: str | None,
    person_id: int,
) -> PoleFigures:
    """The figures of the pôle's other companies, to compare a member's company with.

    The member's own company is left out (their colleagues' diagnostics too): with it in, the
    member could take their own score out of the mean and read the others' from fewer than
    ``minimum`` companies.
    """
    return pole_figures(
        diagnostics,
        questionnaire=questionnaire,
        minimum=minimum,
        excluding=company_key(company, person_id),
    )


def level_of(questionnaire: Questionnaire, diagnostic: Diagnostic) -> Level:
    """The level given at the time; from the score if the content no longer has that level."""
    for level in questionnaire.levels:
        if level.id == diagnostic.level:
            return level
    return questionnaire.level_for(diagnostic.score)
