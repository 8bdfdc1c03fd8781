"""The workshops and thematic days as shipped (content/awareness/workshops.yaml): Vegepolys'
three workshops on demand, each led by its /decouvrir module, and a thematic day like Cluster
Bio's, sourced and dated from France Clusters' collection; refused at load, naming the file,
when a maintainer breaks it. The satisfaction survey after a workshop loads with them."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from content.loader import Content, ContentError, load_content
from tests.helpers.content_files import edit_yaml, localized_texts, says_iso_26000_certifiable

FILE = "workshops.yaml"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def test_vegepolys_three_workshops_lead_to_their_modules(content: Content) -> None:
    workshops = {
        theme.id: (theme.title("fr"), theme.module)
        for theme in content.workshops.values()
        if theme.kind == "workshop"
    }

    assert workshops == {
        "what_is_rse": ("Qu'est-ce que la RSE ?", "qu_est_ce_que_la_rse"),
        "continuous_improvement": (
            "Comment allier RSE et amélioration continue ?",
            "rse_et_amelioration_continue",
        ),
        "sustainable_communication": (
            "Comment maîtriser la communication durable ?",
            "communication_durable",
        ),
    }


def test_a_thematic_day_like_cluster_bios_is_offered(content: Content) -> None:
    days = [theme for theme in content.workshops.values() if theme.kind == "thematic_day"]

    assert [day.id for day in days] == ["regulation_and_distribution"]
    assert "Cluster Bio Auvergne-Rhône-Alpes" in days[0].summary("fr")
    assert days[0].module in content.modules


def test_every_theme_is_sourced_and_dated_from_the_clusters_collection(content: Content) -> None:
    for theme in content.workshops.values():
        assert theme.sources, theme.id
        for source in theme.sources:
            assert "France Clusters" in source.title, theme.id
            assert source.checked == date(2026, 12, 1), theme.id


def test_no_theme_says_iso_26000_is_certifiable(content: Content) -> None:
    for theme in content.workshops.values():
        for where, text in localized_texts(theme, theme.id):
            assert says_iso_26000_certifiable(text.fr) == [], where
            assert says_iso_26000_certifiable(text.en) == [], where


def test_the_satisfaction_survey_has_three_questions_and_a_closing_remark(
    content: Content,
) -> None:
    survey = content.workshop_survey

    assert [question.id for _, question in survey.questions()] == ["useful", "clear", "act"]
    assert survey.sections[0].closing_comment is not None
    assert not survey.question_comments


def _refused(content_copy: Path, change: Any) -> str:
    edit_yaml(content_copy / "awareness" / FILE, change)
    with pytest.raises(ContentError) as refused:
        load_content(content_copy)
    return str(refused.value)


def test_a_theme_naming_an_unknown_module_is_refused(content_copy: Path) -> None:
    def unknown(data: Any) -> None:
        data["themes"][0]["module"] = "achats_responsables"

    message = _refused(content_copy, unknown)

    assert "awareness/workshops.yaml" in message
    assert "achats_responsables" in message


def test_a_theme_twice_is_refused(content_copy: Path) -> None:
    def twice(data: Any) -> None:
        data["themes"].append(data["themes"][0])

    assert "en double : what_is_rse" in _refused(content_copy, twice)


def test_a_theme_without_source_is_refused(content_copy: Path) -> None:
    def unsourced(data: Any) -> None:
        data["themes"][1]["sources"] = []

    assert "awareness/workshops.yaml" in _refused(content_copy, unsourced)


def test_a_keyword_with_capitals_or_accents_is_refused(content_copy: Path) -> None:
    def accented(data: Any) -> None:
        data["themes"][2]["keywords"].append("Écoblanchiment")

    assert "sans majuscule ni accent" in _refused(content_copy, accented)
