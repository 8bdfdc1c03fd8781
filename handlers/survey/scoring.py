"""A survey wave's results: per indicator, per axis and per axis × level, the participation,
and the trend between two waves. Pure functions over plain values (indicator ids, axis and level
ids, the partners' choices); no database, and no texts.

"Ne se prononce pas" (``Agreement.NSP``) is a non-answer, not a midpoint: it is left out of the
distribution, the top-2 box and the net agreement, whose denominator is the partners who gave an
opinion, and reported as its own rate among the partners who answered the indicator. A partner
who left an indicator blank did not answer it at all: it is in no count of that indicator.

Percentages are floats on 0–100, not rounded: rounding is for display (``percent``). A
percentage with no denominator (no opinion on the indicator) is None, never 0.

Axis and axis × level figures pool the answers of their indicators (sum the counts, then take
the percentages) rather than average the indicators' percentages. Each partner's answer then
weighs the same: an indicator with a single opinion does not count as much as one with eight,
which an average of percentages would make it do. And the pooled figures keep the indicators'
identities: the distribution sums to 100 %, top-2 box − % disagree is the net agreement, the
non-answer rate is the share of "ne se prononce pas" among the answers.

Figures about other partners are shown only through ``shareable_results``, which applies the
one anonymity rule of handlers/anonymity.py (``RSEBOT_MIN_GROUP_SIZE`` partners).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from handlers.anonymity import aggregate


class Agreement(StrEnum):
    """The five choices, from full agreement to full disagreement; NSP is the non-answer."""

    TOUT_A_FAIT = "tout_a_fait"
    PLUTOT = "plutot"
    NSP = "nsp"
    PLUTOT_PAS = "plutot_pas"
    PAS_DU_TOUT = "pas_du_tout"


# The scale in its printed order, and its halves.
SCALE: tuple[Agreement, ...] = tuple(Agreement)
AGREE: tuple[Agreement, ...] = (Agreement.TOUT_A_FAIT, Agreement.PLUTOT)
DISAGREE: tuple[Agreement, ...] = (Agreement.PLUTOT_PAS, Agreement.PAS_DU_TOUT)
OPINIONS: tuple[Agreement, ...] = (*AGREE, *DISAGREE)
# Differences of percentages closer than this are ties when ordering by change: 5/7 − 3/7 and
# 2/7 computed from other counts may differ in their last bit.
_TIE = 9

Measure = Literal["top2_box", "net_agreement"]


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    """An indicator as scoring needs it: its id, its axis id and its level id."""

    id: str
    axis: str
    level: str


@dataclass(frozen=True, slots=True)
class Counts:
    """How many partners chose each answer, and the percentages derived from them."""

    tout_a_fait: int = 0
    plutot: int = 0
    nsp: int = 0
    plutot_pas: int = 0
    pas_du_tout: int = 0

    @classmethod
    def of(cls, choices: Iterable[Agreement | str]) -> Counts:
        """The counts of these choices (values of ``Agreement``; another raises ValueError)."""
        tally = dict.fromkeys(SCALE, 0)
        for choice in choices:
            tally[Agreement(choice)] += 1
        return cls(**{choice.value: count for choice, count in tally.items()})

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{c.value: self[c] + other[c] for c in SCALE})

    def __getitem__(self, choice: Agreement) -> int:
        return getattr(self, Agreement(choice).value)

    @property
    def answered(self) -> int:
        """Partners who answered, "ne se prononce pas" included."""
        return sum(self[choice] for choice in SCALE)

    @property
    def opinions(self) -> int:
        """Partners who gave an opinion: every answer but "ne se prononce pas"."""
        return sum(self[choice] for choice in OPINIONS)

    @property
    def distribution(self) -> dict[Agreement, float] | None:
        """% of the opinions per choice ("ne se prononce pas" left out), or None without any."""
        opinions = self.opinions
        if not opinions:
            return None
        return {choice: 100 * self[choice] / opinions for choice in OPINIONS}

    @property
    def top2_box(self) -> float | None:
        """% of the opinions that are "tout à fait" or "plutôt d'accord"."""
        return self._share(AGREE)

    @property
    def disagreement(self) -> float | None:
        """% of the opinions that are "plutôt pas" or "pas du tout d'accord"."""
        return self._share(DISAGREE)

    @property
    def net_agreement(self) -> float | None:
        """% agree − % disagree, on −100 to 100."""
        opinions = self.opinions
        if not opinions:
            return None
        agree = sum(self[choice] for choice in AGREE)
        disagree = sum(self[choice] for choice in DISAGREE)
        return 100 * (agree - disagree) / opinions

    @property
    def non_answer_rate(self) -> float | None:
        """% "ne se prononce pas" among the partners who answered; None when none did."""
        answered = self.answered
        return 100 * self.nsp / answered if answered else None

    def _share(self, choices: tuple[Agreement, ...]) -> float | None:
        opinions = self.opinions
        if not opinions:
            return None
        return 100 * sum(self[choice] for choice in choices) / opinions


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's counts in a wave; its figures are those of ``counts``."""

    indicator: IndicatorInfo
    counts: Counts


