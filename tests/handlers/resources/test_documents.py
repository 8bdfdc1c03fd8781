"""The templates written as files (handlers/resources/documents.py), read back with the
libraries an office suite's files are read with: the specification's every section, point and
source in a Word document, the grid's every criterion with a 0–3 drop-down and its totals as
formulas over exactly its cells in an Excel workbook; French and English; the same day gives
the same bytes."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from time_machine import TimeMachineFixture

from content.awareness.resources import Template
from content.loader import Content, load_content
from handlers.resources.documents import grid_xlsx, specification_docx

DAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def specification(content: Content) -> Template:
    return content.templates["cahier_des_charges_lumiere"]


def grid(content: Content) -> Template:
    return content.templates["grille_evaluation_lumiere"]


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs if p.text]


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_specification_holds_every_section_point_and_source(
    content: Content, locale: str
) -> None:
    template = specification(content)
    data = specification_docx(template, content.texts(locale), locale, today=DAY)

    text = paragraphs(data)
    assert text[:3] == [
        template.title(locale),
        template.origin(locale),
        template.summary(locale),
    ]
    for section in template.sections:
        assert section.title(locale) in text
        for point in section.points:
            assert point(locale) in text
    checked = "vérifié le 01/12/2026" if locale == "fr" else "checked on 01/12/2026"
    for source in template.sources:
        assert f"{source.name(locale)} ({checked})" in text


def test_each_point_of_the_specification_leaves_room_to_answer(content: Content) -> None:
    template = specification(content)
    document = Document(
        io.BytesIO(specification_docx(template, content.texts("fr"), "fr", today=DAY))
    )
    texts = [p.text for p in document.paragraphs]
    first_point = template.sections[0].points[0]("fr")
    after = texts[texts.index(first_point) + 1 : texts.index(first_point) + 3]
    assert after == ["Votre réponse :", ""]
    assert texts.count("Votre réponse :") == sum(len(s.points) for s in template.sections)
    assert document.core_properties.title == template.title("fr")


def test_the_grid_lists_every_criterion_with_a_drop_down_of_the_scale(content: Content) -> None:
    template = grid(content)
    sheet = load_workbook(
        io.BytesIO(grid_xlsx(template, content.texts("fr"), "fr", today=DAY))
    ).active
    assert sheet is not None

    criteria = [row for row in sheet.iter_rows(min_row=6) if row[0].value]
    texts = [row[0].value for row in criteria]
    for section in template.sections:
        assert section.title("fr") in texts
        for point in section.points:
            assert point("fr") in texts
    [validation] = sheet.data_validations.dataValidation
    assert validation.formula1 == '"0,1,2,3"'
    scored = {
        f"B{row}"
        for cells in validation.sqref.ranges
        for row in range(cells.min_row, cells.max_row + 1)
        if cells.min_col == cells.max_col == 2
    }
    points = {point("fr") for section in template.sections for point in section.points}
    point_rows = {row[0].row for row in criteria if row[0].value in points}
    assert scored == {f"B{row}" for row in point_rows}


def test_the_grids_totals_add_up_exactly_its_criteria(content: Content) -> None:
    template = grid(content)
    sheet = load_workbook(
        io.BytesIO(grid_xlsx(template, content.texts("fr"), "fr", today=DAY))
    ).active
    assert sheet is not None
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=6) if row[0].value}

    subtotals = []
    for section in template.sections:
        first = rows[section.points[0]("fr")][0].row
        last = rows[section.points[-1]("fr")][0].row
        assert last - first == len(section.points) - 1
        subtotal = sheet.cell(row=last + 1, column=1)
        assert subtotal.value == f"Sous-total (sur {3 * len(section.points)})"
        assert sheet.cell(row=last + 1, column=2).value == f"=SUM(B{first}:B{last})"
        subtotals.append(f"B{last + 1}")
    most = 3 * sum(len(section.points) for section in template.sections)
    total = rows[f"Total (sur {most})"]
    assert total[1].value == "=" + "+".join(subtotals)


def test_the_grid_in_english_explains_its_scale(content: Content) -> None:
    template = grid(content)
    sheet = load_workbook(
        io.BytesIO(grid_xlsx(template, content.texts("en"), "en", today=DAY))
    ).active
    assert sheet is not None
    column = [cell.value for cell in sheet["A"] if cell.value]

    assert column[0] == "Evaluation grid: feasibility of a responsible lighting project"
    scale = column[column.index("Scoring scale") + 1 :][:4]
    assert scale == ["0: Not addressed", "1: Partly", "2: Satisfactory", "3: Exemplary"]
    assert re.search(r"Edition of 01/12/2026", column[2])


@pytest.mark.parametrize("template_id", ["cahier_des_charges_lumiere", "grille_evaluation_lumiere"])
def test_the_same_day_gives_the_same_bytes(
    content: Content, template_id: str, time_machine: TimeMachineFixture
) -> None:
    template = content.templates[template_id]
    write = specification_docx if template.format == "docx" else grid_xlsx
    texts = content.texts("fr")

    # Built three seconds apart: the libraries date the files in their archive by the clock,
    # to two seconds.
    time_machine.move_to(datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC), tick=False)
    first = write(template, texts, "fr", today=DAY)
    time_machine.move_to(datetime(2026, 12, 1, 9, 0, 3, tzinfo=UTC), tick=False)
    assert write(template, texts, "fr", today=DAY) == first
