"""The one anonymity rule for every figure about other companies (issue 11: members share
their answers "sans peur d'une exploitation malveillante").

A figure (a mean, or a count of companies in a band of a distribution) is shown only when at
least ``minimum`` companies contribute to that very figure; ``minimum`` is the setting
``RSEBOT_MIN_GROUP_SIZE``. There is deliberately no minimum, maximum or median here: each of
those is one company's exact value, whatever the number of companies.

Callers give one value per company, keyed by the company, so that a company counts once however
many of its people answered; ``None`` is a company without a value for this figure (say, a
subject it answered only with "je ne sais pas"): it does not contribute. The diagnostic's pôle
figures go through here; the club's and the partner survey's figures are meant to as well.

A threshold does not protect against differences between two moments (a mean over 5 companies,
then over 6 once one more answered): figures are rounded when shown, which blurs but does not
prevent that.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

# Below 2, the figure of a single company would be shown as a "mean".
LOWEST_MINIMUM = 2


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A figure over ``companies`` contributing companies; ``mean`` is None when hidden."""

    companies: int
    mean: float | None

    @property
    def shown(self) -> bool:
        return self.mean is not None


@dataclass(frozen=True, slots=True)
class Band:
    """Adjacent categories of a distribution (say maturity levels) and their companies."""

    categories: tuple[str, ...]
    companies: int


def aggregate(values: Mapping[Hashable, float | None], *, minimum: int) -> Aggregate:
    """The mean of the companies' values, or hidden (``mean`` None) when fewer than ``minimum``
    companies have a value."""
    if minimum < LOWEST_MINIMUM:
        raise ValueError(f"minimum {minimum}: at least {LOWEST_MINIMUM} companies per figure")
    contributing = [value for value in values.values() if value is not None]
    if len(contributing) < minimum:
        return Aggregate(len(contributing), None)
    return Aggregate(len(contributing), fmean(contributing))


def distribution(
    categories: Mapping[Hashable, str], order: Sequence[str], *, minimum: int
) -> list[Band]:
    """Companies per category, in ``order``, adjacent categories merged until each band holds
    at least ``minimum`` companies; an empty list when that leaves a single band (it would only
    be the total) or none.

    Merging rather than hiding the small categories alone: the hidden ones could be worked out
    from the total, and an ordered scale ("Débutant à Intermédiaire : 7") still reads well.
    """
    unknown = set(categories.values()) - set(order)
    if unknown:
        raise ValueError(f"categories not in the order: {sorted(unknown)}")
    bands: list[Band] = []
    pending: list[str] = []
    for category in order:
        pending.append(category)
        members = {key: 1.0 for key, value in categories.items() if value in pending}
        # Each band is a figure: the same rule decides whether it may stand on its own.
        figure = aggregate(members, minimum=minimum)
        if figure.shown:
            bands.append(Band(tuple(pending), figure.companies))
            pending = []
    if pending and bands:
        # The last categories hold too few companies: they join the band before them.
        last = bands.pop()
        companies = sum(1 for value in categories.values() if value in pending)
        bands.append(Band((*last.categories, *pending), last.companies + companies))
    return bands if len(bands) >= 2 else []
