import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Incoming, IncomingFile, Platform
from bot.storage.models import Campaign, Identity, OutboxMessage, Upload, utcnow
from scheduler.jobs import purge_uploads
from tests.helpers.chat import Chat

INVITATION = (
    "Club RSE jeudi 4 décembre à 9 h chez **Scop Les Tisserands** : "
    "retour d'expérience sur le bilan carbone. Inscrivez-vous avant lundi."
)


@pytest.fixture
async def claire(app: App) -> Chat:
    """The pôle's animator, on Telegram."""
    claire = Chat(app, Platform.TELEGRAM, "5001")
    await claire.sign_up("Claire Martin", "Pôle Végépolys")
    await claire.grant("animator")
    return claire


@pytest.fixture
async def members(app: App) -> list[Chat]:
    """Two members on Telegram, one on Slack."""
    people = [
        (Platform.TELEGRAM, "5002", "Bob Lefèvre", "Scop Les Tisserands"),
        (Platform.TELEGRAM, "5003", "Chloé Durand", "Biocoop Lyon"),
        (Platform.SLACK, "U0SAMIA", "Samia Benali", "Hydreos Conseil"),
    ]
    chats = []
    for platform, user_id, name, company in people:
        member = Chat(app, platform, user_id)
        await member.sign_up(name, company)
        chats.append(member)
    return chats


async def outbox(app: App) -> list[tuple[str, str, str]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.platform, row.chat_id, row.status) for row in rows]


async def compose(animator: Chat, text: str = INVITATION, *, attach: bool = False) -> None:
    """Start a broadcast and write ``text``; unless ``attach``, go on without attachment."""
    await animator.say("/diffuser")
    await animator.say(text)
    if not attach:
        await animator.press("Sans pièce jointe")
        await animator.press("Tous les membres")


async def test_a_member_cannot_broadcast(app: App, members: list[Chat]) -> None:
    await members[0].say("/diffuser")

    assert "réservée aux personnes ayant le rôle animateur" in members[0].text
    assert await outbox(app) == []


async def test_the_preview_shows_the_message_and_the_recipients_per_platform(
    claire: Chat, members: list[Chat]
) -> None:
    await compose(claire)
    await claire.press("Telegram et Slack")

    assert "Club RSE jeudi 4 décembre" in claire.text
    assert (
        "Destinataires : Tous les membres de Pôle RSE, 4 (3 sur Telegram, 1 sur Slack)."
        in claire.text
    )
    assert [b.label for b in claire.buttons] == [
        "Envoyer à 4 destinataire(s)",
        "Modifier le texte",
        "Changer de destinataires",
        "Changer de plateformes",
        "Annuler",
    ]


async def test_platform_buttons_count_who_each_reaches(claire: Chat, members: list[Chat]) -> None:
    await compose(claire)

    assert [b.label for b in claire.buttons] == [
        "Telegram et Slack (4)",
        "Telegram seulement (3)",
        "Slack seulement (1)",
    ]


async def test_sending_queues_one_message_per_member(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire)
    await claire.press("Telegram et Slack")
    await claire.press("Envoyer")

    assert "Diffusion n°1 lancée : 4 message(s) partent maintenant" in claire.text
    assert sorted(await outbox(app)) == [
        ("slack", "U0SAMIA", "pending"),
        ("telegram", "5001", "pending"),
        ("telegram", "5002", "pending"),
        ("telegram", "5003", "pending"),
    ]
    async with app.database.transaction() as session:
        campaign = await session.scalar(select(Campaign))
    assert campaign is not None
    assert (campaign.kind, campaign.text, campaign.audience) == ("broadcast", INVITATION, "all:any")


async def test_slack_only_reaches_only_slack_accounts(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire)
    await claire.press("Slack seulement")
    await claire.press("Envoyer")

    assert await outbox(app) == [("slack", "U0SAMIA", "pending")]


