"""/decouvrir (handlers/awareness): the modules listed with one's progress; a module's steps with
their sources, « En savoir plus », « Arrêter » and « Reprendre »; its quiz, each answer right or
wrong and explained, the score kept (the best one) in module_progress; /accueil's line; a
diagnostic's improvement axis leading to its module; members only, private chats only."""

from __future__ import annotations

from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import ModuleProgress
from tests.helpers.chat import Chat

MODULE = "qu_est_ce_que_la_rse"
TITLE = "Qu'est-ce que la RSE ?"
# Module 01's quiz, rightly answered.
RIGHT = ("7", "Des lignes directrices", "La redevabilité")


async def member(app: App, user_id: str = "alice") -> Chat:
    chat = Chat(app, Platform.CONSOLE, user_id)
    await chat.sign_up()
    return chat


async def progress_rows(app: App) -> list[ModuleProgress]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(ModuleProgress).order_by(ModuleProgress.id)))


async def through_steps(chat: Chat) -> None:
    """From a module's step shown to its quiz's first question."""
    while "Passer au quiz" not in [button.label for button in chat.buttons]:
        await chat.press("Suite")
    await chat.press("Passer au quiz")


async def answer_quiz(chat: Chat, answers: tuple[str, ...]) -> None:
    for answer in answers:
        await chat.press(answer)


def labels(chat: Chat) -> list[str]:
    return [button.label for button in chat.buttons]


async def test_the_list_shows_every_module_with_a_button_each(app: App) -> None:
    alice = await member(app)

    await alice.say("/decouvrir")

    assert alice.text.startswith("Découvrir la RSE : des modules de quelques messages")
    assert f"1. {TITLE}" in alice.text
    assert "La définition de la responsabilité sociétale" in alice.text
    modules = [b for b in alice.buttons if b.value != "/decouvrir livret"]
    assert len(modules) == len(app.content.modules)
    assert alice.button(TITLE).value == f"/decouvrir {MODULE}"


async def test_a_module_from_its_steps_to_its_score(app: App) -> None:
    alice = await member(app)
    await alice.say("/decouvrir")

    await alice.press(TITLE)

    assert alice.text.startswith(f"{TITLE} · 1/4\nLa RSE, c'est la responsabilité sociétale")
    assert alice.text.endswith(
        "Source : ISO 26000:2010, article 2 (définitions) et NF ISO 26000 (vérifié le 01/12/2026)"
    )
    assert labels(alice) == ["Suite", "En savoir plus", "Arrêter"]
    ((row),) = await progress_rows(app)
    assert (row.module_id, row.step, row.completed_at) == (MODULE, 0, None)
    assert row.seen_at is not None

    await alice.press("En savoir plus")
    assert "sphère d'influence" in alice.text
    assert "La RSE, c'est" not in alice.text
    assert labels(alice) == ["Suite", "Arrêter"]

    await alice.press("Suite")
    assert alice.text.startswith(f"{TITLE} · 2/4\nL'ISO 26000 pose 7 principes")
    # Step 2 goes no deeper.
    assert labels(alice) == ["Suite", "Arrêter"]
    # A label typed instead of pressed.
    await alice.say("suite")
    assert f"{TITLE} · 3/4" in alice.text
    await alice.press("Suite")
    assert f"{TITLE} · 4/4" in alice.text
    assert "n'est pas certifiable" in alice.text
    # Two sources checked the same day: one date.
    assert "Sources : ISO 26000:2010, article 1" in alice.text
    assert alice.text.count("(vérifié le 01/12/2026)") == 1
    assert labels(alice) == ["Passer au quiz", "En savoir plus", "Arrêter"]

    await alice.press("Passer au quiz")
    assert "Quiz · question 1/3\nCombien de questions centrales" in alice.text
    assert labels(alice) == ["5", "7", "36", "Arrêter"]
    await alice.press("7")
    assert alice.text.startswith("✅ Bonne réponse. 7 questions centrales")
    assert "Quiz · question 2/3" in alice.text
    await alice.say("Des obligations légales pour toutes les entreprises")
    assert alice.text.startswith(
        "❌ Ce n'est pas ça : la bonne réponse est « Des lignes directrices »."
    )
    assert "elle n'est pas certifiable" in alice.text
    await alice.press("La redevabilité")

    assert "✅ Bonne réponse" in alice.text
    assert f"Quiz terminé : 2/3. Vous avez terminé le module « {TITLE} »." in alice.text
    assert "Tous les modules" in labels(alice)
    assert alice.button("Tous les modules").value == "/decouvrir"
    assert all(b.value.startswith("/decouvrir ") for b in alice.buttons[:-1])
    state = await alice.state()
    assert state is None or state.flow is None
    ((row),) = await progress_rows(app)
    assert (row.quiz_score, row.quiz_total, row.step) == (2, 3, 0)
    assert row.completed_at is not None

    await alice.say("/decouvrir")
    assert f"1. {TITLE} ✅ quiz 2/3" in alice.text


async def test_in_english_a_step_names_its_sources_in_english(app: App) -> None:
    alice = await member(app)
    await alice.say("/langue en")

    await alice.say(f"/decouvrir {MODULE}")

    assert alice.text.startswith("What is CSR? · 1/4\n")
    assert alice.text.endswith(
        "Source: ISO 26000:2010, clause 2 (terms and definitions) and NF ISO 26000"
        " (checked on 01/12/2026)"
    )


