"""Nothing of a club reaches someone outside it: a member of the same pôle who is not in the
club, an animator of another pôle, and someone who never signed up try every /club action
(with the club's real meeting numbers, and a wrong code) and press every button the club's
members were given, in private and in a group, and none of their replies names the club, its
meeting, its place or its members.

The actions are read from the package's registry, so a new action is tried here too."""

from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform, Reply
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Event
from handlers.club import ACTIONS
from tests.handlers.club.test_clubs import BOB, CHLOE, DORA, create_club, join_club
from tests.handlers.club.test_date_poll import open_poll
from tests.handlers.club.test_meetings import an_animator, plan_meeting
from tests.helpers.chat import Chat

CLUB = "Cercle des dirigeants du Genevois"
# What the club's members know and outsiders must not learn.
SECRETS = (
    CLUB,
    "Bilan carbone",
    "Scop Les Tisserands",
    "12 rue des Tisserands",
    "Bob Lefèvre",
    "Chloé Durand",
    "Dora Meyer",
)


@pytest.fixture
async def club(app: App) -> tuple[Chat, Chat, Chat]:
    """Claire animates the club; Bob and Chloé joined it; Dora refused its charter."""
    claire = await an_animator(app)
    code = await create_club(claire, CLUB)
    bob, chloe = await join_club(app, code, [BOB, CHLOE], refusing=[DORA])
    return claire, bob, chloe


def _said(replies: list[Reply]) -> Iterator[str]:
    for reply in replies:
        yield str(reply.text)
        yield from (button.label for button in reply.buttons)
        yield from (attachment.filename for attachment in reply.attachments)
        yield from (attachment.data.decode("utf-8", "replace") for attachment in reply.attachments)


async def _members_buttons(app: App, members: list[Chat]) -> set[str]:
    """Every button value the club's members were shown or sent."""
    values: set[str] = set()
    for member in members:
        for said in ("/club", "/club membres", "/club charte", "/club accueillir"):
            await member.say(said)
            values |= {button.value for button in member.buttons}
    async with app.database.transaction() as session:
        for campaign in await session.scalars(select(Campaign)):
            values |= {value for _, value in campaign.buttons}
    return values


async def _outsiders(app: App) -> list[Chat]:
    neighbour = Chat(app, Platform.TELEGRAM, "7391846090")
    await neighbour.sign_up("Nadia Ferrand", "Ferrand Emballages")
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Cluster Lumière Grand Est")
    stranger = Chat(app, Platform.SLACK, "U07KLEIN")
    await stranger.sign_up("Bruno Klein", "Klein Éclairage", code=other.invite_code)
    await stranger.grant("animator")
    newcomer = Chat(app, Platform.CONSOLE, "inconnu")
    return [neighbour, stranger, newcomer]


async def _meeting_ids(app: App) -> list[str]:
    async with app.database.transaction() as session:
        return [str(event.id) for event in await session.scalars(select(Event))]


@pytest.mark.parametrize("where", ["private", "group"])
async def test_outsiders_learn_nothing_of_the_club_from_any_action_or_button(
    app: App,
    club: tuple[Chat, Chat, Chat],
    where: str,
) -> None:
    claire, bob, chloe = club
    await plan_meeting(claire)
    await claire.press("Inviter")
    await open_poll(claire)
    buttons = await _members_buttons(app, [bob, chloe])
    ids = await _meeting_ids(app)
    assert ids and buttons

    words = sorted({action.words[0] for action in ACTIONS.values()})
    arguments = [[], *([n] for n in ids), *([n, "oui"] for n in ids), ["ZZZZ9999"]]
    for outsider in await _outsiders(app):
        chat = outsider if where == "private" else outsider.in_group("-1001987654321")
        tried: list[str] = []
        for word in words:
            for args in arguments:
                tried.append(" ".join(["/club", word, *args]))
                said = list(_said(await chat.say(tried[-1])))
                await chat.say("/annuler")
                leaked = [s for s in SECRETS if any(s in text for text in said)]
                assert not leaked, (outsider.user_id, tried[-1], leaked, said)
        for value in sorted(buttons):
            said = list(_said(await chat.press_value(value)))
            await chat.say("/annuler")
            leaked = [s for s in SECRETS if any(s in text for text in said)]
            assert not leaked, (outsider.user_id, value, leaked, said)
