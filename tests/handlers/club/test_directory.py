"""/annuaire and /club competences through the router: the directory of the person's clubs
searched by the database (accents, plurals, several words, ranked), each result with its
contacts, meeting, link or file and a button asking for an introduction to each contact; what
the club treated, by year; a member's own competencies added, edited and removed. Nobody
outside the club learns anything of its directory, whatever they type or press."""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Club, ClubTopic, DirectoryContact, DirectoryEntry, Event
from tests.handlers.club import test_meetings
from tests.handlers.club.test_clubs import create_club
from tests.helpers.chat import Chat
from tests.helpers.rows import new_pole

# The fixture: Claire animates the Club BouRSE, Bob and Chloé joined it, Dora refused its charter.
club = test_meetings.club
MEMBERS_ONLY = "L'annuaire est réservé aux membres d'un club"
PDF = b"%PDF-1.4\n% Grille d'audit ISO 14001\n"


async def club_id(app: App, name: str = "Club BouRSE") -> int:
    async with app.database.transaction() as session:
        found = await session.scalar(select(Club.id).where(Club.name == name))
    assert found is not None
    return found


async def person_id(chat: Chat) -> int:
    person = await chat.person()
    assert person is not None and person.id is not None
    return person.id


async def add_meeting(app: App, title: str, starts_at: datetime, club: str = "Club BouRSE") -> int:
    """A club meeting, as /club reunion stores it."""
    club_number = await club_id(app, club)
    async with app.database.transaction() as session:
        meeting = Event(
            pole_id=1,
            club_id=club_number,
            uid=f"{title}@rse-bot.test",
            title=title,
            place="Annecy",
            starts_at=starts_at,
        )
        session.add(meeting)
        await session.flush()
        assert meeting.id is not None
        return meeting.id


async def add_entry(
    app: App,
    subject: str,
    shared: str = "",
    keywords: str = "",
    contacts: Sequence[Chat] = (),
    *,
    club: str = "Club BouRSE",
    meeting: int | None = None,
    member: Chat | None = None,
    link: str | None = None,
    file: bytes | None = None,
) -> int:
    """A directory entry, as the minutes (``meeting``) or a member (``member``) store it."""
    entry = DirectoryEntry(
        club_id=await club_id(app, club),
        event_id=meeting,
        member_id=await person_id(member) if member else None,
        subject=subject,
        shared=shared,
        keywords=keywords,
        link=link,
    )
    if file is not None:
        entry.file_name, entry.file_type, entry.file_data = (
            "grille-audit.pdf",
            "application/pdf",
            file,
        )
    people = [await person_id(chat) for chat in contacts]
    async with app.database.transaction() as session:
        await repo.add_directory_entry(session, entry=entry, contact_ids=people)
    assert entry.id is not None
    return entry.id


@pytest.fixture
async def directory(app: App, club: tuple[Chat, Chat, Chat]) -> dict[str, int]:
    """Three entries of the Club BouRSE (two from the meeting of 14/11/2026), their ids by name."""
    _, bob, chloe = club
    meeting = await add_meeting(app, "Achats responsables", datetime(2026, 11, 14, 8, tzinfo=UTC))
    return {
        "iso": await add_entry(
            app,
            "Certifications ISO 14001",
            "Audit à blanc, budget et calendrier d'une première certification.",
            "iso, audit, environnement",
            [bob, chloe],
            meeting=meeting,
            link="https://www.afnor.org/certification/iso-14001",
        ),
        "harassment": await add_entry(
            app,
            "Harcèlement au travail",
            "La procédure d'alerte et le rôle du référent.",
            "rh, prévention",
            [bob],
            meeting=meeting,
        ),
        "carbon": await add_entry(
            app,
            "Bilan carbone",
            "Le scope 3 des fournisseurs et la certification des données.",
            "climat",
            [chloe],
        ),
        "meeting": meeting,
    }


