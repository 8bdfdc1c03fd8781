"""The questionnaire engine on a questionnaire other than the diagnostic: a partner survey of
plain statements on an agreement scale, with no per-answer descriptions."""

from bot.app import App
from bot.conversation import Answer, Context, Done, Next
from bot.messages import Incoming, Platform, Reply, Text
from bot.storage import repositories as repo
from content.questionnaires.models import Questionnaire
from handlers.questionnaire import Runner

AGREEMENT = [
    ("tout_a_fait", "Tout à fait d'accord"),
    ("plutot", "Plutôt d'accord"),
    ("plutot_pas", "Plutôt pas d'accord"),
    ("pas_du_tout", "Pas du tout d'accord"),
]
SURVEY = Questionnaire.model_validate(
    {
        "id": "enquete_partenaires",
        "title": {"fr": "Enquête partenaires", "en": "Partner survey"},
        "scale": [
            {"id": choice, "points": 4 - rank, "label": {"fr": label, "en": label}}
            for rank, (choice, label) in enumerate(AGREEMENT)
        ],
        "dont_know": {"fr": "Ne se prononce pas", "en": "No opinion"},
        "min_questions_per_section": 1,
        "sections": [
            {
                "id": "gouvernance_projet",
                "title": {"fr": "Gouvernance du projet", "en": "Project governance"},
                "questions": [
                    {
                        "id": f"indicateur_{n}",
                        "text": {"fr": f"Le projet associe ses partenaires ({n}).", "en": "-"},
                    }
                    for n in (1, 2)
                ],
            }
        ],
    }
)


async def finish(context: Context, questionnaire: Questionnaire) -> list[Reply]:
    return [Reply(Text.plain(f"fini : {sorted(context.data['answers'].items())}"))]


RUNNER = Runner(lambda _: SURVEY, finish)


async def context_of(app: App) -> Context:
    async with app.database.transaction() as session:
        sender = await repo.account(session, platform="console", user_id="alice")
    incoming = Incoming.typed(Platform.CONSOLE, "alice", "alice", "")
    state = sender.state
    state.flow, state.step = "enquete", "question"
    context = Context(None, app.settings, app.content, incoming, state, ())  # type: ignore[arg-type]
    Runner.begin(context.data)
    return context


async def test_plain_statements_are_answered_by_the_scale_labels(app: App) -> None:
    context = await context_of(app)

    question = await RUNNER.ask(context)

    assert str(question.text) == (
        "Gouvernance du projet — question 1/2\nLe projet associe ses partenaires (1)."
    )
    assert [b.label for b in question.buttons] == [
        *(label for _, label in AGREEMENT),
        "Ne se prononce pas",
        "💬 Ajouter un commentaire",
    ]


async def test_each_answer_moves_on_and_the_last_one_finishes(app: App) -> None:
    context = await context_of(app)

    assert isinstance(await RUNNER.answer(context, Answer(choice="plutot")), Next)
    done = await RUNNER.answer(context, Answer(choice="dont_know"))

    assert isinstance(done, Done)
    (reply,) = done.replies
    assert str(reply.text) == ("fini : [('indicateur_1', 'plutot'), ('indicateur_2', 'dont_know')]")
