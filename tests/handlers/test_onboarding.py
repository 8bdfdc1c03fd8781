from collections.abc import Awaitable, Callable

import pytest

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from tests.helpers.chat import Chat
from tests.helpers.rows import memberships_of, new_pole, stored

STEPS = ["consent", "name", "company", "sector", "pole"]

QUESTIONS = {
    "consent": "Acceptez-vous ?",
    "name": "Comment vous appelez-vous ? (prénom et nom)",
    "company": "Quelle est votre entreprise ou organisation ?",
    "sector": "Dans quel secteur travaille-t-elle ?",
    "pole": "Dernière étape : quel pôle rejoignez-vous ?",
}

# What the flow has kept when it reaches each step, given the answers of answer() below.
DATA_AT = {
    "consent": {},
    "name": {},
    "company": {"name": "Alice Martin"},
    "sector": {"name": "Alice Martin", "company": "Biocoop Lyon"},
    "pole": {"name": "Alice Martin", "company": "Biocoop Lyon", "sector": "agro_bio"},
}

NOTHING_STORED = {"people": 0, "identities": 0, "memberships": 0, "conversation_states": 0}
CANCELLED = "C'est annulé : vous avez interrompu votre inscription et rien n'a été modifié."


async def answer(chat: Chat, step: str) -> None:
    """Give a newcomer's normal answer to ``step``."""
    if step == "consent":
        await chat.press("J'accepte")
    elif step == "name":
        await chat.say("Alice Martin")
    elif step == "company":
        await chat.say("Biocoop Lyon")
    elif step == "sector":
        await chat.press("Agroalimentaire / bio")
    else:
        await chat.press("Rejoindre")


async def reach(chat: Chat, step: str) -> None:
    await chat.say("/start")
    for earlier in STEPS[: STEPS.index(step)]:
        await answer(chat, earlier)
    assert QUESTIONS[step] in str(chat.replies[-1].text)


async def change_company(chat: Chat, company: str) -> None:
    """Run /start again as Alice and change only her company."""
    await chat.say("/start")
    await chat.press("Garder « Alice Martin »")
    await chat.say(company)
    await chat.press("Agroalimentaire / bio")
    await chat.press("Garder « Pôle RSE »")


async def finish_from(chat: Chat, step: str) -> None:
    for remaining in STEPS[STEPS.index(step) :]:
        await answer(chat, remaining)


async def test_full_onboarding_stores_profile_and_default_pole_membership(
    app: App, chat: Chat
) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon", "Agroalimentaire / bio")

    person = await chat.person()
    assert person is not None
    assert (person.display_name, person.company, person.sector) == (
        "Alice Martin",
        "Biocoop Lyon",
        "agro_bio",
    )
    assert person.consent_at is not None
    assert await memberships_of(app, person) == {"Pôle RSE": "member"}
    assert await chat.state() is None


async def test_onboarding_ends_with_a_summary_of_the_answers(chat: Chat) -> None:
    await chat.sign_up("Jean-Pierre Lefèvre", "Menuiserie Lefèvre & Fils", "Industrie")

    assert "C'est fait, bienvenue Jean-Pierre Lefèvre !" in chat.text
    assert "• Entreprise : Menuiserie Lefèvre & Fils" in chat.text
    assert "• Secteur : Industrie" in chat.text
    assert "• Pôle : Pôle RSE" in chat.text


@pytest.mark.parametrize("typed", ["numérique", "NUMERIQUE", "  Numerique  "])
async def test_typing_a_sector_label_instead_of_pressing_it_works(chat: Chat, typed: str) -> None:
    await reach(chat, "sector")

    await chat.say(typed)

    assert QUESTIONS["pole"] in chat.text
    state = await chat.state()
    assert state is not None and state.data["sector"] == "numerique"


async def test_typing_the_consent_label_accepts(chat: Chat) -> None:
    await reach(chat, "consent")

    await chat.say("j'ACCEPTE")

    assert "Merci ! Trois questions et c'est fini." in chat.text
    assert QUESTIONS["name"] in chat.text


async def test_refusing_consent_stores_nothing(app: App, chat: Chat) -> None:
    await reach(chat, "consent")

    await chat.press("Je refuse")

    assert await stored(app) == NOTHING_STORED


async def test_refusing_consent_says_what_the_bot_can_still_do(chat: Chat) -> None:
    await reach(chat, "consent")

    await chat.press("Je refuse")

    assert "C'est noté : je n'enregistre rien vous concernant." in chat.text
    assert "vous pouvez toujours lire /aide, changer de langue (/langue)" in chat.text
    assert "tapez /start quand vous le souhaitez" in chat.text


