"""Every step of a flow is checked against the role and the pôle it needs, by the router."""

import pytest

from bot.app import App
from bot.conversation import Command, Feature, Flow, Step
from bot.messages import Platform
from bot.router import Router
from bot.storage import repositories as repo
from bot.storage.models import Pole
from tests.handlers.test_broadcast import compose, outbox
from tests.helpers.chat import Chat


@pytest.fixture
async def claire(app: App) -> Chat:
    """An animator of the default pôle, on Telegram, with a draft at its preview."""
    claire = Chat(app, Platform.TELEGRAM, "7391846031")
    await claire.sign_up("Claire Roux", "Pôle Végépolys")
    await claire.grant("animator")
    bob = Chat(app, Platform.TELEGRAM, "7391846032")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await compose(claire)
    await claire.press("Telegram et Slack")
    assert "Pôle RSE" in claire.text
    return claire


@pytest.fixture
async def other_pole(app: App) -> Pole:
    async with app.database.transaction() as session:
        pole = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    bruno = Chat(app, Platform.CONSOLE, "bruno")
    await bruno.sign_up("Bruno Klein", "Hydreos Conseil", code=pole.invite_code)
    return pole


async def test_an_animator_demoted_while_a_draft_is_open_cannot_send_it(
    app: App, claire: Chat
) -> None:
    await claire.grant("member")
    await claire.press("Envoyer")

    assert "Vous n'avez plus le rôle animateur ou animatrice dans Pôle RSE" in claire.text
    assert await outbox(app) == []
    state = await claire.state()
    assert state is None or state.flow is None


async def test_a_demoted_animator_typing_in_the_draft_is_told_and_nothing_is_kept(
    app: App, claire: Chat
) -> None:
    await claire.grant("member")
    await claire.say("Envoyer")

    assert "plus le rôle animateur" in claire.text
    await claire.say("/diffuser")
    assert "réservée aux personnes ayant le rôle animateur" in claire.text


async def test_a_draft_begun_in_one_pole_is_not_sent_in_another(
    app: App, claire: Chat, other_pole: Pole
) -> None:
    """Claire joins another pôle on her linked Slack account, then presses « Envoyer » on the
    Telegram draft whose preview said « Pôle RSE »."""
    await claire.say("/lier")
    code = claire.text.split("Votre code de liaison : ")[1].split()[0]
    slack = Chat(app, Platform.SLACK, "U07CLAIRE")
    await slack.say(f"/lier {code}")
    await slack.say("/start")
    await slack.press("Garder")
    await slack.press("Garder")
    await slack.press("Agroalimentaire")
    await slack.say(other_pole.invite_code)
    assert "Cluster Lumière Grand Est" in slack.text
    await slack.grant("animator")

    await claire.press("Envoyer")

    assert "commencé la diffusion d'un message dans Pôle RSE" in claire.text
    assert "maintenant dans Cluster Lumière Grand Est" in claire.text
    assert await outbox(app) == []


def test_a_command_asking_less_than_its_flows_role_cannot_be_registered(app: App) -> None:
    async def nothing(context):  # type: ignore[no-untyped-def]
        return []

    flow = Flow("secret", "broadcast.title", "only", {"only": Step(nothing, nothing)}, "admin")
    command = Command("secret", nothing, "help.aide", role="member", starts_flow="secret")

    with pytest.raises(ValueError, match="asks less than the role"):
        Router(
            database=app.database,
            settings=app.settings,
            content=app.content,
            features=[Feature(commands=[command], flows=[flow])],
        )


def test_only_sign_up_and_erasure_are_flows_open_to_anyone(app: App) -> None:
    """Every other flow acts in a pôle, and says which role it needs there, or checks what it
    needs instead before every step (a survey respondent's partner)."""
    open_to_anyone = {
        name for name, flow in app.router.flows.items() if flow.role is None and flow.guard is None
    }

    assert open_to_anyone == {"onboarding", "forget"}
