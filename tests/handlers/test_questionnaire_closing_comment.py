"""The questionnaire engine's closing comment: one optional comment asked after a section's last
answer (the partner survey's comment per axis), and questionnaires without a comment button on
each question. Driven through the router by a flow of the engine alone, as a transport would."""

from typing import Any

import pytest
from pydantic import ValidationError

from bot.app import App
from bot.conversation import Command, Context, Feature, Flow
from bot.features import all_features
from bot.messages import Platform, Reply, Text
from bot.router import Router
from content.questionnaires.models import Questionnaire
from handlers.questionnaire import COMMENT_MAX, Runner
from tests.helpers.chat import Chat

FLOW = "enquete_test"
PROMPT_GOUVERNANCE = "Un commentaire sur la gouvernance du projet ?"
PROMPT_SOCIAL = "Un commentaire sur le volet social ?"
HINT = (
    f"Facultatif : écrivez votre commentaire ({COMMENT_MAX} caractères au plus), "
    "ou touchez « Passer »."
)
SCALE = ["Tout à fait d'accord", "Plutôt d'accord", "Plutôt pas d'accord", "Pas du tout d'accord"]


def _text(fr: str) -> dict[str, str]:
    return {"fr": fr, "en": fr}


def survey_data(**changes: Any) -> dict[str, Any]:
    """Two sections of two statements, each closed by an optional comment."""
    data: dict[str, Any] = {
        "id": "enquete_partenaires",
        "title": _text("Enquête partenaires"),
        "scale": [
            {"id": choice, "points": 3 - rank, "label": _text(label)}
            for rank, (choice, label) in enumerate(
                zip(("tout_a_fait", "plutot", "plutot_pas", "pas_du_tout"), SCALE, strict=True)
            )
        ],
        "dont_know": _text("Ne se prononce pas"),
        "min_questions_per_section": 1,
        "question_comments": False,
        "sections": [
            {
                "id": section,
                "title": _text(title),
                "questions": [
                    {"id": f"{section}_{n}", "text": _text(f"{title} : affirmation {n}.")}
                    for n in (1, 2)
                ],
                "closing_comment": {"id": f"commentaire_{section}", "prompt": _text(prompt)},
            }
            for section, title, prompt in (
                ("gouvernance", "Gouvernance", PROMPT_GOUVERNANCE),
                ("social", "Social", PROMPT_SOCIAL),
            )
        ],
    }
    return data | changes


SURVEY = Questionnaire.model_validate(survey_data())


async def finish(context: Context, questionnaire: Questionnaire) -> list[Reply]:
    answers, comments = context.data["answers"], context.data["comments"]
    return [Reply(Text.plain(f"fini : {sorted(answers.items())} {sorted(comments.items())}"))]


def app_with_survey(app: App, survey: Questionnaire = SURVEY) -> App:
    """The app with /enquete_test, a flow of the engine's steps alone; a new one on the same
    database is the bot restarted, which resumes from the saved state."""
    runner = Runner(lambda _: survey, finish)

    async def start(context: Context) -> list[Reply]:
        context.start_flow(FLOW)
        Runner.begin(context.data)
        return []

    feature = Feature(
        commands=[Command(FLOW, start, "help.aide", starts_flow=FLOW)],
        flows=[Flow(FLOW, "diagnostic.title", "question", runner.steps)],
    )
    router = Router(
        database=app.database,
        settings=app.settings,
        content=app.content,
        features=[*all_features(), feature],
    )
    return App(app.settings, app.database, app.content, router)


@pytest.fixture
def partner(app: App) -> Chat:
    return Chat(app_with_survey(app), Platform.CONSOLE, "alice")


async def answer_first_section(chat: Chat) -> None:
    await chat.say(f"/{FLOW}")
    await chat.press("Plutôt d'accord")
    await chat.press("Ne se prononce pas")


async def test_the_closing_comment_is_asked_after_the_sections_last_answer(
    partner: Chat,
) -> None:
    await partner.say(f"/{FLOW}")
    await partner.press("Plutôt d'accord")
    assert partner.text.startswith("Gouvernance — question 2/4")

    await partner.press("Ne se prononce pas")

    assert partner.text == f"{PROMPT_GOUVERNANCE}\n\n{HINT}"
    assert [b.label for b in partner.buttons] == ["Passer"]
    state = await partner.state()
    assert state is not None and (state.step, state.data["index"]) == ("closing_comment", 2)


async def test_skipping_stores_nothing_and_goes_on_to_the_next_section(partner: Chat) -> None:
    await answer_first_section(partner)

    await partner.press("Passer")

    assert partner.text.startswith("Social — question 3/4")
    state = await partner.state()
    assert state is not None and state.data["comments"] == {}


async def test_a_typed_comment_is_stored_under_the_closing_comments_id(partner: Chat) -> None:
    await answer_first_section(partner)

    await partner.say("  Les partenaires   sont peu\nassociés. ")

    assert str(partner.replies[0].text) == "Commentaire enregistré."
    assert str(partner.replies[1].text).startswith("Social — question 3/4")
    state = await partner.state()
    assert state is not None
    assert state.data["comments"] == {
        "commentaire_gouvernance": "Les partenaires sont peu associés."
    }