async def test_invitation_code_joins_that_pole(app: App, chat: Chat) -> None:
    pole = await new_pole(app, "Végépolys Valley")
    typed = f"{pole.invite_code[:4]}-{pole.invite_code[4:]}".lower()
    await reach(chat, "pole")

    await chat.say(typed)

    assert "• Pôle : Végépolys Valley" in chat.text
    person = await chat.person()
    assert person is not None and person.active_pole_id == pole.id
    assert await memberships_of(app, person) == {"Végépolys Valley": "member"}


async def test_unknown_invitation_code_is_refused_and_the_step_stays(app: App, chat: Chat) -> None:
    await reach(chat, "pole")

    # 0 is never used in invitation codes, so this one cannot exist.
    await chat.say("bcdf-0000")

    assert "Je ne connais pas le code « bcdf-0000 ». Vérifiez-le" in chat.text
    assert QUESTIONS["pole"] in str(chat.replies[-1].text)
    state = await chat.state()
    assert state is not None and (state.flow, state.step) == ("onboarding", "pole")
    assert await chat.person() is None


async def test_start_again_offers_to_keep_each_answer(chat: Chat) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon", "Agroalimentaire / bio")

    await chat.say("/start")
    assert "Re-bonjour Alice Martin !" in chat.text
    assert [b.label for b in chat.buttons] == ["Garder « Alice Martin »"]
    await chat.press("Garder")
    assert [b.label for b in chat.buttons] == ["Garder « Biocoop Lyon »"]
    await chat.press("Garder")
    assert "(actuellement : Agroalimentaire / bio)" in chat.text
    await chat.press("Agroalimentaire / bio")
    assert [b.label for b in chat.buttons] == ["Garder « Pôle RSE »"]


async def test_changing_only_the_company_keeps_the_rest(app: App, chat: Chat) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon", "Agroalimentaire / bio")

    await change_company(chat, "Biocoop Villeurbanne")

    assert "• Entreprise : Biocoop Villeurbanne" in chat.text
    person = await chat.person()
    assert person is not None
    assert (person.display_name, person.company, person.sector) == (
        "Alice Martin",
        "Biocoop Villeurbanne",
        "agro_bio",
    )
    assert await memberships_of(app, person) == {"Pôle RSE": "member"}
    assert (await stored(app))["people"] == 1


async def test_changing_the_profile_records_when(chat: Chat) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon", "Agroalimentaire / bio")
    before = await chat.person()
    assert before is not None

    await change_company(chat, "Biocoop Villeurbanne")

    after = await chat.person()
    assert after is not None
    assert after.created_at == before.created_at
    assert after.updated_at > before.updated_at


@pytest.mark.parametrize("step", STEPS)
async def test_cancel_at_any_step_ends_sign_up_and_stores_nothing(
    app: App, chat: Chat, step: str
) -> None:
    await reach(chat, step)

    await chat.say("/annuler")

    assert chat.text == CANCELLED
    assert await stored(app) == NOTHING_STORED


# Each step is reached after new answers to the earlier ones, which cancelling must drop.
@pytest.mark.parametrize("step", ["name", "company", "sector", "pole"])
async def test_cancel_while_editing_leaves_the_stored_profile_unchanged(
    app: App, chat: Chat, step: str
) -> None:
    await chat.sign_up("Alice Martin", "Biocoop Lyon", "Agroalimentaire / bio")
    await chat.say("/start")
    new_answers = {"name": "Alice Dupont", "company": "Biocoop Villeurbanne"}
    for earlier in ["name", "company", "sector"][: STEPS.index(step) - 1]:
        if earlier == "sector":
            await chat.press("Numérique")
        else:
            await chat.say(new_answers[earlier])
    assert QUESTIONS[step] in str(chat.replies[-1].text)

    await chat.say("/annuler")

    assert chat.text == CANCELLED
    person = await chat.person()
    assert person is not None
    assert (person.display_name, person.company, person.sector) == (
        "Alice Martin",
        "Biocoop Lyon",
        "agro_bio",
    )
    assert await memberships_of(app, person) == {"Pôle RSE": "member"}
    assert await chat.state() is None


@pytest.mark.parametrize("step", STEPS)
async def test_start_during_onboarding_resumes_the_same_step(chat: Chat, step: str) -> None:
    await reach(chat, step)

    await chat.say("/start")

    assert str(chat.replies[0].text) == "Reprenons là où nous en étions."
    assert QUESTIONS[step] in str(chat.replies[-1].text)
    state = await chat.state()
    assert state is not None and state.step == step and state.data == DATA_AT[step]