def results(chat: Chat) -> list[str]:
    """The subjects found, in the order shown (the first reply says how many)."""
    return [str(reply.text).split(" — ")[0] for reply in chat.replies[1:]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("certification", ["Certifications ISO 14001", "Bilan carbone"]),
        ("CERTIFICATIONS", ["Certifications ISO 14001", "Bilan carbone"]),
        ("harcelement", ["Harcèlement au travail"]),
        ("Harcèlement", ["Harcèlement au travail"]),
        ("référents", ["Harcèlement au travail"]),
        ("climat iso", ["Certifications ISO 14001", "Bilan carbone"]),
    ],
)
async def test_a_search_finds_word_forms_without_accents_best_first(
    club: tuple[Chat, Chat, Chat], directory: dict[str, int], query: str, expected: list[str]
) -> None:
    _, bob, _ = club
    await bob.say(f"/annuaire {query}")

    assert f"{len(expected)} résultat(s) dans vos clubs" in bob.text
    assert results(bob) == expected


async def test_a_result_shows_the_entry_its_meeting_contacts_and_link(
    club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, chloe = club
    await bob.say("/annuaire iso")

    text = str(bob.replies[1].text)
    assert "Certifications ISO 14001 — Club BouRSE" in text
    assert "Partagé à la réunion « Achats responsables » du 14/11/2026" in text
    assert "Audit à blanc, budget et calendrier" in text
    assert "Mots-clés : iso, audit, environnement" in text
    assert (
        "À contacter : Bob Lefèvre (Scop Les Tisserands), Chloé Durand (Fromagerie Berthaut)"
        in text
    )
    assert "Lien : https://www.afnor.org/certification/iso-14001" in text
    # No introduction to oneself.
    ((label, value),) = [(b.label, b.value) for b in bob.replies[1].buttons]
    assert label == "Demander une mise en relation avec Chloé Durand"
    assert value == f"/club relation {await person_id(chloe)} entree {directory['iso']}"


async def test_a_long_text_is_cut_in_the_results(app: App, club: tuple[Chat, Chat, Chat]) -> None:
    _, bob, chloe = club
    await add_entry(app, "Mobilité douce", "Vélos de service. " * 40, contacts=[chloe])
    await bob.say("/annuaire mobilite")

    assert "Vélos de service. Vélos de…\nÀ contacter : Chloé Durand" in bob.text
    assert len(bob.text) < 500


async def test_the_file_of_an_entry_comes_with_its_button(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await add_entry(
        app, "Audit ISO 14001", "La grille d'audit interne.", contacts=[chloe], file=PDF
    )
    await bob.say("/annuaire audit")

    assert "Fichier joint : grille-audit.pdf" in bob.text
    await bob.press("Voir le fichier")
    (attachment,) = bob.replies[0].attachments
    assert (attachment.filename, attachment.mime_type, attachment.data) == (
        "grille-audit.pdf",
        "application/pdf",
        PDF,
    )


async def test_another_clubs_entries_are_not_found(
    app: App, club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    claire, bob, _ = club
    await create_club(claire, "Club Achats")
    other = await add_entry(
        app, "Certification ISO 9001", "Le manuel qualité.", club="Club Achats", file=PDF
    )
    await bob.say("/annuaire certification iso 9001")

    assert "ISO 9001" not in bob.text
    assert results(bob) == ["Certifications ISO 14001", "Bilan carbone"]
    await bob.say(f"/annuaire fichier {other}")
    assert "Je ne trouve pas ce fichier" in bob.text
    assert not bob.replies[0].attachments


async def test_without_a_word_the_usage_and_the_subjects_button(
    club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, _ = club
    await bob.say("/annuaire")

    assert "Tapez /annuaire suivi des mots que vous cherchez" in bob.text
    assert [b.value for b in bob.buttons] == ["/annuaire sujets"]


async def test_nothing_found_says_so(
    club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, _ = club
    await bob.say("/annuaire télétravail")

    assert "Rien dans l'annuaire de vos clubs pour « télétravail »" in bob.text


async def test_a_contact_who_left_the_club_is_no_longer_shown(
    app: App, club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, chloe = club
    await add_entry(app, "Bilan carbone simplifié", "Un tableur.", contacts=[chloe], member=chloe)
    await chloe.say("/club quitter")
    await bob.say("/annuaire carbone iso")

    assert "Chloé" not in bob.text
    assert not bob.buttons
    # Her own competency went with her; the entries of the minutes stay.
    assert "Bilan carbone simplifié" not in bob.text
    assert results(bob) == ["Certifications ISO 14001", "Bilan carbone"]


async def test_the_subjects_treated_by_year(
    app: App, club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, chloe = club
    march = await add_meeting(
        app, "Qualité de vie au travail", datetime(2027, 3, 12, 8, tzinfo=UTC)
    )
    await add_entry(app, "Télétravail des ateliers", "Un accord.", contacts=[bob], meeting=march)
    await add_entry(app, "Achats locaux", "Ma démarche.", contacts=[chloe], member=chloe)
    number = await club_id(app)
    async with app.database.transaction() as session:
        session.add_all(
            [
                ClubTopic(
                    club_id=number,
                    text="Sortir du plastique",
                    proposed_on=date(2027, 1, 5),
                    event_id=march,
                    treated_at=datetime(2027, 3, 13, 9, tzinfo=UTC),
                ),
                ClubTopic(
                    club_id=number,
                    text="Harcèlement au travail",
                    proposed_on=date(2026, 10, 1),
                    event_id=directory["meeting"],
                    treated_at=datetime(2026, 11, 15, 9, tzinfo=UTC),
                ),
                ClubTopic(club_id=number, text="Pas encore traité", proposed_on=date(2027, 1, 5)),
            ]
        )
    await bob.say("/annuaire sujets")

    assert str(bob.replies[0].text).splitlines() == [
        "Ce que le club Club BouRSE a déjà traité",
        "2027",
        "• Sortir du plastique (12/03/2027)",
        "• Télétravail des ateliers (12/03/2027)",
        "2026",
        "• Harcèlement au travail (14/11/2026)",
        "• Certifications ISO 14001 (14/11/2026)",
    ]


async def test_a_club_with_nothing_treated_says_so(club: tuple[Chat, Chat, Chat]) -> None:
    _, bob, _ = club
    await bob.say("/annuaire sujets")

    assert "Le club Club BouRSE n'a encore noté aucun sujet traité" in bob.text


async def test_the_minutes_entries_are_found_by_the_members(
    app: App, club: tuple[Chat, Chat, Chat], time_machine: TimeMachineFixture
) -> None:
    claire, _, chloe = club
    await test_meetings.plan_meeting(claire)
    await claire.press("Inviter")
    number = await test_meetings.meeting_id(app)
    time_machine.move_to(datetime(2027, 3, 12, 14, tzinfo=UTC), tick=False)
    await claire.say(f"/club compte-rendu {number}")
    await claire.press("Passer")
    await claire.say("Harcèlement au travail")
    await claire.say("La procédure d'alerte.")
    await claire.press("⬜ Bob Lefèvre")
    await claire.press("Terminé")
    await claire.press("Sans mot-clé")
    await claire.press("Ni lien ni fichier")
    await claire.press("Terminer")
    await chloe.say("/annuaire harcelement")

    assert results(chloe) == ["Harcèlement au travail"]
    assert (
        "Partagé à la réunion « Bilan carbone des PME industrielles » du 12/03/2027" in chloe.text
    )
    assert chloe.button("Demander une mise en relation avec Bob Lefèvre")


# Who learns nothing


async def _outsiders(app: App) -> list[Chat]:
    """A member of the pôle outside the club, Dora who refused its charter, another pôle's
    animator."""
    neighbour = Chat(app, Platform.TELEGRAM, "7391846090")
    await neighbour.sign_up("Nadia Ferrand", "Ferrand Emballages")
    dora = Chat(app, Platform.TELEGRAM, "7391846034")
    other = await new_pole(app, "Cluster Lumière Grand Est")
    stranger = Chat(app, Platform.SLACK, "U07KLEIN")
    await stranger.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await stranger.grant("animator")
    return [neighbour, dora, stranger]


async def test_outsiders_learn_nothing_of_the_directory(
    app: App, club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, _ = club
    competency = await add_entry(app, "Achats locaux", "Ma démarche.", contacts=[bob], member=bob)
    filed = await add_entry(app, "Audit ISO", "La grille.", contacts=[bob], file=PDF)
    tried = [
        "/annuaire certification",
        "/annuaire harcelement",
        "/annuaire",
        "/annuaire sujets",
        f"/annuaire fichier {filed}",
        "/club competences",
        f"/club competences {await club_id(app)}",
        f"/club competences ajouter {await club_id(app)}",
        f"/club competences modifier {competency}",
        f"/club competences retirer {competency}",
    ]
    secrets = ("Club BouRSE", "Certifications", "Harcèlement", "Bob", "Chloé", "Achats", "Audit")
    for outsider in await _outsiders(app):
        for said in tried:
            replies = await outsider.say(said)
            assert [str(reply.text) for reply in replies] == [str(replies[0].text)], said
            assert MEMBERS_ONLY in outsider.text, (outsider.user_id, said, outsider.text)
            assert not any(s in outsider.text for s in secrets), (said, outsider.text)
            assert not outsider.buttons and not replies[0].attachments
    assert await _entry_subjects(app) == [
        "Certifications ISO 14001",
        "Harcèlement au travail",
        "Bilan carbone",
        "Achats locaux",
        "Audit ISO",
    ]


async def test_someone_not_signed_up_is_asked_to_sign_up(
    app: App, club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    newcomer = Chat(app, Platform.CONSOLE, "inconnu")
    await newcomer.say("/annuaire certification")

    assert "réservée aux membres inscrits" in newcomer.text
    assert "Certifications" not in newcomer.text


async def test_the_directory_is_not_searched_in_a_group(
    club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, _ = club
    group = bob.in_group("-1001987654321")
    await group.say("/annuaire certification")

    assert "ne fonctionne qu'en conversation privée" in group.text
    assert "Certifications" not in group.text and not group.buttons


# /club competences


async def _entry_subjects(app: App) -> list[str]:
    async with app.database.transaction() as session:
        return [
            entry.subject
            for entry in await session.scalars(select(DirectoryEntry).order_by(DirectoryEntry.id))
        ]


async def declare(bob: Chat, subject: str = "Bilan carbone") -> None:
    await bob.say("/club competences")
    await bob.press("Ajouter une compétence")
    await bob.say(subject)
    await bob.say("J'ai mené le premier bilan carbone de la Scop, scope 3 compris.")
    await bob.say("climat, scope 3, ademe")
    await bob.press("Enregistrer")


async def test_a_member_declares_a_competency_found_by_the_others(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, chloe = club
    await bob.say("/club competences")
    assert "Vous n'en avez déclaré aucune" in bob.text
    await bob.press("Ajouter une compétence")
    await bob.say("Bilan carbone")
    await bob.say("J'ai mené le premier bilan carbone de la Scop, scope 3 compris.")
    await bob.say("climat, scope 3, ademe")

    assert "Les membres du club la liront ainsi" in bob.text
    assert "Compétence déclarée par un membre" in bob.text
    await bob.press("Enregistrer")
    assert "Compétence « Bilan carbone » ajoutée à l'annuaire du club Club BouRSE" in bob.text
    async with app.database.transaction() as session:
        entry = await session.scalar(select(DirectoryEntry))
        contacts = list(await session.scalars(select(DirectoryContact.person_id)))
    assert entry is not None
    assert (entry.member_id, entry.event_id, entry.keywords) == (
        await person_id(bob),
        None,
        "climat, scope 3, ademe",
    )
    assert contacts == [await person_id(bob)]

    await chloe.say("/annuaire bilans carbones")
    assert results(chloe) == ["Bilan carbone"]
    assert chloe.button("Demander une mise en relation avec Bob Lefèvre").value == (
        f"/club relation {await person_id(bob)} entree {entry.id}"
    )


async def test_a_member_edits_a_competency_keeping_some_fields(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, _ = club
    await declare(bob)
    await bob.say("/club competences")
    assert "• Bilan carbone" in bob.text
    await bob.press("Modifier : Bilan carbone")
    await bob.press("Garder : Bilan carbone")
    await bob.say("Le bilan carbone de la Scop et son plan de réduction.")
    await bob.press("Garder : climat, scope 3")
    await bob.press("Enregistrer")

    assert "Compétence « Bilan carbone » modifiée" in bob.text
    async with app.database.transaction() as session:
        entry = await session.scalar(select(DirectoryEntry))
    assert entry is not None
    assert (entry.subject, entry.shared, entry.keywords) == (
        "Bilan carbone",
        "Le bilan carbone de la Scop et son plan de réduction.",
        "climat, scope 3, ademe",
    )


async def test_a_member_removes_a_competency_after_confirming(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    _, bob, _ = club
    await declare(bob)
    await bob.say("/club competences")
    await bob.press("Retirer : Bilan carbone")
    await bob.press("Non, la garder")
    assert await _entry_subjects(app) == ["Bilan carbone"]

    await bob.say("/club competences")
    await bob.press("Retirer : Bilan carbone")
    await bob.press("Oui, la retirer")
    assert "« Bilan carbone » est retirée de l'annuaire" in bob.text
    assert await _entry_subjects(app) == []
    async with app.database.transaction() as session:
        assert list(await session.scalars(select(DirectoryContact))) == []


async def test_only_its_member_edits_or_removes_a_competency(
    app: App, club: tuple[Chat, Chat, Chat], directory: dict[str, int]
) -> None:
    _, bob, chloe = club
    await declare(bob)
    async with app.database.transaction() as session:
        bobs = await session.scalar(
            select(DirectoryEntry.id).where(DirectoryEntry.member_id.is_not(None))
        )
    for said in (
        f"/club competences modifier {bobs}",
        f"/club competences retirer {bobs}",
        # An entry of the minutes is nobody's own.
        f"/club competences modifier {directory['iso']}",
    ):
        await chloe.say(said)
        assert "Je ne trouve pas cette compétence" in chloe.text, said
    await chloe.say("/club competences")
    assert "Vous n'en avez déclaré aucune" in chloe.text
    assert len(await _entry_subjects(app)) == 4


async def test_a_member_of_two_clubs_chooses_the_club(
    app: App, club: tuple[Chat, Chat, Chat]
) -> None:
    claire, bob, _ = club
    code = await create_club(claire, "Club Achats")
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")
    await bob.say("/club competences")

    assert "Dans quel club ?" in bob.text
    assert [b.label for b in bob.buttons] == ["Club Achats", "Club BouRSE"]
    await bob.press("Club Achats")
    assert "Vos compétences dans l'annuaire du club Club Achats" in bob.text
    await bob.press("Ajouter une compétence")
    await bob.say("Achats locaux")
    await bob.say("Mes fournisseurs à moins de 50 km.")
    await bob.press("Sans mot-clé")
    await bob.press("Enregistrer")

    assert "ajoutée à l'annuaire du club Club Achats" in bob.text
    async with app.database.transaction() as session:
        entry = await session.scalar(select(DirectoryEntry))
    assert entry is not None and entry.club_id == await club_id(app, "Club Achats")
