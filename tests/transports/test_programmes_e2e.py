"""A programme end to end, through the running bot: Chloé, an animator at the console, opens
Cluster Bio's three steps from 05/01/2027; Bob on Telegram and Samia on Slack (through the real
client libraries against the fake servers) enrol from the list, Chloé too. On the first day the
programme-steps job tells Bob and Samia their first step with a button opening its module; they
do it to its quiz's end, Chloé from her /programme. A month later the job tells each their next
step, the self-diagnostic, once however often it runs; at the console, where the bot does not
write first, /programme shows it as the next one."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.runner import serve
from handlers.programmes import reminders
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.outbox import queued
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_awareness_e2e import heading, read_steps, take_quiz
from tests.transports.test_club_e2e import PARIS, QUICK, UNPACED
from tests.transports.test_survey_e2e import ConsolePerson, SlackPerson, TelegramPerson

BOB = 9101
SAMIA = "U0SAMIA"
TITLE = "Programme RSE en 3 temps (modèle Cluster Bio)"
FIRST = "étape 1/3 : Acquérir les fondamentaux RSE, pour le 05/01/2027."
SECOND = "étape 2/3 : Réaliser son autodiagnostic RSE, pour le 05/02/2027."


async def test_enrol_do_a_step_and_be_told_the_next_on_telegram_slack_and_the_console(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 1, 4, 10, tzinfo=PARIS))
    port = free_port()
    quick = settings.model_copy(update={"telegram_max_per_second": 1000})
    both = on_both_fakes(quick, fake_telegram, fake_slack, port=port)
    bob = TelegramPerson(fake_telegram, BOB)
    samia = SlackPerson(fake_slack, SAMIA, f"http://127.0.0.1:{port}/slack/events")

    app = await App.start(both)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK, pacing=UNPACED))
    chloe = ConsolePerson(app, "chloe", tmp_path / "console")
    try:
        for platform, user, name, company in (
            (Platform.TELEGRAM, str(BOB), "Bob Lefèvre", "Scop Les Tisserands"),
            (Platform.SLACK, SAMIA, "Samia Benali", "Hydreos Conseil"),
            (Platform.CONSOLE, "chloe", "Chloé Durand", "Fromagerie Berthaut"),
        ):
            await Chat(app, platform, user).sign_up(name, company)
        await Chat(app, Platform.CONSOLE, "chloe").grant("animator")
        module = app.content.modules["qu_est_ce_que_la_rse"]

        # Chloé opens the run; each one enrols from the list's button.
        opened = await chloe.tell("/programme ouvrir cluster_bio 05/01/2027", "est ouvert")
        assert f"« {TITLE} » est ouvert dans votre pôle à partir du 05/01/2027 (n°1)" in opened
        await chloe.tell("/programme", "M'inscrire")
        enrolled = await chloe.choose("M'inscrire", "Vous voilà inscrit(e)")
        assert "➡️ 1. Acquérir les fondamentaux RSE, pour le 05/01/2027" in enrolled
        await bob.tell("/programme", f"📋 {TITLE} · n°1, à partir du 05/01/2027")
        assert "vos animateurs ne voient pas votre avancement" in await bob.choose(
            "M'inscrire", "Vous voilà inscrit(e)"
        )
        await samia.tell("/programmes", "Programmes du pôle")
        await samia.choose("M'inscrire", "Vous voilà inscrit(e)")

        # The day before: nothing. On the first day, told once each, with the module's button.
        time_machine.move_to(datetime(2027, 1, 4, 9, 30, tzinfo=PARIS))
        await reminders.tell_due(app)
        time_machine.move_to(datetime(2027, 1, 5, 9, 30, tzinfo=PARIS))
        await reminders.tell_due(app)
        told = await bob.received(FIRST)
        assert bob.labels(told) == ["Ouvrir le module", "Mon programme"]
        assert "Ouvrir le module" in samia.labels(await samia.received(FIRST))

        # Bob and Samia do the module from the reminder's button, Chloé from her /programme.
        for member in (bob, samia):
            await member.choose("Ouvrir le module", heading(module, 1))
            await read_steps(member, module)
            assert "Quiz terminé : 3/3" in await take_quiz(member, module)
        await chloe.tell("/programme", "Prochaine étape")
        await chloe.choose("Ouvrir le module", heading(module, 1))
        await read_steps(chloe, module)
        await take_quiz(chloe, module)
        progress = await chloe.tell("/programme", TITLE)
        assert "✅ 1. Acquérir les fondamentaux RSE" in progress

        # A month later: the next step, told once however often the job runs.
        time_machine.move_to(datetime(2027, 2, 5, 9, 30, tzinfo=PARIS))
        await reminders.tell_due(app)
        await reminders.tell_due(app)
        told = await bob.received(SECOND)
        assert bob.labels(told) == ["Faire mon autodiagnostic", "Mon programme"]
        assert "Faire mon autodiagnostic" in samia.labels(await samia.received(SECOND))
        shown = await bob.choose("Mon programme", TITLE)
        assert "➡️ 2. Réaliser son autodiagnostic RSE, pour le 05/02/2027" in shown
        # Once each: Bob's and Samia's two steps (a pressed button edits its message in place).
        sent = [
            (chat_id, c.text.split(" · ")[1][:9])
            for chat_id, c in await queued(app, reminders.KIND)
        ]
        assert sorted(sent) == [
            (str(BOB), "étape 1/3"),
            (str(BOB), "étape 2/3"),
            (SAMIA, "étape 1/3"),
            (SAMIA, "étape 2/3"),
        ]
        progress = await chloe.tell("/programme", "Prochaine étape")
        assert "Prochaine étape : Réaliser son autodiagnostic RSE, pour le 05/02/2027." in progress
    finally:
        await chloe.close()
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()
