"""The e-mail address in the profile: asked, optional, where the bot sends calendar invitations
by e-mail; checked, kept in the profile, changed or removed by running /start again; not asked
where the bot sends no e-mail."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from tests.helpers.chat import Chat

ASKED = "votre adresse e-mail"
ALICE = "alice.martin@biocoop-lyon.fr"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return Settings.model_validate(
        settings.model_dump()
        | {
            "_env_file": None,
            "smtp_url": "smtp://club-rse:s3cret@smtp.biocoop-lyon.fr:587",
            "mail_from": "Pôle RSE <club-rse@pole-rse.fr>",
        }
    )


async def up_to_the_email(chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("J'accepte")
    await chat.say("Alice Martin")
    await chat.say("Biocoop Lyon")
    await chat.press("Agroalimentaire / bio")


async def email_of(chat: Chat) -> str | None:
    person = await chat.person()
    assert person is not None
    return person.email


async def test_it_is_asked_after_the_sector_saying_what_it_is_for(chat: Chat) -> None:
    await up_to_the_email(chat)

    assert ASKED in chat.text
    assert "mettent à jour d'elles-mêmes" in chat.text
    assert [b.label for b in chat.buttons] == ["Passer"]


async def test_the_address_given_is_kept_in_the_profile(chat: Chat) -> None:
    await up_to_the_email(chat)
    await chat.say(f"  {ALICE.replace('biocoop-lyon.fr', 'Biocoop-Lyon.FR')} ")
    await chat.press("Rejoindre")

    assert "bienvenue Alice Martin" in chat.text
    assert await email_of(chat) == ALICE


async def test_skipping_keeps_no_address(chat: Chat) -> None:
    await up_to_the_email(chat)
    await chat.press("Passer")

    assert "quel pôle rejoignez-vous" in chat.text
    await chat.press("Rejoindre")
    assert await email_of(chat) is None


@pytest.mark.parametrize(
    "typed",
    [
        "alice.martin",
        "alice.martin@biocoop-lyon",
        "alice martin@biocoop-lyon.fr",
        "alice.martin@@biocoop-lyon.fr",
        "Alice Martin <alice.martin@biocoop-lyon.fr>",
    ],
)
async def test_a_malformed_address_is_asked_again(chat: Chat, typed: str) -> None:
    await up_to_the_email(chat)
    await chat.say(typed)

    assert f"« {typed} » n'est pas une adresse e-mail valable" in chat.text
    assert [b.label for b in chat.buttons] == ["Passer"]
    assert (await chat.state()).step == "email"  # type: ignore[union-attr]


async def test_run_again_the_address_can_be_kept_changed_or_removed(chat: Chat) -> None:
    await chat.sign_up(email=ALICE)

    async def review(choice: str | None = None, typed: str | None = None) -> None:
        await chat.say("/start")
        await chat.press("Garder « Alice Martin »")
        await chat.press("Garder « Biocoop Lyon »")
        await chat.press("Agroalimentaire / bio")
        await (chat.say(typed) if typed else chat.press(choice or ""))
        await chat.press("Garder")

    await review(f"Garder « {ALICE} »")
    assert await email_of(chat) == ALICE
    await review(typed="a.martin@biocoop.fr")
    assert await email_of(chat) == "a.martin@biocoop.fr"
    await review("Ne plus recevoir d'e-mail")
    assert await email_of(chat) is None


async def test_it_is_in_the_personal_data_export(chat: Chat) -> None:
    await chat.sign_up(email=ALICE)
    await chat.say("/mesdonnees")

    assert f'"email": "{ALICE}"' in chat.replies[0].attachments[0].data.decode()


async def test_without_smtp_it_is_not_asked(settings: Settings) -> None:
    app = await App.start(settings.model_copy(update={"smtp_url": None, "mail_from": None}))
    try:
        alice = Chat(app, Platform.CONSOLE, "alice")
        await up_to_the_email(alice)
    finally:
        await app.close()

    assert ASKED not in alice.text
    assert "quel pôle rejoignez-vous" in alice.text
