"""« Suis-je prêt ? » (handlers/readiness/check.py): each label's readiness self-check asked by
the questionnaire engine, from /pret or the label's page; the result says what looks met and what
to prepare, with sources and buttons to the modules that help; the last result per label is kept
for /pret and /accueil; a check left halfway resumes where it was; members only, in private."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import ReadinessResult
from tests.helpers.chat import Chat

LUCIE = "Label LUCIE 26000"


async def member(app: App, user_id: str = "alice") -> Chat:
    chat = Chat(app, Platform.CONSOLE, user_id)
    await chat.sign_up("Alice Martin", "Numeria Conseil")
    return chat


async def answer(chat: Chat, *choices: str) -> None:
    for choice in choices:
        await chat.press(choice)


async def results(app: App) -> list[ReadinessResult]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(ReadinessResult)))


@pytest.mark.parametrize(
    ("label_id", "title", "count"),
    [
        ("numerique_responsable", "Label Numérique Responsable", 5),
        ("engage_rse", "Label Engagé RSE (AFNOR)", 5),
        ("lucie_26000", LUCIE, 6),
        ("b_corp", "B Corp (B Lab)", 4),
    ],
)
async def test_each_label_s_check_completes_with_its_result(
    app: App, label_id: str, title: str, count: int
) -> None:
    alice = await member(app)

    await alice.say(f"/pret {label_id}")
    assert f"question 1/{count}" in alice.text
    await answer(alice, *["Oui"] * count)

    assert alice.text.startswith(f"{title} : {count} exigence(s) sur {count} semble(nt)")
    assert "Tout semble en place" in alice.text
    assert "À préparer" not in alice.text
    [kept] = await results(app)
    assert (kept.label_id, kept.met, kept.total) == (label_id, count, count)
    assert set(kept.answers.values()) == {"yes"}


async def test_gaps_say_what_to_prepare_with_sources_and_the_modules_that_help(
    app: App,
) -> None:
    alice = await member(app)
    await alice.say("/pret lucie_26000")

    await answer(alice, "Oui", "En partie", "Non", "Je ne sais pas", "Oui", "Oui")

    text = alice.text
    assert text.startswith(f"{LUCIE} : 3 exigence(s) sur 6 semble(nt) remplie(s).")
    assert "Ce qui semble en place :\n✅ L'autoévaluation ISO 26000\n✅ Le plan d'actions" in text
    assert "• Une justification par réponse (votre réponse : En partie) : Au DIAG26000" in text
    assert "• Les 7 engagements (votre réponse : Non)" in text
    assert "• L'évaluation sur site (votre réponse : Je ne sais pas)" in text
    assert "Source : Agence LUCIE, Label LUCIE 26000 (évaluation sur site)" in text
    assert "(vérifié le 01/12/2026)" in text
    assert "seul l'organisme qui porte le label en décide" in text
    assert [b.label for b in alice.buttons] == [
        "Module : Qu'est-ce que la RSE ?",
        "Page du label",
        "Refaire l'autoévaluation",
    ]
    assert alice.button("Page du label").value == "/labels lucie_26000"


async def test_the_client_question_unmet_leads_to_the_client_survey(app: App) -> None:
    alice = await member(app)
    await alice.say("/pret 1")

    await answer(alice, "Oui", "Oui", "Non", "Oui", "Oui")

    assert "• L'avis de vos clients (votre réponse : Non) : Le label ENR" in alice.text
    assert alice.button("Enquête clients").value == "/pret clients"


async def test_the_label_page_offers_the_check_in_private_and_not_in_a_group(app: App) -> None:
    alice = await member(app)
    await alice.say("/labels lucie_26000")
    assert alice.button("Suis-je prêt ?").value == "/pret lucie_26000"

    await alice.press("Suis-je prêt ?")
    assert f"Suis-je prêt ? {LUCIE} — question 1/6" in alice.text

    group = alice.in_group("-100200300")
    await group.say("/labels lucie_26000")
    assert "Suis-je prêt ?" not in [b.label for b in group.buttons]


async def test_the_last_result_shows_in_the_list_and_on_the_home_page(app: App) -> None:
    alice = await member(app)
    await alice.say("/accueil")
    assert "Labels : vérifiez si vous êtes prêt pour l'un d'eux avec /pret." in alice.text
    await alice.say("/pret b_corp")
    await answer(alice, "Oui", "Non", "Non", "Non")
    await alice.say("/pret b_corp")
    await answer(alice, "Oui", "Oui", "Non", "En partie")

    await alice.say("/pret")
    assert "4. B Corp (B Lab) : 2 exigence(s) sur 4 remplie(s) (le " in alice.text
    assert "3. Label LUCIE 26000 : pas encore vérifié" in alice.text
    assert alice.button("B Corp (B Lab)").value == "/pret b_corp"
    await alice.say("/accueil")
    assert "Suis-je prêt ? B Corp (B Lab) 2/4" in alice.text
    assert len(await results(app)) == 1


async def test_a_check_left_halfway_resumes_at_its_question(app: App) -> None:
    alice = await member(app)
    await alice.say("/pret engage_rse")
    await answer(alice, "Oui", "Non")

    await alice.say("/pret engage_rse")

    assert "question 3/5" in alice.text
    assert "Suivez-vous des indicateurs" in alice.text
    await answer(alice, "Oui", "Oui", "Oui")
    assert "4 exigence(s) sur 5" in alice.text


async def test_an_unknown_label_gets_the_list(app: App) -> None:
    alice = await member(app)

    await alice.say("/pret iso_14001")

    assert alice.text.startswith("Je ne connais pas le label « iso_14001 »")
    assert "1. Label Numérique Responsable : pas encore vérifié" in alice.text


async def test_the_check_is_for_members_in_private(app: App) -> None:
    stranger = Chat(app, Platform.CONSOLE, "bob")
    await stranger.say("/pret lucie_26000")
    assert "question 1/6" not in stranger.text

    alice = await member(app)
    group = alice.in_group("-100200300")
    await group.say("/pret lucie_26000")
    assert "ne fonctionne qu'en conversation privée" in group.text
    assert "question 1/6" not in group.text
