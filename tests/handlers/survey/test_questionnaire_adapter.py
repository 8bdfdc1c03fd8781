"""An indicator set asked by the diagnostic's questionnaire engine, and its answers scored."""

from typing import Any

import pytest

from bot.config import Settings
from bot.conversation import Answer, Context, Done, Next
from bot.messages import Incoming, Platform, Reply, Text
from bot.storage.models import ConversationState
from content.loader import Content, load_content
from content.questionnaires.models import DONT_KNOW, Questionnaire
from content.surveys.models import SurveySet
from handlers.questionnaire import SKIP, Runner
from handlers.survey.questionnaire import (
    agreement_of,
    agreements_of,
    answer_of,
    indicator_infos,
    questionnaire,
    section_id,
)
from handlers.survey.scoring import Agreement, Counts, score_wave

A = Agreement
HYDREOS_SECTIONS_FR = [
    "Gouvernance — le projet",
    "Gouvernance — sa sphère d'influence",
    "Dimension sociale — le projet",
    "Dimension sociale — sa sphère d'influence",
    "Dimension environnementale — le projet",
    "Dimension environnementale — sa sphère d'influence",
    "Dimension économique — le projet",
    "Dimension économique — sa sphère d'influence",
]
HYDREOS_SECTIONS_EN = [
    f"{axis} — {level}"
    for axis in ("Governance", "Social dimension", "Environmental dimension", "Economic dimension")
    for level in ("the project", "its sphere of influence")
]
BUTTONS = {
    "fr": [
        "Tout à fait d'accord",
        "Plutôt d'accord",
        "Plutôt pas d'accord",
        "Pas du tout d'accord",
        "Ne se prononce pas",
    ],
    "en": [
        "Strongly agree",
        "Somewhat agree",
        "Somewhat disagree",
        "Strongly disagree",
        "No opinion",
    ],
}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def hydreos(content: Content) -> SurveySet:
    return content.surveys["hydreos"]


def test_hydreos_becomes_a_questionnaire_of_8_sections_and_26_questions(
    hydreos: SurveySet,
) -> None:
    asked = questionnaire(hydreos)

    assert isinstance(asked, Questionnaire)
    assert len(asked.sections) == 8
    assert len(asked.questions()) == 26
    # The engine's own validation, from the plain data as a content file would give it.
    assert Questionnaire.model_validate(asked.model_dump()) == asked
    assert [s.title("fr") for s in asked.sections] == HYDREOS_SECTIONS_FR
    assert [s.title("en") for s in asked.sections] == HYDREOS_SECTIONS_EN
    assert asked.sections[0].id == section_id("gouvernance", "projet") == "gouvernance__projet"
    # Each cell's indicators, in the file's order, under their own ids and texts.
    for axis in hydreos.axes:
        for level in hydreos.levels:
            section = asked.section(section_id(axis.id, level.id))
            assert [q.id for q in section.questions] == [
                i.id for i in hydreos.cell(axis.id, level.id)
            ]
    for _, question in asked.questions():
        indicator = hydreos.indicator(question.id)
        assert question.text == indicator.text
        assert question.source == indicator.source
        assert question.answers is None  # the scale's labels are the buttons
    assert (asked.id, asked.title, asked.intro) == (hydreos.id, hydreos.title, hydreos.intro)


def test_the_scale_keeps_its_opinions_and_nsp_is_the_engines_non_answer(
    hydreos: SurveySet,
) -> None:
    asked = questionnaire(hydreos)

    assert [(c.id, c.points) for c in asked.scale] == [
        ("tout_a_fait", 3),
        ("plutot", 2),
        ("plutot_pas", 1),
        ("pas_du_tout", 0),
    ]
    assert [c.label("fr") for c in asked.scale] + [asked.dont_know("fr")] == BUTTONS["fr"]
    assert [c.label("en") for c in asked.scale] + [asked.dont_know("en")] == BUTTONS["en"]
    # Points as the survey counts them, the non-answer counting none in either.
    for choice in hydreos.scale:
        assert asked.points(answer_of(choice.id)) == hydreos.points(choice.id)


def test_every_set_of_the_content_is_a_valid_questionnaire(content: Content) -> None:
    for survey in content.surveys.values():
        asked = questionnaire(survey)
        assert [q.id for _, q in asked.questions()] == [i.id for i in survey.indicators]
        assert len(asked.sections) == len(survey.axes) * len(survey.levels)


def test_bien_etre_sections_name_its_single_level(content: Content) -> None:
    asked = questionnaire(content.surveys["bien_etre"])

    assert asked.sections[0].title("fr") == "Conditions de travail — dans l'entreprise"
    assert asked.sections[0].title("en") == "Working conditions — in the company"


def test_agreement_of_and_answer_of_map_nsp_and_dont_know_both_ways() -> None:
    assert agreement_of(DONT_KNOW) is A.NSP
    assert answer_of(A.NSP) == answer_of("nsp") == DONT_KNOW
    for choice in (A.TOUT_A_FAIT, A.PLUTOT, A.PLUTOT_PAS, A.PAS_DU_TOUT):
        assert answer_of(choice) == choice.value
        assert agreement_of(answer_of(choice)) is choice
    assert agreement_of(answer_of(A.NSP)) is A.NSP
    # Ids the engine cannot have stored.
    for stored in ("nsp", "a", ""):
        with pytest.raises(ValueError):
            agreement_of(stored)