@dataclass(frozen=True, slots=True)
class GroupResult:
    """An axis (``level`` None) or an axis × level, its indicators' answers pooled."""

    axis: str
    level: str | None
    indicators: tuple[str, ...]
    counts: Counts


@dataclass(frozen=True, slots=True)
class WaveResults:
    """A wave's results: per indicator in the given order, per axis and per axis × level in
    the order they first appear among the indicators, and the participation."""

    label: str
    invited: int
    submitted: int
    indicators: tuple[IndicatorResult, ...]
    axes: tuple[GroupResult, ...]
    axis_levels: tuple[GroupResult, ...]
    _by_id: Mapping[str, IndicatorResult] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {result.indicator.id: result for result in self.indicators}
        object.__setattr__(self, "_by_id", by_id)

    @property
    def participation_rate(self) -> float | None:
        """% of the invited partners who submitted."""
        return participation_rate(self.submitted, self.invited)

    def indicator(self, indicator_id: str) -> IndicatorResult | None:
        return self._by_id.get(indicator_id)

    def axis(self, axis: str, level: str | None = None) -> GroupResult | None:
        groups = self.axes if level is None else self.axis_levels
        return next((g for g in groups if g.axis == axis and g.level == level), None)


def participation_rate(submitted: int, invited: int) -> float | None:
    """% of the invited partners who submitted; None when nobody was invited."""
    if submitted < 0 or invited < 0 or submitted > invited:
        raise ValueError(f"{submitted} partners submitted of {invited} invited")
    return 100 * submitted / invited if invited else None


def score_wave(
    answers: Mapping[Hashable, Mapping[str, Agreement | str]],
    indicators: Sequence[IndicatorInfo],
    *,
    invited: int,
    label: str = "",
) -> WaveResults:
    """The results of one wave from each submitting partner's answers (partner -> indicator id
    -> choice). A partner with no answer at all still counts as having submitted.

    Raises ValueError for an answer to an unknown indicator, a choice off the scale, two
    indicators with one id, or more partners than were invited.
    """
    ids = [indicator.id for indicator in indicators]
    if len(set(ids)) != len(ids):
        raise ValueError("two indicators have the same id")
    known = set(ids)
    for partner_answers in answers.values():
        unknown = set(partner_answers) - known
        if unknown:
            raise ValueError(f"answers to unknown indicators: {sorted(unknown)}")
    participation_rate(len(answers), invited)  # validates the numbers

    results = tuple(
        IndicatorResult(
            indicator,
            Counts.of(
                partner[indicator.id] for partner in answers.values() if indicator.id in partner
            ),
        )
        for indicator in indicators
    )
    return WaveResults(
        label=label,
        invited=invited,
        submitted=len(answers),
        indicators=results,
        axes=_pooled(results, by_level=False),
        axis_levels=_pooled(results, by_level=True),
    )


