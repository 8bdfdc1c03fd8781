import asyncio
import logging

import pytest
from sqlmodel import select

from bot.app import App
from bot.config import Settings
from bot.conversation import Command, Context, Feature
from bot.features import all_features
from bot.messages import Incoming, Platform, Reply
from bot.router import Router
from bot.storage import repositories as repo
from bot.storage.models import Pole
from tests.helpers.chat import Chat
from tests.helpers.rows import memberships_of, stored

STALE = "Ce bouton ne correspond plus à une question en cours."
INTERNAL = (
    "Désolé, un problème technique m'empêche de répondre. Réessayez dans un instant ; "
    "si cela se reproduit, prévenez l'animateur de votre pôle."
)


async def test_a_stale_button_is_refused_and_the_current_question_asked_again(
    chat: Chat,
) -> None:
    await chat.say("/start")
    consent_yes = chat.button("J'accepte").value
    await chat.press("J'accepte")
    await chat.say("Alice Martin")

    await chat.press_value(consent_yes)

    assert str(chat.replies[0].text) == STALE
    assert str(chat.replies[-1].text) == "Quelle est votre entreprise ou organisation ?"
    state = await chat.state()
    assert state is not None and (state.step, state.data) == ("company", {"name": "Alice Martin"})


async def test_a_button_of_a_finished_flow_changes_nothing(app: App, chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("J'accepte")
    await chat.say("Alice Martin")
    await chat.say("Biocoop Lyon")
    await chat.press("Agroalimentaire / bio")
    join = chat.button("Rejoindre").value
    await chat.press_value(join)

    await chat.press_value(join)

    assert chat.text == STALE
    person = await chat.person()
    assert person is not None
    assert await memberships_of(app, person) == {"Pôle RSE": "member"}


def _broken_feature() -> Feature:
    async def crash(context: Context) -> list[Reply]:
        await repo.create_pole(context.session, name="Pôle Fantôme")
        raise RuntimeError("disque plein")

    return Feature(commands=[Command("panne", crash, "help.aide")])


def _app_with(app: App, *features: Feature) -> App:
    router = Router(
        database=app.database,
        settings=app.settings,
        content=app.content,
        features=[*all_features(), *features],
    )
    return App(app.settings, app.database, app.content, router)


async def test_a_failing_handler_gets_a_polite_answer(app: App) -> None:
    chat = Chat(_app_with(app, _broken_feature()), Platform.CONSOLE, "alice")

    await chat.say("/panne")

    assert chat.text == INTERNAL
    assert "Traceback" not in chat.text and "disque plein" not in chat.text


async def test_a_failing_handler_is_logged_for_the_operator(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    chat = Chat(_app_with(app, _broken_feature()), Platform.CONSOLE, "alice")

    with caplog.at_level(logging.ERROR, logger="bot.router"):
        await chat.say("/panne")

    [record] = [r for r in caplog.records if r.name == "bot.router"]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


async def test_a_failing_handler_rolls_its_changes_back(app: App) -> None:
    chat = Chat(_app_with(app, _broken_feature()), Platform.CONSOLE, "alice")

    await chat.say("/panne")

    async with app.database.transaction() as session:
        names = list(await session.scalars(select(Pole.name)))
    assert names == ["Pôle RSE"]


async def test_a_failing_handler_leaves_the_flow_where_it_was(app: App) -> None:
    chat = Chat(_app_with(app, _broken_feature()), Platform.CONSOLE, "alice")
    await chat.say("/start")
    await chat.press("J'accepte")

    await chat.say("/panne")
    await chat.say("Alice Martin")

    assert str(chat.replies[-1].text) == "Quelle est votre entreprise ou organisation ?"


async def test_a_failing_handler_answers_in_the_persons_language(app: App) -> None:
    chat = Chat(_app_with(app, _broken_feature()), Platform.CONSOLE, "alice")
    await chat.say("/langue en")

    await chat.say("/panne")

    assert chat.text.startswith("Sorry, a technical problem prevents me from answering.")


async def _noop(context: Context) -> list[Reply]:
    return []


@pytest.mark.parametrize(
    "commands",
    [
        [Command("aide", _noop, "help.aide")],
        [Command("bilan", _noop, "help.aide", aliases=("help",))],
        [Command("annuler", _noop, "help.aide")],
    ],
    ids=["same_name", "alias_of_another_command", "reserved_cancel"],
)
async def test_a_command_name_registered_twice_is_refused(
    app: App, commands: list[Command]
) -> None:
    with pytest.raises(ValueError, match="registered twice"):
        _app_with(app, Feature(commands=commands))


async def test_the_same_user_id_on_two_platforms_is_two_people(app: App) -> None:
    telegram = Chat(app, Platform.TELEGRAM, "42")
    slack = Chat(app, Platform.SLACK, "42")
    await telegram.sign_up("Camille Durand", "Atelier Durand")

    await slack.say("/mesdonnees")
    assert slack.text == "Je ne conserve aucune donnée vous concernant."
    await slack.sign_up("Nicolas Petit", "Transports Petit", "Industrie")

    on_telegram, on_slack = await telegram.person(), await slack.person()
    assert on_telegram is not None and on_slack is not None
    assert on_telegram.id != on_slack.id
    assert (on_telegram.display_name, on_slack.display_name) == ("Camille Durand", "Nicolas Petit")
    assert (await stored(app))["people"] == 2


async def test_a_flow_on_one_platform_does_not_leak_to_the_other(app: App) -> None:
    telegram = Chat(app, Platform.TELEGRAM, "42")
    slack = Chat(app, Platform.SLACK, "42")
    await telegram.say("/start")
    await telegram.press("J'accepte")

    await slack.say("Camille Durand")

    assert slack.text.startswith("Je n'ai pas compris.")
    state = await telegram.state()
    assert state is not None and (state.step, state.data) == ("name", {})


@pytest.mark.parametrize("command", ["/start", "/mesdonnees", "/oublier", "/nommer"])
async def test_personal_commands_are_refused_in_group_chats(app: App, command: str) -> None:
    in_group = Incoming.typed(Platform.TELEGRAM, "1001", "-1002003004005", command, is_group=True)

    [reply] = await app.handle(in_group)

    assert str(reply.text).startswith(f"Pour protéger vos données, {command} ne fonctionne")


async def test_two_instances_answer_a_new_account_at_the_same_moment(
    app: App, settings: Settings
) -> None:
    other = await App.start(settings)
    try:
        for n in range(5):
            first = Incoming.typed(Platform.SLACK, f"U0NEW{n}", f"DU0NEW{n}", "/langue en")
            answers = await asyncio.gather(app.handle(first), other.handle(first))
            assert [str(a[0].text) for a in answers] == [
                "Noted, I will speak English from now on."
            ] * 2
    finally:
        await other.close()
