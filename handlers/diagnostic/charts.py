"""PNG charts of the self-diagnostic: radar of the seven core subjects, evolution, bars.

Every function is pure and synchronous and returns PNG bytes; callers run them with
``asyncio.to_thread``. So they use matplotlib's object-oriented API (one ``Figure`` and its own
``FigureCanvasAgg`` per call) and never ``pyplot``, whose global state threads would share, nor
``rcParams``. matplotlib is imported inside the functions: ``rse-bot --help`` must not load it.

All texts come from the caller; this module holds none. The same input gives the same bytes:
the PNG carries no software version, and matplotlib's PNGs carry no date.

A ``None`` score means "no answer in that subject". The radar plots it at 0 without a marker
and appends ``NO_ANSWER_MARK`` to the subject's label; the evolution chart leaves a gap. In the
radar's reference (the pôle's average), ``None`` is a figure that may not be shown: the line is
broken there, so that nothing suggests a value.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from io import BytesIO
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NO_ANSWER_MARK = " (—)"

_DPI = 100
_RADAR_SIZE = (900, 900)
WIDE_SIZE = (1000, 600)
_GRID = (25, 50, 75, 100)
# Okabe-Ito colours (distinct for colour-blind readers) without its yellow, too pale on white.
# Lines also differ by marker and dash, so that the charts still read printed in grayscale.
COLOURS = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.")
_MAIN = "#0072B2"
_REFERENCE = "#D55E00"
# PNG metadata: no "Software" entry, whose matplotlib version would change the bytes.
_METADATA: dict[str, str | None] = {"Software": None}


def radar_png(
    labels: Sequence[str],
    scores: Sequence[float | None],
    *,
    title: str,
    series_label: str,
    reference: Sequence[float | None] | None = None,
    reference_label: str | None = None,
) -> bytes:
    """A radar of scores on 0–100, filled for the company, dashed for an optional reference."""
    _same_length(labels, scores, "scores")
    if reference is not None:
        _same_length(labels, reference, "reference")
    if len(labels) < 3:
        raise ValueError("a radar needs at least three axes")
    figure = new_figure(_RADAR_SIZE)
    axes = figure.add_subplot(projection="polar")
    angles = [2 * math.pi * i / len(labels) for i in range(len(labels))]
    axes.set_theta_offset(math.pi / 2)
    axes.set_theta_direction(-1)

    _polygon(axes, angles, scores, colour=_MAIN, dash="-", marker="o", label=series_label)
    if reference is not None:
        _polygon(
            axes,
            angles,
            reference,
            colour=_REFERENCE,
            dash="--",
            marker="s",
            label=reference_label or "",
            filled=False,
        )

    shown = [
        label + (NO_ANSWER_MARK if score is None else "")
        for label, score in zip(labels, scores, strict=True)
    ]
    axes.set_xticks(angles, [wrap(label, 17) for label in shown], fontsize=12)
    axes.tick_params(axis="x", pad=12)
    # Labels grow away from the circle, so that a long one never covers the chart.
    for angle, tick in zip(angles, axes.get_xticklabels(), strict=True):
        side = math.sin(angle)
        tick.set_horizontalalignment("left" if side > 0.1 else "right" if side < -0.1 else "center")
    axes.set_ylim(0, 100)
    axes.set_yticks(_GRID, [str(tick) for tick in _GRID], fontsize=9, color="#555555")
    axes.set_rlabel_position(180 / len(labels))
    axes.grid(color="#bbbbbb", linewidth=0.8)
    axes.spines["polar"].set_color("#888888")
    figure.suptitle(wrap(title, 60), fontsize=16)
    figure.get_layout_engine().set(w_pad=0.15, h_pad=0.1)
    if reference is not None:
        figure.legend(loc="outside lower center", ncols=2, fontsize=12, frameon=False)
    return png(figure)


def evolution_png(
    dates: Sequence[date],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
) -> bytes:
    """Lines of scores on 0–100 over the dates, one per series, broken where a score is None."""
    for name, values in series.items():
        _same_length(dates, values, f"series {name!r}")
    if not dates:
        raise ValueError("an evolution needs at least one date")
    figure = new_figure(WIDE_SIZE)
    axes = figure.add_subplot()
    for i, (name, values) in enumerate(series.items()):
        axes.plot(
            list(dates),
            [math.nan if value is None else value for value in values],
            color=COLOURS[i % len(COLOURS)],
            marker=MARKERS[i % len(MARKERS)],
            linestyle=DASHES[i % len(DASHES)],
            linewidth=2,
            markersize=7 if len(dates) <= 10 else 5,
            label=wrap(name, 26),
        )
    first, last = min(dates), max(dates)
    margin = max((last - first) * 0.04, timedelta(days=1))
    axes.set_xlim(first - margin, last + margin)
    ticks = _spaced(sorted(set(dates)))
    axes.set_xticks(ticks, [day.strftime("%d/%m/%Y") for day in ticks])
    if _crowded(ticks):
        axes.tick_params(axis="x", labelrotation=35)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")
    axes.set_ylim(0, 100)
    axes.set_yticks((0, *_GRID))
    axes.grid(axis="y", color="#dddddd")
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(wrap(title, 90), fontsize=15)
    if series:
        figure.legend(loc="outside right upper", fontsize=10, frameon=False)
    return png(figure)


def bars_png(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    value_label: str,
    maximum: float | None = 100,
    format_value: Callable[[float], str] | None = None,
) -> bytes:
    """Horizontal bars, top to bottom in the given order, each with its value at its end.

    ``format_value`` writes the numbers (say with a decimal comma); by default integers as
    such and other numbers with one decimal.
    """
    _same_length(labels, values, "values")
    from matplotlib.ticker import MaxNLocator

    write = format_value or _number
    figure = new_figure(WIDE_SIZE)
    axes = figure.add_subplot()
    positions = range(len(labels))
    axes.barh(positions, values, color=_MAIN, height=0.6)
    for position, value in zip(positions, values, strict=True):
        axes.annotate(
            write(value),
            (value, position),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            fontsize=11,
        )
    axes.set_yticks(positions, [wrap(label, 32) for label in labels], fontsize=11)
    axes.set_ylim(len(labels) - 0.5, -0.5)  # first label on top
    top = maximum if maximum is not None else max([*values, 0]) or 1
    axes.set_xlim(0, top)
    if all(float(value).is_integer() for value in values):  # counts: no 0.5 company
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    ticks = [tick for tick in axes.get_xticks() if 0 <= tick <= top]
    # Room on the right for the number written after a full bar.
    axes.set_xlim(0, top * 1.1)
    axes.set_xticks(ticks)
    axes.set_xlabel(value_label, fontsize=11)
    axes.grid(axis="x", color="#dddddd")
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(wrap(title, 90), fontsize=15)
    return png(figure)


def new_figure(size: tuple[int, int]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = size
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, layout="constrained")
    figure.patch.set_facecolor("white")
    figure.get_layout_engine().set(w_pad=0.1, h_pad=0.08)  # inches kept free at the edges
    FigureCanvasAgg(figure)
    return figure


def png(figure: Figure) -> bytes:
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, facecolor="white", metadata=_METADATA)
    return buffer.getvalue()


def _polygon(
    axes: Axes,
    angles: list[float],
    values: Sequence[float | None],
    *,
    colour: str,
    dash: str,
    marker: str,
    label: str,
    filled: bool = True,
) -> None:
    # Filled (the company's own scores): a subject without answer sits at 0, as it counts for
    # nothing. Not filled (a reference): NaN breaks the line, nothing is drawn for that subject.
    missing = 0.0 if filled else math.nan
    radii = [missing if value is None else float(value) for value in values]
    closed_angles = [*angles, angles[0]]
    closed_radii = [*radii, radii[0]]
    axes.plot(closed_angles, closed_radii, color=colour, linestyle=dash, linewidth=2.2, label=label)
    if filled:
        axes.fill(closed_angles, closed_radii, color=colour, alpha=0.22)
    answered = [(a, r) for a, r, v in zip(angles, radii, values, strict=True) if v is not None]
    if answered:
        axes.plot(
            [a for a, _ in answered],
            [r for _, r in answered],
            linestyle="none",
            marker=marker,
            color=colour,
            markersize=7,
        )


def _spaced(days: list[date]) -> list[date]:
    """The dates to write on the axis, dropping those too close to the previous one to read."""
    if len(days) <= 1:
        return days
    gap = (days[-1] - days[0]) / 14
    kept = [days[0]]
    for day in days[1:]:
        if day - kept[-1] >= gap:
            kept.append(day)
    if kept[-1] != days[-1]:  # the latest diagnostic is the one people look for
        kept[-1] = days[-1]
    return kept


def _crowded(days: list[date]) -> bool:
    """Whether dates written flat would touch: then they are slanted."""
    if len(days) <= 2:
        return False
    gaps = [later - earlier for earlier, later in pairwise(days)]
    return min(gaps) < (days[-1] - days[0]) / 6


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _same_length(expected: Sequence[object], given: Sequence[object], name: str) -> None:
    if len(given) != len(expected):
        raise ValueError(f"{name}: {len(given)} values for {len(expected)} labels or dates")
