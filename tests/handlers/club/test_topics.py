"""/club sujet, /club sujets, /club soutenir and /club retirer-soutien through the router: a
topic brought in one's name or anonymously (an anonymous one linked to its author nowhere in
the database), supported once by each member and withdrawn, ranked, put on a meeting's agenda
and shown in its messages, marked treated; nothing for those outside the club."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import ClubTopic
from handlers.events import reminders
from tests.handlers.club.test_clubs import BOB, CHLOE, DORA, create_club, join_club
from tests.handlers.club.test_date_poll import open_poll
from tests.handlers.club.test_meetings import an_animator, meeting_id, plan_meeting
from tests.handlers.club.test_outsiders import _outsiders, _said
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued
from tests.helpers.rows import every_row

HARASSMENT = "Comment prévenir le harcèlement au travail dans une équipe de vingt personnes ?"
ISO = "Préparer une certification ISO 14001 sans consultant : par où commencer ?"
LABEL = "Quel label RSE choisir pour une PME industrielle : Lucie, B Corp ou Engagé RSE ?"
ANONYMITY = (
    "Anonyme : je n'enregistre aucun lien entre vous et ce sujet — ni votre nom, ni l'heure "
    "(seulement le jour). Personne, pas même les animateurs, ne pourra savoir qu'il vient de vous."
)

Club = tuple[Chat, Chat, Chat, Chat]


@pytest.fixture
async def club(app: App) -> Club:
    """Claire animates the Club BouRSE; Bob and Chloé joined it; Dora refused its charter."""
    claire = await an_animator(app)
    code = await create_club(claire)
    bob, chloe = await join_club(app, code, [BOB, CHLOE], refusing=[DORA])
    return claire, bob, chloe, Chat(app, Platform.TELEGRAM, DORA.user_id)


async def propose(member: Chat, text: str, how: str = "En mon nom") -> int:
    """``member`` brings ``text`` to their only club, ``how`` (« En mon nom » or
    « Anonymement »); the topic's number."""
    await member.say("/club sujet")
    await member.say(text)
    await member.press(how)
    await member.press("Envoyer")
    assert "Merci : votre sujet est proposé" in member.text, member.text
    return int(member.text.split("sujet n°")[1].split(")")[0])


async def stored_topics(app: App) -> list[ClubTopic]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(ClubTopic).order_by(ClubTopic.id)))


def today(app: App) -> date:
    return datetime.now(app.settings.tz).date()


def ranked(chat: Chat) -> list[str]:
    """The ranking's topics, as « n°N », in the order the chat was shown them."""
    lines = chat.text.splitlines()
    return [line.split()[0] for line in lines if line.startswith("n°") and "soutien(s)" in line]


async def test_before_choosing_the_member_is_told_what_anonymity_means_and_no_follow_up(
    club: Club,
) -> None:
    _, bob, _, _ = club
    await bob.say("/club sujet")
    assert "personne ne vous demandera d'y donner suite" in bob.text

    await bob.say(HARASSMENT)

    assert ANONYMITY in bob.text
    assert "« proposé par Bob Lefèvre (Scop Les Tisserands) »" in bob.text
    assert [b.label for b in bob.buttons] == ["En mon nom", "Anonymement"]


async def test_a_named_topic_keeps_its_author_and_the_day_after_a_preview(
    app: App, club: Club
) -> None:
    _, bob, _, _ = club
    await bob.say("/club sujet")
    await bob.say(ISO)
    await bob.press("En mon nom")
    assert f"« {ISO} »\nProposé par Bob Lefèvre (Scop Les Tisserands)." in bob.text
    assert [b.label for b in bob.buttons] == ["Envoyer", "Annuler"]

    await bob.press("Envoyer")

    assert "proposé au club Club BouRSE, en votre nom (sujet n°1)" in bob.text
    assert "personne ne vous demandera d'y donner suite" in bob.text
    (topic,) = await stored_topics(app)
    person = await bob.person()
    assert person is not None
    assert (topic.author_id, topic.text, topic.proposed_on) == (person.id, ISO, today(app))
    state = await bob.state()
    assert state is None or (state.flow, state.data) == (None, {})


