"""The awareness modules as shipped: four sourced lessons with their quiz, refused at load when
a maintainer breaks one, and checked against the facts they rest on (rse-facts.md): ISO 26000 is
never said certifiable, and the regulation's figures are those of late 2026."""

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from content.awareness.models import Module
from content.loader import CONTENT_DIR, Content, ContentError, load_content
from content.text import Text, fold
from tests.helpers.content_files import (
    NEGATION,
    SENTENCE_END,
    edit_yaml,
    localized_texts,
    says_iso_26000_certifiable,
)

MODULE_IDS = [
    "qu_est_ce_que_la_rse",
    "rse_et_amelioration_continue",
    "communication_durable",
    "reglementation_2026",
]
# Modules about the law, whose facts go stale sooner: checked again within six months.
REGULATION = {"communication_durable", "reglementation_2026"}
# Omnibus I's transposition date: the regulation module must be read again by then.
OMNIBUS_TRANSPOSITION = date(2027, 3, 19)
CHECKED = date(2026, 12, 1)
MAX_MESSAGE = 700
FIRST = "01_qu_est_ce_que_la_rse.yaml"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def _strings(value: Any) -> Iterator[str]:
    """Every string of a YAML file's data (the texts under content/texts, for instance)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _module_strings(module: Module) -> Iterator[tuple[str, str]]:
    """Every text of a module in both languages, and its sources' titles."""
    for where, text in localized_texts(module, module.id):
        yield f"{where}.fr", text.fr
        yield f"{where}.en", text.en
    for source in module.sources:
        yield f"{module.id} source", source.name("fr")


# ---------------------------------------------------------------- what ships


def test_the_four_modules_load_in_order(content: Content) -> None:
    assert list(content.modules) == MODULE_IDS
    assert all(module_id == module.id for module_id, module in content.modules.items())


def test_every_text_is_written_in_french_and_in_english(content: Content) -> None:
    for module in content.modules.values():
        texts = list(localized_texts(module, module.id))
        assert len(texts) >= 2 + len(module.steps) + 3 * 4
        for where, text in texts:
            assert text.fr.strip() and text.en.strip(), where
            # A number alone (a quiz choice such as « 7 ») reads the same in both languages.
            assert text.fr != text.en or text.fr.replace(" ", "").isdigit(), where


def test_each_module_is_three_to_five_short_messages(content: Content) -> None:
    for module in content.modules.values():
        assert 3 <= len(module.steps) <= 5, module.id
        for number, step in enumerate(module.steps, 1):
            for text in (step.text, step.deeper):
                if text is not None:
                    assert len(text.fr) <= MAX_MESSAGE, (module.id, number, len(text.fr))
                    assert len(text.en) <= MAX_MESSAGE, (module.id, number, len(text.en))


def test_the_markup_of_every_text_is_closed(content: Content) -> None:
    for module in content.modules.values():
        for where, text in _module_strings(module):
            leftover = "".join(span.text for span in Text.parse(text).spans)
            assert "**" not in leftover and "__" not in leftover, where


def test_every_step_is_sourced_checked_and_due_for_review(content: Content) -> None:
    for module in content.modules.values():
        assert module.reviewed == CHECKED, module.id
        for step in module.steps:
            assert step.sources, module.id
            for source in step.sources:
                assert source.checked == CHECKED, (module.id, source.name("fr"))
                assert source.url is None or source.url.startswith("https://")
        months = 6 if module.id in REGULATION else 12
        limit = date(
            CHECKED.year + (CHECKED.month + months - 1) // 12,
            (CHECKED.month + months - 1) % 12 + 1,
            CHECKED.day,
        )
        assert module.reviewed < module.review_by <= limit, module.id
    assert content.modules["reglementation_2026"].review_by <= OMNIBUS_TRANSPOSITION


def test_each_quiz_has_three_questions_with_an_explained_answer(content: Content) -> None:
    for module in content.modules.values():
        assert len(module.quiz) == 3, module.id
        for question in module.quiz:
            assert 2 <= len(question.choices) <= 4, question.id
            assert question.answer in {choice.id for choice in question.choices}
            assert question.explanation("fr") and question.explanation("en")


