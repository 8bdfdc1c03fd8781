"""The templates of ``content/awareness/resources/`` as the files members receive: a
specification as a Word document (python-docx) to complete, a grid as an Excel workbook
(openpyxl) whose totals the spreadsheet computes as the reader scores.

Pure and synchronous, like the booklet: the edition's day is given, never read from a clock,
and the same template, language and day give the same bytes (the documents' own creation and
modification dates are that day, and so are the dates of the files in their zip archive). The
chat builds them in a worker thread.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from content.awareness.resources import Template
from content.loader import Texts
from handlers.events.sheets import WIDTH_MAX, sheet_name

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# Room for the answer below each point of a specification: empty paragraphs to write in.
ANSWER_LINES = 2
# Columns of the grid: the criterion, its score, a comment.
CRITERION, SCORE, COMMENT = 1, 2, 3
CRITERION_WIDTH = 70


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _edition(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _dated(archive: bytes, day: date) -> bytes:
    """The office file (a zip archive) with every file in it dated ``day``: python-docx and
    openpyxl date them by the clock, so that two files built seconds apart differed."""
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    packed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            dated = zipfile.ZipInfo(member.filename, date_time=stamp)
            dated.compress_type, dated.external_attr = member.compress_type, member.external_attr
            target.writestr(dated, source.read(member))
    return packed.getvalue()


def _sources(template: Template, texts: Texts, locale: str) -> list[str]:
    return [
        texts.label(
            "resources.document.source", title=source.name(locale), checked=_day(source.checked)
        )
        for source in template.sources
    ]


def template_bytes(template: Template, texts: Texts, locale: str, *, today: date) -> bytes:
    """The template as its file's bytes, in ``locale``."""
    if template.format == "docx":
        return specification_docx(template, texts, locale, today=today)
    return grid_xlsx(template, texts, locale, today=today)


def file_name(template: Template, locale: str) -> str:
    return f"{template.file_name(locale)}.{template.format}"


