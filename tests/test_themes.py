"""Theme tagging of watch items, the themes file's validation and the default feed list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from content.loader import CONTENT_DIR, ContentError
from content.veille.models import Themes, load_themes

ISSUE_THEMES = (
    "climat_energie",
    "economie_circulaire_dechets",
    "biodiversite_eau",
    "social_qvt",
    "gouvernance_ethique",
    "achats_responsables",
    "reglementation",
    "numerique_responsable",
    "agriculture_alimentation",
)


@pytest.fixture(scope="module")
def themes() -> Themes:
    return load_themes()


def test_the_default_file_has_the_issue_themes_then_autres(themes: Themes) -> None:
    assert themes.ids == (*ISSUE_THEMES, "autres")


@pytest.mark.parametrize(
    "title",
    [
        "Sécheresse : les industriels économisent l'eau",
        "Secheresse : les industriels economisent l'eau",
        "SÉCHERESSE : LES INDUSTRIELS ÉCONOMISENT L'EAU",
    ],
)
def test_a_french_title_is_tagged_with_or_without_accents(themes: Themes, title: str) -> None:
    assert themes.tag(title, "") == ("biodiversite_eau",)


def test_an_accented_keyword_matches_a_title_written_without_accents(themes: Themes) -> None:
    assert themes.tag("Reemploi des bouteilles en verre", "") == ("economie_circulaire_dechets",)


def test_a_keyword_matches_whole_words_only(themes: Themes) -> None:
    assert themes.tag("Un nouveau bureau pour le réseau", "") == ("autres",)


def test_a_keyword_matches_its_plural(themes: Themes) -> None:
    assert themes.tag("Les déchets du BTP", "") == ("economie_circulaire_dechets",)


def test_a_starred_keyword_matches_words_it_begins(themes: Themes) -> None:
    assert themes.tag("Les emballages recyclés", "") == ("economie_circulaire_dechets",)


def test_a_multi_word_keyword_matches_across_hyphens_and_apostrophes(themes: Themes) -> None:
    assert themes.tag("Le bien-être au travail des saisonniers", "") == ("social_qvt",)
    assert themes.tag("Un lanceur d’alerte protégé", "") == ("gouvernance_ethique",)


def test_an_item_gets_every_matching_theme_in_file_order(themes: Themes) -> None:
    tags = themes.tag("CSRD : le bilan carbone des fournisseurs", "")
    assert tags == ("climat_energie", "achats_responsables", "reglementation")


def test_the_summary_is_searched_too(themes: Themes) -> None:
    assert themes.tag("Ce qui change en 2027", "Le devoir de vigilance s'étend.") == (
        "reglementation",
    )


def test_an_item_no_keyword_describes_goes_to_autres(themes: Themes) -> None:
    assert themes.tag("Le pôle accueille un nouveau directeur", "Il prend ses fonctions.") == (
        "autres",
    )


def test_labels_are_given_in_french_and_english(themes: Themes) -> None:
    assert themes.label("climat_energie", "fr") == "Climat et énergie"
    assert themes.label("climat_energie", "en") == "Climate and energy"
    assert themes.label("autres", "fr") == "Autres"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "themes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


FALLBACK = "fallback: {id: autres, label: {fr: Autres, en: Other}}\n"


def test_a_theme_id_used_twice_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "themes:\n"
        "  - {id: eau, label: {fr: Eau, en: Water}, keywords: [eau]}\n"
        "  - {id: eau, label: {fr: Mer, en: Sea}, keywords: [mer]}\n" + FALLBACK,
    )
    with pytest.raises(ContentError, match=r"themes\.yaml : .*identifiants de thème en double"):
        load_themes(path)


def test_a_theme_without_keywords_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "themes:\n  - {id: eau, label: {fr: Eau, en: Water}, keywords: []}\n" + FALLBACK
    )
    with pytest.raises(ContentError, match=r"themes\.0\.keywords : liste trop courte"):
        load_themes(path)


def test_a_keyword_without_letters_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "themes:\n  - {id: eau, label: {fr: Eau, en: Water}, keywords: [eau, ' - ']}\n" + FALLBACK,
    )
    with pytest.raises(ContentError, match="mot-clé sans lettre ni chiffre"):
        load_themes(path)


def test_a_missing_english_label_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "themes:\n  - {id: eau, label: {fr: Eau}, keywords: [eau]}\n" + FALLBACK
    )
    with pytest.raises(ContentError, match=r"themes\.0\.label\.en : champ obligatoire manquant"):
        load_themes(path)


def test_the_default_feed_list_is_opml_whose_categories_are_themes(themes: Themes) -> None:
    outlines = ET.parse(CONTENT_DIR / "veille" / "sources.opml").getroot().iter("outline")
    feeds = [outline for outline in outlines if outline.get("xmlUrl")]
    assert 5 <= len(feeds) <= 10
    assert all(feed.get("xmlUrl", "").startswith("https://") for feed in feeds)
    assert {feed.get("category") for feed in feeds if feed.get("category")} <= set(themes.ids)
