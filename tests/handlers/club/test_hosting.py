"""Who hosts: /club accueillir oui|non through the router, and the host step of /club reunion
suggesting the willing member companies that hosted least recently."""

import pytest
from sqlmodel import select

from bot.app import App
from bot.storage.models import ClubMember, Event
from tests.handlers.club.test_clubs import BOB, CHLOE, DORA, create_club, join_club
from tests.handlers.club.test_meetings import an_animator
from tests.helpers.chat import Chat


@pytest.fixture
async def bourse(app: App) -> tuple[Chat, Chat, Chat, Chat]:
    """Claire animates the Club BouRSE; Bob, Chloé and Dora joined it on the same day."""
    claire = await an_animator(app)
    bob, chloe, dora = await join_club(app, await create_club(claire), [BOB, CHLOE, DORA])
    return claire, bob, chloe, dora


async def suggested(claire: Chat) -> list[str]:
    """The host suggestions of a new /club reunion, left at its host step."""
    await claire.say("/club reunion")
    await claire.say("Achats responsables")
    return [b.label for b in claire.buttons if b.value.startswith("club_meeting:host:")]


async def hold(claire: Chat, host: str, when: str) -> None:
    """Finish the meeting begun by ``suggested``, hosted by ``host`` (pressed or typed)."""
    if any(b.label == host for b in claire.buttons):
        await claire.press(host)
    else:
        await claire.say(host)
    await claire.say("Une politique d'achats auprès des fournisseurs locaux")
    await claire.say("Zone artisanale des Glaisins, 74940 Annecy-le-Vieux")
    await claire.press("Sans ordre du jour")
    await claire.press("Sans limite")
    await claire.say(when)
    await claire.press("Inviter")


async def test_a_member_says_whether_their_company_would_host_and_club_shows_it(
    app: App, bourse: tuple[Chat, Chat, Chat, Chat]
) -> None:
    _, bob, _, _ = bourse
    await bob.say("/club")
    assert "pourrait-elle accueillir une réunion ?" in bob.text
    await bob.say("/club accueillir non")

    assert "ne sera pas suggérée pour accueillir une réunion du club Club BouRSE" in bob.text
    await bob.say("/club")
    assert "préfère ne pas accueillir de réunion (/club accueillir oui" in bob.text
    async with app.database.transaction() as session:
        wishes = list(await session.scalars(select(ClubMember.hosting).order_by(ClubMember.id)))
    assert wishes == [False, None, None]


async def test_the_suggestions_follow_the_rotation_meeting_after_meeting(
    app: App, bourse: tuple[Chat, Chat, Chat, Chat]
) -> None:
    """Joined the same day, the companies that never hosted come in alphabetical order; the
    last host goes to the end; a company that would rather not is left out until it says yes."""
    claire, _, _, dora = bourse
    await dora.say("/club accueillir non")

    assert await suggested(claire) == ["Fromagerie Berthaut", "Scop Les Tisserands"]
    await hold(claire, "Fromagerie Berthaut", "12/03/2027 9h30")
    assert await suggested(claire) == ["Scop Les Tisserands", "Fromagerie Berthaut"]
    await hold(claire, "Scop Les Tisserands", "14/05/2027 9h30")
    await dora.say("/club accueillir oui")

    assert await suggested(claire) == [
        "Hydreos Conseil",
        "Fromagerie Berthaut",
        "Scop Les Tisserands",
    ]


async def test_a_company_outside_the_suggestions_can_be_typed(
    app: App, bourse: tuple[Chat, Chat, Chat, Chat]
) -> None:
    claire, _, _, _ = bourse
    await suggested(claire)
    await hold(claire, "Biocoop Lyon", "12/03/2027 9h30")

    async with app.database.transaction() as session:
        assert list(await session.scalars(select(Event.host_company))) == ["Biocoop Lyon"]