async def test_an_anonymous_topics_author_appears_in_no_table(app: App, club: Club) -> None:
    _, bob, _, _ = club
    # A language chosen keeps Bob's conversation state after the flow: it must hold nothing.
    await bob.say("/langue fr")
    person = await bob.person()
    assert person is not None
    await bob.say("/club sujet")
    await bob.say(HARASSMENT)
    await bob.press("Anonymement")
    assert "Anonyme : je n'enregistrerai ni votre nom ni l'heure" in bob.text

    await bob.press("Envoyer")

    assert "proposé anonymement au club Club BouRSE (sujet n°1)" in bob.text
    (topic,) = await stored_topics(app)
    assert topic.author_id is None
    assert type(topic.proposed_on) is date  # the day, no hour
    rows = await every_row(app)
    (row,) = rows["club_topics"]
    assert HARASSMENT in row and "Bob" not in row and BOB.user_id not in row
    elsewhere = {name for name, lines in rows.items() if any(HARASSMENT in line for line in lines)}
    assert elsewhere == {"club_topics"}
    assert rows["club_topic_votes"] == []
    assert not [
        line
        for lines in rows.values()
        for line in lines
        if HARASSMENT in line and any(h in line for h in ("Bob", BOB.user_id, f"| {person.id} |"))
    ]


async def test_a_topic_cancelled_or_abandoned_leaves_nothing(app: App, club: Club) -> None:
    _, bob, chloe, _ = club
    await bob.say("/club sujet")
    await bob.say(HARASSMENT)
    await bob.press("Anonymement")
    await bob.press("Annuler")
    assert "je n'ai rien gardé de ce sujet" in bob.text
    await chloe.say("/club sujet")
    await chloe.say(LABEL)
    await chloe.say("/annuler")

    rows = await every_row(app)
    assert not [
        name
        for name, lines in rows.items()
        if any(HARASSMENT in line or LABEL in line for line in lines)
    ]


async def test_a_topic_too_long_is_asked_again(club: Club) -> None:
    _, bob, _, _ = club
    await bob.say("/club sujet")
    await bob.say("Harcèlement " * 50)

    assert "trop longue (599 caractères ; 500 au plus)" in bob.text
    assert "Quel sujet, ou quel problème" in bob.text


async def test_a_member_of_two_clubs_picks_the_club_first(app: App, club: Club) -> None:
    claire, bob, _, _ = club
    other = await create_club(claire, "Club Achats responsables")
    await bob.say(f"/club rejoindre {other}")
    await bob.press("J'accepte la charte")

    await bob.say("/club sujet")
    assert [b.label for b in bob.buttons] == ["Club Achats responsables", "Club BouRSE"]
    await bob.press("Club Achats responsables")
    await bob.say(LABEL)
    await bob.press("En mon nom")
    await bob.press("Envoyer")

    assert "proposé au club Club Achats responsables" in bob.text
    (topic,) = await stored_topics(app)
    async with app.database.transaction() as session:
        club_of = await repo.club_by_code(session, pole_id=1, code=other)
    assert club_of is not None and topic.club_id == club_of.id


async def test_a_member_supports_a_topic_once_and_can_withdraw(club: Club) -> None:
    _, bob, chloe, _ = club
    number = await propose(bob, ISO)
    await chloe.say("/club sujets")
    assert "0 soutien(s)" in chloe.text

    await chloe.press(f"Soutenir n°{number}")
    assert f"vous soutenez le sujet n°{number} « {ISO} » (1 soutien(s))" in chloe.text
    await chloe.say(f"/club soutenir {number}")
    assert "Vous soutenez déjà le sujet n°1 : un soutien par membre (1 soutien(s))" in chloe.text
    await chloe.say("/club sujets")
    assert "1 soutien(s) · vous le soutenez" in chloe.text
    await chloe.press(f"Retirer mon soutien n°{number}")

    assert f"vous ne soutenez plus le sujet n°{number} (0 soutien(s))" in chloe.text
    await chloe.say(f"/club retirer-soutien {number}")
    assert "Vous ne souteniez pas le sujet n°1" in chloe.text


async def test_the_ranking_puts_the_most_supported_first_then_the_oldest(club: Club) -> None:
    claire, bob, chloe, _ = club
    iso = await propose(bob, ISO)
    label = await propose(chloe, LABEL)
    harassment = await propose(bob, HARASSMENT, "Anonymement")
    for member in (bob, chloe):
        await member.say(f"/club soutenir {harassment}")
    await chloe.say(f"/club soutenir {label}")

    await bob.say("/club sujets")
    assert ranked(bob) == [f"n°{harassment}", f"n°{label}", f"n°{iso}"]
    assert f"« {HARASSMENT} » — anonyme · 2 soutien(s) · vous le soutenez" in bob.text
    assert f"« {LABEL} » — proposé par Chloé Durand (Fromagerie Berthaut) · 1" in bob.text
    assert f"« {ISO} » — proposé par Bob Lefèvre (Scop Les Tisserands) · 0" in bob.text
    await claire.say("/club sujets")
    assert ranked(claire) == ranked(bob)
    # Claire is not a member: she sees the ranking, and supports nothing.
    assert not [b for b in claire.buttons if b.label.startswith("Soutenir")]
    await claire.say(f"/club soutenir {iso}")
    assert "Seuls les membres du club soutiennent ses sujets." in claire.text


