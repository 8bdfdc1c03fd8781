"""/club charte through the router: an animator publishes a new version of a club's charter
after a preview; every member is told, sees nothing of the club until they accept it, and can
see which version they accepted and when."""

from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage.models import ClubCharter, ClubMember
from tests.handlers.club.test_clubs import create_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued

NEW_CHARTER = (
    "**Charte du Club BouRSE**\n1. Respect.\n2. Confidentialité des échanges.\n"
    "3. Entraide non marchande.\n4. Présence à trois réunions par an au moins."
)


async def a_member(app: App, code: str) -> Chat:
    bob = Chat(app, Platform.TELEGRAM, "7391846032")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await bob.say(f"/club rejoindre {code}")
    await bob.press("J'accepte la charte")
    return bob


async def test_a_new_version_is_published_and_every_member_is_asked_to_accept_it(
    app: App,
) -> None:
    claire = await an_animator(app)
    code = await create_club(claire)
    bob = await a_member(app, code)

    await claire.say("/club charte")
    assert "charte du club Club BouRSE en vigueur (version 1)" in claire.text
    assert "Entraide non marchande" in claire.text
    await claire.say(NEW_CHARTER)
    assert "Aperçu de la version 2" in claire.text and "Présence à trois réunions" in claire.text
    assert "les 1 membre(s) du club devront l'accepter" in claire.text
    await claire.press("Publier la version 2")
    assert "La version 2 de la charte est publiée : 1 membre(s)" in claire.text

    ((chat_id, campaign),) = await queued(app, "club_charter")
    assert chat_id == "7391846032"
    assert "La charte du club Club BouRSE a changé (version 2)" in campaign.text
    await bob.say("/club membres")
    assert "Bob Lefèvre" not in bob.text
    await bob.press_value(campaign.buttons[0][1])
    assert "version 2" in bob.text and "Présence à trois réunions" in bob.text
    await bob.press("J'accepte la charte")
    async with app.database.transaction() as session:
        assert (await session.scalar(select(ClubMember.charter_version))) == 2


async def test_an_unchanged_or_dropped_text_publishes_nothing(app: App) -> None:
    claire = await an_animator(app)
    await create_club(claire)
    await claire.say("/club charte")
    await claire.say(app.content.charter("fr"))
    assert "Ce texte est celui de la charte en vigueur" in claire.text
    await claire.say(NEW_CHARTER)
    await claire.press("Annuler")

    assert "La charte n'a pas changé" in claire.text
    async with app.database.transaction() as session:
        assert [c.version for c in await session.scalars(select(ClubCharter))] == [1]


async def test_a_member_sees_the_version_accepted_and_its_day_and_cannot_edit(
    app: App,
) -> None:
    claire = await an_animator(app)
    code = await create_club(claire)
    bob = await a_member(app, code)
    async with app.database.transaction() as session:
        accepted = await session.scalar(select(ClubMember.accepted_at))
    assert accepted is not None

    await bob.say("/club charte")

    day = accepted.astimezone(app.settings.tz).strftime("%d/%m/%Y")
    assert f"Club BouRSE : vous avez accepté la version 1 de sa charte le {day}." in bob.text
    state = await bob.state()
    assert state is None or state.flow is None
