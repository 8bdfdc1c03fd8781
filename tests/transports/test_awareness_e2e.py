"""The awareness modules end to end, through the running bot: members on Telegram and on Slack
(through the real client libraries against the fake servers) and on the console (the console
transport itself). Module 1 and its quiz on Telegram, one answer wrong; module 2 on Slack, every
answer right; module 3 on the console, « En savoir plus » on a step that goes deeper, then
« Arrêter » halfway. The bot stopped and started again on the same database: /decouvrir offers
« Reprendre », module 3 and its quiz are finished, then module 4; each one's /accueil shows
their modules and scores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.runner import serve
from content.awareness.models import Module
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_club_e2e import PARIS, QUICK, UNPACED
from tests.transports.test_survey_e2e import ConsolePerson, SlackPerson, TelegramPerson

BOB = 9001
SAMIA = "U0SAMIA"
Member = TelegramPerson | SlackPerson | ConsolePerson
# Module 3's step 2 goes deeper: the words forbidden or regulated in France.
DEEPER_AT = 2


@asynccontextmanager
async def running(settings: Settings, files: Path) -> AsyncIterator[tuple[App, ConsolePerson]]:
    """The bot serving Telegram and Slack as ``rse-bot run`` does, and Chloé at its console;
    everything stopped and closed on leaving, as a SIGTERM would."""
    app = await App.start(settings)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK, pacing=UNPACED))
    chloe = ConsolePerson(app, "chloe", files)
    try:
        yield app, chloe
    finally:
        await chloe.close()
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()


def heading(module: Module, number: int) -> str:
    """A step's first line as read: « Communication durable · 2/4 »."""
    return f"{module.title.fr} · {number}/{len(module.steps)}"


def plain(text: str) -> str:
    """The beginning of a content text, before any bold or italics that each platform shows
    in its own way."""
    return text.split("*")[0].split("__")[0][:40]


async def read_steps(member: Member, module: Module, start: int = 1) -> str:
    """« Suite » from step ``start`` (shown) to the last, then « Passer au quiz »; the first
    question as read."""
    for number in range(start + 1, len(module.steps) + 1):
        shown = await member.choose("Suite", heading(module, number))
        assert "(vérifié le 01/12/2026)" in shown, shown
    return await member.choose("Passer au quiz", "Quiz · question 1/3")


async def take_quiz(member: Member, module: Module, wrong: frozenset[int] = frozenset()) -> str:
    """Every question answered, rightly except those numbered in ``wrong`` (from 1), each answer
    told right or wrong and explained; the score as read."""
    shown = ""
    for number, question in enumerate(module.quiz, start=1):
        right = next(c for c in question.choices if c.id == question.answer)
        other = next(c for c in question.choices if c.id != question.answer)
        expected = "Quiz terminé" if number == len(module.quiz) else f"question {number + 1}/3"
        shown = await member.choose((other if number in wrong else right).text.fr, expected)
        told = (
            f"❌ Ce n'est pas ça : la bonne réponse est « {right.text.fr} ». "
            if number in wrong
            else "✅ Bonne réponse. "
        ) + plain(question.explanation.fr)
        # The console prints the turn's replies together; the platforms send one message each.
        feedback = shown if isinstance(member, ConsolePerson) else await member.reads(told)
        assert told in feedback, feedback
    return shown