async def test_the_support_of_a_member_who_left_no_longer_counts(club: Club) -> None:
    _, bob, chloe, _ = club
    number = await propose(bob, ISO)
    await chloe.say(f"/club soutenir {number}")
    await chloe.say("/club quitter")

    await bob.say("/club sujets")

    assert f"« {ISO} » — proposé par Bob Lefèvre (Scop Les Tisserands) · 0 soutien(s)" in bob.text


async def test_a_non_member_cannot_support_and_learns_nothing(app: App, club: Club) -> None:
    _, bob, _, _ = club
    number = await propose(bob, ISO)
    nadia = Chat(app, Platform.TELEGRAM, "7391846090")
    await nadia.sign_up("Nadia Ferrand", "Ferrand Emballages")

    await nadia.say(f"/club soutenir {number}")
    unknown = nadia.text
    await nadia.say("/club soutenir 99")

    assert unknown == nadia.text.replace("99", str(number))
    assert "Je ne trouve pas de sujet" in unknown
    await nadia.say("/club sujets")
    assert ISO not in nadia.text and "Club BouRSE" not in nadia.text


async def test_a_member_who_refused_the_charter_sees_no_topic(club: Club) -> None:
    _, bob, _, dora = club
    number = await propose(bob, ISO)

    for said in ("/club sujets", "/club sujets traites", "/club sujet", f"/club soutenir {number}"):
        await dora.say(said)
        assert ISO not in dora.text and "Club BouRSE" not in dora.text, said
        await dora.say("/annuler")
    await dora.say("/club sujets")
    assert "Vous ne faites partie d'aucun club" in dora.text


async def test_a_topic_on_a_polled_meetings_agenda_shows_in_its_invitation(
    app: App, club: Club
) -> None:
    claire, bob, _, _ = club
    number = await propose(bob, ISO)
    poll = await open_poll(claire)

    await claire.say(f"/club sujets {number} ordre-du-jour")
    await claire.press("« Bilan carbone des PME industrielles » (date en sondage)")
    assert f"le sujet n°{number} est à l'ordre du jour de la réunion du « Bilan" in claire.text
    await claire.say(f"/club sondage {poll} clore")
    await claire.press("Confirmer")

    invited = await queued(app, "event_invitation")
    assert [chat_id for chat_id, _ in invited] == [BOB.user_id, CHLOE.user_id]
    for _, campaign in invited:
        assert f"Sujets proposés par les membres :\n• {ISO}" in campaign.text


async def test_a_topic_put_on_an_invited_meeting_shows_in_the_ranking_and_its_next_messages(
    app: App, club: Club
) -> None:
    claire, bob, _, _ = club
    number = await propose(bob, LABEL)
    await plan_meeting(claire)
    await claire.press("Inviter")
    meeting = await meeting_id(app)

    await claire.say(f"/club sujets {number} ordre-du-jour")
    await claire.press("12/03/2027 09:30 — Bilan carbone")
    assert "est à l'ordre du jour de la réunion du 12/03/2027 09:30" in claire.text
    await bob.say("/club sujets")
    assert "à l'ordre du jour de la réunion du 12/03/2027 09:30 — Bilan carbone" in bob.text
    await claire.say(f"/club modifier {meeting}")
    await claire.press("Le lieu")
    await claire.say("Fromagerie Berthaut, 3 route des Aravis, 74230 Thônes")
    await claire.press("Envoyer la mise à jour")

    updates = await queued(app, "event_update")
    assert updates and all(f"• {LABEL}" in campaign.text for _, campaign in updates)


async def test_a_topic_on_the_agenda_shows_in_the_meetings_reminder(app: App, club: Club) -> None:
    claire, bob, _, _ = club
    number = await propose(bob, LABEL)
    await plan_meeting(claire)
    await claire.press("Inviter")
    await claire.say(f"/club sujets {number} ordre-du-jour {await meeting_id(app)}")

    # D-7 before the meeting of 12/03/2027 at 9:30 in Paris.
    async with app.database.transaction() as session:
        await reminders.queue_due(
            session, app.settings, app.content, now=datetime(2027, 3, 5, 8, 31, tzinfo=UTC)
        )
    reminded = await queued(app, reminders.KIND)
    assert reminded and all(f"• {LABEL}" in campaign.text for _, campaign in reminded)


