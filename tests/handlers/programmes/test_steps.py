"""Steps done from the features' own flows (handlers/programmes/steps.py): the module's quiz
finished in /decouvrir, a diagnostic since the member's start, a plan, a follow-up answered with
« /plan maj » after its day, the label aimed at, the closing review written."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage.models import ProgrammeStepRecord
from tests.handlers.awareness.test_modules import RIGHT, answer_quiz, through_steps
from tests.handlers.programmes.conftest import open_run
from tests.handlers.test_diagnostic import answer_quick
from tests.helpers.chat import Chat

PARIS = ZoneInfo("Europe/Paris")
BEFORE_THE_START = datetime(2027, 1, 4, 10, tzinfo=PARIS)


async def enrolled(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture, programme: str = "cluster_bio"
) -> int:
    time_machine.move_to(BEFORE_THE_START, tick=True)
    run = await open_run(animator, programme)
    await member.say(f"/programme inscrire {run}")
    return run


async def choose_one_action(member: Chat) -> None:
    await member.say("/plan")
    await member.press("1")
    await member.press("Valider")
    await member.press("Dans 3 mois")


async def test_the_modules_quiz_finished_does_the_fundamentals(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    await enrolled(animator, member, time_machine)
    await member.press("Ouvrir le module")
    await through_steps(member)
    await answer_quiz(member, RIGHT)

    await member.say("/programme")

    assert "✅ 1. Acquérir les fondamentaux RSE" in member.text
    assert "➡️ 2. Réaliser son autodiagnostic RSE, pour le 05/02/2027" in member.text
    assert member.button("Faire mon autodiagnostic").value == "/diagnostic"


async def test_a_module_begun_but_not_finished_does_not_count(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    await enrolled(animator, member, time_machine)
    await member.press("Ouvrir le module")
    await member.press("Suite")
    await member.press("Arrêter")

    await member.say("/programme")

    assert "➡️ 1. Acquérir les fondamentaux RSE" in member.text


async def test_a_diagnostic_after_enrolling_does_the_diagnostic_step(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    await enrolled(animator, member, time_machine)
    await answer_quick(member)

    await member.say("/programme")

    assert "✅ 2. Réaliser son autodiagnostic RSE" in member.text
    # The module is still to do: it stays the next step.
    assert "➡️ 1. Acquérir les fondamentaux RSE" in member.text


async def test_a_diagnostic_from_before_the_programme_does_not_count(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2026, 12, 1, 10, tzinfo=PARIS), tick=True)
    await answer_quick(member)

    await enrolled(animator, member, time_machine)

    assert "◻️ 2. Réaliser son autodiagnostic RSE, le 05/02/2027" in member.text


async def test_the_plan_and_its_follow_up_after_its_day(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    await enrolled(animator, member, time_machine, "accompagnement_6_mois")
    await answer_quick(member)
    await choose_one_action(member)

    await member.say("/programme")
    assert "✅ 1. Le diagnostic" in member.text
    assert "✅ 2. Le plan d'action" in member.text
    assert "➡️ 3. Suivi du plan, 2e mois, pour le 05/03/2027" in member.text
    assert member.button("Suivre mon plan").value == "/plan"

    # Answered before its day, an update is not the follow-up of the 2nd month.
    await member.say("/plan maj 1 en cours")
    await member.say("/programme")
    assert "➡️ 3. Suivi du plan, 2e mois" in member.text

    time_machine.move_to(datetime(2027, 3, 8, 10, tzinfo=PARIS), tick=True)
    await member.say("/plan maj 1 fait")
    await member.say("/programme")
    assert "✅ 3. Suivi du plan, 2e mois" in member.text
    assert "➡️ 4. Suivi du plan, 3e mois, pour le 05/04/2027" in member.text


async def test_aiming_at_a_label_does_the_valoriser_step(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    run = await enrolled(animator, member, time_machine)
    await member.say("/decouvrir 1")
    await through_steps(member)
    await answer_quiz(member, RIGHT)
    await answer_quick(member)
    await member.say("/programme")
    assert [b.value for b in member.buttons if b.label.startswith("Je vise")] == [
        f"/programme label {run} {label}" for label in member.app.content.labels
    ]

    await member.press("Je vise : Label LUCIE")

    assert member.text.startswith("C'est noté : vous visez le label « Label LUCIE")
    assert "✅ 3. Valoriser ses démarches RSE : vous visez « Label LUCIE" in member.text
    assert "🎉 Vous avez fait toutes les étapes du programme." in member.text


async def test_the_closing_review_is_written_in_the_members_words(
    app: App, animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    run = await enrolled(animator, member, time_machine, "accompagnement_6_mois")

    await member.say(f"/programme bilan {run}")
    assert "Bilan de « Accompagnement RSE de six mois (modèle Vegepolys) »" in member.text
    assert "➡️ 1. Le diagnostic" in member.text
    assert member.text.endswith(
        "Quelques phrases (vos animateurs ne les lisent que si vous partagez votre avancement)."
    )
    await member.say("ok")
    assert member.text.startswith("Quelques phrases, s'il vous plaît (de 3 à 1000 caractères).")
    await member.say(
        "Le tri des déchets est en place ; reste le bilan carbone, prévu au printemps."
    )

    assert member.text.startswith("Merci, votre bilan est noté.")
    assert "✅ 7. Le bilan de clôture" in member.text
    async with app.database.transaction() as session:
        (record,) = await session.scalars(select(ProgrammeStepRecord))
    assert record.step_id == "bilan"
    assert record.comment == (
        "Le tri des déchets est en place ; reste le bilan carbone, prévu au printemps."
    )


async def test_a_programme_without_a_review_has_no_bilan(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    run = await enrolled(animator, member, time_machine)

    await member.say(f"/programme bilan {run}")

    assert member.text.startswith("« Programme RSE en 3 temps (modèle Cluster Bio) » n'a pas")
