"""/labels (handlers/awareness/labels.py): the RSE labels listed as buttons, one label's page
(what, for whom, steps, cost, validity, sources with their dates) with buttons to its modules
and back to the list; an unknown label gets the list; members only, in a group chat as well
since nothing personal is shown."""

from __future__ import annotations

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat

LUCIE = "Label LUCIE 26000"


async def member(app: App, user_id: str = "alice") -> Chat:
    chat = Chat(app, Platform.CONSOLE, user_id)
    await chat.sign_up()
    return chat


def labels_of(chat: Chat) -> list[str]:
    return [button.label for button in chat.buttons]


async def test_the_list_shows_every_label_with_a_button_each(app: App) -> None:
    alice = await member(app)

    await alice.say("/labels")

    assert alice.text.startswith("Labels RSE : ce que chacun évalue, pour qui")
    assert "jamais « certifiée ISO 26000 »" in alice.text
    assert "1. Label Numérique Responsable" in alice.text
    assert f"3. {LUCIE}" in alice.text
    assert labels_of(alice) == [
        "Label Numérique Responsable",
        "Label Engagé RSE (AFNOR)",
        LUCIE,
        "B Corp (B Lab)",
    ]
    assert alice.button(LUCIE).value == "/labels lucie_26000"


async def test_a_label_page_shows_its_steps_validity_and_dated_sources(app: App) -> None:
    alice = await member(app)
    await alice.say("/labels")

    await alice.press(LUCIE)

    text = alice.text
    assert text.startswith(f"{LUCIE}\nLe Label LUCIE 26000, de l'Agence LUCIE, traduit les 7")
    assert "Pour qui : les organisations qui veulent un label RSE fondé sur l'ISO 26000" in text
    assert "Les étapes :\n1. Une autoévaluation" in text
    assert "5. Un suivi à 18 mois.\n6. Le renouvellement à 36 mois." in text
    assert "Coût : non indiqué ici, faute de chiffre vérifié" in text
    assert "Validité : 36 mois, avec un suivi à mi-parcours, à 18 mois" in text
    assert "Sources : Agence LUCIE, Label LUCIE 26000" in text
    assert "(vérifié le 01/12/2026)" in text
    assert text.endswith("Vérifié le 01/12/2026, à revoir d'ici le 01/06/2027.")
    assert labels_of(alice) == [
        "Module : Qu'est-ce que la RSE ?",
        "Module : RSE et amélioration continue",
        "Suis-je prêt ?",
        "Tous les labels",
    ]
    assert alice.button("Tous les labels").value == "/labels"


async def test_a_label_opens_by_its_number_and_in_english(app: App) -> None:
    alice = await member(app)

    await alice.say("/labels 2")
    assert alice.text.startswith("Label Engagé RSE (AFNOR)")
    assert "Initial (0–300), Progression (301–500), Confirmé (501–700)" in alice.text
    assert "Validité : non indiquée ici" in alice.text

    await alice.say("/langue en")
    await alice.say("/labels numerique_responsable")
    assert "Level 1: awarded from 300/1,000 points." in alice.text
    assert "Validity: level 1: 2 years." in alice.text
    assert "Cost: not given here" in alice.text
    assert "(checked on 01/12/2026)" in alice.text
    assert labels_of(alice)[-1] == "All labels"


async def test_an_unknown_label_gets_the_list(app: App) -> None:
    alice = await member(app)

    await alice.say("/labels iso9001")

    assert alice.text.startswith("Je ne connais pas le label « iso9001 ».")
    assert "Labels RSE" in alice.text
    assert len(alice.buttons) == len(app.content.labels)


async def test_a_related_module_button_opens_the_module(app: App) -> None:
    alice = await member(app)
    await alice.say("/labels b_corp")
    button = alice.button("Module : RSE et amélioration continue")
    assert button.value == "/decouvrir rse_et_amelioration_continue"

    await alice.press("Module : RSE et amélioration continue")

    assert "RSE et amélioration continue · 1/" in alice.text


async def test_in_a_group_chat_the_pages_are_shown(app: App) -> None:
    alice = await member(app)
    group = alice.in_group("-100200300")

    await group.say("/labels")
    assert group.text.startswith("Labels RSE")

    await group.press("B Corp")
    assert group.text.startswith("B Corp (B Lab)")
    assert "7 thèmes d'impact" in group.text
    # Nothing of alice's: no name, no company, no progress.
    assert "Alice" not in group.text


async def test_newcomers_are_refused(app: App) -> None:
    stranger = Chat(app, Platform.CONSOLE, "stranger")

    await stranger.say("/labels")

    assert "réservée aux membres inscrits d'un pôle" in stranger.text
