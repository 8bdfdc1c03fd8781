"""The templates as shipped (content/awareness/resources/): Pôle ICP's specification and
evaluation grid of a responsible lighting project, in French and English, sourced and dated,
refused at load when a maintainer breaks one."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from content.loader import Content, ContentError, load_content
from tests.helpers.content_files import edit_yaml, localized_texts, says_iso_26000_certifiable

SPECIFICATION = "01_cahier_des_charges_lumiere.yaml"
GRID = "02_grille_evaluation_lumiere.yaml"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def test_the_specification_and_the_grid_load_in_order(content: Content) -> None:
    assert {template_id: t.format for template_id, t in content.templates.items()} == {
        "cahier_des_charges_lumiere": "docx",
        "grille_evaluation_lumiere": "xlsx",
    }


def test_both_say_they_adapt_pole_icps_work_and_cite_it(content: Content) -> None:
    for template in content.templates.values():
        assert "Pôle Industries Culturelles et Patrimoine" in template.origin("fr")
        assert "Pôle Industries Culturelles et Patrimoine" in template.sources[0].name("fr")


def test_every_source_is_dated_and_every_template_has_a_review_date(content: Content) -> None:
    for template in content.templates.values():
        assert template.sources, template.id
        for source in template.sources:
            assert source.checked == date(2026, 12, 1), (template.id, source.name("fr"))
        assert template.review_by <= date(2027, 12, 1), template.id


def test_every_text_is_written_in_french_and_in_english(content: Content) -> None:
    for template in content.templates.values():
        texts = list(localized_texts(template, template.id))
        assert len(texts) >= 4 + sum(len(section.points) for section in template.sections)
        for where, text in texts:
            assert text.fr != text.en or text.fr.isdigit(), where


def test_no_template_says_iso_26000_is_certifiable(content: Content) -> None:
    for template in content.templates.values():
        for where, text in localized_texts(template, template.id):
            assert says_iso_26000_certifiable(f"{text.fr} {text.en}") == [], where


def _refused(content_copy: Path, name: str, change: Callable[[Any], None]) -> str:
    edit_yaml(content_copy / "awareness" / "resources" / name, change)
    with pytest.raises(ContentError) as refused:
        load_content(content_copy)
    return str(refused.value)


def test_a_template_without_a_source_is_refused_naming_its_file(content_copy: Path) -> None:
    message = _refused(content_copy, SPECIFICATION, lambda data: data.update(sources=[]))
    assert "awareness/resources/01_cahier_des_charges_lumiere.yaml" in message


def test_a_grid_without_a_scale_is_refused(content_copy: Path) -> None:
    message = _refused(content_copy, GRID, lambda data: data.pop("scale"))
    assert "une grille (xlsx) a une échelle de notation" in message


def test_a_scale_out_of_order_is_refused(content_copy: Path) -> None:
    message = _refused(content_copy, GRID, lambda data: data["scale"].reverse())
    assert "du plus bas au plus haut" in message


def test_an_unknown_format_is_refused(content_copy: Path) -> None:
    message = _refused(content_copy, SPECIFICATION, lambda data: data.update(format="odt"))
    assert "02_grille" not in message and "01_cahier_des_charges_lumiere.yaml" in message


def test_a_source_without_its_english_title_is_refused(content_copy: Path) -> None:
    def drop_english(data: Any) -> None:
        del data["sources"][0]["title"]["en"]

    message = _refused(content_copy, GRID, drop_english)
    assert "02_grille_evaluation_lumiere.yaml" in message