async def test_only_a_meeting_to_come_of_the_topics_club_takes_it(app: App, club: Club) -> None:
    claire, bob, _, _ = club
    await plan_meeting(claire)
    await claire.press("Inviter")  # a meeting of the Club BouRSE
    other = await create_club(claire, "Club Achats responsables")
    await bob.say(f"/club rejoindre {other}")
    await bob.press("J'accepte la charte")
    await bob.say("/club sujet")
    await bob.press("Club Achats responsables")
    await bob.say(LABEL)
    await bob.press("En mon nom")
    await bob.press("Envoyer")

    await claire.say(f"/club sujets 1 ordre-du-jour {await meeting_id(app)}")

    assert "Le club Club Achats responsables n'a aucune réunion à venir" in claire.text
    (topic,) = await stored_topics(app)
    assert topic.event_id is None


async def test_a_treated_topic_leaves_the_ranking_for_the_treated_list(club: Club) -> None:
    claire, bob, chloe, _ = club
    iso = await propose(bob, ISO)
    label = await propose(chloe, LABEL)

    await claire.say("/club sujets")
    await claire.press(f"n°{iso} traité")

    assert f"le sujet n°{iso} est traité" in claire.text
    await bob.say("/club sujets")
    assert ranked(bob) == [f"n°{label}"]
    assert "Traités récemment :" in bob.text and f"n°{iso} « {ISO} » — traité le" in bob.text
    await bob.say("/club sujets traites")
    assert "Sujets traités — Club BouRSE (1)" in bob.text and ISO in bob.text
    await bob.say(f"/club soutenir {iso}")
    assert f"Le sujet n°{iso} est déjà traité." in bob.text


async def test_members_cannot_act_on_topics_and_other_poles_animators_find_none(
    app: App, club: Club
) -> None:
    _, bob, _, _ = club
    number = await propose(bob, ISO)
    await bob.say(f"/club sujets {number} traite")
    assert "réservée aux personnes ayant le rôle animateur" in bob.text
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    bruno = Chat(app, Platform.SLACK, "U07KLEIN")
    await bruno.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await bruno.grant("animator")

    await bruno.say(f"/club sujets {number} traite")
    mine = bruno.text
    await bruno.say("/club sujets 99 traite")

    assert mine == bruno.text.replace("99", str(number))
    (topic,) = await stored_topics(app)
    assert topic.treated_at is None


async def test_outsiders_learn_nothing_of_the_topics_from_any_action_or_button(
    app: App, club: Club
) -> None:
    claire, bob, chloe, dora = club
    named = await propose(bob, ISO)
    anonymous = await propose(chloe, HARASSMENT, "Anonymement")
    await plan_meeting(claire)
    await claire.press("Inviter")
    meeting = str(await meeting_id(app))
    await claire.say(f"/club sujets {named} ordre-du-jour {meeting}")
    buttons = set()
    for member in (bob, chloe, claire):
        await member.say("/club sujets")
        buttons |= {button.value for button in member.buttons}
    secrets = (ISO, HARASSMENT, "Club BouRSE", "Bob Lefèvre", "Bilan carbone")

    numbers = [str(named), str(anonymous), meeting]
    tried = [
        "/club sujet",
        "/club sujets",
        "/club sujets traites",
        *(f"/club sujets {n}" for n in numbers),
        *(f"/club {word} {n}" for word in ("soutenir", "retirer-soutien") for n in numbers),
        *(f"/club sujets {n} {w}" for n in numbers for w in ("traite", "ordre-du-jour")),
        *(f"/club sujets {n} ordre-du-jour {meeting}" for n in numbers),
        *sorted(buttons),
    ]
    for outsider in [dora, *await _outsiders(app)]:
        for said in tried:
            replies = await outsider.say(said)
            await outsider.say("/annuler")
            leaked = [s for s in secrets if any(s in text for text in _said(replies))]
            assert not leaked, (outsider.user_id, said, leaked)
    topics = await stored_topics(app)
    assert [(t.event_id, t.treated_at) for t in topics] == [(int(meeting), None), (None, None)]


async def test_the_yearly_counts_are_the_topics_proposed_and_treated_in_the_period(
    app: App, club: Club
) -> None:
    claire, bob, chloe, _ = club
    await propose(bob, ISO)
    label = await propose(chloe, LABEL, "Anonymement")
    await claire.say(f"/club sujets {label} traite")
    tz = app.settings.tz
    year = datetime.now(tz).year
    (topic, _) = await stored_topics(app)

    async with app.database.transaction() as session:
        counts = [
            await repo.club_topic_counts(
                session,
                club_id=topic.club_id,
                start=datetime(y, 1, 1, tzinfo=tz),
                end=datetime(y + 1, 1, 1, tzinfo=tz),
            )
            for y in (year, year + 1)
        ]

    assert counts == [(2, 1), (0, 0)]