async def test_a_member_with_two_linked_accounts_gets_one_message(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    bob_on_slack = Chat(app, Platform.SLACK, "U0BOB")
    await members[0].say("/lier")
    code = members[0].text.split("Votre code de liaison : ")[1].split()[0]
    await bob_on_slack.say(f"/lier {code}")

    await compose(claire)
    await claire.press("Telegram et Slack")
    await claire.press("Envoyer")

    recipients = [chat_id for _, chat_id, _ in await outbox(app)]
    assert sorted(recipients) == ["5001", "5002", "5003", "U0SAMIA"]


async def test_members_who_blocked_the_bot_are_reported_not_sent(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    async with app.database.transaction() as session:
        await session.execute(
            update(Identity)
            .where(Identity.platform_user_id == "5003")
            .values(unreachable_at=utcnow(), unreachable_reason="Forbidden: bot was blocked")
        )

    await compose(claire)
    await claire.press("Telegram et Slack")
    assert (
        "Destinataires : Tous les membres de Pôle RSE, 3 (2 sur Telegram, 1 sur Slack)."
        in claire.text
    )
    assert "1 autre(s) membre(s) ont bloqué le bot" in claire.text
    await claire.press("Envoyer")

    assert ("telegram", "5003", "unreachable") in await outbox(app)


async def test_cancelling_at_the_preview_sends_nothing(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire)
    await claire.press("Telegram et Slack")
    await claire.press("Annuler")

    assert claire.text == "Diffusion annulée : rien n'a été envoyé."
    assert await outbox(app) == []


async def test_the_text_can_be_rewritten_from_the_preview(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire, "Club RSE jeudi")
    await claire.press("Telegram seulement")
    await claire.press("Modifier le texte")
    await claire.say("Club RSE vendredi 5 décembre, même heure")
    await claire.press("Sans pièce jointe")
    await claire.press("Tous les membres")

    await claire.press("Telegram seulement")
    assert "Club RSE vendredi 5 décembre, même heure" in claire.text
    assert "Club RSE jeudi" not in claire.text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("   ", "Votre réponse est vide. Pouvez-vous l'écrire ?"),
        ("x" * 4001, "Votre réponse est trop longue (4001 caractères ; 4000 au plus)."),
    ],
)
async def test_an_unusable_text_is_asked_again(
    claire: Chat, members: list[Chat], typed: str, expected: str
) -> None:
    await compose(claire, typed, attach=True)

    assert claire.text.startswith(expected)
    assert "Écrivez le message à diffuser" in claire.text


async def test_a_pressed_platform_that_reaches_nobody_cannot_be_sent(
    app: App, claire: Chat
) -> None:
    await compose(claire)
    await claire.press("Slack seulement (0)")

    assert "Destinataires : Tous les membres de Pôle RSE, 0" in claire.text
    assert not any(b.label.startswith("Envoyer") for b in claire.buttons)


async def test_status_reports_each_broadcast_with_reasons(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire)
    await claire.press("Telegram et Slack")
    await claire.press("Envoyer")
    async with app.database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id.in_(["5001", "5002"]))
            .values(status="sent")
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == "5003")
            .values(status="unreachable", last_error="Forbidden: bot was blocked by the user")
        )

    await claire.say("/diffuser statut")

    assert "Dernières diffusions de Pôle RSE" in claire.text
    assert "n°1 — " in claire.text and "Claire Martin" in claire.text
    assert "Envoyés 2/4 · en attente 1 · échecs 0 · injoignables 1" in claire.text
    assert "injoignable (1) : Forbidden: bot was blocked by the user" in claire.text


async def test_status_without_any_broadcast_says_how_to_start(claire: Chat) -> None:
    await claire.say("/diffuser statut")

    assert (
        claire.text
        == "Aucune diffusion pour Pôle RSE pour l'instant. Pour en lancer une : /diffuser."
    )


async def send_invitation(claire: Chat) -> None:
    await compose(claire)
    await claire.press("Telegram et Slack")
    await claire.press("Envoyer")


async def test_my_data_lists_the_broadcasts_sent_to_me(claire: Chat, members: list[Chat]) -> None:
    await send_invitation(claire)

    await members[0].say("/mesdonnees")

    exported = json.loads(members[0].replies[-1].attachments[0].data)
    (received,) = exported["messages_recus"]
    assert (received["platform"], received["chat_id"], received["status"]) == (
        "telegram",
        "5002",
        "pending",
    )


