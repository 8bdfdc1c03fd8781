import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from content.loader import ContentError, Localized, load_content
from content.questionnaires.models import (
    DONT_KNOW,
    QUESTIONNAIRES_DIR,
    Questionnaire,
    SectorPack,
    load_questionnaire,
)
from tests.helpers.content_files import edit_yaml, localized_texts

# The seven ISO 26000 core subjects, in the standard's order, with their official French names.
OFFICIAL_TITLES = {
    "gouvernance": "Gouvernance de l'organisation",
    "droits_homme": "Droits de l'Homme",
    "conditions_travail": "Relations et conditions de travail",
    "environnement": "L'environnement",
    "loyaute": "Loyauté des pratiques",
    "consommateurs": "Questions relatives aux consommateurs",
    "communautes": "Communautés et développement local",
}
PREFIXES = {
    "gouvernance": "gouv_",
    "droits_homme": "dh_",
    "conditions_travail": "ct_",
    "environnement": "env_",
    "loyaute": "loy_",
    "consommateurs": "conso_",
    "communautes": "com_",
}
PACK_FILES = sorted((QUESTIONNAIRES_DIR / "packs").glob("*.yaml"))
PACK_SECTORS = ("agro_bio", "vegetal", "numerique", "industrie")
VARIANTS = (None, *PACK_SECTORS)
# Answers become numbered options or buttons in the chat.
MAX_ANSWER_LENGTH = 120


