"""Members ask for a workshop (handlers/workshops/requests.py): a theme with its button or their
own words, once each, withdrawn when they like; free text asking for one leads there."""

from __future__ import annotations

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from tests.helpers.chat import Chat


async def test_the_themes_are_vegepolys_three_workshops_and_a_thematic_day(bob: Chat) -> None:
    await bob.say("/atelier")

    assert "1. Atelier « Qu'est-ce que la RSE ? »" in bob.text
    assert "2. Atelier « Comment allier RSE et amélioration continue ? »" in bob.text
    assert "3. Atelier « Comment maîtriser la communication durable ? »" in bob.text
    assert "4. Journée thématique : exigences réglementaires" in bob.text
    assert [b.value for b in bob.buttons] == [
        "/atelier demander what_is_rse",
        "/atelier demander continuous_improvement",
        "/atelier demander sustainable_communication",
        "/atelier demander regulation_and_distribution",
    ]


async def test_a_member_asks_for_a_theme_with_its_button(bob: Chat) -> None:
    await bob.say("/atelier")
    await bob.press("🙋 Demander le 3")

    assert "C'est noté : vous demandez « Comment maîtriser la communication durable ? »" in (
        bob.text
    )
    await bob.say("/ateliers")
    assert "3. Atelier « Comment maîtriser la communication durable ? » — ✅ demandé" in bob.text
    assert "↩️ Retirer ma demande 3" in [b.label for b in bob.buttons]


async def test_asking_twice_for_the_same_theme_says_it_is_counted(bob: Chat) -> None:
    await bob.say("/atelier demander what_is_rse")
    await bob.say("/atelier demander what_is_rse")

    assert "Vous avez déjà demandé « Qu'est-ce que la RSE ? »" in bob.text
    assert "votre demande est comptée" in bob.text


async def test_own_words_using_a_themes_keyword_ask_for_that_theme(bob: Chat) -> None:
    await bob.say("/atelier demander communication durable")
    await bob.say("/workshop demander un atelier sur le greenwashing")

    assert "Vous avez déjà demandé « Comment maîtriser la communication durable ? »" in bob.text


async def test_own_words_are_kept_as_typed(app: App, bob: Chat) -> None:
    await bob.say("/atelier demander achats responsables")

    assert "vous demandez un atelier sur « achats responsables »" in bob.text
    await bob.say("/atelier")
    assert "• « achats responsables »" in bob.text


async def test_the_same_own_words_however_spelt_are_one_request(bob: Chat) -> None:
    await bob.say("/atelier demander achats responsables")
    await bob.say("/atelier demander un atelier sur les Achats Responsables")

    assert "Vous avez déjà demandé « un atelier sur les Achats Responsables »" in bob.text


async def test_own_words_in_another_order_are_the_same_request(bob: Chat) -> None:
    await bob.say("/atelier demander achats responsables")
    await bob.say("/atelier demander responsables, les achats")

    assert "Vous avez déjà demandé « responsables, les achats »" in bob.text


async def test_a_member_withdraws_a_request(app: App, bob: Chat) -> None:
    await bob.say("/atelier demander what_is_rse")
    await bob.press("↩️ Retirer ma demande")

    assert "Demande « Qu'est-ce que la RSE ? » retirée." in bob.text
    person = await bob.person()
    assert person is not None and person.id is not None and person.active_pole_id
    async with app.database.transaction() as session:
        mine = await repo.open_workshop_requests(
            session, pole_id=person.active_pole_id, person_id=person.id
        )
    assert mine == []


async def test_a_member_cannot_withdraw_another_members_request(bob: Chat, chloe: Chat) -> None:
    await bob.say("/atelier demander what_is_rse")
    number = bob.button("↩️ Retirer ma demande").value.split()[-1]

    await chloe.say(f"/atelier retirer {number}")

    assert "Je ne trouve pas cette demande parmi les vôtres" in chloe.text
    await bob.say("/atelier demander what_is_rse")
    assert "Vous avez déjà demandé" in bob.text


async def test_a_withdrawal_needs_a_request_number(bob: Chat) -> None:
    await bob.say("/atelier retirer la premiere")

    assert "Dites quelle demande retirer" in bob.text


async def test_a_request_on_nothing_is_refused(bob: Chat) -> None:
    await bob.say("/atelier demander un atelier sur le")

    assert "Je n'ai pas trouvé de sujet dans votre demande" in bob.text


async def test_a_request_needs_a_subject(bob: Chat) -> None:
    await bob.say("/atelier demander")

    assert "Dites sur quoi" in bob.text


async def test_free_text_asking_for_a_workshop_offers_to_ask_for_it(chloe: Chat) -> None:
    await chloe.say("un atelier sur les achats responsables")

    assert "Un atelier sur « achats responsables » ? Demandez-le" in chloe.text
    await chloe.press("🙋 Demander cet atelier")
    assert "vous demandez un atelier sur « achats responsables »" in chloe.text


async def test_free_text_not_asking_for_a_workshop_offers_none(chloe: Chat) -> None:
    await chloe.say("c'est quoi la VSME ?")

    assert "Demander cet atelier" not in [b.label for b in chloe.buttons]


async def test_atelier_is_refused_in_a_group_chat(bob: Chat) -> None:
    group = bob.in_group("-1001234567890")

    await group.say("/atelier demander what_is_rse")

    assert "/atelier ne fonctionne qu'en conversation privée" in group.text


async def test_someone_not_signed_up_is_told_to_sign_up(app: App) -> None:
    stranger = Chat(app, Platform.TELEGRAM, "7391846099")

    await stranger.say("/atelier")

    assert "réservée aux membres inscrits d'un pôle" in stranger.text