async def test_forgetting_me_erases_the_messages_addressed_to_me(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await send_invitation(claire)

    await members[0].say("/oublier")
    await members[0].press("Oui")

    assert "5002" not in [chat_id for _, chat_id, _ in await outbox(app)]
    assert len(await outbox(app)) == 3


async def test_an_erased_animator_leaves_their_broadcasts_without_a_name(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await send_invitation(claire)
    await claire.say("/oublier")
    await claire.press("Oui")
    other = Chat(app, Platform.TELEGRAM, "5009")
    await other.sign_up("Denis Roux", "Pôle Végépolys")
    await other.grant("animator")

    await other.say("/diffuser statut")

    assert "sans auteur (ligne de commande ou compte effacé)" in other.text
    assert "Claire Martin" not in other.text


PROGRAMME = b"%PDF-1.4 " + b"programme du club " * 100


async def uploads(app: App) -> list[str]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(Upload.filename)))


async def test_a_file_sent_at_the_attachment_step_goes_out_with_the_broadcast(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire, attach=True)
    await claire.send_file("programme-club.pdf", PROGRAMME)
    await claire.press("Tous les membres")
    await claire.press("Telegram et Slack")

    assert "Pièce jointe : programme-club.pdf (2 Ko)" in claire.text
    await claire.press("Envoyer")

    async with app.database.transaction() as session:
        campaign = await session.scalar(select(Campaign))
    assert campaign is not None
    assert (campaign.attachment_name, campaign.attachment_type, campaign.attachment_data) == (
        "programme-club.pdf",
        "application/pdf",
        PROGRAMME,
    )
    assert await uploads(app) == []


async def test_text_at_the_attachment_step_asks_for_a_file(
    claire: Chat, members: list[Chat]
) -> None:
    await compose(claire, attach=True)

    await claire.say("oui")

    assert claire.text.startswith("J'attends un fichier (envoyez-le comme pièce jointe)")


async def test_a_file_over_20_mb_is_refused_without_downloading_it(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire, attach=True)

    async def never() -> bytes:
        raise AssertionError("a file announced too big must not be downloaded")

    huge = IncomingFile("video-salon.mp4", "video/mp4", 25_000_000, never)
    await claire._send(Incoming(Platform.TELEGRAM, "5001", "5001", files=(huge,)))

    assert claire.text.startswith("Ce fichier est trop lourd : 20 Mo au plus.")
    assert await uploads(app) == []


async def test_a_file_that_cannot_be_fetched_is_asked_again(
    claire: Chat, members: list[Chat]
) -> None:
    await compose(claire, attach=True)

    async def broken() -> bytes:
        raise ConnectionError("file server unreachable")

    lost = IncomingFile("programme.pdf", "application/pdf", 1000, broken)
    await claire._send(Incoming(Platform.TELEGRAM, "5001", "5001", files=(lost,)))

    assert claire.text.startswith("Je n'ai pas pu récupérer ce fichier.")


