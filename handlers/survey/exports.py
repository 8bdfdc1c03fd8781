"""The animators' exports of a survey: an XLSX workbook (a sheet of results per wave, one of
trends, one of the indicators) and a CSV of one wave's results. Pure and synchronous.

They reuse the events' spreadsheet conventions (handlers/events/sheets.py): the CSV is
``csv_bytes`` (``;``, UTF-8 with BOM, for French Excel), file names go through ``slug``, sheet
names follow Excel's rule and columns are capped at the same width. The workbook is built here
rather than with ``xlsx_bytes``, which writes a single printable sheet of texts: these sheets
hold numbers. In the XLSX a percentage is the exact float, shown with one decimal by the cell's
format; in the CSV it is written with two decimals and a decimal comma, as Excel reads it.
An empty cell is a percentage without denominator (no opinion).

Headers and names are the caller's (``ExportTexts``; ``names`` for the
indicators' statements and the axes' and levels' names).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import pairwise
from typing import TYPE_CHECKING

from handlers.events.sheets import (
    WIDTH_MAX,
    csv_bytes,
    sheet_name,
    slug,
)
from handlers.survey.scoring import (
    SCALE,
    Agreement,
    Counts,
    IndicatorInfo,
    WaveResults,
    moved_most,
    trend,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

_PERCENT_FORMAT = "0.0"


@dataclass(frozen=True, slots=True)
class ExportTexts:
    """Sheet names, headers and row labels of the exports, in the reader's language
    (``content/texts/*/survey/exports.yaml``, built by handlers/survey/reports.py)."""

    choices: Mapping[Agreement, str]
    results_sheet: str
    trends_sheet: str
    indicators_sheet: str
    by_partner_sheet: str
    indicator: str
    statement: str
    axis: str
    level: str
    answered: str
    opinions: str
    top2_box: str
    net_agreement: str
    non_answer_rate: str
    all_indicators: str
    invited: str
    submitted: str
    participation: str
    wave_before: str
    wave_after: str
    top2_before: str
    top2_after: str
    top2_change: str
    net_before: str
    net_after: str
    net_change: str


# The labels an ExportTexts holds besides the answers, each a key of survey/exports.yaml.
TEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ExportTexts) if f.name != "choices")


@dataclass(frozen=True, slots=True)
class NamedAnswers:
    """Each partner's answers to one wave (partner name -> indicator id -> choice): exported
    only for a wave opened while its project was « non anonyme »."""

    wave: str
    partners: Mapping[str, Mapping[str, Agreement]]


def results_header(texts: ExportTexts) -> list[str]:
    """The columns of a wave's results, in the XLSX and the CSV alike."""
    return [
        texts.indicator,
        texts.axis,
        texts.level,
        *(texts.choices[choice] for choice in SCALE),
        texts.answered,
        texts.opinions,
        texts.top2_box,
        texts.net_agreement,
        texts.non_answer_rate,
    ]


def results_rows(
    results: WaveResults,
    *,
    names: Mapping[str, str] | None = None,
    texts: ExportTexts,
) -> list[list[object]]:
    """One row per indicator, then one per axis × level and per axis (answers pooled, the
    indicator column reading ``texts.all_indicators``); percentages as floats or None."""
    names = names or {}

    def row(first: str, axis: str, level: str | None, counts: Counts) -> list[object]:
        return [
            first,
            names.get(axis, axis),
            "" if level is None else names.get(level, level),
            *(counts[choice] for choice in SCALE),
            counts.answered,
            counts.opinions,
            counts.top2_box,
            counts.net_agreement,
            counts.non_answer_rate,
        ]

    rows = [
        row(r.indicator.id, r.indicator.axis, r.indicator.level, r.counts)
        for r in results.indicators
    ]
    groups = sorted(
        (*results.axis_levels, *results.axes),
        key=lambda g: [a.axis for a in results.axes].index(g.axis),
    )  # each axis's levels, then the axis as a whole
    rows += [row(texts.all_indicators, g.axis, g.level, g.counts) for g in groups]
    return rows


def results_csv(
    results: WaveResults,
    *,
    names: Mapping[str, str] | None = None,
    texts: ExportTexts,
) -> bytes:
    """One wave's results as a CSV for French Excel (header, then ``results_rows``)."""
    rows = results_rows(results, names=names, texts=texts)
    return csv_bytes([results_header(texts), *([_csv_cell(v) for v in row] for row in rows)])


def workbook_xlsx(
    waves: Sequence[WaveResults],
    indicators: Sequence[IndicatorInfo],
    *,
    names: Mapping[str, str] | None = None,
    texts: ExportTexts,
    by_partner: NamedAnswers | None = None,
) -> bytes:
    """The workbook: a sheet of results per wave (oldest first) with its participation below,
    the trends between consecutive waves (indicators that moved most first), the indicators,
    and ``by_partner``'s answers when given (a column per partner, by name)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    names = names or {}
    workbook = Workbook()
    default = workbook.active
    assert default is not None
    workbook.remove(default)
    used: set[str] = set()

    def sheet(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Worksheet:
        worksheet = workbook.create_sheet(sheet_name(title, used))
        worksheet.append(list(header))
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", start_color="D9D9D9")
        for values in rows:
            worksheet.append(list(values))
        for index, title in enumerate(header, start=1):
            cells = [title, *(row[index - 1] for row in rows if index <= len(row))]
            width = min(max(len(_shown(cell)) for cell in cells) + 2, WIDTH_MAX)
            worksheet.column_dimensions[get_column_letter(index)].width = width
        worksheet.freeze_panes = "B2"
        return worksheet

    header = results_header(texts)
    first_percent = header.index(texts.top2_box) + 1
    for wave in waves:
        rows = results_rows(wave, names=names, texts=texts)
        worksheet = sheet(texts.results_sheet.format(wave=wave.label), header, rows)
        _percent_columns(worksheet, range(first_percent, first_percent + 3))
        worksheet.append([])
        worksheet.append([texts.invited, wave.invited])
        worksheet.append([texts.submitted, wave.submitted])
        worksheet.append([texts.participation, wave.participation_rate])
        worksheet.cell(row=worksheet.max_row, column=2).number_format = _PERCENT_FORMAT

    trend_header = [
        texts.indicator,
        texts.axis,
        texts.level,
        texts.wave_before,
        texts.wave_after,
        texts.top2_before,
        texts.top2_after,
        texts.top2_change,
        texts.net_before,
        texts.net_after,
        texts.net_change,
    ]
    trend_rows: list[list[object]] = []
    for before, after in pairwise(waves):
        changes = trend(before, after)
        moved = moved_most(changes)
        for row in (*moved, *(r for r in changes.indicators if r not in moved)):
            info = row.indicator
            trend_rows.append(
                [
                    info.id,
                    names.get(info.axis, info.axis),
                    names.get(info.level, info.level),
                    changes.before,
                    changes.after,
                    row.top2_before,
                    row.top2_after,
                    row.top2_change,
                    row.net_before,
                    row.net_after,
                    row.net_change,
                ]
            )
    worksheet = sheet(texts.trends_sheet, trend_header, trend_rows)
    _percent_columns(worksheet, range(6, 12))

    sheet(
        texts.indicators_sheet,
        [texts.indicator, texts.statement, texts.axis, texts.level],
        [
            [
                info.id,
                names.get(info.id, ""),
                names.get(info.axis, info.axis),
                names.get(info.level, info.level),
            ]
            for info in indicators
        ],
    )
    if by_partner is not None:
        partners = sorted(by_partner.partners)
        sheet(
            texts.by_partner_sheet.format(wave=by_partner.wave),
            [texts.indicator, texts.statement, *partners],
            [
                [
                    info.id,
                    names.get(info.id, ""),
                    *(
                        texts.choices[choice]
                        if (choice := by_partner.partners[p].get(info.id))
                        else ""
                        for p in partners
                    ),
                ]
                for info in indicators
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_name(project: str, wave: str | None, extension: str) -> str:
    """« Projet LUMIEAU-STRA », « 2025 mars », ``csv`` -> ``enquete-projet-lumieau-stra-2025-
    mars.csv``."""
    parts = ["enquete", slug(project), *([slug(wave)] if wave else [])]
    return "-".join(parts) + "." + extension


def _percent_columns(worksheet: Worksheet, columns: range) -> None:
    for row in worksheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column in columns:
                cell.number_format = _PERCENT_FORMAT


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return value


def _shown(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.1f}" if isinstance(value, float) else str(value)
