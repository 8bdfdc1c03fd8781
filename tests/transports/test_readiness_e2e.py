"""The readiness self-checks end to end, through the running bot: members on Telegram and on
Slack (through the real client libraries against the fake servers) and on the console (the
console transport itself). Bob on Telegram opens LUCIE 26000's page and presses « Suis-je prêt
? », with gaps; Samia on Slack checks B Corp by its number, every requirement met; Chloé at the
console begins the Label Numérique Responsable's check and is halfway when the bot stops. Started
again on the same database, /pret takes her back to her question; she finishes it, then checks
Engagé RSE; each one's /accueil shows their result."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from time_machine import TimeMachineFixture

from bot.config import Settings
from bot.messages import Platform
from content.awareness.readiness import ReadinessCheck
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_awareness_e2e import Member, running
from tests.transports.test_club_e2e import PARIS
from tests.transports.test_survey_e2e import SlackPerson, TelegramPerson

BOB = 9002
SAMIA = "U0SAMIB"
# Where Chloé stops the Label Numérique Responsable's check: two requirements answered.
HALFWAY = 2


def asked(check: ReadinessCheck, number: int) -> str:
    """A requirement's question line as read: « Suis-je prêt ? B Corp — question 2/4 »."""
    return f"{check.title.fr} — question {number}/{len(check.requirements)}"


async def answer(member: Member, check: ReadinessCheck, choices: list[str], start: int = 1) -> str:
    """Each choice pressed in turn from question ``start``; the last answer's reply as read
    (the result, once the last requirement is answered)."""
    shown = ""
    for number, choice in enumerate(choices, start=start):
        last = number == len(check.requirements)
        expected = "exigence(s) sur" if last else asked(check, number + 1)
        shown = await member.choose(choice, expected)
    return shown


async def test_every_readiness_check_on_telegram_slack_and_the_console_across_a_restart(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 1, 11, 10, tzinfo=PARIS))
    port = free_port()
    quick = settings.model_copy(update={"telegram_max_per_second": 1000})
    both = on_both_fakes(quick, fake_telegram, fake_slack, port=port)
    bob = TelegramPerson(fake_telegram, BOB)
    samia = SlackPerson(fake_slack, SAMIA, f"http://127.0.0.1:{port}/slack/events")
    files = tmp_path / "console"

    async with running(both, files) as (app, chloe):
        checks = app.content.readiness
        for platform, user, name, company in (
            (Platform.TELEGRAM, str(BOB), "Bob Lefèvre", "Scop Les Tisserands"),
            (Platform.SLACK, SAMIA, "Samia Benali", "Hydreos Conseil"),
            (Platform.CONSOLE, "chloe", "Chloé Durand", "Numeria Conseil"),
        ):
            await Chat(app, platform, user).sign_up(name, company)

        # Bob on Telegram: LUCIE 26000's page, « Suis-je prêt ? », three gaps.
        lucie = checks["lucie_26000"]
        page = await bob.tell("/labels lucie_26000", "Label LUCIE 26000")
        assert "Suis-je prêt ?" in bob.labels(await bob.received("Les étapes"))
        assert "Le renouvellement à 36 mois." in page
        await bob.choose("Suis-je prêt ?", asked(lucie, 1))
        result = await answer(
            bob, lucie, ["Oui", "En partie", "Non", "Je ne sais pas", "Oui", "Oui"]
        )
        assert "3 exigence(s) sur 6 semble(nt) remplie(s)" in result
        assert "Une justification par réponse (votre réponse : En partie)" in result
        assert "(vérifié le 01/12/2026)" in result
        labels = bob.labels(await bob.received("exigence(s) sur 6"))
        assert labels == [
            "Module : Qu'est-ce que la RSE ?",
            "Page du label",
            "Refaire l'autoévaluation",
        ]

        # Samia on Slack: B Corp by its number in /labels, every requirement met.
        b_corp = checks["b_corp"]
        await samia.tell("/pret 4", asked(b_corp, 1))
        result = await answer(samia, b_corp, ["Oui"] * 4)
        assert "4 exigence(s) sur 4 semble(nt) remplie(s)" in result
        assert "Tout semble en place" in result

        # Chloé at the console: the Label Numérique Responsable's check, halfway.
        nr = checks["numerique_responsable"]
        listed = await chloe.tell("/pret", "Suis-je prêt ?")
        assert "1. Label Numérique Responsable : pas encore vérifié" in listed
        await chloe.choose("Label Numérique Responsable", asked(nr, 1))
        await answer(chloe, nr, ["Oui", "Non"])

    # The bot stopped, then started again on the same database.
    async with running(both, files) as (app, chloe):
        resumed = await chloe.tell("/pret numerique_responsable", asked(nr, HALFWAY + 1))
        assert "Reprenons là où nous en étions" in resumed
        result = await answer(chloe, nr, ["Non", "Oui", "Oui"], start=HALFWAY + 1)
        assert "3 exigence(s) sur 5 semble(nt) remplie(s)" in result
        assert "L'avis de vos clients (votre réponse : Non)" in result
        assert "Enquête clients" in result
        engage = checks["engage_rse"]
        await chloe.tell("/pret engage_rse", asked(engage, 1))
        result = await answer(chloe, engage, ["Oui", "Oui", "En partie", "Oui", "Oui"])
        assert "4 exigence(s) sur 5 semble(nt) remplie(s)" in result

        # Each one's result on their /accueil, Telegram's and Slack's through the new run.
        home = await chloe.tell("/accueil", "Chloé Durand")
        assert (
            "Suis-je prêt ? Label Numérique Responsable 3/5, Label Engagé RSE (AFNOR) 4/5" in home
        )
        assert "Label LUCIE 26000 3/6" in await bob.tell("/accueil", "Suis-je prêt ?")
        assert "B Corp (B Lab) 4/4" in await samia.tell("/accueil", "Suis-je prêt ?")
        listed = await chloe.tell("/pret", "Suis-je prêt ?")
        assert (
            "1. Label Numérique Responsable : 3 exigence(s) sur 5 remplie(s) (le 11/01/2027)"
            in listed
        )
