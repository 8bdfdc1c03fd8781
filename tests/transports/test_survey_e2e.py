"""Two waves of the partner survey end to end, through the running bot: the animator on Telegram,
the partners' respondents on Telegram, on Slack (through the real client libraries against the
fake servers) and on the console (the console transport itself). A project and its three
partners, respondents signed up with their partner's code, a wave opened with its invitations,
one partner answered by two respondents (the last wins), another by one, the reminders at +7 and
+14 days to the third only, the close and the results to every respondent and the animator;
then a second wave, what moved since the first, and the trend chart."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.runner import serve
from bot.storage import repositories as repo
from bot.storage.models import SurveyResponse
from content.surveys.models import SurveySet
from handlers.survey import waves
from handlers.survey.questionnaire import questionnaire
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram, _html_to_plain
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_club_e2e import (
    PARIS,
    QUICK,
    UNPACED,
    Json,
    OnConsole,
    OnSlack,
    OnTelegram,
    _InDirectMessages,
)

CLAIRE, ELSA = 7001, 7002
MARC, PAUL = "U0MARC", "U0PAUL"
PROJECT = "LUMIEAU-STRA"
EURO, AGENCE, INRAE = "Eurométropole de Strasbourg", "Agence de l'eau Rhin-Meuse", "INRAE Grand Est"
MARC_COMMENT = "Gouvernance claire, comités réguliers"
THANKS = "Merci !"


class Person(Protocol):
    """Someone writing to the bot on any of the three platforms."""

    async def tell(self, text: str, expected: str) -> str:
        """Type ``text``; the bot's answer holding ``expected``, as the platform shows it."""
        ...

    async def choose(self, label: str, expected: str) -> str:
        """Press the latest button starting with ``label``; the answer holding ``expected``."""
        ...


class _Reading(_InDirectMessages):
    """What Telegram and Slack people share: the messages since their last action, as read."""

    @abstractmethod
    def shown(self, message: Json) -> str:
        """The message's text as the person reads it."""

    @abstractmethod
    def labels(self, message: Json) -> list[str]:
        """The labels of the message's buttons."""

    async def received(self, fragment: str) -> Json:
        """The latest message since the person's last action holding ``fragment``, waited for."""
        found: list[Json] = []

        def new() -> bool:
            found[:] = [m for m in self.messages()[self.since :] if fragment in self.shown(m)]
            return bool(found)

        await self.fake.wait_for(new)
        return found[-1]

    async def reads(self, fragment: str) -> str:
        return self.shown(await self.received(fragment))

    def got(self, fragment: str) -> list[str]:
        """Every message ever received holding ``fragment``."""
        return [self.shown(m) for m in self.messages() if fragment in self.shown(m)]


class TelegramPerson(OnTelegram, _Reading):
    """A person in their private chat, reading the messages as Telegram shows their HTML."""

    def shown(self, message: Json) -> str:
        return _html_to_plain(message.get("text") or message.get("caption") or "")

    def labels(self, message: Json) -> list[str]:
        keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return [key["text"] for row in keyboard for key in row]

    def photos(self) -> list[Json]:
        """The pictures received, each with its ``filename`` and ``content``."""
        return [m["photo"] for m in self.messages() if isinstance(m.get("photo"), dict)]

    async def tell(self, text: str, expected: str) -> str:
        self.say(text)
        return await self.reads(expected)

    async def choose(self, label: str, expected: str) -> str:
        await self.press(label)
        return await self.reads(expected)


class SlackPerson(OnSlack, _Reading):
    """A person in their direct messages, reading each message's plain text."""

    def shown(self, message: Json) -> str:
        return str(message.get("text") or "")

    def labels(self, message: Json) -> list[str]:
        return [
            element["text"]["text"]
            for block in message.get("blocks") or []
            if block["type"] == "actions"
            for element in block["elements"]
        ]

    def uploads(self) -> list[Json]:
        """The files uploaded to the person, each with its ``filename`` and ``content``."""
        return [f for f in self.fake.files if f["channel"] == "D" + self.user]

    async def tell(self, text: str, expected: str) -> str:
        await self.say(text)
        return await self.reads(expected)

    async def choose(self, label: str, expected: str) -> str:
        await self.press(label)
        return await self.reads(expected)


class ConsolePerson(OnConsole):
    """A person at the terminal: what the console printed in answer to each line."""

    async def tell(self, text: str, expected: str) -> str:
        shown = await self.say(text)
        assert expected in shown, shown
        return shown

    async def choose(self, label: str, expected: str) -> str:
        shown = await self.press(label)
        assert expected in shown, shown
        return shown


def prompts(survey: SurveySet) -> list[str]:
    """What the bot asks in turn while a partner's response is filled in: each affirmation by
    its number, and the comment that closes each axis."""
    asked = questionnaire(survey)
    total = sum(len(section.questions) for section in asked.sections)
    shown: list[str] = []
    number = 0
    for section in asked.sections:
        for _ in section.questions:
            number += 1
            shown.append(f"question {number}/{total}")
        if section.closing_comment is not None:
            shown.append(section.closing_comment.prompt.fr)
    return shown