async def test_the_file_can_be_kept_when_the_text_is_rewritten(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await compose(claire, attach=True)
    await claire.send_file("programme-club.pdf", PROGRAMME)
    await claire.press("Tous les membres")
    await claire.press("Telegram seulement")
    await claire.press("Modifier le texte")
    await claire.say("Club RSE reporté au vendredi")

    await claire.press("Garder programme-club.pdf")
    await claire.press("Tous les membres")
    await claire.press("Telegram seulement")

    assert "Pièce jointe : programme-club.pdf" in claire.text
    assert await uploads(app) == ["programme-club.pdf"]


async def test_cancelling_deletes_the_file(app: App, claire: Chat, members: list[Chat]) -> None:
    await compose(claire, attach=True)
    await claire.send_file("programme-club.pdf", PROGRAMME)
    await claire.press("Tous les membres")
    await claire.press("Telegram seulement")

    await claire.press("Annuler")

    assert await uploads(app) == []


async def test_a_file_sent_when_text_is_expected_is_answered_politely(
    claire: Chat, members: list[Chat]
) -> None:
    await claire.say("/diffuser")

    await claire.send_file("programme-club.pdf", PROGRAMME)

    assert claire.text.startswith("Je ne lis que le texte")
    assert "Écrivez le message à diffuser" in claire.text


async def subscribe(member: Chat, *theme_buttons: str) -> None:
    """``/veille abonner``, ticking the themes numbered ``theme_buttons`` (none: every theme)."""
    await member.say("/veille abonner")
    for number in theme_buttons:
        await member.press_value(f"veille:themes:{number}")
    await member.press("Valider" if theme_buttons else "Tous les thèmes")


@pytest.mark.parametrize(
    ("theme", "expected"),
    [
        ("Climat et énergie", ["5002", "5003"]),
        ("Réglementation", ["5003"]),
        ("Tous les abonnés", ["5002", "5003"]),
    ],
)
async def test_a_broadcast_reaches_the_watch_subscribers_of_a_theme(
    app: App, claire: Chat, members: list[Chat], theme: str, expected: list[str]
) -> None:
    bob, chloe, _ = members
    await subscribe(bob, "1")
    await subscribe(chloe)
    # A group receives the watch too, but a broadcast goes to people.
    group = Incoming.typed(Platform.TELEGRAM, "5001", "-100777", "/veille abonner", is_group=True)
    await claire._send(group)
    await claire.say("/diffuser")
    await claire.say(INVITATION)
    await claire.press("Sans pièce jointe")
    await claire.press("Les abonnés à la veille")

    await claire.press(theme)
    await claire.press("Telegram et Slack")
    await claire.press("Envoyer")

    assert [chat_id for _, chat_id, _ in await outbox(app)] == expected


async def test_the_preview_names_the_theme_audience(claire: Chat, members: list[Chat]) -> None:
    await subscribe(members[0], "1")
    await claire.say("/diffuser")
    await claire.say(INVITATION)
    await claire.press("Sans pièce jointe")
    await claire.press("Les abonnés à la veille")
    await claire.press("Climat et énergie")

    await claire.press("Telegram et Slack")

    assert (
        "Destinataires : Les abonnés à la veille de Pôle RSE, thème « Climat et énergie », "
        "1 (1 sur Telegram, 0 sur Slack)."
    ) in claire.text


async def test_an_audience_reaching_nobody_can_be_changed_from_the_preview(
    app: App, claire: Chat, members: list[Chat]
) -> None:
    await claire.say("/diffuser")
    await claire.say(INVITATION)
    await claire.press("Sans pièce jointe")
    await claire.press("Les abonnés à la veille")
    await claire.press("Tous les abonnés")
    await claire.press("Telegram et Slack")
    assert "Envoyer" not in [b.label[:7] for b in claire.buttons]

    await claire.press("Changer de destinataires")
    await claire.press("Tous les membres")
    await claire.press("Telegram et Slack")
    await claire.press("Envoyer")

    assert len(await outbox(app)) == 4


async def left_with_a_file(
    app: App, animator: Chat, time_machine: TimeMachineFixture, *, nights: int
) -> None:
    """A draft with a file, left at its audience step for ``nights``, each purged."""
    time_machine.move_to(datetime(2026, 12, 1, 17, tzinfo=UTC), tick=True)
    await compose(animator, attach=True)
    await animator.send_file("programme-club.pdf", PROGRAMME)
    time_machine.move_to(datetime(2026, 12, 1 + nights, 3, 45, tzinfo=UTC), tick=True)
    await purge_uploads(app)


async def test_the_nightly_purge_spares_the_file_of_a_draft_still_open(
    app: App, claire: Chat, members: list[Chat], time_machine: TimeMachineFixture
) -> None:
    await left_with_a_file(app, claire, time_machine, nights=2)

    await claire.press("Tous les membres")
    await claire.press("Telegram et Slack")
    assert "Pièce jointe : programme-club.pdf (2 Ko)" in claire.text
    await claire.press("Envoyer")
    async with app.database.transaction() as session:
        campaign = await session.scalar(select(Campaign))
    assert campaign is not None and campaign.attachment_data == PROGRAMME


async def test_a_draft_left_a_week_loses_its_file_and_its_preview_says_so(
    app: App, claire: Chat, members: list[Chat], time_machine: TimeMachineFixture
) -> None:
    await left_with_a_file(app, claire, time_machine, nights=8)
    assert await uploads(app) == []

    await claire.press("Tous les membres")
    await claire.press("Telegram et Slack")
    assert "Le fichier programme-club.pdf n'est plus disponible" in claire.text
    assert "Pièce jointe :" not in claire.text
    await claire.press("Changer de pièce jointe")
    assert "Garder" not in claire.text
    await claire.send_file("programme-v2.pdf", PROGRAMME)
    await claire.press("Tous les membres")
    await claire.press("Telegram et Slack")
    assert "Pièce jointe : programme-v2.pdf" in claire.text
