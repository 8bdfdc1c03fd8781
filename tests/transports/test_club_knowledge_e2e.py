"""What the Club BouRSE learns, end to end through the running bot: the animator on Telegram,
members on Telegram, on Slack (through the real client libraries against the fake servers) and
on the console (the console transport itself). Topics brought in one's name and anonymously,
supported, put on a meeting's agenda and shown in its update; the minutes after the meeting
with an entry of the directory, found by a search without accents and in the plural; an
introduction accepted and one declined. Then the service exchange: an offer matching a request,
its introduction accepted and each seeing the other's details; a request without a match passed
to the animator a week later, who refers its author to a consultant; a month of cafés RSE."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from time_machine import TimeMachineFixture

from bot.app import App
from bot.config import Settings
from bot.messages import Platform
from bot.runner import serve
from handlers.club import cafe, exchange
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_club_e2e import PARIS, QUICK, UNPACED, _event_uids, describe
from tests.transports.test_survey_e2e import ConsolePerson, SlackPerson, TelegramPerson

CLAIRE, BOB = 8001, 8002
SAMIA = "U0SAMIA"
THEME = "Bilan carbone des PME industrielles"
ISO = "Préparer une certification ISO 14001 sans consultant : par où commencer ?"
HARASSMENT = "Comment prévenir le harcèlement au travail dans une équipe de vingt personnes ?"
CHLOE_CONTACT = "chloe.durand@berthaut.fr"
BOB_CONTACT = "bob.lefevre@tisserands.coop, 06 12 34 56 78"
SAMIA_CONTACT = "samia.benali@hydreos.fr"
OFFER = "Je prête notre salle de réunion et partage notre démarche de certification ISO 14001."
REQUEST = "Je cherche un retour d'expérience sur les certifications ISO avant notre audit."
UNMATCHED = "Qui peut relire notre politique d'achats responsables ?"
# Who is who in the café's « votre rencontre du mois ».
NAMES = {
    "bob": "Bob Lefèvre (Scop Les Tisserands)",
    "samia": "Samia Benali (Hydreos Conseil)",
    "chloe": "Chloé Durand (Fromagerie Berthaut)",
}
MARIE = "Marie Dubois ; achats responsables, ISO 20400 ; marie.dubois@conseil-alpes.fr"


@dataclass(frozen=True, slots=True)
class Club:
    """The running bot and the people of its Club BouRSE: Claire animates it; Bob, Samia and
    Chloé joined it and accepted its charter."""

    app: App
    claire: TelegramPerson
    bob: TelegramPerson
    samia: SlackPerson
    chloe: ConsolePerson


@asynccontextmanager
async def club_bot(
    settings: Settings, fake_telegram: FakeTelegram, fake_slack: FakeSlack, files: Path
) -> AsyncIterator[Club]:
    """The bot serving Telegram and Slack, Chloé at its console, and the club joined on each."""
    port = free_port()
    # Telegram's 30 messages a second for the whole bot are tested elsewhere.
    quick = settings.model_copy(update={"telegram_max_per_second": 1000})
    app = await App.start(on_both_fakes(quick, fake_telegram, fake_slack, port=port))
    for platform, user, name, company in (
        (Platform.TELEGRAM, str(CLAIRE), "Claire Roux", "Pôle Mont-Blanc Industries"),
        (Platform.TELEGRAM, str(BOB), "Bob Lefèvre", "Scop Les Tisserands"),
        (Platform.SLACK, SAMIA, "Samia Benali", "Hydreos Conseil"),
        (Platform.CONSOLE, "chloe", "Chloé Durand", "Fromagerie Berthaut"),
    ):
        await Chat(app, platform, user).sign_up(name, company)
    await Chat(app, Platform.TELEGRAM, str(CLAIRE)).grant("animator")
    claire, bob = TelegramPerson(fake_telegram, CLAIRE), TelegramPerson(fake_telegram, BOB)
    samia = SlackPerson(fake_slack, SAMIA, f"http://127.0.0.1:{port}/slack/events")
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, stop, outbox=QUICK, pacing=UNPACED))
    chloe = ConsolePerson(app, "chloe", files)
    try:
        created = await claire.tell("/club creer Club BouRSE", "Son code : ")
        code = created.split("Son code : ")[1].split(".")[0]
        for member in (bob, samia, chloe):
            await member.tell(f"/club rejoindre {code}", "charte")
            await member.choose("J'accepte la charte", "Bienvenue dans le club")
        yield Club(app, claire, bob, samia, chloe)
    finally:
        await chloe.close()
        stop.set()
        await asyncio.wait_for(serving, timeout=20)
        await app.close()


def number(text: str, after: str) -> int:
    """The number written right after ``after`` in ``text``."""
    found = re.search(re.escape(after) + r"(\d+)", text)
    assert found is not None, text
    return int(found[1])


async def test_topics_minutes_directory_and_introductions_on_telegram_slack_and_the_console(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 2, 1, 10, tzinfo=PARIS))
    async with club_bot(settings, fake_telegram, fake_slack, tmp_path / "console") as club:
        app, claire, bob, samia, chloe = club.app, club.claire, club.bob, club.samia, club.chloe

        # A meeting on 12/03, every member on Telegram and Slack invited.
        await describe(
            claire,
            THEME,
            "Scop Les Tisserands",
            "Un logiciel de gestion prévisionnelle des emplois et des compétences",
            "12 rue des Tisserands, 74000 Annecy",
        )
        await claire.choose("Sans limite", "Quand ?")
        await claire.tell("12/03/2027 9h30", "À inviter")
        await claire.choose("Inviter", "invitation(s) partent maintenant")
        for member in (bob, samia):
            await member.received("Vous êtes invité(e) à la prochaine réunion du club")
        meeting = max(await _event_uids(app))

        # A topic in Bob's name on Telegram, an anonymous one from the console.
        await bob.tell("/club sujet", "Quel sujet, ou quel problème")
        await bob.tell(ISO, "Le proposez-vous en votre nom")
        await bob.choose("En mon nom", "Proposé par Bob Lefèvre")
        named = number(await bob.choose("Envoyer", "en votre nom (sujet n°"), "sujet n°")
        await chloe.tell("/club sujet", "personne ne vous demandera d'y donner suite")
        told = await chloe.tell(HARASSMENT, "je n'enregistre aucun lien entre vous et ce sujet")
        assert "Personne, pas même les animateurs, ne pourra savoir qu'il vient de vous" in told
        await chloe.choose("Anonymement", "je n'enregistrerai ni votre nom ni l'heure")
        sent = await chloe.choose("Envoyer", "proposé anonymement au club Club BouRSE")
        anonymous = number(sent, "sujet n°")

        # Samia supports it from the list's button, Bob by typing; the animator sees the
        # ranking and puts the first on the meeting's agenda.
        await samia.tell("/club sujets", "Sujets proposés — Club BouRSE")
        await samia.choose(f"Soutenir n°{anonymous}", f"vous soutenez le sujet n°{anonymous}")
        await bob.tell(f"/club soutenir {anonymous}", "(2 soutien(s))")
        ranking = await claire.tell("/club sujets", "Sujets proposés — Club BouRSE")
        first, second = (line for line in ranking.splitlines() if "soutien(s)" in line)
        assert first == f"n°{anonymous} « {HARASSMENT} » — anonyme · 2 soutien(s)"
        assert second.startswith(f"n°{named} « {ISO} » — proposé par Bob Lefèvre")
        assert second.endswith("· 0 soutien(s)")
        await claire.choose(f"n°{anonymous} à l'ordre du jour", "de quelle réunion à venir")
        await claire.choose("12/03/2027 09:30", "à l'ordre du jour de la réunion du 12/03/2027")

        # A new place: the update shows the members' topic, and nobody's name with it.
        await claire.tell(f"/club modifier {meeting}", "Que voulez-vous changer ?")
        await claire.choose("Le lieu", "Où ?")
        await claire.tell("Hôtel d'entreprises, 3 avenue du Léman, 74200 Thonon", "Aperçu")
        await claire.choose("Envoyer la mise à jour", "Réunion mise à jour")
        for member in (bob, samia):
            update = await member.reads("Mise à jour")
            assert "Thonon" in update and HARASSMENT in update, update
            assert "Sujets proposés par les membres" in update and "Chloé" not in update

        # After the meeting, its minutes: the topic treated, one entry, Samia its contact.
        time_machine.move_to(datetime(2027, 3, 12, 14, tzinfo=PARIS))
        await claire.tell("/club compte-rendu", "De quelle réunion")
        await claire.choose("12/03/2027 09:30", "Quels sujets de l'ordre du jour")
        await claire.choose("⬜ Comment prévenir", f"✅ {HARASSMENT}")
        await claire.choose("Valider (1 traité(s))", "Quelles pratiques ont été partagées")
        await claire.tell("Chacun a présenté son suivi des signalements.", "Son sujet ?")
        await claire.tell("Harcèlement au travail", "Qu'a-t-on partagé")
        await claire.tell("La procédure d'alerte et le rôle du référent.", "Qui contacter")
        await claire.choose("⬜ Samia Benali", "À contacter : Samia Benali (Hydreos Conseil)")
        await claire.choose("Terminé", "Des mots-clés")
        await claire.tell("rh, prévention, alerte", "Un lien")
        await claire.choose("Ni lien ni fichier", "Une autre entrée ?")
        saved = await claire.choose("Terminer", "Compte rendu de la réunion")
        assert "1 entrée(s) dans l'annuaire du club, 1 sujet(s) traité(s)" in saved

        # Chloé searches without accents, in the plural, and asks Samia to meet her.
        found = await chloe.tell("/annuaire harcelements", "1 résultat(s) dans vos clubs")
        assert "Harcèlement au travail — Club BouRSE" in found
        assert f"Partagé à la réunion « {THEME} » du 12/03/2027" in found
        assert "À contacter : Samia Benali (Hydreos Conseil)" in found
        await chloe.choose("Demander une mise en relation avec Samia Benali", "Pourquoi")
        await chloe.tell("Nous écrivons notre procédure d'alerte.", "Quelles coordonnées")
        await chloe.tell(CHLOE_CONTACT, "transmises seulement s'il accepte")
        await chloe.choose("Envoyer", "Votre demande est envoyée à Samia Benali")

        # Samia reads why, not who; she accepts, and learns who it is. (The answer goes through
        # the outbox, which reaches no console: the requester's side is Samia's, below.)
        request = await samia.reads("aimerait être mis en relation avec vous")
        assert "Nous écrivons notre procédure d'alerte." in request
        assert "« Harcèlement au travail » (annuaire des compétences du club)" in request
        assert not any(s in request for s in ("Chloé", "Durand", "Berthaut", CHLOE_CONTACT))
        await samia.choose("Accepter", "Quelles coordonnées lui transmettre")
        introduced = await samia.tell(SAMIA_CONTACT, "C'est fait")
        assert "Chloé Durand" in introduced and "Fromagerie Berthaut" in introduced
        assert CHLOE_CONTACT in introduced

        # Bob asks her too, from the same search on Telegram: she declines.
        await bob.tell("/annuaire Harcèlement référent", "1 résultat(s) dans vos clubs")
        await bob.choose("Demander une mise en relation avec Samia Benali", "Pourquoi")
        await bob.tell("Un avis sur notre référent harcèlement ?", "Quelles coordonnées")
        await bob.tell(BOB_CONTACT, "transmises seulement s'il accepte")
        await bob.choose("Envoyer", "Votre demande est envoyée à Samia Benali")
        await samia.received("Un avis sur notre référent harcèlement ?")
        await samia.choose("Refuser", "vous avez décliné la demande")
        declined = await bob.reads("Votre demande de mise en relation n'a pas abouti")
        assert not any(s in declined for s in ("Samia", "Benali", "Hydreos", SAMIA_CONTACT))
        assert not bob.got(SAMIA_CONTACT)
        asked = samia.got("aimerait être mis en relation avec vous")

    assert not any(s in text for text in asked for s in ("Bob", "Lefèvre", BOB_CONTACT))


async def test_exchange_consultant_and_a_month_of_cafes_on_telegram_slack_and_the_console(
    settings: Settings,
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    time_machine.move_to(datetime(2027, 2, 1, 10, tzinfo=PARIS))
    async with club_bot(settings, fake_telegram, fake_slack, tmp_path / "console") as club:
        claire, bob, samia, chloe = club.claire, club.bob, club.samia, club.chloe

        # Bob offers, Samia asks: her request is answered with his offer, without his name.
        await bob.tell(f"/echange offre {OFFER}", "non marchande, comme le dit la charte")
        posted = await bob.choose("Publier", "est publiée dans la bourse du club Club BouRSE")
        offer = number(posted, "Votre offre n°")
        listed = await chloe.tell("/echange", "Bourse d'échange — Club BouRSE")
        assert f"n°{offer} · « {OFFER} »" in listed and "Bob" not in listed
        await samia.tell(f"/echange demande {REQUEST}", "non marchande, comme le dit la charte")
        matched = await samia.choose("Publier", "Ce qui y répond peut-être")
        assert OFFER in matched and "Bob" not in matched

        # Her introduction about the request, accepted: each has the other's details, Samia
        # with the button of the message telling her, which names nobody.
        await samia.choose(f"Mise en relation — n°{offer}", "Pourquoi")
        await samia.tell("Votre démarche ISO 14001 m'intéresse.", "Quelles coordonnées")
        await samia.tell(SAMIA_CONTACT, "transmises seulement s'il accepte")
        await samia.choose("Envoyer", "Votre demande est envoyée à Bob Lefèvre")
        request = await bob.reads("aimerait être mis en relation avec vous")
        assert REQUEST in request and "Samia" not in request and SAMIA_CONTACT not in request
        await bob.choose("Accepter", "Quelles coordonnées lui transmettre")
        introduced = await bob.tell(BOB_CONTACT, "C'est fait")
        assert "Samia Benali" in introduced and "Hydreos Conseil" in introduced
        assert SAMIA_CONTACT in introduced
        accepted = await samia.reads("Bonne nouvelle")
        assert "Bob" not in accepted and BOB_CONTACT not in accepted
        shown = await samia.choose("Voir ses coordonnées", "Mise en relation avec")
        assert "Bob Lefèvre" in shown and "Scop Les Tisserands" in shown
        assert BOB_CONTACT in shown

        # Bob's own request matches nothing: a week later the animator is told, and refers
        # him to a consultant. Samia's, answered by an introduction, stays with the members.
        await bob.tell(f"/echange demande {UNMATCHED}", "non marchande, comme le dit la charte")
        alone = await bob.choose("Publier", "Rien dans la bourse ni dans l'annuaire du club")
        assert "sans mise en relation sous 7 jours" in alone
        time_machine.move_to(datetime(2027, 2, 9, 10, 30, tzinfo=PARIS))
        await exchange.escalate(club.app)
        waiting = await claire.reads("attend toujours une mise en relation")
        assert UNMATCHED in waiting and "publiée le 01/02/2027" in waiting
        assert "Bob" not in waiting
        await claire.tell(f"/club consultant ajouter {MARIE}", "Le consultant Marie Dubois")
        await claire.choose("Orienter vers un consultant", "Vers quel consultant orienter")
        await claire.choose("Marie Dubois", "reçoit le contact de Marie Dubois")
        referred = await bob.reads("vous oriente vers un consultant")
        assert UNMATCHED in referred and "Marie Dubois" in referred
        assert "marie.dubois@conseil-alpes.fr" in referred and "ISO 20400" in referred

        # Three members take part in the café RSE; on the 1st they are told, naming nobody,
        # and each sees the two others.
        await bob.tell("/club cafe oui", "vous participez au café RSE du club Club BouRSE")
        await samia.tell("/club cafe", "vous ne participez pas")
        await samia.choose("Participer (Club BouRSE)", "vous participez au café RSE")
        await chloe.tell("/club café oui", "vous participez au café RSE du club Club BouRSE")
        time_machine.move_to(datetime(2027, 3, 1, 9, tzinfo=PARIS))
        await cafe.pair_monthly(club.app)
        seen = {}
        for who, member in (("bob", bob), ("samia", samia)):
            paired = await member.reads(
                "Café RSE du club Club BouRSE : ce mois-ci, vous êtes trois"
            )
            assert not any(name in paired for name in ("Bob", "Samia", "Chloé")), paired
            seen[who] = await member.choose("Voir avec qui", "votre rencontre du mois")
        seen["chloe"] = await chloe.tell("/club cafe", "votre rencontre du mois")
        # Each message once, by its id: pressing a button edits it on Telegram.
        escalated = {
            message["message_id"]: claire.shown(message)
            for message in claire.messages()
            if "attend toujours une mise en relation" in claire.shown(message)
        }

    for who, text in seen.items():
        partners = {name for name in NAMES.values() if name in text}
        assert partners == set(NAMES.values()) - {NAMES[who]}, text
    # Once, and for Bob's request alone.
    (passed_on,) = escalated.values()
    assert UNMATCHED in passed_on and REQUEST not in passed_on
