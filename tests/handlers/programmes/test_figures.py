"""The pôle's figures of a run step by step (handlers/programmes/animators.py), with a minimum
group size of 2 companies: adjacent steps merged until each band holds two (the anonymity
rule's distribution), the companies that finished with the last band."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from tests.handlers.awareness.test_modules import RIGHT, answer_quiz, through_steps
from tests.handlers.programmes.conftest import open_run
from tests.handlers.test_diagnostic import answer_quick
from tests.helpers.chat import Chat

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return Settings.model_validate(settings.model_dump() | {"_env_file": None, "min_group_size": 2})


async def test_companies_are_counted_per_step_in_bands_of_at_least_two(
    app: App, animator: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2027, 1, 4, 10, tzinfo=PARIS), tick=True)
    run = await open_run(animator)
    companies = ("Biocoop Lyon", "Scop Les Tisserands", "Hydreos Conseil", "Fromagerie Berthaut")
    for number, company in enumerate(companies):
        chat = Chat(app, Platform.TELEGRAM, f"50{number}")
        await chat.sign_up(f"Membre {number}", company)
        await chat.say(f"/programme inscrire {run}")
        if number >= 2:
            # The module and the diagnostic: at step 3.
            await chat.say("/decouvrir 1")
            await through_steps(chat)
            await answer_quiz(chat, RIGHT)
            await answer_quick(chat)

    await animator.say(f"/programme suivi {run}")

    assert "Chiffres du pôle (sans nom) : 4 entreprises inscrites." in animator.text
    assert "• prochaine étape « Acquérir les fondamentaux RSE » : 2 entreprises" in animator.text
    assert (
        "• prochaine étape de « Réaliser son autodiagnostic RSE » à « programme terminé » : "
        "2 entreprises" in animator.text
    )
