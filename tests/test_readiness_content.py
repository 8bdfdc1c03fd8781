"""The readiness self-checks as shipped (content/awareness/readiness/): one per label, in French
and English, every requirement with what to prepare and its sources with the day they were
checked; never saying ISO 26000 is certifiable; refused at load when a maintainer breaks one
(an unknown label, a requirement without a source, an unknown module)."""

from datetime import date
from pathlib import Path

import pytest

from content.loader import Content, ContentError, load_content
from tests.helpers.content_files import edit_yaml, localized_texts, says_iso_26000_certifiable

CHECKED = date(2026, 12, 1)
READINESS = Path("awareness") / "readiness"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def test_every_label_has_its_check_in_the_labels_order(content: Content) -> None:
    assert list(content.readiness) == list(content.labels)


def test_every_requirement_has_a_source_checked_and_something_to_prepare(
    content: Content,
) -> None:
    for check in content.readiness.values():
        assert check.reviewed == CHECKED and check.review_by > check.reviewed
        for requirement in check.requirements:
            assert requirement.sources, f"{check.label}.{requirement.id} : aucune source"
            assert all(source.checked == CHECKED for source in requirement.sources)
            assert all(source.name("en") for source in requirement.sources)
            assert requirement.prepare.fr and requirement.prepare.en


def test_no_check_says_iso_26000_is_certifiable(content: Content) -> None:
    for check in content.readiness.values():
        for where, text in localized_texts(check, check.label):
            assert not says_iso_26000_certifiable(text.fr), where
            assert not says_iso_26000_certifiable(text.en), where


def test_the_checks_keep_to_the_labels_checked_figures(content: Content) -> None:
    nr = content.readiness["numerique_responsable"]
    assert "300 points sur 1 000" in nr.requirement("nr_seuil").text.fr
    assert "2 ans" in nr.requirement("nr_suivi").text.fr
    lucie = content.readiness["lucie_26000"].requirement("lu_suivi")
    assert "18 mois" in lucie.text.fr and "36 mois" in lucie.text.fr
    levels = content.readiness["engage_rse"].requirement("er_niveau").text.fr
    assert "Initial (0–300), Progression (301–500), Confirmé (501–700)" in levels
    # No B Impact Assessment threshold: the 2025 standards drop the overall score.
    assert all("80" not in r.text.fr for r in content.readiness["b_corp"].requirements)


def test_a_check_of_an_unknown_label_is_refused(content_copy: Path) -> None:
    folder = content_copy / READINESS
    (folder / "b_corp.yaml").rename(folder / "b_lab.yaml")
    edit_yaml(folder / "b_lab.yaml", lambda data: data.update(label="b_lab"))
    with pytest.raises(ContentError, match=r"b_lab\.yaml : label inconnu « b_lab »"):
        load_content(content_copy)


def test_a_requirement_without_a_source_is_refused(content_copy: Path) -> None:
    path = content_copy / READINESS / "lucie_26000.yaml"
    edit_yaml(path, lambda data: data["requirements"][1].update(sources=[]))
    with pytest.raises(ContentError, match=r"lucie_26000\.yaml : requirements\.1\.sources"):
        load_content(content_copy)


def test_a_requirement_leading_to_an_unknown_module_is_refused(content_copy: Path) -> None:
    path = content_copy / READINESS / "engage_rse.yaml"
    edit_yaml(path, lambda data: data["requirements"][0].update(modules=["iso_14001"]))
    unknown = r"engage_rse\.yaml : modules inconnus : \['iso_14001'\]"
    with pytest.raises(ContentError, match=unknown):
        load_content(content_copy)
