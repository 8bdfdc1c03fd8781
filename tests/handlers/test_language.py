import pytest

from bot.app import App
from bot.config import Settings
from bot.messages import Button, Platform
from tests.helpers.chat import Chat

BOTH = [Button("Français", "/langue fr"), Button("English", "/langue en")]


async def test_language_offers_both_languages(chat: Chat) -> None:
    await chat.say("/langue")

    assert chat.text == "Dans quelle langue voulez-vous que je vous parle ?"
    assert chat.buttons == BOTH


async def test_an_unknown_language_is_explained_with_the_choices(chat: Chat) -> None:
    await chat.say("/langue klingon")

    assert chat.text == "Je ne connais pas cette langue. Choisissez :"
    assert chat.buttons == BOTH
    assert await chat.state() is None


async def test_english_applies_to_every_later_answer_of_a_member(chat: Chat) -> None:
    await chat.sign_up()

    await chat.say("/langue en")
    assert chat.text == "Noted, I will speak English from now on."
    await chat.say("/aide")
    assert "Here is what you can do here (your role: member):" in chat.text
    await chat.say("/bonjour")
    assert chat.text.startswith("I do not know the command /bonjour.")
    await chat.say("Bonjour")
    assert chat.text.startswith("I did not understand.")
    await chat.say("/menu")
    assert [b.label for b in chat.buttons][:2] == ["My profile", "CSR self-assessment"]


async def test_english_applies_to_someone_not_signed_up(chat: Chat) -> None:
    await chat.press_value("/langue en")
    assert chat.text == "Noted, I will speak English from now on."

    await chat.say("/start")

    assert chat.text.startswith("Hello and welcome! I am your cluster's CSR bot.")
    assert [b.label for b in chat.buttons] == ["I agree", "I refuse"]


async def test_english_chosen_before_signing_up_is_kept_by_the_profile(chat: Chat) -> None:
    await chat.say("/langue en")

    await chat.say("/start")
    await chat.press("I agree")
    await chat.say("Alice Martin")
    await chat.say("Biocoop Lyon")
    await chat.press("Food / organic")
    await chat.press("Join")

    assert "All set, welcome Alice Martin!" in chat.text
    assert "• Sector: Food / organic" in chat.text
    person = await chat.person()
    assert person is not None and person.locale == "en"


@pytest.mark.parametrize("signed_up", [True, False], ids=["member", "newcomer"])
async def test_the_language_survives_a_restart(settings: Settings, signed_up: bool) -> None:
    first = await App.start(settings)
    try:
        before = Chat(first, Platform.CONSOLE, "alice")
        if signed_up:
            await before.sign_up()
        await before.say("/langue en")
    finally:
        await first.close()

    second = await App.start(settings)
    try:
        after = Chat(second, Platform.CONSOLE, "alice")
        await after.say("/annuler")
    finally:
        await second.close()

    assert after.text == "There is nothing to cancel. Type /menu to see what I can do."


async def test_french_can_be_chosen_back(chat: Chat) -> None:
    await chat.say("/langue en")

    await chat.say("/langue français")

    assert chat.text == "C'est noté, je vous parle désormais en français."
    await chat.say("/annuler")
    assert chat.text.startswith("Il n'y a rien à annuler.")


async def test_changing_language_during_onboarding_asks_the_question_again_in_english(
    chat: Chat,
) -> None:
    await chat.say("/start")
    await chat.press("J'accepte")
    await chat.say("Alice Martin")

    await chat.say("/langue en")

    assert str(chat.replies[0].text) == "Noted, I will speak English from now on."
    assert str(chat.replies[-1].text) == "What is your company or organisation?"
    state = await chat.state()
    assert state is not None and (state.step, state.data) == ("company", {"name": "Alice Martin"})