async def test_stopping_keeps_the_place_and_decouvrir_resumes_there(app: App) -> None:
    alice = await member(app)
    await alice.say(f"/decouvrir {MODULE}")
    await alice.press("Suite")
    await alice.press("Suite")

    await alice.press("Arrêter")

    assert f"« {TITLE} » est en pause" in alice.text
    state = await alice.state()
    assert state is None or state.flow is None
    # Nothing of the module comes back with another command.
    await alice.say("/aide")
    assert "· 3/4" not in alice.text

    await alice.say("/decouvrir")
    assert f"1. {TITLE} · en cours (étape 3/4)" in alice.text
    await alice.press(f"Reprendre : {TITLE}")

    assert alice.text.startswith(f"Vous reprenez « {TITLE} » là où vous vous étiez arrêté(e).")
    assert f"{TITLE} · 3/4\nElle organise la démarche" in alice.text


async def test_stopped_in_the_quiz_it_resumes_at_its_first_question(app: App) -> None:
    alice = await member(app)
    await alice.say(f"/decouvrir {MODULE}")
    await through_steps(alice)
    await alice.press("7")

    await alice.say("/annuler")
    await alice.say("/decouvrir")
    assert f"1. {TITLE} · en cours (quiz)" in alice.text
    await alice.press("Reprendre")

    assert "Quiz · question 1/3" in alice.text
    await answer_quiz(alice, RIGHT)
    assert "Quiz terminé : 3/3" in alice.text


async def test_the_best_score_is_kept_and_a_finished_module_starts_over(app: App) -> None:
    alice = await member(app)
    await alice.say(f"/decouvrir {MODULE}")
    await through_steps(alice)
    await answer_quiz(alice, RIGHT)

    await alice.say(f"/decouvrir {MODULE}")
    assert f"{TITLE} · 1/4" in alice.text
    await through_steps(alice)
    await answer_quiz(alice, ("5", "Des lignes directrices", "La croissance"))

    assert "Quiz terminé : 1/3" in alice.text
    assert "Votre meilleur score à ce quiz reste 3/3." in alice.text
    ((row),) = await progress_rows(app)
    assert (row.quiz_score, row.quiz_total) == (3, 3)


async def test_a_button_of_a_step_already_passed_is_stale(app: App) -> None:
    alice = await member(app)
    await alice.say(f"/decouvrir {MODULE}")
    first = alice.button("Suite").value
    await alice.press("Suite")

    await alice.press_value(first)

    assert alice.text.startswith("Ce bouton ne correspond plus à une question en cours.")
    assert f"{TITLE} · 2/4" in alice.text


async def test_text_typed_in_a_module_asks_for_the_buttons(app: App) -> None:
    alice = await member(app)
    await alice.say(f"/decouvrir {MODULE}")

    await alice.say("c'est long")

    assert alice.text.startswith("Répondez avec les boutons ci-dessous")
    assert f"{TITLE} · 1/4" in alice.text


async def test_a_module_opens_by_its_number_and_an_unknown_one_lists_them(app: App) -> None:
    alice = await member(app)

    await alice.say("/decouvrir 1")
    assert f"{TITLE} · 1/4" in alice.text
    await alice.press("Arrêter")

    await alice.say("/decouvrir vsme")
    assert alice.text.startswith("Je ne connais pas le module « vsme ».")
    assert "Découvrir la RSE" in alice.text


async def test_every_module_goes_from_its_first_step_to_a_full_score(app: App) -> None:
    alice = await member(app)
    for module in app.content.modules.values():
        await alice.say(f"/decouvrir {module.id}")
        await through_steps(alice)
        for question in module.quiz:
            right = next(c for c in question.choices if c.id == question.answer)
            await alice.press_value(alice.button(right.text("fr")).value)
        assert f"Quiz terminé : {len(module.quiz)}/{len(module.quiz)}" in alice.text, module.id

    rows = await progress_rows(app)
    assert {row.module_id for row in rows if row.completed_at} == set(app.content.modules)


async def test_home_shows_the_modules_finished_and_their_scores(app: App) -> None:
    alice = await member(app)
    await alice.say("/accueil")
    assert "Modules RSE : découvrez la RSE en quelques messages" in alice.text
    assert "/decouvrir" in alice.text

    await alice.say(f"/decouvrir {MODULE}")
    await through_steps(alice)
    await answer_quiz(
        alice, ("7", "Des exigences qu'un auditeur vérifie point par point", "La redevabilité")
    )
    await alice.say("/accueil")

    count = len(app.content.modules)
    assert f"Modules RSE : 1 sur {count} terminés (quiz 2/3)" in alice.text
    assert "Alice Martin" in alice.text


async def test_an_improvement_axis_of_a_diagnostic_opens_its_module(app: App) -> None:
    alice = await member(app)
    await alice.say("/diagnostic")
    await alice.press("Version rapide")
    # Governance the weakest subject.
    for letter in ("D", "A", "A", "B", "A", "A", "B"):
        await alice.press(letter)
    advice = alice.replies[-1]
    assert "Vos axes de progrès" in str(advice.text)
    assert alice.button(f"Module : {TITLE}").value == f"/decouvrir {MODULE}"
    assert labels(alice)[-2:] == ["Construire mon plan d'actions", "Mes résultats précédents"]

    await alice.press(f"Module : {TITLE}")

    assert f"{TITLE} · 1/4" in alice.text


async def test_newcomers_are_refused(app: App) -> None:
    stranger = Chat(app, Platform.CONSOLE, "stranger")

    await stranger.say("/decouvrir")

    assert "réservée aux membres inscrits d'un pôle" in stranger.text
    assert await progress_rows(app) == []


async def test_a_group_chat_is_refused(app: App) -> None:
    alice = await member(app)

    group = alice.in_group("-100200300")

    await group.say("/decouvrir")

    assert "/decouvrir ne fonctionne qu'en conversation privée" in group.text
    assert await progress_rows(app) == []