def shareable_results(
    answers: Mapping[Hashable, Mapping[str, Agreement | str]],
    indicators: Sequence[IndicatorInfo],
    *,
    invited: int,
    minimum: int,
    label: str = "",
) -> WaveResults | None:
    """The wave's results when at least ``minimum`` partners (``RSEBOT_MIN_GROUP_SIZE``)
    submitted, else None: the rule of handlers/anonymity.py, each partner counting once."""
    partners = aggregate(dict.fromkeys(answers, 1.0), minimum=minimum)
    if not partners.shown:
        return None
    return score_wave(answers, indicators, invited=invited, label=label)


def _pooled(results: Sequence[IndicatorResult], *, by_level: bool) -> tuple[GroupResult, ...]:
    groups: dict[tuple[str, str | None], list[IndicatorResult]] = {}
    for result in results:
        key = (result.indicator.axis, result.indicator.level if by_level else None)
        groups.setdefault(key, []).append(result)
    return tuple(
        GroupResult(
            axis=axis,
            level=level,
            indicators=tuple(member.indicator.id for member in members),
            counts=sum((member.counts for member in members), Counts()),
        )
        for (axis, level), members in groups.items()
    )


@dataclass(frozen=True, slots=True)
class IndicatorTrend:
    """One indicator's top-2 box and net agreement in two waves; a change is None when either
    wave has no opinion on the indicator (or does not have it)."""

    indicator: IndicatorInfo
    top2_before: float | None
    top2_after: float | None
    net_before: float | None
    net_after: float | None

    @property
    def top2_change(self) -> float | None:
        return _change(self.top2_before, self.top2_after)

    @property
    def net_change(self) -> float | None:
        return _change(self.net_before, self.net_after)

    def change(self, measure: Measure) -> float | None:
        return self.top2_change if measure == "top2_box" else self.net_change


@dataclass(frozen=True, slots=True)
class Trend:
    """The change from wave ``before`` to wave ``after``, per indicator."""

    before: str
    after: str
    indicators: tuple[IndicatorTrend, ...]


def trend(before: WaveResults, after: WaveResults) -> Trend:
    """Per indicator of either wave (the later wave's order, then those only in the earlier),
    its top-2 box and net agreement in both waves."""
    infos = {r.indicator.id: r.indicator for r in (*after.indicators, *before.indicators)}
    rows = []
    for indicator_id, info in infos.items():
        earlier, later = before.indicator(indicator_id), after.indicator(indicator_id)
        rows.append(
            IndicatorTrend(
                indicator=info,
                top2_before=earlier.counts.top2_box if earlier else None,
                top2_after=later.counts.top2_box if later else None,
                net_before=earlier.counts.net_agreement if earlier else None,
                net_after=later.counts.net_agreement if later else None,
            )
        )
    return Trend(before.label, after.label, tuple(rows))


def moved_most(
    changes: Trend, *, measure: Measure = "top2_box", limit: int | None = None
) -> tuple[IndicatorTrend, ...]:
    """The indicators whose ``measure`` changed, largest absolute change first (ties by id),
    at most ``limit``; those without a change (None) are left out, those at 0 kept last."""
    moved = [row for row in changes.indicators if row.change(measure) is not None]
    moved.sort(key=lambda row: (-round(abs(row.change(measure) or 0.0), _TIE), row.indicator.id))
    return tuple(moved if limit is None else moved[:limit])


def percent(value: float | None, *, decimals: int = 1, signed: bool = False) -> str:
    """A percentage as French readers write it: ``62.5`` -> « 62,5 % », ``100.0`` -> « 100 % »,
    ``None`` -> « — »; ``signed`` writes a change, « +14,3 % » (0 as « 0 % »)."""
    if value is None:
        return "—"
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0"):
        text = "0"
    elif signed and not text.startswith("-"):
        text = "+" + text
    return text.replace(".", ",") + " %"


def _change(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before