async def test_the_last_sections_closing_comment_leads_to_the_finish(partner: Chat) -> None:
    await answer_first_section(partner)
    await partner.press("Passer")
    await partner.press("Tout à fait d'accord")
    await partner.press("Pas du tout d'accord")
    assert partner.text.startswith(PROMPT_SOCIAL)

    await partner.say("Très bien.")

    assert [str(reply.text) for reply in partner.replies] == [
        "Commentaire enregistré.",
        "fini : [('gouvernance_1', 'plutot'), ('gouvernance_2', 'dont_know'), "
        "('social_1', 'tout_a_fait'), ('social_2', 'pas_du_tout')] "
        "[('commentaire_social', 'Très bien.')]",
    ]
    state = await partner.state()
    assert state is None or state.flow is None


async def test_skipping_the_last_closing_comment_finishes_too(partner: Chat) -> None:
    await answer_first_section(partner)
    await partner.press("Passer")
    await partner.press("Tout à fait d'accord")
    await partner.press("Pas du tout d'accord")

    await partner.press("Passer")

    assert partner.text.startswith("fini : ") and partner.text.endswith(" []")


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("x" * (COMMENT_MAX + 1), f"trop longue ({COMMENT_MAX + 1} caractères ; {COMMENT_MAX}"),
        (" \n ", "Votre réponse est vide."),
    ],
)
async def test_a_too_long_or_empty_comment_is_refused(
    partner: Chat, typed: str, error: str
) -> None:
    await answer_first_section(partner)

    await partner.say(typed)

    assert error in str(partner.replies[0].text)
    assert str(partner.replies[1].text).startswith(PROMPT_GOUVERNANCE)
    state = await partner.state()
    assert state is not None and (state.step, state.data["comments"]) == ("closing_comment", {})


async def test_a_comment_of_the_maximum_length_is_kept(partner: Chat) -> None:
    await answer_first_section(partner)

    await partner.say("x" * COMMENT_MAX)

    state = await partner.state()
    assert state is not None
    assert state.data["comments"] == {"commentaire_gouvernance": "x" * COMMENT_MAX}


async def test_a_pressed_unknown_button_is_refused(partner: Chat) -> None:
    await answer_first_section(partner)

    await partner.press_value(f"{FLOW}:closing_comment:autre")

    assert str(partner.replies[0].text) == "Choisissez l'une des réponses proposées ci-dessous."
    assert str(partner.replies[1].text).startswith(PROMPT_GOUVERNANCE)


async def test_the_conversation_resumes_at_the_closing_comment(app: App, partner: Chat) -> None:
    await answer_first_section(partner)
    # Days later, the bot restarted: only the saved state remains.
    resumed = Chat(app_with_survey(app), Platform.CONSOLE, "alice")

    await resumed.say(f"/{FLOW}")

    assert [str(reply.text) for reply in resumed.replies] == [
        "Reprenons là où nous en étions.",
        f"{PROMPT_GOUVERNANCE}\n\n{HINT}",
    ]
    await resumed.say("Repris plus tard.")
    assert str(resumed.replies[1].text).startswith("Social — question 3/4")
    state = await resumed.state()
    assert state is not None and (state.step, state.data["index"]) == ("question", 2)
    assert state.data["comments"] == {"commentaire_gouvernance": "Repris plus tard."}


async def test_no_comment_button_on_questions_when_question_comments_is_off(
    partner: Chat,
) -> None:
    await partner.say(f"/{FLOW}")

    assert [b.label for b in partner.buttons] == [*SCALE, "Ne se prononce pas"]


async def test_a_stale_comment_button_is_refused_when_question_comments_is_off(
    partner: Chat,
) -> None:
    await partner.say(f"/{FLOW}")

    await partner.press_value(f"{FLOW}:question:comment")

    assert "Choisissez l'une des réponses proposées" in str(partner.replies[0].text)
    state = await partner.state()
    assert state is not None and state.step == "question"


async def test_question_comments_and_a_closing_comment_go_together(app: App) -> None:
    survey = Questionnaire.model_validate(survey_data(question_comments=True))
    chat = Chat(app_with_survey(app, survey), Platform.CONSOLE, "alice")
    await chat.say(f"/{FLOW}")
    await chat.press("Plutôt d'accord")
    await chat.press("💬 Ajouter un commentaire")
    await chat.say("Sur la deuxième affirmation.")

    await chat.press("Plutôt pas d'accord")
    await chat.say("Sur l'axe.")

    state = await chat.state()
    assert state is not None and state.data["comments"] == {
        "gouvernance_2": "Sur la deuxième affirmation.",
        "commentaire_gouvernance": "Sur l'axe.",
    }


async def test_a_section_without_closing_comment_goes_straight_on(app: App) -> None:
    data = survey_data()
    del data["sections"][0]["closing_comment"]
    survey = Questionnaire.model_validate(data)
    chat = Chat(app_with_survey(app, survey), Platform.CONSOLE, "alice")
    await answer_first_section(chat)

    assert chat.text.startswith("Social — question 3/4")


def test_question_comments_are_on_by_default() -> None:
    data = survey_data()
    del data["question_comments"]

    assert Questionnaire.model_validate(data).question_comments is True


def test_closing_comment_ids_must_be_unique() -> None:
    data = survey_data()
    data["sections"][1]["closing_comment"]["id"] = "commentaire_gouvernance"

    with pytest.raises(ValidationError, match="commentaire de fin de section en double"):
        Questionnaire.model_validate(data)


def test_a_closing_comment_id_may_not_be_a_question_id() -> None:
    data = survey_data()
    data["sections"][1]["closing_comment"]["id"] = "gouvernance_1"

    with pytest.raises(
        ValidationError,
        match="à la fois question et commentaire de fin de section : gouvernance_1",
    ):
        Questionnaire.model_validate(data)
