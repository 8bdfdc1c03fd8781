"""Tables sent as files for a spreadsheet: CSV as French Excel opens it, and XLSX workbooks
ready to print (an event's sign-in sheet). Pure and synchronous; every text comes from the
caller.

French Excel reads a CSV with ``;`` between cells (``,`` is its decimal separator) and takes
the file for Windows-1252 unless it starts with a UTF-8 byte order mark: without the BOM,
« Chloé » shows as « ChloÃ© ». The csv module ends rows with CRLF, as Excel writes them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from content.text import fold

# Characters wide, as Excel counts them: enough to sign in, and a cap so that a long company
# name does not push the signature off the printed page.
SIGNATURE_WIDTH = 30
WIDTH_MAX = 40
# Points: room for a handwritten signature.
SIGNING_ROW_HEIGHT = 28
# Excel refuses a sheet name over 31 characters or holding one of these.
_SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = str.maketrans({char: " " for char in "[]:*?/\\"})


def slug(name: str) -> str:
    """« Club BouRSE » -> ``club-bourse``, for a file's name."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "fichier"


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """The rows (header first) as a CSV for French Excel: ``;``, CRLF, UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


@dataclass(frozen=True, slots=True)
class Sheet:
    """A printable table: a bold ``title`` and ``details`` lines (date, place) above it, its
    ``header``, its ``rows``, and ``blank_rows`` empty lines at the end for whoever comes
    unannounced. The last column is where people sign when ``signature`` is set."""

    name: str
    title: str
    details: Sequence[str]
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    blank_rows: int = 0
    signature: bool = False


def xlsx_bytes(sheet: Sheet) -> bytes:
    """The table as an XLSX workbook: title and details on top, a bold framed header repeated
    on every printed page, columns as wide as their cells, fitted to the page's width."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet_name(sheet.name, set())
    worksheet.cell(row=1, column=1, value=sheet.title).font = Font(bold=True, size=14)
    for line_number, line in enumerate(sheet.details, start=2):
        worksheet.cell(row=line_number, column=1, value=line)
    # A blank line between the details and the table.
    header_row = len(sheet.details) + 3

    thin = Side(style="thin", color="808080")
    frame = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, title in enumerate(sheet.header, start=1):
        cell = worksheet.cell(row=header_row, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", start_color="D9D9D9")
        cell.border = frame
    empty = [""] * len(sheet.header)
    for row_number, row in enumerate([*sheet.rows, *[empty] * sheet.blank_rows], header_row + 1):
        if sheet.signature:
            worksheet.row_dimensions[row_number].height = SIGNING_ROW_HEIGHT
        for column in range(1, len(sheet.header) + 1):
            value = row[column - 1] if column <= len(row) else ""
            cell = worksheet.cell(row=row_number, column=column, value=value or None)
            cell.border = frame
            cell.alignment = Alignment(vertical="center", wrap_text=True)

    for index, title in enumerate(sheet.header, start=1):
        cells = [title, *(row[index - 1] for row in sheet.rows if index <= len(row))]
        width = min(max(len(str(cell)) for cell in cells) + 2, WIDTH_MAX)
        if sheet.signature and index == len(sheet.header):
            width = SIGNATURE_WIDTH
        worksheet.column_dimensions[get_column_letter(index)].width = width

    worksheet.freeze_panes = worksheet.cell(row=header_row + 1, column=1)
    worksheet.print_title_rows = f"{header_row}:{header_row}"
    worksheet.page_setup.orientation = worksheet.ORIENTATION_PORTRAIT
    worksheet.page_setup.paperSize = worksheet.PAPERSIZE_A4
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0  # as many pages down as the list needs
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.print_options.horizontalCentered = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_name(title: str, used: set[str]) -> str:
    """``title`` as Excel accepts a sheet's name (31 characters, none of ``[]:*?/\\``), made
    distinct from the names in ``used`` (compared without case), which it joins."""
    base = " ".join(title.translate(_SHEET_NAME_FORBIDDEN).split())[:_SHEET_NAME_MAX] or "1"
    name, number = base, 2
    while name.casefold() in used:
        suffix = f" ({number})"
        name, number = base[: _SHEET_NAME_MAX - len(suffix)] + suffix, number + 1
    used.add(name.casefold())
    return name
