"""The RSE labels as shipped (content/awareness/labels/): four pages in French and English, each
sourced and dated, refused at load when a maintainer breaks one, and checked against the facts
they rest on (rse-facts.md): ISO 26000 is never said certifiable, and the labels' figures (the
2021 merger, 300/1,000 and 2 years, Engagé RSE's levels, LUCIE's 18 and 36 months) are those
checked in December 2026; what no checked source gives (a cost, a validity) is left out."""

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from content.awareness.labels import Label
from content.loader import Content, ContentError, load_content
from content.text import Text
from tests.helpers.content_files import edit_yaml, localized_texts, says_iso_26000_certifiable

LABEL_IDS = ["numerique_responsable", "engage_rse", "lucie_26000", "b_corp"]
CHECKED = date(2026, 12, 1)
# Labels change their rules (B Lab's standards in 2026): their pages are read again within six
# months.
REVIEW_LIMIT = date(2027, 6, 1)
FIRST = "01_numerique_responsable.yaml"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def _label_strings(label: Label) -> Iterator[tuple[str, str]]:
    for where, text in localized_texts(label, label.id):
        yield f"{where}.fr", text.fr
        yield f"{where}.en", text.en
    for source in label.sources:
        yield f"{label.id} source", source.name("fr")


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _all_text(label: Label, locale: str) -> str:
    return _plain(" ".join(text(locale) for _, text in localized_texts(label)))


# ---------------------------------------------------------------- what ships


def test_the_four_labels_load_in_order(content: Content) -> None:
    assert list(content.labels) == LABEL_IDS
    assert all(label_id == label.id for label_id, label in content.labels.items())


def test_every_text_is_written_in_french_and_in_english(content: Content) -> None:
    for label in content.labels.values():
        texts = list(localized_texts(label, label.id))
        assert len(texts) >= 3 + len(label.steps), label.id
        for where, text in texts:
            assert text.fr.strip() and text.en.strip(), where
            if not where.endswith(".title"):
                assert text.fr != text.en, where


def test_no_text_carries_markup(content: Content) -> None:
    # The page inserts these texts as they are: a ** would show.
    for label in content.labels.values():
        for where, text in _label_strings(label):
            assert str(Text.parse(text)) == text, where


def test_every_page_is_sourced_checked_and_due_for_review(content: Content) -> None:
    for label in content.labels.values():
        assert label.sources, label.id
        assert label.reviewed == CHECKED, label.id
        assert CHECKED < label.review_by <= REVIEW_LIMIT, label.id
        for source in label.sources:
            assert source.checked == CHECKED, (label.id, source.name("fr"))
            # No address was checked: the source family is named, not a guessed URL.
            assert source.url is None, (label.id, source.name("fr"))


def test_related_modules_are_modules(content: Content) -> None:
    for label in content.labels.values():
        assert label.related_modules, label.id
        assert set(label.related_modules) <= set(content.modules), label.id


def test_no_cost_is_given_for_want_of_a_checked_figure(content: Content) -> None:
    # rse-facts.md gives no label's price: none is written, the page sends to the label's site.
    assert all(label.cost is None for label in content.labels.values())
    for label in content.labels.values():
        assert not re.search(r"€|\beuros?\b|\bEUR\b", _all_text(label, "fr")), label.id


def test_validities_are_only_the_checked_ones(content: Content) -> None:
    labels = content.labels
    assert labels["engage_rse"].validity is None
    assert labels["b_corp"].validity is None
    nr = labels["numerique_responsable"].validity
    assert nr is not None and "2 ans" in nr.fr and "2 years" in nr.en
    assert "n'est pas donnée ici" in nr.fr and "not given here" in nr.en
    lucie = labels["lucie_26000"].validity
    assert lucie is not None and "36 mois" in lucie.fr and "18 mois" in lucie.fr


# ---------------------------------------------------------------- the facts of rse-facts.md


def test_no_label_says_iso_26000_is_certifiable(content: Content) -> None:
    for label in content.labels.values():
        for where, text in _label_strings(label):
            assert says_iso_26000_certifiable(text) == [], where
    engage = content.labels["engage_rse"]
    assert "n'est pas certifiable" in engage.what.fr
    assert "is not certifiable" in engage.what.en


