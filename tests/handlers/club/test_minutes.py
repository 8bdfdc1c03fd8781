"""/club compte-rendu through the router: once a meeting has started, an animator records the
topics of its agenda it treated, the practices shared, and directory entries (subject, what was
shared, members to contact, keywords, a link or a file); running it again shows the minutes, to
change the practices, add or remove entries. Members cannot, and nothing is recorded before the
meeting."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage.models import (
    Club,
    ClubMinutes,
    ClubTopic,
    DirectoryContact,
    DirectoryEntry,
    Person,
)
from handlers.club import minutes
from tests.handlers.club import test_meetings
from tests.handlers.club.test_meetings import meeting_id, plan_meeting
from tests.helpers.chat import Chat

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club
# The meeting planned by plan_meeting starts on 12/03/2027 at 9:30 in Paris.
AFTER_THE_MEETING = datetime(2027, 3, 12, 14, 0, tzinfo=UTC)
PRACTICES = (
    "Scop Les Tisserands a présenté son logiciel de GPEC.\n"
    "Chacun a partagé son suivi mensuel des consommations d'énergie."
)
PDF = b"%PDF-1.4\n% Procedure d'alerte harcelement\n"


@pytest.fixture
async def meeting(app: App, club: tuple[Chat, Chat, Chat], time_machine: TimeMachineFixture) -> int:
    """The meeting of 12/03/2027, now over."""
    claire, _, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    time_machine.move_to(AFTER_THE_MEETING, tick=False)
    return await meeting_id(app)


async def record_entry(
    claire: Chat,
    subject: str,
    shared: str,
    contacts: list[str],
    keywords: str | None = None,
) -> None:
    """From the subject question, answer up to the link or file question."""
    await claire.say(subject)
    await claire.say(shared)
    for name in contacts:
        await claire.press(f"⬜ {name}")
    await claire.press("Terminé")
    await (claire.say(keywords) if keywords else claire.press("Sans mot-clé"))


async def record_minutes(claire: Chat, meeting: int) -> None:
    """The practices and two entries: one with a link, one with a file."""
    await claire.say(f"/club compte-rendu {meeting}")
    await claire.say(PRACTICES)
    await record_entry(
        claire,
        "Certifications ISO 14001",
        "Audit à blanc, budget et calendrier d'une première certification.",
        ["Bob Lefèvre"],
        "iso, audit, environnement",
    )
    await claire.say("https://www.afnor.org/certification/iso-14001")
    await claire.press("Ajouter une autre entrée")
    await record_entry(
        claire,
        "Harcèlement au travail",
        "La procédure d'alerte et le rôle du référent.",
        ["Bob Lefèvre", "Chloé Durand"],
    )
    await claire.send_file("procedure-alerte.pdf", PDF)
    await claire.press("Terminer")


async def entries(app: App) -> list[tuple[DirectoryEntry, list[str]]]:
    """The directory's entries, each with the names of its contacts."""
    async with app.database.transaction() as session:
        found = list(await session.scalars(select(DirectoryEntry).order_by(DirectoryEntry.id)))
        rows = await session.execute(
            select(DirectoryContact.entry_id, Person.display_name)
            .join(Person, Person.id == DirectoryContact.person_id)
            .order_by(Person.display_name)
        )
        names: dict[int, list[str]] = {}
        for entry_id, name in rows:
            names.setdefault(entry_id, []).append(name or "")
        return [(entry, names.get(entry.id or 0, [])) for entry in found]


async def recorded(app: App) -> ClubMinutes | None:
    async with app.database.transaction() as session:
        return await session.scalar(select(ClubMinutes))