async def test_every_module_and_quiz_on_telegram_slack_and_the_console_across_a_restart(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 1, 11, 10, tzinfo=PARIS))
    port = free_port()
    # Telegram's 30 messages a second for the whole bot are tested elsewhere.
    quick = settings.model_copy(update={"telegram_max_per_second": 1000})
    both = on_both_fakes(quick, fake_telegram, fake_slack, port=port)
    bob = TelegramPerson(fake_telegram, BOB)
    samia = SlackPerson(fake_slack, SAMIA, f"http://127.0.0.1:{port}/slack/events")
    files = tmp_path / "console"

    async with running(both, files) as (app, chloe):
        first, second, third, fourth = app.content.modules.values()
        for platform, user, name, company in (
            (Platform.TELEGRAM, str(BOB), "Bob Lefèvre", "Scop Les Tisserands"),
            (Platform.SLACK, SAMIA, "Samia Benali", "Hydreos Conseil"),
            (Platform.CONSOLE, "chloe", "Chloé Durand", "Fromagerie Berthaut"),
        ):
            await Chat(app, platform, user).sign_up(name, company)

        # Bob on Telegram: the list, module 1 from its button, one answer of its quiz wrong.
        listed = await bob.tell("/decouvrir", "Découvrir la RSE")
        assert all(
            f"{n}. {m.title.fr}" in listed for n, m in enumerate(app.content.modules.values(), 1)
        )
        opened = await bob.choose(first.title.fr, heading(first, 1))
        assert bob.labels(await bob.received(heading(first, 1))) == [
            "Suite",
            "En savoir plus",
            "Arrêter",
        ]
        assert "Source : ISO 26000:2010, article 2" in opened
        assert "Quiz · question 1/3" in await read_steps(bob, first)
        scored = await take_quiz(bob, first, wrong=frozenset({2}))
        assert f"Quiz terminé : 2/3. Vous avez terminé le module « {first.title.fr} »." in scored
        assert "Tous les modules" in bob.labels(await bob.received("Quiz terminé"))
        assert f"1. {first.title.fr} ✅ quiz 2/3" in await bob.tell("/decouvrir", "Découvrir")

        # Samia on Slack: module 2 by its number, every answer right.
        await samia.tell("/decouvrir 2", heading(second, 1))
        await read_steps(samia, second)
        scored = await take_quiz(samia, second)
        assert f"Quiz terminé : 3/3. Vous avez terminé le module « {second.title.fr} »." in scored

        # Chloé at the console: module 3 from the list, deeper at step 2, stopped at step 3.
        await chloe.tell("/decouvrir", "Découvrir la RSE")
        await chloe.choose(third.title.fr, heading(third, 1))
        step = await chloe.choose("Suite", heading(third, DEEPER_AT))
        told, more = (
            plain(third.steps[DEEPER_AT - 1].text.fr.lstrip("*")),
            third.steps[DEEPER_AT - 1].deeper,
        )
        assert told in step and "En savoir plus" in step, step
        deeper = await chloe.choose("En savoir plus", heading(third, DEEPER_AT))
        # The deeper text in place of the step's, its sources still under it.
        assert more is not None and plain(more.fr) in deeper, deeper
        assert told not in deeper and "(vérifié le 01/12/2026)" in deeper
        assert "En savoir plus" not in deeper and "Suite" in deeper
        await chloe.choose("Suite", heading(third, DEEPER_AT + 1))
        stopped = await chloe.choose("Arrêter", f"« {third.title.fr} » est en pause")
        assert "vous reprendrez là où vous en étiez" in stopped

    # The bot stopped, then started again on the same database.
    async with running(both, files) as (app, chloe):
        listed = await chloe.tell("/decouvrir", "Découvrir la RSE")
        assert f"3. {third.title.fr} · en cours (étape {DEEPER_AT + 1}/4)" in listed
        resumed = await chloe.choose(
            f"Reprendre : {third.title.fr}", f"Vous reprenez « {third.title.fr} » là où"
        )
        assert heading(third, DEEPER_AT + 1) in resumed
        await read_steps(chloe, third, start=DEEPER_AT + 1)
        scored = await take_quiz(chloe, third)
        assert f"Quiz terminé : 3/3. Vous avez terminé le module « {third.title.fr} »." in scored
        # Module 4 from the buttons under the score, those not finished first.
        await chloe.choose(fourth.title.fr, heading(fourth, 1))
        await read_steps(chloe, fourth)
        await take_quiz(chloe, fourth, wrong=frozenset({1}))

        # Each one's progress on their /accueil, Telegram's and Slack's through the new run.
        assert "Modules RSE : 2 sur 4 terminés (quiz 5/6)" in await chloe.tell(
            "/accueil", "Chloé Durand"
        )
        assert "Modules RSE : 1 sur 4 terminés (quiz 2/3)" in await bob.tell(
            "/accueil", "Modules RSE"
        )
        assert "Modules RSE : 1 sur 4 terminés (quiz 3/3)" in await samia.tell(
            "/accueil", "Modules RSE"
        )
        listed = await chloe.tell("/decouvrir", "Découvrir la RSE")
        assert f"3. {third.title.fr} ✅ quiz 3/3" in listed
        assert f"4. {fourth.title.fr} ✅ quiz 2/3" in listed
        assert f"1. {first.title.fr} ✅" not in listed