def test_modules_deepen_the_diagnostic_sections_they_name(content: Content) -> None:
    sections = {section.id for section in content.diagnostic.sections}
    subjects = {module.id: set(module.subjects) for module in content.modules.values()}
    assert all(named and named <= sections for named in subjects.values()), subjects
    assert "gouvernance" in subjects["qu_est_ce_que_la_rse"]
    assert subjects["rse_et_amelioration_continue"] == {"gouvernance"}
    assert subjects["communication_durable"] == {"consommateurs", "loyaute"}
    assert subjects["reglementation_2026"] == {"gouvernance", "conditions_travail", "environnement"}


def test_the_first_module_names_iso_26000_principles_and_core_subjects(content: Content) -> None:
    module = content.modules["qu_est_ce_que_la_rse"]
    text = " ".join(step.text("fr") for step in module.steps)
    for name in (
        "redevabilité",
        "transparence",
        "comportement éthique",
        "reconnaissance des intérêts des parties prenantes",
        "respect du principe de légalité",
        "prise en compte des normes internationales de comportement",
        "respect des droits de l'Homme",
    ):
        assert name in text, name
    # The core subjects under the diagnostic's own titles, which are ISO 26000's.
    for section in content.diagnostic.sections:
        assert section.title("fr") in text, section.id
        assert section.title("en") in " ".join(step.text("en") for step in module.steps)
    assert "impacts de ses décisions et de ses activités sur la société et sur l'environnement" in (
        text
    )


# ---------------------------------------------------------------- refused at load


def _refused(folder: Path, change: Callable[[dict[str, Any]], None], match: str) -> None:
    edit_yaml(folder / "awareness" / "modules" / FIRST, change)
    with pytest.raises(ContentError, match=match) as refused:
        load_content(folder)
    assert f"awareness/modules/{FIRST}" in str(refused.value)


def test_a_step_without_a_source_is_refused_naming_the_file(content_copy: Path) -> None:
    def unsourced(data: dict[str, Any]) -> None:
        del data["steps"][1]["sources"]

    _refused(content_copy, unsourced, "steps.1.sources : champ obligatoire manquant")


def test_a_step_with_an_empty_source_list_is_refused(content_copy: Path) -> None:
    def unsourced(data: dict[str, Any]) -> None:
        data["steps"][0]["sources"] = []

    _refused(content_copy, unsourced, "steps.0.sources : liste trop courte")


def test_a_quiz_answer_that_is_not_a_choice_is_refused(content_copy: Path) -> None:
    def wrong_answer(data: dict[str, Any]) -> None:
        data["quiz"][0]["answer"] = "huit"

    _refused(content_copy, wrong_answer, "la réponse « huit » n'est pas un choix")


def test_a_quiz_of_two_questions_is_refused(content_copy: Path) -> None:
    def shorter(data: dict[str, Any]) -> None:
        del data["quiz"][2]

    _refused(content_copy, shorter, "le quiz doit avoir 3 questions, pas 2")


def test_a_review_date_before_the_check_is_refused(content_copy: Path) -> None:
    def stale(data: dict[str, Any]) -> None:
        data["review_by"] = date(2026, 6, 1)

    _refused(content_copy, stale, "la date de révision doit suivre celle de la vérification")


def test_an_unknown_diagnostic_section_is_refused(content_copy: Path) -> None:
    def unknown(data: dict[str, Any]) -> None:
        data["subjects"] = ["gouvernance", "numerique"]

    _refused(content_copy, unknown, r"sections du diagnostic inconnues : \['numerique'\]")


def test_a_module_whose_id_is_not_its_file_name_is_refused(content_copy: Path) -> None:
    def renamed(data: dict[str, Any]) -> None:
        data["id"] = "la_rse"

    _refused(content_copy, renamed, "ne correspond pas au fichier")


# ---------------------------------------------------------------- ISO 26000 is not certifiable


def test_the_certification_checker_tells_a_denial_from_a_claim() -> None:
    assert says_iso_26000_certifiable("L'ISO 26000 n'est pas certifiable.") == []
    assert says_iso_26000_certifiable("A company is never ISO 26000 certified.") == []
    assert says_iso_26000_certifiable("Bravo ! Vous êtes certifié ISO 26 000. Merci.") == [
        "Vous êtes certifié ISO 26 000."
    ]
    assert says_iso_26000_certifiable("Get your ISO 26000 certification in 6 months") == [
        "Get your ISO 26000 certification in 6 months"
    ]
    # Certification alone, or ISO 26000 alone, says nothing of the kind.
    assert says_iso_26000_certifiable("Un label repose sur une certification. ISO 26000.") == []


def test_no_module_says_iso_26000_is_certifiable(content: Content) -> None:
    for module in content.modules.values():
        for where, text in _module_strings(module):
            assert says_iso_26000_certifiable(text) == [], where