@pytest.fixture(scope="module")
def base() -> Questionnaire:
    return load_questionnaire()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the questionnaires, to break."""
    copy = tmp_path / "questionnaires"
    shutil.copytree(QUESTIONNAIRES_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def _variants(base: Questionnaire) -> Iterator[Questionnaire]:
    for sector in VARIANTS:
        yield base.for_sector(sector)


_NEGATION = {"pas", "ne", "n'est", "non", "jamais", "not", "never", "cannot", "isn't"}


def _claims_certifiable(text: str) -> bool:
    """True when a text speaks of certifying near "26000" without denying it."""
    flat = re.sub(r"26[\s\u00a0\u202f]000", "26000", text).replace("’", "'")
    for match in re.finditer(r"certifi", flat, flags=re.IGNORECASE):
        if "26000" not in flat[max(0, match.start() - 80) : match.end() + 80]:
            continue
        before = re.findall(r"[\w']+", flat[: match.start()].lower())[-3:]
        if not _NEGATION & set(before):
            return True
    return False


def test_the_seven_sections_are_the_iso_26000_core_subjects_with_their_french_names(
    base: Questionnaire,
) -> None:
    assert {s.id: s.title.fr for s in base.sections} == OFFICIAL_TITLES
    assert [s.id for s in base.sections] == list(OFFICIAL_TITLES)


@pytest.mark.parametrize("sector", VARIANTS)
def test_every_section_has_three_questions_or_more_and_exactly_one_quick(
    base: Questionnaire, sector: str | None
) -> None:
    questionnaire = base.for_sector(sector)
    assert [s.id for s in questionnaire.sections] == list(OFFICIAL_TITLES)
    for section in questionnaire.sections:
        assert len(section.questions) >= 3, section.id
        assert len([q for q in section.questions if q.quick]) == 1, section.id


@pytest.mark.parametrize("sector", VARIANTS)
def test_the_quick_version_asks_one_question_per_subject(
    base: Questionnaire, sector: str | None
) -> None:
    quick = base.for_sector(sector).quick()
    assert [len(s.questions) for s in quick.sections] == [1] * 7
    assert all(question.quick for _, question in quick.questions())


def test_question_ids_are_unique_and_prefixed_by_their_section(base: Questionnaire) -> None:
    for questionnaire in _variants(base):
        ids = [question.id for _, question in questionnaire.questions()]
        assert len(ids) == len(set(ids))
        for section, question in questionnaire.questions():
            assert question.id.startswith(PREFIXES[section.id]), question.id


def test_the_scale_is_a_to_d_and_i_dont_know_counts_no_points(base: Questionnaire) -> None:
    assert [(c.id, c.points) for c in base.scale] == [("A", 3), ("B", 2), ("C", 1), ("D", 0)]
    assert base.dont_know == Localized(fr="Je ne sais pas", en="I don't know")
    assert base.points("B") == 2
    assert base.points(DONT_KNOW) is None
    assert base.max_points == 3


def test_every_question_has_the_four_answers_of_the_scale(base: Questionnaire) -> None:
    for questionnaire in _variants(base):
        for _, question in questionnaire.questions():
            assert question.answers is not None, question.id
            assert list(question.answers) == ["A", "B", "C", "D"], question.id


def test_answers_are_short_enough_for_a_chat_option(base: Questionnaire) -> None:
    for questionnaire in _variants(base):
        for _, question in questionnaire.questions():
            assert question.answers is not None
            for letter, answer in question.answers.items():
                for text in (answer.fr, answer.en):
                    assert len(text) <= MAX_ANSWER_LENGTH, f"{question.id} {letter}: {text}"


def test_every_text_is_written_in_french_and_in_english(base: Questionnaire) -> None:
    for questionnaire in _variants(base):
        texts = list(localized_texts(questionnaire))
        assert len(texts) > 150
        for where, text in texts:
            assert text.fr.strip(), where
            assert text.en.strip(), where
            assert text.fr != text.en or len(text.fr) < 12, f"{where} is not translated"


def test_every_section_recommends_at_least_three_actions(base: Questionnaire) -> None:
    for section in base.sections:
        assert len(section.actions) >= 3, section.id


def test_every_action_named_by_a_question_exists_in_its_section(base: Questionnaire) -> None:
    for questionnaire in _variants(base):
        for section, question in questionnaire.questions():
            assert question.actions, f"{question.id} recommends no action"
            assert [a.id for a in section.actions_for(question)] == list(question.actions)


def test_level_bands_start_at_zero_and_increase(base: Questionnaire) -> None:
    assert [level.id for level in base.levels] == [
        "debutant",
        "intermediaire",
        "confirme",
        "expert",
    ]
    minimums = [level.min for level in base.levels]
    assert minimums[0] == 0
    assert minimums == sorted(set(minimums))
    assert [level.afaq_label.fr for level in base.levels if level.afaq_label] == [
        "Initial",
        "Progression",
        "Confirmé",
        "Exemplaire",
    ]


def test_a_score_falls_in_the_band_whose_minimum_it_reaches(base: Questionnaire) -> None:
    assert base.level_for(0).id == "debutant"
    assert base.level_for(100).id == "expert"
    for lower, level in zip(base.levels, base.levels[1:], strict=False):
        assert base.level_for(level.min).id == level.id
        assert base.level_for(level.min - 0.1).id == lower.id
    with pytest.raises(ValueError, match="hors de 0–100"):
        base.level_for(101)


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda path: path.stem)
def test_each_pack_changes_the_questionnaire_of_its_own_sector(
    base: Questionnaire, path: Path
) -> None:
    pack = SectorPack.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert pack.sector == path.stem
    assert pack.sector in {sector.id for sector in load_content().sectors}
    adapted = base.for_sector(pack.sector)
    assert adapted.sector == pack.sector
    ids = {question.id for _, question in adapted.questions()}
    assert {change.question.id for change in (*pack.add, *pack.replace)} <= ids
    assert not {replacement.id for replacement in pack.replace} & ids


def test_there_is_a_pack_for_each_specified_sector() -> None:
    assert tuple(sorted(path.stem for path in PACK_FILES)) == tuple(sorted(PACK_SECTORS))


def test_the_vegetal_pack_covers_skills_planning_quality_and_internal_organisation(
    base: Questionnaire,
) -> None:
    vegetal = base.for_sector("vegetal")
    texts = {q.id: q.text.fr for _, q in vegetal.questions()}
    assert "GPEC" in texts["ct_gpec"]
    assert "qualité" in texts["conso_suivi_qualite"]
    assert "organisation interne" in texts["gouv_organisation_interne"]


def test_a_replaced_quick_question_stays_in_the_quick_version(base: Questionnaire) -> None:
    quick = base.for_sector("industrie").quick()
    ids = [question.id for _, question in quick.questions()]
    assert "ct_securite_atelier" in ids
    assert "ct_sante_securite" not in ids
    assert ids.index("ct_securite_atelier") == 2


@pytest.mark.parametrize("sector", ["autre", "eau_environnement", None, "inconnu"])
def test_a_sector_without_a_pack_gets_the_base(base: Questionnaire, sector: str | None) -> None:
    assert base.for_sector(sector) is base
    assert base.for_sector(sector).sector is None


def test_the_intro_says_iso_26000_is_guidance_and_not_certifiable(base: Questionnaire) -> None:
    assert base.intro is not None
    assert "lignes directrices" in base.intro.fr
    assert "n'est pas certifiable" in base.intro.fr
    assert "not certifiable" in base.intro.en
    assert "Engagé RSE" in base.intro.fr


def test_the_certification_check_tells_a_claim_from_a_denial() -> None:
    assert _claims_certifiable("Obtenez la certification ISO 26000 en six mois.")
    assert _claims_certifiable("Soyez certifié ISO 26 000 !")
    assert _claims_certifiable("Get ISO 26000 certified.")
    assert not _claims_certifiable("L'ISO 26000 n'est pas certifiable.")
    assert not _claims_certifiable("ISO 26000 itself is not certifiable.")
    assert not _claims_certifiable("Produits certifiés bio.")


def test_no_text_says_iso_26000_is_certifiable(base: Questionnaire) -> None:
    for questionnaire in _variants(base):
        for where, text in localized_texts(questionnaire):
            for locale in ("fr", "en"):
                assert not _claims_certifiable(text(locale)), f"{where} ({locale})"


def test_a_survey_on_an_agreement_scale_needs_no_answer_descriptions(tmp_path: Path) -> None:
    def statement(number: int) -> dict[str, Any]:
        text = {"fr": f"Affirmation {number}", "en": f"Statement {number}"}
        return {"id": f"indicateur_{number}", "text": text}

    agreement = ["tout_a_fait", "plutot", "plutot_pas", "pas_du_tout"]
    survey = {
        "id": "enquete",
        "title": {"fr": "Enquête partenaires", "en": "Partner survey"},
        "scale": [
            {"id": choice, "points": 3 - rank, "label": {"fr": choice, "en": choice}}
            for rank, choice in enumerate(agreement)
        ],
        "dont_know": {"fr": "Ne se prononce pas", "en": "No opinion"},
        "sections": [
            {
                "id": "gouvernance_projet",
                "title": {"fr": "Gouvernance du projet", "en": "Project governance"},
                "questions": [statement(n) for n in range(3)],
            }
        ],
    }
    (tmp_path / "enquete.yaml").write_text(yaml.safe_dump(survey), encoding="utf-8")
    loaded = load_questionnaire("enquete", tmp_path)
    assert loaded.points("plutot") == 2
    assert loaded.for_sector("vegetal") is loaded


def test_a_duplicated_question_id_is_refused(folder: Path) -> None:
    def duplicate(data: dict[str, Any]) -> None:
        data["sections"][1]["questions"][0]["id"] = "gouv_engagement"

    edit_yaml(folder / "diagnostic.yaml", duplicate)
    with pytest.raises(
        ContentError, match=r"diagnostic\.yaml : .*question en double : gouv_engagement"
    ):
        load_questionnaire(folder=folder)


def test_a_missing_answer_d_is_refused(folder: Path) -> None:
    edit_yaml(
        folder / "diagnostic.yaml",
        lambda data: data["sections"][0]["questions"][1]["answers"].pop("D"),
    )
    with pytest.raises(ContentError, match=r"gouv_parties_prenantes : réponses manquantes \['D'\]"):
        load_questionnaire(folder=folder)


def test_an_unknown_action_reference_is_refused(folder: Path) -> None:
    edit_yaml(
        folder / "diagnostic.yaml",
        lambda data: data["sections"][3]["questions"][0]["actions"].append("env_inexistante"),
    )
    with pytest.raises(
        ContentError, match=r"env_impacts : action\(s\) inconnue\(s\) \['env_inexistante'\]"
    ):
        load_questionnaire(folder=folder)


def test_an_action_of_another_section_is_refused(folder: Path) -> None:
    edit_yaml(
        folder / "diagnostic.yaml",
        lambda data: data["sections"][0]["questions"][0]["actions"].append("dh_criteres"),
    )
    with pytest.raises(ContentError, match=r"\['dh_criteres'\] dans la section gouvernance"):
        load_questionnaire(folder=folder)


def test_a_section_with_two_questions_is_refused(folder: Path) -> None:
    edit_yaml(folder / "diagnostic.yaml", lambda data: data["sections"][6]["questions"].pop())
    with pytest.raises(ContentError, match=r"section communautes : 2 question.*au moins 3"):
        load_questionnaire(folder=folder)


def test_levels_not_starting_at_zero_are_refused(folder: Path) -> None:
    def shift(data: dict[str, Any]) -> None:
        data["levels"][0]["min"] = 10

    edit_yaml(folder / "diagnostic.yaml", shift)
    with pytest.raises(ContentError, match="premier niveau doit commencer à 0"):
        load_questionnaire(folder=folder)


def test_levels_out_of_order_are_refused(folder: Path) -> None:
    def swap(data: dict[str, Any]) -> None:
        data["levels"][2]["min"], data["levels"][3]["min"] = 80, 60

    edit_yaml(folder / "diagnostic.yaml", swap)
    with pytest.raises(ContentError, match="minimums des niveaux doivent croître"):
        load_questionnaire(folder=folder)


def test_a_pack_naming_an_unknown_section_is_refused(folder: Path) -> None:
    def misname(data: dict[str, Any]) -> None:
        data["add"][0]["section"] = "ethique"

    edit_yaml(folder / "packs" / "agro_bio.yaml", misname)
    with pytest.raises(
        ContentError, match=r"packs/agro_bio\.yaml : section\(s\) inconnue.*ethique"
    ):
        load_questionnaire(folder=folder)


def test_a_pack_replacing_an_unknown_question_is_refused(folder: Path) -> None:
    def misname(data: dict[str, Any]) -> None:
        data["replace"][0]["id"] = "ct_formation"

    edit_yaml(folder / "packs" / "vegetal.yaml", misname)
    with pytest.raises(ContentError, match=r"packs/vegetal\.yaml : .*inconnues.*ct_formation"):
        load_questionnaire(folder=folder)


def test_a_pack_adding_a_second_quick_question_is_refused(folder: Path) -> None:
    def quicken(data: dict[str, Any]) -> None:
        data["add"][0]["question"]["quick"] = True

    edit_yaml(folder / "packs" / "numerique.yaml", quicken)
    with pytest.raises(
        ContentError, match=r"packs/numerique\.yaml : .*environnement : 2 question\(s\) rapide"
    ):
        load_questionnaire(folder=folder)


def test_a_pack_that_changes_nothing_is_refused(folder: Path) -> None:
    (folder / "packs" / "industrie.yaml").write_text("sector: industrie\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"packs/industrie\.yaml : .*n'ajoute ni ne remplace"):
        load_questionnaire(folder=folder)


def test_a_pack_filed_under_another_sector_is_refused(folder: Path) -> None:
    (folder / "packs" / "numerique.yaml").rename(folder / "packs" / "eau_environnement.yaml")
    with pytest.raises(ContentError, match=r"eau_environnement\.yaml : .*« numerique »"):
        load_questionnaire(folder=folder)
