"""/diagnostic through the router, as any transport drives it."""

import ast
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Diagnostic
from handlers.diagnostic import charts
from tests.helpers.chat import Chat
from tests.helpers.diagnostics import FIVE, add_companies

QUICK_ANSWERS = ("A", "B", "B", "C", "D", "A", "C")  # one per ISO 26000 core subject
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def member(chat: Chat) -> Chat:
    await chat.sign_up("Alice Martin", "Biocoop Lyon", "Agroalimentaire / bio")
    return chat


async def diagnostics(app: App) -> list[Diagnostic]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(Diagnostic).order_by(Diagnostic.id)))


async def answer_quick(chat: Chat, answers: tuple[str, ...] = QUICK_ANSWERS) -> None:
    await chat.say("/diagnostic")
    await chat.press("Version rapide")
    for letter in answers:
        await chat.press(letter)


async def test_a_newcomer_is_asked_to_sign_up_first(chat: Chat) -> None:
    await chat.say("/diagnostic")

    assert "réservée aux membres inscrits" in chat.text


async def test_the_intro_says_iso_26000_is_not_certifiable_and_offers_two_versions(
    member: Chat,
) -> None:
    await member.say("/diagnostic")

    assert "elle n'est pas certifiable" in member.text
    assert [b.label for b in member.buttons] == [
        "Version rapide (7 questions)",
        "Version complète (24 questions)",
    ]


async def test_each_question_shows_its_subject_progress_and_four_answers(member: Chat) -> None:
    await member.say("/diagnostic")
    await member.press("Version rapide")

    assert member.text.startswith("Gouvernance de l'organisation — question 1/7")
    assert [b.label for b in member.buttons] == [
        "A",
        "B",
        "C",
        "D",
        "Je ne sais pas",
        "💬 Ajouter un commentaire",
    ]
    assert member.text.count("\n") >= 5


async def test_the_full_version_follows_the_members_sector_pack(app: App, member: Chat) -> None:
    await member.say("/diagnostic")
    await member.press("Version complète")
    for _ in range(4):
        await member.press("B")

    assert "question 5/24" in member.text


async def test_a_quick_diagnostic_ends_with_level_chart_strengths_and_axes(
    app: App, member: Chat
) -> None:
    await answer_quick(member)

    # A B B C D A C: 3+2+2+1+0+3+1 = 12 points of 21, 57 %.
    result, advice = member.replies
    assert str(result.text).startswith("Votre niveau : Intermédiaire — 57 %")
    assert "• L'environnement : 33 % (C)" in str(result.text)
    (chart,) = result.attachments
    assert (chart.mime_type, chart.data[:8]) == ("image/png", PNG)
    assert "Vos points forts" in str(advice.text)
    assert "Vos axes de progrès" in str(advice.text)
    # After the modules of the improvement axes, if any (tests/handlers/awareness).
    assert [b.label for b in advice.buttons if not b.label.startswith("Module : ")] == [
        "Construire mon plan d'actions",
        "Mes résultats précédents",
    ]
    (stored,) = await diagnostics(app)
    assert (stored.version, stored.score, stored.level, stored.company) == (
        "quick",
        57.1,
        "intermediaire",
        "Biocoop Lyon",
    )
    assert stored.section_scores["loyaute"] == 0.0


async def test_the_weakest_subjects_come_with_their_recommended_actions(member: Chat) -> None:
    await answer_quick(member)

    advice = str(member.replies[-1].text)
    axes = advice.split("Vos axes de progrès")[1]
    assert axes.index("Loyauté des pratiques") < axes.index("L'environnement")
    assert axes.count("→") >= 3


async def test_a_letter_can_be_typed_instead_of_pressed(member: Chat) -> None:
    await member.say("/diagnostic")
    await member.press("Version rapide")

    await member.say("b")

    assert "question 2/7" in member.text


async def test_free_text_instead_of_a_letter_is_asked_again(member: Chat) -> None:
    await member.say("/diagnostic")
    await member.press("Version rapide")

    await member.say("plutôt oui")

    assert member.text.startswith("Choisissez l'une des réponses proposées ci-dessous")
    assert "question 1/7" in member.text


async def test_a_comment_is_kept_with_the_answer(app: App, member: Chat) -> None:
    await member.say("/diagnostic")
    await member.press("Version rapide")
    await member.press("💬 Ajouter un commentaire")
    await member.say("Notre conseil d'administration en parle une fois par an.")

    assert member.text.startswith("Commentaire noté. Et votre réponse ?")
    assert "question 1/7" in member.text
    assert "💬 Modifier mon commentaire" in [b.label for b in member.buttons]
    for letter in QUICK_ANSWERS:
        await member.press(letter)

    (stored,) = await diagnostics(app)
    assert list(stored.comments.values()) == [
        "Notre conseil d'administration en parle une fois par an."
    ]