async def sign_up(person: Person, name: str, company: str, code: str) -> None:
    """/start with a partner's code typed at the pôle's question."""
    await person.tell("/start", "Acceptez-vous ?")
    await person.choose("J'accepte", "Comment vous appelez-vous ?")
    await person.tell(name, "Quelle est votre entreprise")
    await person.tell(company, "Dans quel secteur")
    await person.choose("Autre", "quel pôle rejoignez-vous ?")
    await person.tell(code, "Vous répondez désormais pour")


async def fill_in(
    person: Person, asked: list[str], choice: str, *, comment: str | None = None
) -> str:
    """Answer every affirmation with ``choice``, from the first one shown; ``comment`` at the end
    of the first axis, the other comments skipped. The last answer's text."""
    shown = ""
    for prompt, following in zip(asked, [*asked[1:], THANKS], strict=True):
        if "(facultatif)" not in prompt:
            shown = await person.choose(choice, following)
        elif comment is not None:
            shown, comment = await person.tell(comment, following), None
        else:
            shown = await person.choose("Passer", following)
    return shown


async def answer(
    person: Person, partner: str, asked: list[str], choice: str, *, comment: str | None = None
) -> str:
    """/enquete, then the partner's response filled in with ``choice``."""
    await person.tell("/enquete", "Vos enquêtes partenaires")
    await person.choose(f"Répondre pour {partner}", asked[0])
    return await fill_in(person, asked, choice, comment=comment)


async def responses(app: App) -> list[SurveyResponse]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


async def partner_ids(app: App, project: int) -> tuple[dict[str, int], int]:
    """The partners' ids by name, and Marc's person id."""
    async with app.database.transaction() as session:
        partners = await repo.survey_partners(session, project_id=project)
        marc = await repo.person_for(session, platform=Platform.SLACK.value, user_id=MARC)
    assert marc is not None and marc.id is not None
    return {p.name: p.id or 0 for p in partners}, marc.id


