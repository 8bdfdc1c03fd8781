"""PNG charts of a survey's results: a diverging stacked bar chart per axis and a trend chart.

They share the diagnostic's chart setup (handlers/diagnostic/charts.py): one ``Figure`` with its
own Agg canvas per call, the same resolution, sizes, colour-blind palette and reproducible PNG
metadata, matplotlib imported inside the functions. Like those, every function is pure and
synchronous and returns PNG bytes: an async caller runs them with ``asyncio.to_thread``.

In the diverging chart each indicator is a bar of its opinions ("ne se prononce pas" left out):
disagreement to the left of 0 (« pas du tout » outermost), agreement to the right (« tout à
fait » outermost). The non-answer rate is set apart in a grey column of its own, as a share of
the partners who answered the indicator. An indicator without any opinion has no bar and its
label ends with ``NO_ANSWER_MARK``.

Texts are the caller's: ``names`` gives the indicators' statements and the axes' and levels'
names (ids when missing), ``ChartTexts`` the other labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Literal

from handlers.diagnostic.charts import (
    COLOURS,
    DASHES,
    MARKERS,
    NO_ANSWER_MARK,
    WIDE_SIZE,
    new_figure,
    png,
    wrap,
)
from handlers.survey.scoring import (
    AGREE,
    DISAGREE,
    Agreement,
    IndicatorResult,
    WaveResults,
    percent,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "NO_ANSWER_MARK",
    "TEXT_FIELDS",
    "ChartTexts",
    "diverging_png",
    "diverging_size",
    "trend_png",
]

# Okabe-Ito, as the diagnostic's charts: blues agree, oranges disagree, grey is no opinion.
CHOICE_COLOURS: Mapping[Agreement, str] = {
    Agreement.TOUT_A_FAIT: "#0072B2",
    Agreement.PLUTOT: "#56B4E9",
    Agreement.NSP: "#999999",
    Agreement.PLUTOT_PAS: "#E69F00",
    Agreement.PAS_DU_TOUT: "#D55E00",
}
# Pixels: the diverging chart is as wide as the diagnostic's wide charts and grows by a row per
# indicator, so that a long statement keeps room for three lines.
ROW_HEIGHT = 70
BASE_HEIGHT = 220
# A segment narrower than this (in % of the opinions) carries no number: it would not fit.
_SEGMENT_LABEL_MIN = 8
# The non-answer column is five times narrower.
_COLUMN_LABEL_MIN = 40


@dataclass(frozen=True, slots=True)
class ChartTexts:
    """The labels of the charts, in the reader's language (``content/texts/*/survey/
    charts.yaml``, built by handlers/survey/reports.py)."""

    choices: Mapping[Agreement, str]
    opinions_axis: str
    non_answer_column: str
    top2_axis: str


# The labels a ChartTexts holds besides the answers, each a key of survey/charts.yaml.
TEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ChartTexts) if f.name != "choices")


def diverging_size(indicators: int) -> tuple[int, int]:
    """The diverging chart's width and height in pixels for this many indicators."""
    return WIDE_SIZE[0], BASE_HEIGHT + ROW_HEIGHT * max(indicators, 1)