async def test_another_flow_command_during_onboarding_is_refused(chat: Chat) -> None:
    await reach(chat, "company")

    await chat.say("/oublier")

    assert str(chat.replies[0].text) == (
        "Nous sommes au milieu de votre inscription. Répondez à la question ci-dessous, "
        "ou tapez /annuler pour l'interrompre."
    )
    assert QUESTIONS["company"] in str(chat.replies[-1].text)
    state = await chat.state()
    assert state is not None and (state.flow, state.step) == ("onboarding", "company")


PICK = "Choisissez l'une des réponses proposées ci-dessous."
EMPTY = "Votre réponse est vide. Pouvez-vous l'écrire ?"
NO_LETTERS = "Je n'ai trouvé ni lettre ni chiffre dans votre réponse."
TYPE_IT = "Pour cette question, écrivez votre réponse."
STALE = "Ce bouton ne correspond plus à une question en cours."
HELP = "Voici ce que vous pouvez faire ici. Inscrivez-vous avec /start"
LONG_TEXT = ("Coopérative " * 500)[:5000]


def too_long(maximum: int) -> str:
    return f"Votre réponse est trop longue (5000 caractères ; {maximum} au plus)."


# A button of another step that would move the flow on (or end it) if it were taken.
OTHER_STEP_BUTTON = {
    "consent": "onboarding:pole:default",
    "name": "onboarding:consent:yes",
    "company": "onboarding:consent:no",
    "sector": "onboarding:consent:no",
    "pole": "onboarding:sector:industrie",
}

Send = Callable[[Chat, str], Awaitable[object]]

BAD_INPUTS: dict[str, tuple[Send, dict[str, str]]] = {
    "empty": (
        lambda chat, step: chat.say(""),
        {"consent": PICK, "name": EMPTY, "company": EMPTY, "sector": PICK, "pole": EMPTY},
    ),
    "5000_characters": (
        lambda chat, step: chat.say(LONG_TEXT),
        {
            "consent": PICK,
            "name": too_long(100),
            "company": too_long(150),
            "sector": PICK,
            "pole": too_long(40),
        },
    ),
    "emoji_only": (
        lambda chat, step: chat.say("🌱🌍✨"),
        {
            "consent": PICK,
            "name": NO_LETTERS,
            "company": NO_LETTERS,
            "sector": PICK,
            "pole": NO_LETTERS,
        },
    ),
    "help_command": (
        lambda chat, step: chat.say("/aide"),
        dict.fromkeys(STEPS, HELP),
    ),
    "unknown_button": (
        lambda chat, step: chat.press_value("onboarding:nope:zzz"),
        dict.fromkeys(STEPS, STALE),
    ),
    "button_of_another_step": (
        lambda chat, step: chat.press_value(OTHER_STEP_BUTTON[step]),
        dict.fromkeys(STEPS, STALE),
    ),
    "unknown_choice_for_this_step": (
        lambda chat, step: chat.press_value(f"onboarding:{step}:zzz"),
        {"consent": PICK, "name": TYPE_IT, "company": TYPE_IT, "sector": PICK, "pole": PICK},
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
@pytest.mark.parametrize("step", STEPS)
async def test_bad_input_is_explained_and_the_step_stays(
    app: App, chat: Chat, step: str, case: str
) -> None:
    send, expected = BAD_INPUTS[case]
    await reach(chat, step)

    await send(chat, step)

    assert expected[step] in str(chat.replies[0].text)
    assert QUESTIONS[step] in str(chat.replies[-1].text)
    state = await chat.state()
    assert state is not None
    assert (state.flow, state.step, state.data) == ("onboarding", step, DATA_AT[step])
    assert await chat.person() is None

    await finish_from(chat, step)

    assert "C'est fait, bienvenue Alice Martin !" in chat.text
    person = await chat.person()
    assert person is not None
    assert (person.display_name, person.company, person.sector) == (
        "Alice Martin",
        "Biocoop Lyon",
        "agro_bio",
    )


async def test_onboarding_resumes_after_a_restart(settings: Settings) -> None:
    first = await App.start(settings)
    try:
        before = Chat(first, Platform.CONSOLE, "alice")
        await before.say("/start")
        await before.press("J'accepte")
        await before.say("Sophie Girard")
        await before.say("Les Jardins de Cocagne")
    finally:
        await first.close()

    second = await App.start(settings)
    try:
        after = Chat(second, Platform.CONSOLE, "alice")
        await after.say("/start")
        assert str(after.replies[0].text) == "Reprenons là où nous en étions."
        assert QUESTIONS["sector"] in str(after.replies[-1].text)
        await after.press("Végétal")
        await after.press("Rejoindre")
    finally:
        await second.close()

    assert "C'est fait, bienvenue Sophie Girard !" in after.text
    assert "• Entreprise : Les Jardins de Cocagne" in after.text
    assert "• Secteur : Végétal" in after.text
