"""Nothing personal in a group chat, whatever the way in (typed, pressed, an old message's
button), and a flow belongs to the conversation where it began."""

import pytest

from bot.app import App
from bot.messages import Platform
from tests.handlers.test_broadcast import INVITATION, compose, outbox
from tests.helpers.chat import Chat

GROUP = "-1001234567890"
PRIVATE_ONLY = ("/mesdonnees", "/accueil", "/lier", "/oublier", "/start", "/diagnostic", "/plan")


@pytest.fixture
async def alice(app: App) -> Chat:
    """A member on Telegram, who also writes in her pôle's group."""
    alice = Chat(app, Platform.TELEGRAM, "7391846025")
    await alice.sign_up("Alice Martin", "Biocoop Lyon")
    return alice


@pytest.fixture
async def claire(app: App) -> Chat:
    claire = Chat(app, Platform.TELEGRAM, "7391846031")
    await claire.sign_up("Claire Roux", "Pôle Végépolys")
    await claire.grant("animator")
    return claire


def personal_bits(chat: Chat) -> list[str]:
    """What of the last replies would be personal in a group."""
    found = [r.attachments for r in chat.replies if r.attachments]
    found += [word for word in ("Alice", "Biocoop", "code de liaison") if word in chat.text]
    return [str(item) for item in found]


async def test_help_in_a_group_offers_no_private_command(alice: Chat) -> None:
    group = alice.in_group(GROUP)
    await group.say("/aide")

    assert "dans ce groupe" in group.text
    offered = {b.value for b in group.buttons}
    assert offered, group.text
    assert not offered & set(PRIVATE_ONLY), offered
    assert not any(f"{command} —" in group.text for command in PRIVATE_ONLY)


async def test_the_menu_in_a_group_offers_no_private_command(alice: Chat) -> None:
    group = alice.in_group(GROUP)
    await group.say("/menu")

    assert not {b.value for b in group.buttons} & set(PRIVATE_ONLY)


@pytest.mark.parametrize("command", PRIVATE_ONLY)
async def test_a_private_command_pressed_in_a_group_is_refused_as_typed(
    alice: Chat, command: str
) -> None:
    """The buttons of a menu shown in a group before this fix are still there to press."""
    group = alice.in_group(GROUP)
    await group.press_value(command)

    assert "ne fonctionne qu'en conversation privée" in group.text
    assert personal_bits(group) == []


async def test_my_data_typed_then_pressed_in_private_still_works(alice: Chat) -> None:
    await alice.press_value("/mesdonnees")

    assert alice.replies[0].attachments[0].filename == "mes-donnees-rse-bot.json"


async def test_a_private_draft_is_never_asked_in_a_group(
    app: App, claire: Chat, alice: Chat
) -> None:
    await claire.say("/diffuser")
    await claire.say(INVITATION)
    group = claire.in_group(GROUP)

    for typed in ("/veille", "/aide", "/langue", "/annuler", "/inconnue"):
        await group.say(typed)
        assert "Club RSE jeudi" not in group.text, typed
        assert "pièce jointe" not in group.text, typed

    await claire.press("Sans pièce jointe")
    assert "À qui l'envoyer" in claire.text


async def test_cancelling_in_a_group_leaves_the_private_draft_open(claire: Chat) -> None:
    await claire.say("/diffuser")
    await claire.say(INVITATION)
    group = claire.in_group(GROUP)
    await group.say("/annuler")

    assert "rien à annuler" in group.text
    state = await claire.state()
    assert state is not None and state.flow == "broadcast" and state.step == "attachment"


async def test_a_private_flow_button_pressed_in_a_group_does_nothing(
    app: App, claire: Chat, alice: Chat
) -> None:
    await compose(claire)
    await claire.press("Telegram et Slack")
    send = claire.button("Envoyer").value
    group = claire.in_group(GROUP)
    await group.press_value(send)

    assert "ne correspond plus" in group.text
    assert "Club RSE jeudi" not in group.text
    assert await outbox(app) == []
    await claire.press("Envoyer")
    assert len(await outbox(app)) == 2