async def test_the_minutes_wait_for_the_meeting_to_start(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, _, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    await claire.say(f"/club compte-rendu {await meeting_id(app)}")

    assert "La réunion du 12/03/2027 09:30 n'a pas encore commencé" in claire.text
    assert await recorded(app) is None


async def test_an_animator_records_the_practices_and_two_entries(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await record_minutes(claire, meeting)

    assert "2 entrée(s) dans l'annuaire du club, 0 sujet(s) traité(s)" in claire.text
    minutes_row = await recorded(app)
    assert minutes_row is not None
    assert (minutes_row.event_id, minutes_row.practices) == (meeting, PRACTICES)
    (iso, iso_contacts), (harassment, harassment_contacts) = await entries(app)
    assert (iso.subject, iso.keywords, iso.event_id) == (
        "Certifications ISO 14001",
        "iso, audit, environnement",
        meeting,
    )
    assert iso.link == "https://www.afnor.org/certification/iso-14001"
    assert iso.file_data is None and iso.member_id is None
    assert iso_contacts == ["Bob Lefèvre"]
    assert harassment.shared == "La procédure d'alerte et le rôle du référent."
    assert (harassment.keywords, harassment.link) == ("", None)
    assert (harassment.file_name, harassment.file_type, harassment.file_data) == (
        "procedure-alerte.pdf",
        "application/pdf",
        PDF,
    )
    assert harassment_contacts == ["Bob Lefèvre", "Chloé Durand"]


async def test_the_contacts_offered_are_the_members_under_the_charter(
    club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club compte-rendu {meeting}")
    await claire.press("Passer")
    await claire.say("Bilan carbone")
    await claire.say("Le scope 3 des fournisseurs.")

    # Dora refused the charter: she cannot be named.
    assert [b.label for b in claire.buttons] == [
        "⬜ Bob Lefèvre (Scop Les Tisserands)",
        "⬜ Chloé Durand (Fromagerie Berthaut)",
        "Terminé",
    ]
    await claire.press("Terminé")
    assert "Cochez au moins un membre à contacter" in claire.text
    await claire.press("⬜ Chloé Durand")
    assert "À contacter : Chloé Durand (Fromagerie Berthaut)" in claire.text
    assert claire.button("✅ Chloé Durand")
    await claire.press("✅ Chloé Durand")
    assert "À contacter" not in claire.text
    assert claire.button("⬜ Chloé Durand")


@pytest.mark.parametrize(
    "link",
    ["www.afnor.org", "http://www.afnor.org", "https://", "https://afnor", "https://a b.org"],
)
async def test_a_link_must_be_a_whole_https_address(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int, link: str
) -> None:
    claire, _, _ = club
    await claire.say(f"/club compte-rendu {meeting}")
    await claire.press("Passer")
    await record_entry(claire, "Bilan carbone", "Le scope 3.", ["Bob Lefèvre"])
    await claire.say(link)

    assert "Ce n'est pas une adresse web complète" in claire.text
    assert await entries(app) == []


async def test_a_file_too_big_is_refused(
    app: App,
    club: tuple[Chat, Chat, Chat],
    meeting: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claire, _, _ = club
    monkeypatch.setattr(minutes, "FILE_MAX", 1_000_000)
    await claire.say(f"/club compte-rendu {meeting}")
    await claire.press("Passer")
    await record_entry(claire, "Bilan carbone", "Le scope 3.", ["Bob Lefèvre"])
    await claire.send_file("bilan.pdf", b"0" * 1_000_001)

    assert "Ce fichier dépasse 1 Mo" in claire.text
    await claire.press("Ni lien ni fichier")
    ((entry, _),) = await entries(app)
    assert entry.file_data is None and entry.link is None


async def test_the_minutes_may_end_without_an_entry(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club compte-rendu {meeting}")
    await claire.say(PRACTICES)
    await claire.press("Terminer")

    assert "0 entrée(s) dans l'annuaire du club" in claire.text
    minutes_row = await recorded(app)
    assert minutes_row is not None and minutes_row.practices == PRACTICES


async def test_running_it_again_shows_the_minutes_to_complete(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await record_minutes(claire, meeting)
    await claire.say(f"/club compte-rendu {meeting}")

    assert "Compte rendu — Club BouRSE : Bilan carbone des PME industrielles" in claire.text
    assert "GPEC" in claire.text
    assert "• Certifications ISO 14001 — à contacter : Bob Lefèvre" in claire.text
    assert "• Harcèlement au travail — à contacter : Bob Lefèvre, Chloé Durand" in claire.text
    await claire.press("Modifier les pratiques partagées")
    assert "Texte actuel" in claire.text
    await claire.say("Une fresque du climat pour les équipes.")
    assert "Une fresque du climat" in claire.text
    await claire.press("Ajouter une entrée")
    await record_entry(claire, "Bilan carbone", "Le scope 3 des fournisseurs.", ["Chloé Durand"])
    await claire.press("Ni lien ni fichier")
    await claire.press("Terminer")

    assert "3 entrée(s) dans l'annuaire du club" in claire.text
    minutes_row = await recorded(app)
    assert minutes_row is not None and minutes_row.practices.startswith("Une fresque du climat")
    assert [entry.subject for entry, _ in await entries(app)][-1] == "Bilan carbone"


async def test_skipping_the_practices_again_keeps_them(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await record_minutes(claire, meeting)
    await claire.say(f"/club compte-rendu {meeting}")
    await claire.press("Modifier les pratiques partagées")
    await claire.press("Passer")

    minutes_row = await recorded(app)
    assert minutes_row is not None and minutes_row.practices == PRACTICES


async def test_an_entry_is_removed_from_the_minutes(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await record_minutes(claire, meeting)
    await claire.say(f"/club compte-rendu {meeting}")
    await claire.press("Retirer une entrée")
    await claire.press("Harcèlement au travail")

    assert "Entrée « Harcèlement au travail » retirée de l'annuaire" in claire.text
    assert "Entrées de l'annuaire (1)" in claire.text
    assert [entry.subject for entry, _ in await entries(app)] == ["Certifications ISO 14001"]
    async with app.database.transaction() as session:
        assert len(list(await session.scalars(select(DirectoryContact)))) == 1


async def test_the_agenda_topics_are_marked_treated(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    async with app.database.transaction() as session:
        club_id = await session.scalar(select(Club.id))
        assert club_id is not None
        for text in ("Sortir du plastique à usage unique", "Le télétravail des ateliers"):
            session.add(ClubTopic(club_id=club_id, text=text, proposed_on=date(2027, 2, 1)))
        session.add(
            ClubTopic(club_id=club_id, text="Hors ordre du jour", proposed_on=date(2027, 2, 1))
        )
        await session.flush()
        for topic in await session.scalars(select(ClubTopic).where(ClubTopic.id <= 2)):
            topic.event_id = meeting
    await claire.say(f"/club compte-rendu {meeting}")

    assert "Quels sujets de l'ordre du jour" in claire.text
    assert "Hors ordre du jour" not in claire.text
    await claire.press("⬜ Sortir du plastique")
    await claire.press("Valider (1 traité(s))")
    assert "1 sujet(s) marqué(s) traité(s)" in claire.text
    assert "Quelles pratiques ont été partagées" in claire.text
    async with app.database.transaction() as session:
        treated = {t.text: t.treated_at for t in await session.scalars(select(ClubTopic))}
    assert treated["Sortir du plastique à usage unique"] == AFTER_THE_MEETING
    assert treated["Le télétravail des ateliers"] is None
    assert treated["Hors ordre du jour"] is None

    await claire.press("Passer")
    await claire.press("Terminer")
    await claire.say(f"/club compte-rendu {meeting}")
    assert "Sujets traités : Sortir du plastique à usage unique" in claire.text
    await claire.press("Marquer des sujets traités")
    assert "Sortir du plastique" not in str(claire.replies[-1].text)
    assert "Le télétravail des ateliers" in claire.text


async def test_without_a_number_the_past_meetings_are_offered(
    club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say("/club compte-rendu")

    (button,) = claire.buttons
    assert button.label == "12/03/2027 09:30 — Bilan carbone des PME industrielles"
    assert button.value == f"/club compte-rendu {meeting}"
    await record_minutes(claire, meeting)
    await claire.say("/club compte rendu")
    assert claire.buttons[0].label.startswith("✅ 12/03/2027")


async def test_members_cannot_record_minutes(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    _, bob, _ = club
    await bob.say(f"/club compte-rendu {meeting}")

    assert "réservée aux personnes ayant le rôle" in bob.text
    assert await recorded(app) is None


async def test_an_unknown_meeting_number_is_said_so(
    app: App, club: tuple[Chat, Chat, Chat], meeting: int
) -> None:
    claire, _, _ = club
    await claire.say(f"/club compte-rendu {meeting + 1}")

    assert "Je ne connais pas cette réunion" in claire.text
