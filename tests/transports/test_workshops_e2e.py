"""A workshop from the members' requests to its survey, end to end through the running bot and
a fake clock: the animator on Telegram, members on Telegram and Slack (through the real client
libraries against the fake servers) and on the console (its transport itself). Requests by
button, in own words and as free text; the ranking; the workshop planned for the pôle, which is
an event of handlers/events: invitations with their calendar file, registration up to the
capacity, the waiting list and its promotion, the D-7 reminder, attendance; then the
satisfaction survey to those who came, its results, and the slides sent to them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.runner import serve
from handlers.events import reminders
from handlers.workshops import after
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.workshops import workshop_number
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_club_e2e import QUICK, UNPACED, OnConsole, OnSlack, OnTelegram

PARIS = ZoneInfo("Europe/Paris")
CLAIRE, BOB = 6101, 6102
SAMIA = "U0SAMIA15"
THEME = "Comment maîtriser la communication durable ?"


async def test_a_workshop_from_requests_to_attendance_and_survey_on_three_transports(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 2, 1, 10, tzinfo=PARIS))
    port = free_port()
    # Two companies suffice for the survey's figures here (5 by default).
    configured = on_both_fakes(settings, fake_telegram, fake_slack, port=port)
    app = await App.start(configured.model_copy(update={"min_group_size": 2}))
    for platform, user, name, company in (
        (Platform.TELEGRAM, str(CLAIRE), "Claire Roux", "Pôle Végépolys"),
        (Platform.TELEGRAM, str(BOB), "Bob Lefèvre", "Scop Les Tisserands"),
        (Platform.SLACK, SAMIA, "Samia Benali", "Hydreos Conseil"),
        (Platform.CONSOLE, "chloe", "Chloé Durand", "Fromagerie Berthaut"),
    ):
        await Chat(app, platform, user).sign_up(name, company)
    await Chat(app, Platform.TELEGRAM, str(CLAIRE)).grant("animator")
    claire, bob = OnTelegram(fake_telegram, CLAIRE), OnTelegram(fake_telegram, BOB)
    samia = OnSlack(fake_slack, SAMIA, f"http://127.0.0.1:{port}/slack/events")
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK, pacing=UNPACED))
    chloe = OnConsole(app, "chloe", tmp_path / "console")
    try:
        # Requests: a theme's button on Telegram, own words naming it on Slack and the
        # console, free text asking for another workshop on Slack.
        bob.say("/atelier")
        await bob.press("🙋 Demander le 3")
        await bob.sees(f"C'est noté : vous demandez « {THEME} »")
        await samia.say("/atelier demander communication durable")
        await samia.sees("C'est noté")
        await samia.say("un atelier sur les achats responsables")
        await samia.press("🙋 Demander cet atelier")
        await samia.sees("vous demandez un atelier sur « achats responsables »")
        assert "C'est noté" in await chloe.say("/atelier demander le greenwashing")
        assert "déjà demandé" in await chloe.say("/atelier demander communication durable")

        # The ranking, and the workshop planned for the whole pôle, two seats.
        claire.say("/atelier demandes")
        await claire.sees(f"1. « {THEME} » — 3 membre(s)")
        await claire.press("📅 Planifier le 1")
        await claire.press("Garder")
        await claire.sees("Date et heure")
        claire.say("12/03/2027 9h30")
        await claire.sees("Lieu, ou lien de la visio")
        claire.say("Salle Anjou, 10 rue du Végétal, 49000 Angers")
        await claire.sees("Combien de places")
        claire.say("2")
        await claire.press("Tout le pôle")
        await claire.press("Envoyer à 4")
        await claire.sees("planifié")
        number = await workshop_number(app)

        # Those who asked are told; invitations with the calendar file, on both platforms.
        await bob.sees("l'atelier que vous avez demandé")
        await samia.sees("l'atelier que vous avez demandé")
        (invitation,) = await bob.calendars(1)
        (event,) = invitation.walk("VEVENT")
        assert invitation["METHOD"] == "REQUEST"
        assert str(event["SUMMARY"]) == THEME
        assert "Angers" in str(event["LOCATION"])
        await samia.calendars(1)

        # Registration: two seats, Samia waits, and is let in when Bob declines.
        await bob.press("Je viens")
        await bob.sees("vous êtes inscrit(e) à l'atelier du")
        assert "vous êtes inscrit(e) à l'atelier du" in await chloe.say(
            f"/atelier rsvp {number} oui"
        )
        await samia.press("Je viens")
        await samia.sees("liste d'attente")
        await bob.press("Je ne viens pas")
        await samia.sees("Une place s'est libérée")

        # D-7: the events' reminder, naming /atelier.
        time_machine.move_to(datetime(2027, 3, 5, 9, 31, tzinfo=PARIS))
        await reminders.remind(app)
        reminder = await samia.sees("Rappel : rendez-vous dans 7 jours")
        assert f"/atelier rsvp {number} non" in str(reminder)

        # After it: who came (Chloé and Samia, listed first as coming).
        time_machine.move_to(datetime(2027, 3, 12, 14, tzinfo=PARIS))
        claire.say(f"/atelier presences {number}")
        await claire.sees("Qui est venu")
        claire.say("1 2")
        await claire.press("Valider")
        await claire.sees("2 présent(s) sur 4 invité(s)")

        # The survey to those who came, answered on Slack and on the console.
        await after.send_surveys(app)
        await samia.press("✍️ Donner mon avis")
        await samia.sees("L'atelier vous a-t-il été utile")
        for choice, next_text in (
            ("Tout à fait", "Les contenus"),
            ("Plutôt oui", "Comptez-vous"),
            ("Tout à fait", "Un mot pour les animateurs"),
        ):
            await samia.press(choice)
            await samia.sees(next_text)
        await samia.say("Des exemples concrets d'allégations")
        await samia.sees("Merci pour votre avis")
        await chloe.say(f"/atelier avis {number}")
        for choice in ("Plutôt oui", "Plutôt oui", "Plutôt non"):
            await chloe.press(choice)
        assert "Merci pour votre avis" in await chloe.press("Passer")
        assert not any("Donner mon avis" in str(m) for m in bob.messages())

        claire.say(f"/atelier resultats {number}")
        results = await claire.sees("Avis sur")
        assert "utile pour votre entreprise ? 2,5 / 3 (2 entreprises)" in results["text"]
        assert "« Des exemples concrets d'allégations »" in results["text"]

        # The slides, to those who came.
        claire.say(f"/atelier documents {number}")
        await claire.sees("Envoyez les supports")
        fake_telegram.user_sends_file(CLAIRE, "supports-communication-durable.pdf", b"%PDF-1.4")
        await claire.sees("part vers")
        await claire.press("Terminer")
        await claire.sees("1 fichier(s) envoyé(s)")
        await fake_slack.wait_for(
            lambda: any(
                f["channel"] == "D" + SAMIA
                and f.get("filename") == "supports-communication-durable.pdf"
                for f in fake_slack.files
            )
        )
    finally:
        await chloe.close()
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()

    # Bob declined and did not come: neither the survey nor the slides.
    assert not any("supports-communication-durable" in str(m) for m in bob.messages())
