"""A year of the Club BouRSE end to end, through the running bot: the animator on Telegram,
members on Telegram, on Slack (through the real client libraries against the fake servers) and
on the console (the console transport itself). Club created, joined with its charter, a date
poll voted on all three, closed and fixed, invitations with their calendar file, answers
changed up to a waiting list and its promotion, a new place, the D-7 reminder, attendance, the
year's figures; then a second meeting cancelled, the member who had declined told too."""

from __future__ import annotations

import asyncio
import io
import queue
from abc import ABC, abstractmethod
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.outbox import Tuning
from bot.runner import Pacing, serve
from bot.storage.models import Event
from bot.transports.console import PROMPT, ConsoleTransport
from handlers.events import reminders
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port, on_both_fakes

PARIS = ZoneInfo("Europe/Paris")
CLAIRE, BOB, DORA = 6001, 6002, 6004
SAMIA = "U0SAMIA"
QUICK = Tuning(poll_interval=0.05)
# Dozens of messages to each person: the platforms' pacing of a chat is tested elsewhere.
UNPACED = Pacing(telegram_private_interval=0, slack_channel_interval=0)
Json = dict[str, Any]


class _InDirectMessages(ABC):
    """What a person in their direct messages with the bot has received, on either platform's
    fake server."""

    fake: FakeTelegram | FakeSlack
    # Messages before this one came before the person's last action.
    since = 0

    @abstractmethod
    def messages(self) -> list[Json]: ...

    @abstractmethod
    def calendar_files(self) -> list[Json]:
        """The .ics files received, each with its ``content``."""

    async def sees(self, fragment: str) -> Json:
        """The latest message since the person's last action holding ``fragment``, waited for."""

        def new() -> list[Json]:
            return [m for m in self.messages()[self.since :] if fragment in str(m)]

        await self.fake.wait_for(lambda: bool(new()))
        return new()[-1]

    async def calendars(self, count: int) -> list[Calendar]:
        """The calendar files received, once there are ``count``."""
        await self.fake.wait_for(lambda: len(self.calendar_files()) >= count)
        return [Calendar.from_ical(f["content"]) for f in self.calendar_files()]


class OnTelegram(_InDirectMessages):
    """A person in their private chat with the bot, through the fake Telegram server."""

    def __init__(self, fake: FakeTelegram, user_id: int) -> None:
        self.fake, self.id = fake, user_id

    def messages(self) -> list[Json]:
        return self.fake.messages_to(self.id)

    def files(self) -> list[Json]:
        return [m["document"] for m in self.messages() if m.get("document", {}).get("filename")]

    def say(self, text: str) -> None:
        self.since = len(self.messages())
        self.fake.user_says(self.id, text)

    async def press(self, label: str) -> None:
        found: list[tuple[Json, str]] = []

        def pressable() -> bool:
            found[:] = [
                (message, key["callback_data"])
                for message in reversed(self.messages())
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for key in row
                if key["text"].startswith(label)
            ][:1]
            return bool(found)

        await self.fake.wait_for(pressable)
        self.since = len(self.messages())
        self.fake.user_presses(self.id, *found[0])

    def calendar_files(self) -> list[Json]:
        return [f for f in self.files() if f["filename"].endswith(".ics")]


class OnSlack(_InDirectMessages):
    """A person in their direct messages with the bot, through the fake Slack server."""

    def __init__(self, fake: FakeSlack, user: str, url: str) -> None:
        self.fake, self.user, self.url = fake, user, url

    def messages(self) -> list[Json]:
        return self.fake.messages_in("D" + self.user)

    def calendar_files(self) -> list[Json]:
        return [
            f
            for f in self.fake.files
            if f["channel"] == "D" + self.user and str(f["filename"]).endswith(".ics")
        ]

    async def say(self, text: str) -> None:
        self.since = len(self.messages())
        assert (await self.fake.post(self.url, self.fake.dm(self.user, text)))[0] == 200

    async def press(self, label: str) -> None:
        found: list[tuple[Json, Json]] = []

        def pressable() -> bool:
            found[:] = [
                (message, element)
                for message in reversed(self.messages())
                for block in message.get("blocks") or []
                if block["type"] == "actions"
                for element in block["elements"]
                if element["text"]["text"].startswith(label)
            ][:1]
            return bool(found)

        await self.fake.wait_for(pressable)
        message, element = found[0]
        request = self.fake.press(self.user, message, element["action_id"], element["value"])
        self.since = len(self.messages())
        assert (await self.fake.post(self.url, request))[0] == 200