def test_engine_answers_are_scored_with_the_right_non_answer_count(hydreos: SurveySet) -> None:
    asked = questionnaire(hydreos)
    ids = [q.id for _, q in asked.questions()]
    engine_ids = [c.id for c in asked.scale] + [DONT_KNOW]
    # Three partners; every answer of the engine given, dont_know on 1 in 5 of them.
    partners = {
        f"partenaire-{p}": {qid: engine_ids[(n + p) % 5] for n, qid in enumerate(ids)}
        for p in range(3)
    }

    answers = {partner: agreements_of(given) for partner, given in partners.items()}
    results = score_wave(answers, indicator_infos(hydreos), invited=4)

    assert results.submitted == 3
    dont_knows = sum(list(given.values()).count(DONT_KNOW) for given in partners.values())
    assert dont_knows == 15  # 26 answers each, every fifth one dont_know: 5 per partner
    total = sum((r.counts for r in results.indicators), Counts())
    assert (total.answered, total.nsp, total.opinions) == (78, dont_knows, 78 - dont_knows)
    # The first indicator: tout_a_fait, plutot, plutot_pas — no non-answer.
    first = results.indicator(ids[0])
    assert first is not None
    assert first.counts == Counts(tout_a_fait=1, plutot=1, plutot_pas=1)
    # The fifth: dont_know, tout_a_fait, plutot.
    fifth = results.indicator(ids[4])
    assert fifth is not None
    assert fifth.counts == Counts(tout_a_fait=1, plutot=1, nsp=1)
    assert fifth.counts.non_answer_rate == pytest.approx(100 / 3)
    assert fifth.counts.top2_box == 100
    axis = results.axis("gouvernance")
    assert axis is not None and axis.counts.nsp == sum(
        r.counts.nsp for r in results.indicators if r.indicator.axis == "gouvernance"
    )


def test_indicator_infos_follow_the_set(hydreos: SurveySet) -> None:
    infos = indicator_infos(hydreos)

    assert [(i.id, i.axis, i.level) for i in infos] == [
        (i.id, i.axis, i.level) for i in hydreos.indicators
    ]


# The engine itself, run through the whole set as a partner would, without a database.


def context_of(content: Content, locale: str) -> Context:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="sqlite://",
        locale="fr",
        timezone="Europe/Paris",
    )
    state = ConversationState(
        platform="console", platform_user_id="alice", locale=locale, flow="enquete", step="question"
    )
    incoming = Incoming.typed(Platform.CONSOLE, "alice", "alice", "")
    context = Context(None, settings, content, incoming, state, ())  # type: ignore[arg-type]
    Runner.begin(context.data)
    return context


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_the_engine_asks_the_whole_set_and_its_answers_score(
    content: Content, hydreos: SurveySet, locale: str
) -> None:
    asked = questionnaire(hydreos)
    finished: dict[str, Any] = {}

    async def finish(context: Context, answered: Questionnaire) -> list[Reply]:
        finished.update(
            answers=dict(context.data["answers"]), comments=dict(context.data["comments"])
        )
        return [Reply(Text.plain("fini"))]

    runner = Runner(lambda _: asked, finish)
    context = context_of(content, locale)
    choices = [c.id for c in asked.scale] + [DONT_KNOW]
    titles = HYDREOS_SECTIONS_FR if locale == "fr" else HYDREOS_SECTIONS_EN

    first = await runner.ask(context)
    assert str(first.text).startswith(f"{titles[0]} — ")
    assert [b.label for b in first.buttons][:5] == BUTTONS[locale]
    closing = runner.steps["closing_comment"]
    comments_asked = []
    for n in range(26):
        outcome = await runner.answer(context, Answer(choice=choices[n % 5]))
        if isinstance(outcome, Next) and outcome.step == "closing_comment":
            # The end of an axis: its comment, given on the first, skipped on the others.
            comments_asked.append(str((await closing.ask(context)).text))
            given = Answer(text="Comité actif") if n < 7 else Answer(choice=SKIP)
            outcome = await closing.answer(context, given)
        assert isinstance(outcome, Done if n == 25 else Next)
    assert len(comments_asked) == 4
    assert comments_asked[0].startswith(hydreos.axes[0].comment(locale))  # type: ignore[union-attr]
    assert finished["comments"] == {"gouvernance": "Comité actif"}
    last_section = asked.questions()[-1][0]
    assert last_section.title(locale) == titles[-1]

    results = score_wave(
        {"partenaire": agreements_of(finished["answers"])}, indicator_infos(hydreos), invited=1
    )
    total = sum((r.counts for r in results.indicators), Counts())
    assert (total.answered, total.nsp) == (26, 5)  # every fifth answer was « ne se prononce pas »