def specification_docx(template: Template, texts: Texts, locale: str, *, today: date) -> bytes:
    """A Word document: the title, where it comes from, what it is for, then each section as
    a heading with its guidance and its points, each followed by room to answer; the sources
    with the day each was checked at the end."""
    # Imported here, in the worker thread: lxml and python-docx are not needed to start.
    from docx import Document

    document = Document()
    properties = document.core_properties
    properties.title = template.title(locale)
    properties.author = properties.last_modified_by = texts.label("resources.document.author")
    properties.created = properties.modified = _edition(today)
    properties.revision = 1

    document.add_heading(template.title(locale), level=0)
    document.add_paragraph(template.origin(locale)).runs[0].italic = True
    document.add_paragraph(template.summary(locale))
    document.add_paragraph(
        texts.label(
            "resources.document.edition",
            day=_day(today),
            reviewed=_day(template.reviewed),
            review_by=_day(template.review_by),
        )
    )
    for section in template.sections:
        document.add_heading(section.title(locale), level=1)
        if section.guidance is not None:
            document.add_paragraph(section.guidance(locale)).runs[0].italic = True
        for point in section.points:
            document.add_paragraph(point(locale), style="List Bullet")
            answer = document.add_paragraph(texts.label("resources.document.answer"))
            answer.runs[0].italic = True
            for _ in range(ANSWER_LINES - 1):
                document.add_paragraph()
    document.add_heading(texts.label("resources.document.sources"), level=1)
    for line in _sources(template, texts, locale):
        document.add_paragraph(line, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return _dated(buffer.getvalue(), today)


def grid_xlsx(template: Template, texts: Texts, locale: str, *, today: date) -> bytes:
    """An Excel workbook: a sheet with each section's criteria to score on the template's
    scale (a drop-down of its points), each section's subtotal and the grid's total as
    formulas, out of the most each can score; the scale's meaning and the sources below."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    workbook.properties.creator = texts.label("resources.document.author")
    workbook.properties.title = template.title(locale)
    workbook.properties.created = workbook.properties.modified = _edition(today).replace(
        tzinfo=None
    )
    sheet: Worksheet = workbook.active  # type: ignore[assignment]
    sheet.title = sheet_name(texts.label("resources.document.grid_sheet"), set())
    lowest, highest = template.scale[0].points, template.scale[-1].points

    bold = Font(bold=True)
    shaded = PatternFill("solid", start_color="D9EAD3")
    wrapped = Alignment(wrap_text=True, vertical="top")

    def put(row: int, key: str, *, font: Font | None = None, **values: object) -> None:
        """A text of the grid in the criteria's column."""
        cell = sheet.cell(row=row, column=CRITERION, value=texts.label(key, **values))
        cell.alignment = wrapped
        if font is not None:
            cell.font = font

    title = sheet.cell(row=1, column=CRITERION, value=template.title(locale))
    title.font = Font(bold=True, size=14)
    sheet.cell(row=2, column=CRITERION, value=template.origin(locale))
    put(
        3,
        "resources.document.edition",
        day=_day(today),
        reviewed=_day(template.reviewed),
        review_by=_day(template.review_by),
    )
    header = 5
    headers = {
        CRITERION: texts.label("resources.document.criterion"),
        SCORE: texts.label("resources.document.score", lowest=lowest, highest=highest),
        COMMENT: texts.label("resources.document.comment"),
    }
    for column, name in headers.items():
        cell = sheet.cell(row=header, column=column, value=name)
        cell.font, cell.fill = bold, shaded

    scores = DataValidation(
        type="list",
        formula1='"' + ",".join(str(level.points) for level in template.scale) + '"',
        allow_blank=True,
        showErrorMessage=True,
        error=texts.label("resources.document.score_error", lowest=lowest, highest=highest),
    )
    sheet.add_data_validation(scores)
    row = header + 1
    subtotals: list[str] = []
    for section in template.sections:
        sheet.cell(row=row, column=CRITERION, value=section.title(locale)).font = bold
        first = row + 1
        for point in section.points:
            row += 1
            sheet.cell(row=row, column=CRITERION, value=point(locale)).alignment = wrapped
            scores.add(sheet.cell(row=row, column=SCORE))
            sheet.cell(row=row, column=COMMENT).alignment = wrapped
        row += 1
        score = get_column_letter(SCORE)
        put(row, "resources.document.subtotal", most=highest * len(section.points))
        subtotal = sheet.cell(row=row, column=SCORE, value=f"=SUM({score}{first}:{score}{row - 1})")
        subtotal.font = bold
        subtotals.append(subtotal.coordinate)
        row += 2
    most = highest * sum(len(section.points) for section in template.sections)
    put(row, "resources.document.total", font=bold, most=most)
    sheet.cell(row=row, column=SCORE, value="=" + "+".join(subtotals)).font = bold

    row += 2
    put(row, "resources.document.scale", font=bold)
    for level in template.scale:
        row += 1
        put(row, "resources.document.level", points=level.points, label=level.label(locale))
    row += 2
    put(row, "resources.document.sources", font=bold)
    for line in _sources(template, texts, locale):
        row += 1
        sheet.cell(row=row, column=CRITERION, value=line).alignment = wrapped

    sheet.column_dimensions[get_column_letter(CRITERION)].width = CRITERION_WIDTH
    sheet.column_dimensions[get_column_letter(SCORE)].width = len(headers[SCORE]) + 2
    sheet.column_dimensions[get_column_letter(COMMENT)].width = WIDTH_MAX
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    sheet.print_title_rows = f"{header}:{header}"
    sheet.page_setup.orientation = sheet.ORIENTATION_PORTRAIT
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # What workbook.save() does, but for dating the workbook's modification by the clock.
        ExcelWriter(workbook, archive).save()
    return _dated(buffer.getvalue(), today)