def test_numerique_responsable_took_over_enr_in_2021(content: Content) -> None:
    label = content.labels["numerique_responsable"]
    fr, en = _all_text(label, "fr"), _all_text(label, "en")
    for fact in ("2021", "ENR", "France IT", "2011", "Agence LUCIE", "INR", "audit sur site"):
        assert fact in fr, fact
    assert "300/1 000 points" in fr and "300/1,000 points" in en
    assert "2 ans" in fr and "2 years" in en
    assert "on-site audit" in en


def test_engage_rse_levels_are_afnor_s(content: Content) -> None:
    label = content.labels["engage_rse"]
    fr, en = _all_text(label, "fr"), _all_text(label, "en")
    assert "AFAQ 26000" in fr and "AFNOR" in fr and "1 000 points" in fr
    assert (
        "Initial (0–300), Progression (301–500), Confirmé (501–700) ou Exemplaire (701–1 000)"
        in (fr)
    )
    assert (
        "Initial (0–300), Progression (301–500), Confirmé (501–700) or Exemplaire (701–1,000)"
        in (en)
    )
    assert "Débutant, Intermédiaire, Confirmé et Expert" in fr


def test_lucie_26000_steps_are_its_seven_commitments_path(content: Content) -> None:
    label = content.labels["lucie_26000"]
    fr = _all_text(label, "fr")
    assert "7 questions centrales" in fr and "7 engagements" in fr and "DIAG26000" in fr
    steps = [step.fr for step in label.steps]
    for number, start in enumerate(
        (
            "Une autoévaluation",
            "Une évaluation sur site",
            "Un plan d'actions",
            "Le comité de labellisation",
            "Un suivi à 18 mois",
            "Le renouvellement à 36 mois",
        )
    ):
        assert steps[number].startswith(start), steps[number]


def test_b_corp_drops_the_overall_score_from_2026(content: Content) -> None:
    label = content.labels["b_corp"]
    fr, en = _all_text(label, "fr"), _all_text(label, "en")
    assert "B Impact Assessment" in fr and "B Lab" in fr
    assert "abandonnent le score global" in fr and "7 thèmes d'impact" in fr and "2026" in fr
    assert "drop the overall score" in en and "7 impact topics" in en


# ---------------------------------------------------------------- refused at load


def _refused(folder: Path, change: Callable[[dict[str, Any]], None], match: str) -> None:
    edit_yaml(folder / "awareness" / "labels" / FIRST, change)
    with pytest.raises(ContentError, match=match) as refused:
        load_content(folder)
    assert f"awareness/labels/{FIRST}" in str(refused.value)


def test_a_label_without_sources_is_refused_naming_the_file(content_copy: Path) -> None:
    def unsourced(data: dict[str, Any]) -> None:
        data["sources"] = []

    _refused(content_copy, unsourced, "sources : liste trop courte")


def test_a_source_without_its_date_is_refused(content_copy: Path) -> None:
    def undated(data: dict[str, Any]) -> None:
        del data["sources"][0]["checked"]

    _refused(content_copy, undated, "checked : champ obligatoire manquant")


def test_an_unknown_related_module_is_refused(content_copy: Path) -> None:
    def unknown(data: dict[str, Any]) -> None:
        data["related_modules"] = ["communication_durable", "labels_101"]

    _refused(content_copy, unknown, r"modules inconnus : \['labels_101'\]")


def test_a_text_missing_its_english_is_refused(content_copy: Path) -> None:
    def french_only(data: dict[str, Any]) -> None:
        del data["what"]["en"]

    _refused(content_copy, french_only, "what.en : champ obligatoire manquant")


def test_a_review_date_before_the_check_is_refused(content_copy: Path) -> None:
    def stale(data: dict[str, Any]) -> None:
        data["review_by"] = date(2026, 6, 1)

    _refused(content_copy, stale, "la date de révision doit suivre celle de la vérification")


def test_a_label_whose_id_is_not_its_file_name_is_refused(content_copy: Path) -> None:
    def renamed(data: dict[str, Any]) -> None:
        data["id"] = "label_nr"

    _refused(content_copy, renamed, "ne correspond pas au fichier")