def test_no_text_of_the_bot_says_iso_26000_is_certifiable() -> None:
    files = sorted((CONTENT_DIR / "texts").rglob("*.yaml"))
    files += sorted((CONTENT_DIR / "questionnaires").rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for text in _strings(data):
            assert says_iso_26000_certifiable(text) == [], path.relative_to(CONTENT_DIR)


def test_the_first_module_says_iso_26000_is_guidance_not_certifiable(content: Content) -> None:
    module = content.modules["qu_est_ce_que_la_rse"]
    fr = " ".join(text.fr for _, text in localized_texts(module))
    en = " ".join(text.en for _, text in localized_texts(module))
    assert "n'est pas certifiable" in fr and "jamais « certifiée ISO 26000 »" in fr
    assert "évaluer" in fr and "label" in fr and "lignes directrices" in fr
    assert "it is not certifiable" in en and "never “ISO 26000 certified”" in en


# ---------------------------------------------------------------- the regulation's figures


def _plain(text: str) -> str:
    # Non-breaking and narrow spaces are spaces to a reader; bold and italics marks go.
    return re.sub(r"[\u00a0\u202f]", " ", text).replace("**", "").replace("__", "")


def _all_text(module: Module, locale: str) -> str:
    return _plain(" ".join(text(locale) for _, text in localized_texts(module)))


def test_the_regulation_module_states_the_figures_of_rse_facts(content: Content) -> None:
    module = content.modules["reglementation_2026"]
    fr, en = _all_text(module, "fr"), _all_text(module, "en")
    for figure in (
        "plus de 1 000 salariés et plus de 450 M€",
        "1 000 salariés ou moins peut refuser",
        "au moins 5 000 salariés en France ou 10 000 dans le monde",
        "plus de 5 000 salariés et 1,5 Md€",
        "juillet 2029",
        "plus de 500 salariés",
        "tous les 4 ans",
        "50 000 €",
        "Dès 50 salariés",
        "1er mars",
        "7 juin 2026",
        "19 mars 2027",
        "B1 à B11",
        "C1 à C9",
        "30 juillet 2025",
        "article 1833",
        "art. 1835",
        "L210-10",
    ):
        assert figure in fr, figure
    for figure in (
        "more than 1,000 employees and more than €450M",
        "1,000 employees or fewer may refuse",
        "at least 5,000 employees in France or 10,000 worldwide",
        "more than 500 employees",
        "€50,000",
        "From 50 employees",
        "1 March",
        "7 June 2026",
    ):
        assert figure in en, figure
    for act in ("2026/470", "2025/1710", "2023/970", "2024/825"):
        assert act in fr and act in en, act


_OUTDATED = (
    # The CSRD's scope before Omnibus I.
    re.compile(r"250 (salariés|employees)"),
    re.compile(r"40 ?M€|€ ?40 ?M|40 millions"),
)


def test_no_module_states_an_outdated_threshold(content: Content) -> None:
    for module in content.modules.values():
        for where, text in _module_strings(module):
            for outdated in _OUTDATED:
                assert not outdated.search(_plain(text)), (where, outdated.pattern)


def test_green_claims_is_never_said_adopted(content: Content) -> None:
    mentioned = False
    for module in content.modules.values():
        for where, text in _module_strings(module):
            for sentence in SENTENCE_END.split(text):
                folded = fold(sentence)
                if "green claims" in folded:
                    mentioned = True
                if "green claims" in folded and "adopt" in folded:
                    assert NEGATION.search(folded), (where, sentence)
    assert mentioned
    communication = content.modules["communication_durable"]
    assert "proposée, pas adoptée" in _all_text(communication, "fr")
    assert "proposed, not adopted" in _all_text(communication, "en")


def test_the_communication_module_states_the_rules_of_rse_facts(content: Content) -> None:
    module = content.modules["communication_durable"]
    fr = _all_text(module, "fr")
    for fact in (
        "loi 2020-105, art. 13",
        "1er janvier 2022",
        "« biodégradable », « respectueux de l'environnement »",
        "loi 2021-1104",
        "« neutre en carbone »",
        "L229-68",
        "2022-538 et 2022-539",
        "100 000 €",
        "L121-2",
        "80 % du coût de la publicité",
        "L132-2",
        "directive (UE) 2024/825",
        "27 septembre 2026",
        "compensation",
        "ADEME",
        "ARPP",
    ):
        assert fact in fr, fact
