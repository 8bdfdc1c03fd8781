"""A workshop step (a programme of content made for the test: Cluster Bio's three steps with
the workshop « Qu'est-ce que la RSE ? » after the module): done once the member was recorded
present at a workshop of that theme in the pôle (handlers/workshops), not before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from content.loader import load_content
from tests.handlers.programmes.conftest import open_run
from tests.helpers.chat import Chat
from tests.helpers.content_files import edit_yaml
from tests.helpers.workshops import plan, workshop_number

WORKSHOP_STEP = {
    "id": "atelier",
    "kind": "workshop",
    "theme": "what_is_rse",
    "due": {"days": 7},
    "title": {"fr": "L'atelier « Qu'est-ce que la RSE ? »", "en": "The “What is CSR?” workshop"},
    "what": {"fr": "Venez à l'atelier du pôle.", "en": "Come to the pôle's workshop."},
}


@pytest.fixture
async def app(settings: Settings, content_copy: Path) -> AsyncIterator[App]:
    def with_a_workshop(data: dict) -> None:
        data["steps"].insert(1, WORKSHOP_STEP)

    edit_yaml(content_copy / "awareness/programmes/01_cluster_bio.yaml", with_a_workshop)
    started = await App.start(settings, load_content(content_copy))
    try:
        yield started
    finally:
        await started.close()


async def test_attending_a_workshop_of_the_theme_does_the_step(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2027, 1, 4, 9, tzinfo=UTC), tick=False)
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")
    assert "◻️ 2. L'atelier « Qu'est-ce que la RSE ? », le 12/01/2027" in member.text
    await member.say("/atelier demander what_is_rse")
    await plan(animator, audience="Ceux qui l'ont demandé")
    number = await workshop_number(animator.app)
    await member.say(f"/atelier rsvp {number} oui")

    # Registered is not enough: present is.
    await member.say("/programme")
    assert "✅ 2." not in member.text

    time_machine.move_to(datetime(2027, 3, 12, 10, tzinfo=UTC), tick=False)
    await animator.say(f"/atelier presences {number}")
    await animator.say("1")
    await animator.press("Valider")
    await member.say("/programme")

    assert "✅ 2. L'atelier « Qu'est-ce que la RSE ? »" in member.text


async def test_the_workshop_step_leads_to_the_workshops(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2027, 1, 4, 9, tzinfo=UTC), tick=False)
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")
    # The first step done (the module's quiz): the workshop comes next, with its button.
    await member.say("/decouvrir 1")
    for _ in range(3):
        await member.press("Suite")
    await member.press("Passer au quiz")
    for answer in ("7", "Des lignes directrices", "La redevabilité"):
        await member.press(answer)

    await member.say("/programme")

    assert "➡️ 2. L'atelier « Qu'est-ce que la RSE ? », pour le 12/01/2027" in member.text
    assert member.button("Les ateliers").value == "/atelier"
