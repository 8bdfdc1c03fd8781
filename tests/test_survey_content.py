from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from content.loader import Content, ContentError, load_content
from content.surveys.models import AGREEMENT_SCALE, NON_ANSWER, SurveySet, project_sets
from tests.helpers.content_files import edit_yaml, localized_texts

# The four examples the HYDREOS document quotes, by axis, word for word.
SOURCE_EXAMPLES = {
    "gouvernance": "Les acteurs directement impliqués au projet se sont concertés dans la mise en "
    "œuvre des actions et décisions prises dans le cadre du projet",
    "social": "La collaboration entre les partenaires facilite la recherche de solutions "
    "innovantes nouvelles sur la thématique des micropolluants",
    "environnement": "Les mesures de réduction de l'impact environnemental mises en place dans le "
    "cadre du projet sont suffisantes et efficaces",
    "economie": "Le projet favorise la création d'emplois sur le territoire",
}
SCALE_FR = (
    "Tout à fait d'accord",
    "Plutôt d'accord",
    "Ne se prononce pas",
    "Plutôt pas d'accord",
    "Pas du tout d'accord",
)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def hydreos(content: Content) -> SurveySet:
    return content.surveys["hydreos"]


def test_the_shipped_sets_load_by_file_name(content: Content) -> None:
    assert set(content.surveys) == {"hydreos", "bien_etre", "clients_numerique_responsable"}
    assert all(survey_id == survey.id for survey_id, survey in content.surveys.items())


def test_hydreos_has_26_indicators_over_four_axes_and_two_levels(hydreos: SurveySet) -> None:
    assert len(hydreos.indicators) == 26
    assert [axis.title("fr") for axis in hydreos.axes] == [
        "Gouvernance",
        "Dimension sociale",
        "Dimension environnementale",
        "Dimension économique",
    ]
    assert [level.title("fr") for level in hydreos.levels] == ["Le projet", "Sa sphère d'influence"]
    cells = {
        (a.id, lv.id): hydreos.cell(a.id, lv.id) for a in hydreos.axes for lv in hydreos.levels
    }
    assert len(cells) == 8
    assert all(len(indicators) >= 3 for indicators in cells.values()), cells
    assert sum(len(indicators) for indicators in cells.values()) == 26


def test_the_four_source_examples_are_there_word_for_word_and_marked(hydreos: SurveySet) -> None:
    quoted = {i.axis: i.text("fr") for i in hydreos.indicators if i.source is not None}
    assert quoted == SOURCE_EXAMPLES
    assert "22 autres sont de nous" in hydreos.source


def test_sets_carry_their_source_and_date(content: Content) -> None:
    for survey in content.surveys.values():
        assert survey.source
        assert survey.updated.isoformat() == "2026-12-01"


def test_the_well_being_index_is_short_on_one_level_and_all_ours(content: Content) -> None:
    index = content.surveys["bien_etre"]
    assert 8 <= len(index.indicators) <= 12
    assert len(index.levels) == 1
    assert len(index.axes) >= 2
    assert all(indicator.source is None for indicator in index.indicators)
    assert "92 %" in index.source and "sont de nous" in index.source


def test_the_scale_is_the_five_choices_and_nsp_scores_nothing(
    content: Content,
) -> None:
    for survey in content.surveys.values():
        assert tuple(choice.id for choice in survey.scale) == AGREEMENT_SCALE
        assert tuple(choice.label("fr") for choice in survey.scale) == SCALE_FR
        assert [c.id for c in survey.scale if c.non_answer] == [NON_ANSWER]
        assert survey.points(NON_ANSWER) is None
        assert [survey.points(c) for c in AGREEMENT_SCALE if c != NON_ANSWER] == [3, 2, 1, 0]


def test_every_text_is_written_in_french_and_in_english(content: Content) -> None:
    for survey in content.surveys.values():
        texts = list(localized_texts(survey, survey.id))
        # Title, intro, five labels, and each axis, level and indicator at least.
        assert len(texts) >= 7 + len(survey.axes) + len(survey.levels) + len(survey.indicators)
        for where, text in texts:
            assert text.fr.strip() and text.en.strip(), where
            assert text.fr != text.en or text.fr.isupper(), where