class _Lines(io.TextIOBase):
    """What the console reads: lines given one at a time by the test."""

    def __init__(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()

    def readline(self, size: int = -1) -> str:
        return self.lines.get()


class _Screen(io.StringIO):
    """What the console writes; tells each time it prompts for the next line."""

    def __init__(self) -> None:
        super().__init__()
        self.prompted = asyncio.Event()

    def write(self, text: str) -> int:
        if text == PROMPT:
            self.prompted.set()
        return super().write(text)


class OnConsole:
    """A person at the terminal: ``rse-bot chat``'s transport, given one line at a time."""

    def __init__(self, app: App, user: str, files: Path) -> None:
        self.stdin, self.stdout = _Lines(), _Screen()
        self.transport = ConsoleTransport(
            app.handle, user=user, stdin=self.stdin, stdout=self.stdout, files_dir=files
        )
        self.task = asyncio.create_task(self.transport.run())

    async def say(self, line: str) -> str:
        """What the console printed in answer to ``line`` (a command, or a button's label)."""
        await self.stdout.prompted.wait()
        self.stdout.prompted.clear()
        start = len(self.stdout.getvalue())
        self.stdin.lines.put(line + "\n")
        await self.stdout.prompted.wait()
        return self.stdout.getvalue()[start:]

    async def press(self, label: str) -> str:
        """Answer with the number of the last reply's button whose label starts with
        ``label``, as one types ``2`` for ``[2] Lancer le sondage (1 membre(s))``."""
        shown = self.stdout.getvalue().rsplit(PROMPT, 2)[-2]
        (number,) = [
            line[1 : line.index("]")]
            for line in shown.splitlines()
            if line.startswith("[") and line[line.index("]") + 2 :].startswith(label)
        ]
        return await self.say(number)

    async def close(self) -> None:
        await self.stdout.prompted.wait()
        self.stdin.lines.put("")
        await self.task


async def describe(animator: OnTelegram, theme: str, host: str, practice: str, place: str) -> None:
    """/club reunion up to the capacity question: each answer once the previous was taken."""
    animator.say("/club reunion")
    await animator.sees("thème")
    for answer in (theme, host, practice, place):
        count = len(animator.messages())
        animator.say(answer)
        await animator.fake.wait_for(lambda n=count: len(animator.messages()) > n)
    await animator.press("Sans ordre du jour")


async def _event_uids(app: App) -> dict[int, str]:
    async with app.database.transaction() as session:
        return {event.id or 0: event.uid for event in await session.scalars(select(Event))}


def _vevent(calendar: Calendar) -> Any:
    (event,) = calendar.walk("VEVENT")
    return event


async def test_a_year_of_club_meetings_on_telegram_slack_and_the_console(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 2, 1, 10, tzinfo=PARIS))
    port = free_port()
    app = await App.start(on_both_fakes(settings, fake_telegram, fake_slack, port=port))
    for platform, user, name, company in (
        (Platform.TELEGRAM, str(CLAIRE), "Claire Roux", "Pôle Mont-Blanc Industries"),
        (Platform.TELEGRAM, str(BOB), "Bob Lefèvre", "Scop Les Tisserands"),
        (Platform.SLACK, SAMIA, "Samia Benali", "Hydreos Conseil"),
        (Platform.CONSOLE, "chloe", "Chloé Durand", "Fromagerie Berthaut"),
        (Platform.TELEGRAM, str(DORA), "Dora Meyer", "Biocoop Annecy"),
    ):
        await Chat(app, platform, user).sign_up(name, company)
    await Chat(app, Platform.TELEGRAM, str(CLAIRE)).grant("animator")
    claire, bob, dora = (OnTelegram(fake_telegram, n) for n in (CLAIRE, BOB, DORA))
    samia = OnSlack(fake_slack, SAMIA, f"http://127.0.0.1:{port}/slack/events")
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK, pacing=UNPACED))
    chloe = OnConsole(app, "chloe", tmp_path / "console")
    try:
        # The club, and its charter accepted on each platform.
        claire.say("/club creer Club BouRSE")
        code = (await claire.sees("Son code : "))["text"].split("Son code : ")[1].split(".")[0]
        for member in (bob, dora):
            member.say(f"/club rejoindre {code}")
            await member.press("J'accepte la charte")
            await member.sees("Bienvenue dans le club")
        await samia.say(f"/club rejoindre {code}")
        await samia.press("J'accepte la charte")
        await samia.sees("Bienvenue dans le club")
        assert "lisez sa charte" in await chloe.say(f"/club rejoindre {code}")
        assert "Bienvenue dans le club" in await chloe.say("J'accepte la charte")

        # A meeting whose date is polled, at most 2 places.
        await describe(
            claire,
            "Bilan carbone des PME industrielles",
            "Scop Les Tisserands",
            "Un logiciel de gestion prévisionnelle des emplois et des compétences",
            "12 rue des Tisserands, 74000 Annecy",
        )
        await claire.sees("Combien de places")
        claire.say("2")
        await claire.press("Sondage de dates")
        await claire.sees("Proposez de 2 à 6 créneaux")
        claire.say("12/03/2027 9h30 ; 19/03/2027 14h")
        await claire.press("Jusqu'au")
        await claire.press("Lancer le sondage")
        number = int((await claire.sees("Sondage n° "))["text"].split("Sondage n° ")[1].split()[0])

        await bob.press("12/03/2027 09:30 : oui")
        await bob.sees("C'est noté")
        await samia.press("12/03/2027 09:30 : oui")
        await samia.sees("C'est noté")
        await chloe.say("/club")
        await chloe.say("Répondre au sondage : Bilan carbone des PME industrielles")
        assert "C'est noté" in await chloe.say("12/03/2027 09:30 : si nécessaire")
        await dora.press("19/03/2027 14:00 : oui")
        await dora.sees("C'est noté")

        claire.say(f"/club sondage {number}")
        await claire.sees("2 oui, 1 si nécessaire")
        await claire.press("Clore le sondage maintenant")
        await claire.sees("Meilleur créneau : le 12/03/2027 09:30")
        await claire.press("Confirmer le 12/03/2027 09:30")

        # Everyone invited with their file, under the poll's UID; the voters told the date.
        uid = (await _event_uids(app))[number]
        (invitation,) = await bob.calendars(1)
        assert invitation["METHOD"] == "REQUEST"
        assert str(_vevent(invitation)["UID"]) == uid
        assert _vevent(invitation)["SEQUENCE"] == 0
        assert str(_vevent((await samia.calendars(1))[0])["UID"]) == uid
        await bob.sees("est fixée : le 12/03/2027 09:30")

        # Answers, up to the waiting list and its promotion.
        await bob.press("Je viens")
        await bob.sees("vous venez")
        await samia.press("Je viens")
        await samia.sees("vous venez")
        await dora.press("Je viens")
        await dora.sees("liste d'attente")
        await samia.press("Je ne viens pas")
        await dora.sees("Une place s'est libérée")
        assert "Peut-être" in await chloe.say("/club")
        assert "peut-être" in await chloe.say("Peut-être")

        # A new place: the same event, SEQUENCE 1, the answers kept.
        claire.say(f"/club modifier {number}")
        await claire.press("Le lieu")
        await claire.sees("Où ?")
        claire.say("Hôtel d'entreprises, 3 avenue du Léman, 74200 Thonon-les-Bains")
        await claire.press("Envoyer la mise à jour")
        _, moved = await bob.calendars(2)
        assert str(_vevent(moved)["UID"]) == uid
        assert _vevent(moved)["SEQUENCE"] == 1
        assert "Thonon-les-Bains" in str(_vevent(moved)["LOCATION"])
        assert _vevent(moved)["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"

        # D-7: reminded, except Samia who declined.
        time_machine.move_to(datetime(2027, 3, 5, 9, 31, tzinfo=PARIS))
        await reminders.remind(app)
        await bob.sees("Rappel : rendez-vous dans 7 jours")
        await dora.sees("Rappel : rendez-vous dans 7 jours")

        # After the meeting: who came, and the year's figures.
        time_machine.move_to(datetime(2027, 3, 12, 14, tzinfo=PARIS))
        claire.say(f"/club presences {number}")
        await claire.sees("Qui est venu")
        claire.say("1 2")
        await claire.press("Valider")
        await claire.sees("Présences enregistrées")
        claire.say("/club bilan 2027")
        # The chart comes as a picture, the table as a file for Excel.
        await claire.sees("'photo'")
        await fake_telegram.wait_for(
            lambda: any(f["filename"].endswith(".csv") for f in claire.files())
        )
        figures = next(m for m in reversed(claire.messages()) if "Réunions tenues" in str(m))

        # A second meeting, fixed, then cancelled: the decliner told too.
        await describe(
            claire,
            "Égalité professionnelle",
            "Hydreos Conseil",
            "L'index de l'égalité femmes-hommes",
            "8 quai de la Tournette, 74000 Annecy",
        )
        await claire.press("Sans limite")
        await claire.sees("Quand ?")
        claire.say("16/04/2027 9h30")
        await claire.press("Inviter")
        await samia.sees("16/04/2027")
        await samia.calendars(3)
        await samia.press("Je ne viens pas")
        await samia.sees("vous ne venez pas à la réunion du 16/04/2027")
        second = max(await _event_uids(app))
        claire.say(f"/club annuler {second}")
        await claire.press("Sans raison")
        await claire.press("Annuler la réunion")
        await claire.sees("est annulée")
        cancellation = (await samia.calendars(4))[-1]
        uids = await _event_uids(app)
    finally:
        await chloe.close()
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()

    assert cancellation["METHOD"] == "CANCEL"
    assert _vevent(cancellation)["STATUS"] == "CANCELLED"
    assert str(_vevent(cancellation)["UID"]) == uids[second]
    assert "2 présent(s) sur" in str(figures), figures
    reminded = [m for m in samia.messages() if "Rappel" in str(m)]
    assert reminded == []


async def test_a_meeting_from_poll_to_bilan_on_the_console_alone(
    app: App, time_machine: TimeMachineFixture, tmp_path: Path
) -> None:
    time_machine.move_to(datetime(2027, 2, 1, 10, tzinfo=PARIS))
    await Chat(app, Platform.CONSOLE, "claire").sign_up("Claire Roux", "Pôle Mont-Blanc Industries")
    await Chat(app, Platform.CONSOLE, "claire").grant("animator")
    await Chat(app, Platform.CONSOLE, "chloe").sign_up("Chloé Durand", "Fromagerie Berthaut")
    claire = OnConsole(app, "claire", tmp_path / "claire")
    chloe = OnConsole(app, "chloe", tmp_path / "chloe")
    try:
        code = (await claire.say("/club creer Club BouRSE")).split("Son code : ")[1].split(".")[0]
        await chloe.say(f"/club rejoindre {code}")
        assert "Bienvenue dans le club" in await chloe.press("J'accepte la charte")

        for line in (
            "/club reunion",
            "Bilan carbone des PME industrielles",
            "Fromagerie Berthaut",
            "La méthanisation des petits-laits",
            "Route des Aravis, 74220 La Clusaz",
        ):
            await claire.say(line)
        await claire.press("Sans ordre du jour")
        await claire.press("Sans limite")
        await claire.press("Sondage de dates")
        await claire.say("12/03/2027 9h30 ; 19/03/2027 14h")
        await claire.say("05/03/2027 18h")
        opened = await claire.press("Lancer le sondage")
        number = opened.split("Sondage n° ")[1].split()[0]

        await chloe.say("/club")
        await chloe.press("Répondre au sondage")
        assert "2. 19/03/2027 14:00 : oui" in await chloe.press("19/03/2027 14:00 : oui")
        await claire.say(f"/club sondage {number}")
        assert "Meilleur créneau : le 19/03/2027 14:00" in await claire.press("Clore le sondage")
        await claire.press("Confirmer le 19/03/2027 14:00")

        assert "prochaine réunion le 19/03/2027 14:00" in await chloe.say("/club")
        assert "vous venez" in await chloe.press("Je viens")
        sheet = await claire.say(f"/club participants {number}")
        assert "Chloé Durand (Fromagerie Berthaut)" in sheet
        assert {path.suffix for path in (tmp_path / "claire").iterdir()} == {".csv", ".xlsx"}

        await claire.say(f"/club modifier {number}")
        await claire.press("Le lieu")
        await claire.say("Salle des fêtes, 74220 La Clusaz")
        # A console is written to only when its person types: nothing is queued for Chloé,
        # who reads the change in /club.
        assert "Réunion mise à jour" in await claire.press("Envoyer la mise à jour")
        assert "Salle des fêtes" in await chloe.say("/club")

        time_machine.move_to(datetime(2027, 3, 19, 17, tzinfo=PARIS))
        await claire.say(f"/club presences {number}")
        await claire.say("1")
        assert "1 présent(s) sur 1 invité(s)" in await claire.press("Valider")
        bilan = await claire.say("/club bilan 2027")
        assert "Réunions tenues : 1 sur un objectif de 5 par an." in bilan
        assert "1 présent(s) sur 1 invité(s)" in bilan
        assert {".png"} <= {path.suffix for path in (tmp_path / "claire").iterdir()}

        for line in (
            "/club reunion",
            "Égalité professionnelle",
            "Pôle Mont-Blanc Industries",
            "L'index de l'égalité femmes-hommes",
            "Cluses",
        ):
            await claire.say(line)
        await claire.press("Sans ordre du jour")
        await claire.press("Sans limite")
        await claire.say("16/04/2027 9h30")
        await claire.press("Inviter")
        second = str(max(await _event_uids(app)))
        await claire.say(f"/club annuler {second}")
        await claire.press("Sans raison")
        assert "est annulée" in await claire.press("Annuler la réunion")
        assert "16/04/2027" not in await chloe.say("/club")
    finally:
        await claire.close()
        await chloe.close()
