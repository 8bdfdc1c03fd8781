"""The programmes' content (content/awareness/programmes/): Cluster Bio's three steps and the
six-month accompaniment load in order with their sources; a file naming a module, label or
workshop theme that does not exist, or with its steps out of order, is refused naming it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from content.loader import ContentError, default_content, load_content
from tests.helpers.content_files import edit_yaml

CLUSTER_BIO = "awareness/programmes/01_cluster_bio.yaml"
SIX_MONTHS = "awareness/programmes/02_accompagnement_6_mois.yaml"


def test_both_programmes_load_in_their_files_order() -> None:
    assert list(default_content().programmes) == ["cluster_bio", "accompagnement_6_mois"]


def test_cluster_bio_has_its_three_steps() -> None:
    programme = default_content().programmes["cluster_bio"]

    assert [step.title("fr") for step in programme.steps] == [
        "Acquérir les fondamentaux RSE",
        "Réaliser son autodiagnostic RSE",
        "Valoriser ses démarches RSE",
    ]
    assert [step.kind for step in programme.steps] == ["module", "diagnostic", "label"]
    assert programme.steps[0].module == "qu_est_ce_que_la_rse"
    assert "Ecocert Consulting" in programme.summary("fr")


def test_the_six_month_accompaniment_ends_with_its_review_in_the_sixth_month() -> None:
    programme = default_content().programmes["accompagnement_6_mois"]

    kinds = [step.kind for step in programme.steps]
    assert kinds == ["diagnostic", "plan", *["follow_up"] * 4, "review"]
    assert [step.due.months for step in programme.steps if step.kind == "follow_up"] == [2, 3, 4, 5]
    assert programme.steps[-1].due.months == 6
    assert "Vegepolys" in programme.sources[0].name("fr")


def test_every_programme_has_a_dated_source_in_both_languages() -> None:
    for programme in default_content().programmes.values():
        for source in programme.sources:
            assert source.name("fr") and source.name("en")
            assert source.checked.year == 2026
        assert programme.review_by > programme.reviewed


def _refused(content_copy: Path, name: str, change: Callable[[dict], None]) -> str:
    edit_yaml(content_copy / name, change)
    with pytest.raises(ContentError) as refused:
        load_content(content_copy)
    return str(refused.value)


def test_a_step_naming_an_unknown_module_is_refused_naming_its_file(content_copy: Path) -> None:
    def change(data: dict) -> None:
        data["steps"][0]["module"] = "module_disparu"

    message = _refused(content_copy, CLUSTER_BIO, change)

    assert message.startswith(CLUSTER_BIO)
    assert "module:module_disparu" in message


def test_a_label_step_naming_an_unknown_label_is_refused(content_copy: Path) -> None:
    def change(data: dict) -> None:
        data["steps"][2]["labels"] = ["engage_rse", "label_imaginaire"]

    message = _refused(content_copy, CLUSTER_BIO, change)

    assert "label:label_imaginaire" in message


def test_a_workshop_step_on_a_theme_the_workshops_do_not_offer_is_refused(
    content_copy: Path,
) -> None:
    def change(data: dict) -> None:
        data["steps"].insert(
            1,
            {
                "id": "atelier",
                "kind": "workshop",
                "theme": "achats_responsables",
                "due": {"days": 7},
                "title": {"fr": "Un atelier", "en": "A workshop"},
                "what": {"fr": "Venez à l'atelier.", "en": "Come to the workshop."},
            },
        )

    message = _refused(content_copy, CLUSTER_BIO, change)

    assert "atelier:achats_responsables" in message


def test_a_workshop_step_on_a_known_theme_loads(content_copy: Path) -> None:
    def change(data: dict) -> None:
        data["steps"].insert(
            1,
            {
                "id": "atelier",
                "kind": "workshop",
                "theme": "what_is_rse",
                "due": {"days": 7},
                "title": {"fr": "L'atelier « Qu'est-ce que la RSE ? »", "en": "The workshop"},
                "what": {"fr": "Venez à l'atelier.", "en": "Come to the workshop."},
            },
        )

    edit_yaml(content_copy / CLUSTER_BIO, change)

    steps = load_content(content_copy).programmes["cluster_bio"].steps
    assert [step.kind for step in steps] == ["module", "workshop", "diagnostic", "label"]


def test_steps_out_of_their_dates_order_are_refused(content_copy: Path) -> None:
    def change(data: dict) -> None:
        data["steps"][1]["due"] = {"months": 3}

    message = _refused(content_copy, CLUSTER_BIO, change)

    assert "l'ordre de leurs dates" in message


def test_a_module_step_without_its_module_is_refused(content_copy: Path) -> None:
    def change(data: dict) -> None:
        del data["steps"][0]["module"]

    message = _refused(content_copy, CLUSTER_BIO, change)

    assert message.startswith(CLUSTER_BIO)
    assert "« module » va avec une étape « module »" in message


def test_an_unknown_kind_of_step_is_refused(content_copy: Path) -> None:
    def change(data: dict) -> None:
        data["steps"][3]["kind"] = "webinaire"

    message = _refused(content_copy, SIX_MONTHS, change)

    assert message.startswith(SIX_MONTHS)