def test_every_axis_invites_an_optional_comment(content: Content) -> None:
    for survey in content.surveys.values():
        for axis in survey.axes:
            assert axis.comment is not None and "facultatif" in axis.comment("fr"), axis.id


def _refused(folder: Path, change: Callable[[dict[str, Any]], None], match: str) -> None:
    edit_yaml(folder / "surveys" / "hydreos.yaml", change)
    with pytest.raises(ContentError, match=match):
        load_content(folder)


def test_a_duplicated_indicator_id_is_refused(content_copy: Path) -> None:
    def duplicate(data: dict[str, Any]) -> None:
        data["indicators"][1]["id"] = "gouv_concertation"

    _refused(
        content_copy,
        duplicate,
        r"surveys/hydreos\.yaml : .*indicateur en double : gouv_concertation",
    )


def test_an_unknown_axis_is_refused(content_copy: Path) -> None:
    def misplace(data: dict[str, Any]) -> None:
        data["indicators"][0]["axis"] = "culture"

    _refused(
        content_copy,
        misplace,
        r"surveys/hydreos\.yaml : .*gouv_concertation : axe inconnu « culture »",
    )


def test_an_unknown_level_is_refused(content_copy: Path) -> None:
    def misplace(data: dict[str, Any]) -> None:
        data["indicators"][0]["level"] = "region"

    _refused(content_copy, misplace, r"surveys/hydreos\.yaml : .*niveau inconnu « region »")


def test_a_missing_english_text_is_refused(content_copy: Path) -> None:
    def untranslate(data: dict[str, Any]) -> None:
        del data["indicators"][2]["text"]["en"]

    _refused(
        content_copy,
        untranslate,
        r"surveys/hydreos\.yaml : indicators\.2\.text\.en : champ obligatoire manquant",
    )


def test_a_scale_without_its_non_answer_is_refused(content_copy: Path) -> None:
    def drop(data: dict[str, Any]) -> None:
        data["scale"] = [c for c in data["scale"] if c["id"] != "nsp"]

    _refused(content_copy, drop, r"surveys/hydreos\.yaml : .*une et une seule non-réponse")


def test_a_non_answer_worth_points_is_refused(content_copy: Path) -> None:
    def score(data: dict[str, Any]) -> None:
        data["scale"][2]["points"] = 1

    _refused(content_copy, score, r"surveys/hydreos\.yaml : .*ne vaut aucun point")


def test_a_scale_of_other_choices_is_refused(content_copy: Path) -> None:
    def rename(data: dict[str, Any]) -> None:
        data["scale"][0]["id"] = "d_accord"

    _refused(content_copy, rename, r"surveys/hydreos\.yaml : .*l'échelle doit être exactement")


def test_a_cell_with_two_indicators_is_refused(content_copy: Path) -> None:
    def thin(data: dict[str, Any]) -> None:
        data["indicators"] = [i for i in data["indicators"] if i["id"] != "eco_attractivite"]

    _refused(
        content_copy, thin, r"surveys/hydreos\.yaml : .*axe economie, niveau sphere_influence : 2"
    )


def test_an_id_other_than_the_file_name_is_refused(content_copy: Path) -> None:
    def rename(data: dict[str, Any]) -> None:
        data["id"] = "lumieau"

    _refused(
        content_copy, rename, r"surveys/hydreos\.yaml : l'identifiant « lumieau » ne correspond"
    )


def test_a_new_set_is_a_new_file(content_copy: Path) -> None:
    folder = content_copy / "surveys"
    data = yaml.safe_load((folder / "bien_etre.yaml").read_text(encoding="utf-8"))
    data["id"] = "bien_etre_court"
    (folder / "bien_etre_court.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    assert "bien_etre_court" in load_content(content_copy).surveys


def test_the_client_set_is_offered_to_members_not_to_the_pole_s_projects(
    content: Content,
) -> None:
    assert content.surveys["clients_numerique_responsable"].for_clients
    assert set(project_sets(content.surveys)) == {"hydreos", "bien_etre"}
