"""/diagnostic through the router, as any transport drives it."""

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import Diagnostic
from tests.helpers.chat import Chat

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
    assert [b.label for b in advice.buttons] == [
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


async def test_the_pole_average_appears_from_five_companies(app: App, member: Chat) -> None:
    for n, company in enumerate(
        ["Scop Les Tisserands", "Hydreos Conseil", "Vergers du Lyonnais", "Atelier Bois Rhône"]
    ):
        other = Chat(app, Platform.TELEGRAM, str(7000 + n))
        await other.sign_up(f"Membre {n}", company)
        await answer_quick(other, ("B",) * 7)
        assert "Moyenne anonyme" not in str(other.replies[0].text)

    await answer_quick(member)

    # Four companies at 67 % and this one at 57 %: 64.8 %.
    assert "Moyenne anonyme de votre pôle (5 entreprises) : 65 %" in str(member.replies[0].text)