def diverging_png(
    results: WaveResults,
    axis: str,
    *,
    title: str,
    names: Mapping[str, str] | None = None,
    texts: ChartTexts,
) -> bytes:
    """The diverging stacked bars of one axis's indicators, top to bottom in the results'
    order, each labelled with its level when the axis has several."""
    rows = [result for result in results.indicators if result.indicator.axis == axis]
    if not rows:
        raise ValueError(f"no indicator on the axis {axis!r}")
    names = names or {}
    figure = new_figure(diverging_size(len(rows)))
    bars, column = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": (5, 1)})
    positions = list(range(len(rows)))
    levels = {result.indicator.level for result in rows}

    for position, result in zip(positions, rows, strict=True):
        rate = result.counts.non_answer_rate
        if rate:
            _segment(column, position, 0, rate, Agreement.NSP, label_min=_COLUMN_LABEL_MIN)
        distribution = result.counts.distribution
        if distribution is None:
            continue
        # From 0 outwards: "plutôt" next to the axis, the strong answers at the ends.
        for side, choices in ((-1, DISAGREE), (1, AGREE[::-1])):
            start = 0.0
            for choice in choices:
                width = distribution[choice]
                _segment(bars, position, side * start, side * width, choice)
                start += width

    labels = [_label(result, names, with_level=len(levels) > 1) for result in rows]
    bars.set_yticks(positions, labels, fontsize=10)
    bars.set_ylim(len(rows) - 0.5, -0.5)  # first indicator on top
    ticks = (-100, -50, 0, 50, 100)
    bars.set_xlim(-100, 100)
    bars.set_xticks(ticks, [percent(abs(tick)) for tick in ticks])
    bars.axvline(0, color="#333333", linewidth=1)
    bars.set_xlabel(texts.opinions_axis, fontsize=11)
    bars.grid(axis="x", color="#dddddd")
    bars.set_axisbelow(True)
    bars.spines[["top", "right"]].set_visible(False)

    column.set_xlim(0, 100)
    column.set_xticks((0, 50, 100), [percent(tick) for tick in (0, 50, 100)])
    column.set_title(texts.non_answer_column, fontsize=10)
    column.tick_params(axis="y", left=False)
    column.grid(axis="x", color="#dddddd")
    column.set_axisbelow(True)
    column.spines[["top", "right"]].set_visible(False)

    from matplotlib.patches import Patch

    order = (*DISAGREE[::-1], *AGREE[::-1], Agreement.NSP)
    handles = [Patch(color=CHOICE_COLOURS[c], label=texts.choices[c]) for c in order]
    figure.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=10, frameon=False)
    figure.suptitle(wrap(title, 90), fontsize=15)
    return png(figure)


def trend_png(
    waves: Sequence[WaveResults],
    *,
    title: str,
    per: Literal["axis", "indicator"] = "axis",
    names: Mapping[str, str] | None = None,
    texts: ChartTexts,
) -> bytes:
    """Lines of the top-2 box across the waves (oldest first, labelled by their ``label``):
    one per axis (pooled answers) or per indicator, broken where a wave has no opinion."""
    if not waves:
        raise ValueError("a trend needs at least one wave")
    names = names or {}
    series: dict[str, list[float | None]] = {}
    for index, wave in enumerate(waves):
        values = (
            {group.axis: group.counts.top2_box for group in wave.axes}
            if per == "axis"
            else {r.indicator.id: r.counts.top2_box for r in wave.indicators}
        )
        for key, value in values.items():
            series.setdefault(key, [None] * len(waves))[index] = value

    figure = new_figure(WIDE_SIZE)
    axes = figure.add_subplot()
    positions = list(range(len(waves)))
    for i, (key, values) in enumerate(series.items()):
        axes.plot(
            positions,
            [math.nan if value is None else value for value in values],
            color=COLOURS[i % len(COLOURS)],
            marker=MARKERS[i % len(MARKERS)],
            linestyle=DASHES[i % len(DASHES)],
            linewidth=2,
            markersize=7,
            label=wrap(names.get(key, key), 26),
        )
    axes.set_xticks(positions, [wave.label for wave in waves])
    axes.set_xlim(-0.3, len(waves) - 0.7)
    axes.set_ylim(0, 100)
    axes.set_yticks((0, 25, 50, 75, 100), [percent(t) for t in (0, 25, 50, 75, 100)])
    axes.set_ylabel(texts.top2_axis, fontsize=11)
    axes.grid(axis="y", color="#dddddd")
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(wrap(title, 90), fontsize=15)
    if series:
        figure.legend(loc="outside right upper", fontsize=10, frameon=False)
    return png(figure)


def _segment(
    axes: Axes,
    position: int,
    left: float,
    width: float,
    choice: Agreement,
    *,
    label_min: float = _SEGMENT_LABEL_MIN,
) -> None:
    if not width:
        return
    colour = CHOICE_COLOURS[choice]
    axes.barh(position, width, left=left, color=colour, height=0.6, edgecolor="white")
    if abs(width) >= label_min:
        dark = choice in (Agreement.TOUT_A_FAIT, Agreement.PAS_DU_TOUT)
        axes.text(
            left + width / 2,
            position,
            f"{abs(width):.0f}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if dark else "black",
        )


def _label(result: IndicatorResult, names: Mapping[str, str], *, with_level: bool) -> str:
    info = result.indicator
    text = names.get(info.id, info.id)
    if with_level:
        text = f"{text} ({names.get(info.level, info.level)})"
    if result.counts.distribution is None:
        text += NO_ANSWER_MARK
    return wrap(text, 45)