async def test_dont_know_is_left_out_of_the_score_and_said_so(member: Chat) -> None:
    await answer_quick(member, ("Je ne sais pas", "A", "A", "A", "A", "A", "A"))

    result = str(member.replies[0].text)
    assert result.startswith("Votre niveau : Expert — 100 %")
    assert "Gouvernance de l'organisation : pas de score" in result
    assert "1 réponse(s) « Je ne sais pas »" in result


async def test_only_dont_know_gives_no_level_and_stores_nothing(app: App, member: Chat) -> None:
    await answer_quick(member, ("Je ne sais pas",) * 7)

    assert member.text.startswith("Vous avez répondu « Je ne sais pas » partout")
    assert await diagnostics(app) == []


async def test_other_commands_in_between_then_the_same_question_again(member: Chat) -> None:
    await member.say("/diagnostic")
    await member.press("Version rapide")
    await member.press("A")

    await member.say("/aide")

    assert "question 2/7" in member.text
    await member.press("B")
    assert "question 3/7" in member.text


OTHERS = [
    "Scop Les Tisserands",
    "Hydreos Conseil",
    "Vergers du Lyonnais",
    "Atelier Bois Rhône",
    "Fromagerie Berthaut",
]


async def others_answer(app: App, answers: list[tuple[str, ...]]) -> None:
    """Members of other companies take the quick diagnostic, one answer tuple each."""
    for n, (company, letters) in enumerate(zip(OTHERS, answers, strict=False)):
        other = Chat(app, Platform.TELEGRAM, str(7000 + n))
        await other.sign_up(f"Membre {n}", company)
        await answer_quick(other, letters)


def radar_reference(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """What the next radar is drawn with, by the pôle's series."""
    drawn: dict[str, object] = {}

    def radar_png(labels, scores, **options):  # type: ignore[no-untyped-def]
        drawn.update(labels=labels, reference=options.get("reference"))
        return PNG

    monkeypatch.setattr(charts, "radar_png", radar_png)
    return drawn


async def test_the_pole_average_appears_from_five_other_companies(app: App, member: Chat) -> None:
    await others_answer(app, [("B",) * 7] * 5)

    await answer_quick(member)

    # Five other companies at 14 points of 21, 67 %; the member's own 57 % is not in it.
    assert "Moyenne anonyme des autres entreprises de votre pôle (5) : 67 %" in member.text


async def test_under_five_other_companies_the_pole_average_says_it_is_hidden(
    app: App, member: Chat
) -> None:
    await others_answer(app, [("B",) * 7] * 4)

    await answer_quick(member)

    result = str(member.replies[0].text)
    assert "Moyenne anonyme des autres entreprises" not in result
    assert (
        "Moyenne anonyme de votre pôle : pas encore affichée, elle attend au moins 5 autres "
        "entreprises ayant fait l'autodiagnostic."
    ) in result


async def test_dont_know_answers_do_not_count_towards_a_subjects_threshold(
    app: App, member: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment is the quick version's fourth question: one of five says "je ne sais pas".
    unsure = ("B", "B", "B", "Je ne sais pas", "B", "B", "B")
    await others_answer(app, [*[("B",) * 7] * 4, unsure])
    drawn = radar_reference(monkeypatch)

    await answer_quick(member)

    assert (
        "Moyenne du pôle non affichée sur le graphique pour L'environnement : moins de 5 "
        "entreprises y ont un score."
    ) in member.text
    assert drawn["reference"] == [66.7, 66.7, 66.7, None, 66.7, 66.7, 66.7]


async def test_the_radar_leaves_out_a_subject_answered_by_four_of_six_companies(
    app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_companies(
        app,
        [
            *FIVE,
            ("Brasserie du Vercors", 60.0, "confirme", (55, 45, 60, 50, 65, None, 50)),
        ],
    )
    await chat.sign_up("Alice Martin", "Atelier Bois Rhône", "Agroalimentaire / bio")
    drawn = radar_reference(monkeypatch)

    await answer_quick(chat)

    reference = drawn["reference"]
    assert isinstance(reference, list)
    # Consumers: Hydreos Conseil and Brasserie du Vercors have no score, four companies do.
    assert reference[5] is None
    # The environment over the six: (238 + 50) / 6.
    assert reference[3] == pytest.approx(48.0)
    assert "Questions relatives aux consommateurs : moins de 5 entreprises" in chat.text


def test_the_diagnostic_handlers_leave_every_query_to_the_repositories() -> None:
    package = Path(__file__).resolve().parents[2] / "handlers" / "diagnostic"
    imported = {
        (path.name, name)
        for path in package.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
        )
    }

    assert len({module for module, _ in imported}) >= 6
    assert not [
        (m, name) for m, name in imported if name.split(".")[0] in {"sqlalchemy", "sqlmodel"}
    ]