async def test_two_survey_waves_on_telegram_slack_and_the_console(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 4, 1, 10, tzinfo=PARIS))
    port = free_port()
    # Two partners answering are enough for the partners to see the results; Telegram's 30
    # messages a second for the whole bot would pace the 26 affirmations (tested elsewhere).
    quick = settings.model_copy(update={"min_group_size": 2, "telegram_max_per_second": 1000})
    app = await App.start(on_both_fakes(quick, fake_telegram, fake_slack, port=port))
    asked = prompts(app.content.surveys["hydreos"])
    await Chat(app, Platform.TELEGRAM, str(CLAIRE)).sign_up("Claire Roux", "Pôle HYDREOS")
    await Chat(app, Platform.TELEGRAM, str(CLAIRE)).grant("animator")
    claire, elsa = TelegramPerson(fake_telegram, CLAIRE), TelegramPerson(fake_telegram, ELSA)
    url = f"http://127.0.0.1:{port}/slack/events"
    marc, paul = SlackPerson(fake_slack, MARC, url), SlackPerson(fake_slack, PAUL, url)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK, pacing=UNPACED))
    lina = ConsolePerson(app, "lina", tmp_path / "console")
    try:
        # The project and its partners, each with its code.
        await claire.tell("/enquete projet", "nom du projet")
        await claire.tell(PROJECT, "Quel jeu d'indicateurs")
        await claire.choose("Indicateurs de développement durable du projet", "anonyme")
        created = await claire.choose("Anonyme", f"Projet « {PROJECT} » créé")
        number = int(created.split("(n°")[1].split(")")[0])
        codes = {}
        for partner in (EURO, AGENCE, INRAE):
            added = await claire.tell(f"/enquete partenaire {number} {partner}", "Son code : ")
            codes[partner] = added.split("Son code : ")[1].split()[0]

        # Respondents outside the pôle sign up with their partner's code, each on their platform.
        await sign_up(elsa, "Elsa Kern", "Eurométropole", codes[EURO])
        await sign_up(marc, "Marc Weber", "Eurométropole", codes[EURO])
        await sign_up(lina, "Lina Roth", "Agence de l'eau", codes[AGENCE])
        await sign_up(paul, "Paul Fuchs", "INRAE", codes[INRAE])
        partners, marc_id = await partner_ids(app, number)

        # The first wave: everyone invited on their platform, with the button that answers.
        opened = await claire.tell(f"/enquete ouvrir {number}", "Vague 1 du projet")
        assert "3 partenaire(s), 4 répondant(s) invités" in opened
        for person, partner in ((elsa, EURO), (marc, EURO), (paul, INRAE)):
            invitation = await person.received(f"Enquête « {PROJECT} » — vague 1")
            assert f"au nom de « {partner} » : 26 affirmations" in person.shown(invitation)
            assert person.labels(invitation) == ["Répondre"]
        # The console is written to only when its person types: Lina finds the wave in /enquete.
        assert "Vague 1 ouverte jusqu'au 22/04/2027" in await lina.tell("/enquete", AGENCE)

        # Elsa answers from the invitation, then Marc for the same partner: his answer wins.
        await elsa.choose("Répondre", asked[0])
        assert "La réponse de « Eurométropole de Strasbourg » est envoyée" in await fill_in(
            elsa, asked, "Plutôt pas d'accord"
        )
        overview = await marc.tell("/enquete", "Vos enquêtes partenaires")
        assert "Réponse de votre organisation envoyée le 01/04/2027" in overview
        assert "par Elsa Kern" in overview
        replaced = await answer(marc, EURO, asked, "Plutôt d'accord", comment=MARC_COMMENT)
        assert f"Votre réponse remplace celle que « {EURO} » avait envoyée" in replaced
        await lina.choose(f"Répondre pour {AGENCE}", asked[0])
        await fill_in(lina, asked, "Tout à fait d'accord")
        euro, agence = await responses(app)
        assert (euro.partner_id, euro.submitted_by) == (partners[EURO], marc_id)
        assert set(euro.answers.values()) == {"plutot"}
        assert euro.comments == {"gouvernance": MARC_COMMENT}
        assert (agence.partner_id, set(agence.answers.values())) == (
            partners[AGENCE],
            {"tout_a_fait"},
        )

        # +7 and +14 days: the reminders reach the INRAE's respondent only.
        time_machine.move_to(datetime(2027, 4, 8, 10, 30, tzinfo=PARIS))
        await waves.send_due(app)
        reminder = await paul.received("Rappel — enquête « LUMIEAU-STRA », vague 1")
        assert "« INRAE Grand Est » n'a pas encore envoyé sa réponse (7 jours" in paul.shown(
            reminder
        )
        assert paul.labels(reminder) == ["Répondre"]
        time_machine.move_to(datetime(2027, 4, 15, 10, 30, tzinfo=PARIS))
        await waves.send_due(app)
        await paul.received("(14 jours depuis l'ouverture)")

        # +21 days: closed; the results to every partner's respondents and to the animator.
        time_machine.move_to(datetime(2027, 4, 22, 10, 30, tzinfo=PARIS))
        await waves.send_due(app)
        title = f"Résultats — « {PROJECT} », Vague 1 (01/04/2027)"
        for person in (elsa, marc, paul, claire):
            results = await person.received(title)
            shown = person.shown(results)
            assert "Participation : 2 partenaire(s) sur 3 (67 %)." in shown, shown
            # Marc's « plutôt » (not Elsa's « plutôt pas ») and Lina's « tout à fait ».
            assert "• Gouvernance : 100 % · +100 % · 0 %" in shown, shown
            assert person.labels(results) == ["Voir les graphiques"]
        first = await lina.tell(f"/enquete resultats {number}", title)
        assert "Participation : 2 partenaire(s) sur 3 (67 %)." in first
        assert "• Dimension économique : 100 % · +100 % · 0 %" in first
        # One chart per axis, saved where the console keeps files; no trend with one wave.
        assert first.count("📎") == 4 and "tendances" not in first
        assert len(list((tmp_path / "console").glob("*.png"))) == 4

        # The second wave, opened by hand: the Eurométropole disagrees now, the Agence less so.
        await claire.tell(f"/enquete ouvrir {number}", "Vague 2 du projet")
        for person in (elsa, marc, paul):
            await person.received(f"Enquête « {PROJECT} » — vague 2")
        await elsa.choose("Répondre", asked[0])
        await fill_in(elsa, asked, "Pas du tout d'accord")
        await answer(lina, AGENCE, asked, "Plutôt d'accord")
        time_machine.move_to(datetime(2027, 5, 13, 11, tzinfo=PARIS))
        await waves.send_due(app)
        title = f"Résultats — « {PROJECT} », Vague 2 (22/04/2027)"
        moved = "Ce qui a le plus bougé depuis la Vague 1 (01/04/2027), en accord"
        for person in (elsa, marc, paul, claire):
            shown = await person.reads(title)
            assert "• Gouvernance : 50 % · 0 % · 0 %" in shown, shown
            assert moved in shown and " : 100 % → 50 %" in shown, shown

        # Its charts, the trend across the two waves among them: pictures on Telegram, files
        # on Slack (from the results' button).
        await claire.tell(f"/enquete resultats {number}", moved)
        await fake_telegram.wait_for(lambda: len(claire.photos()) == 5)
        await marc.press("Voir les graphiques")
        await fake_slack.wait_for(lambda: len(marc.uploads()) == 5)
        reminded = [len(person.got("Rappel")) for person in (elsa, marc, paul, claire)]
        answered = await responses(app)
    finally:
        await lina.close()
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()

    # The INRAE reminded at +7 and +14 days of the first wave; the second closed unreminded.
    assert reminded == [0, 0, 2, 0]
    # Four answers in all: the Eurométropole's and the Agence's, in each wave.
    assert len(answered) == 4
    trends = [f for f in (*claire.photos(), *marc.uploads()) if "tendances" in f["filename"]]
    assert [f["filename"] for f in trends] == ["enquete-lumieau-stra-tendances.png"] * 2
    assert all(f["content"].startswith(b"\x89PNG") for f in trends)
