"""The « café RSE »: members of a club who opt in (``/club cafe oui``) are paired on the 1st of
each month with a member of the club they have not met this way yet (handlers/club/pairing.py),
so that leaders meet between meetings. Each hears, through the outbox, that their group of the
month is made, and reads the name and company of the other (the two others, in the trio of an
odd number) with ``/club cafe``, from the month's pairs themselves: a stored message names
nobody, so a partner who erases their data is gone from it too. Nobody else learns who takes
part. Only the members under the club's current charter are paired."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.conversation import Context
from bot.messages import Reply, Text
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Club, Person, utcnow
from bot.storage.session import Session
from content.loader import Content
from content.text import fold
from handlers.actions import Action
from handlers.audiences import recipient_of
from handlers.club.admin import member_clubs, person_label, pick_club
from handlers.club.pairing import pair_up
from handlers.language import texts_for

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

KIND = "club_cafe"
_TAKING_PART = {"oui": True, "yes": True, "non": False, "no": False}


async def cafe(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club cafe [oui|non [CLUB]]``: what the café RSE is and whether the person takes part
    in each of their clubs, with a button to change it; ``oui`` or ``non`` opts in or out,
    asking which club by buttons when they are in several."""
    clubs = [club for club, _ in await member_clubs(context)]
    if not clubs:
        return [context.say("club.admin.none")]
    if not args:
        return [await _overview(context, clubs)]
    taking_part = _TAKING_PART.get(fold(args[0]))
    if taking_part is None:
        return [context.say("club.cafe.usage")]
    if len(args) > 1:
        club = pick_club(clubs, " ".join(args[1:]))
        if club is None:
            return [context.say("club.cafe.unknown")]
    elif len(clubs) == 1:
        club = clubs[0]
    else:
        word = "oui" if taking_part else "non"
        buttons = [context.command_button(c.name, f"club cafe {word} {c.id}") for c in clubs]
        return [context.say("club.cafe.which", buttons=buttons)]
    assert club.id is not None
    if taking_part:
        await repo.join_cafe(context.session, club_id=club.id, person_id=context.person_id)
        return [context.say("club.cafe.joined", club=club.name)]
    await repo.leave_cafe(context.session, club_id=club.id, person_id=context.person_id)
    return [context.say("club.cafe.left", club=club.name)]


async def _overview(context: Context, clubs: Sequence[Club]) -> Reply:
    texts = context.texts
    taking_part = await repo.cafe_clubs_of(
        context.session, person_id=context.person_id, club_ids=[club.id or 0 for club in clubs]
    )
    lines = []
    buttons = []
    for club in clubs:
        assert club.id is not None
        others = await repo.cafe_group(
            context.session, club_id=club.id, person_id=context.person_id
        )
        if others:
            people = await repo.people_by_id(context.session, ids=others)
            names = f" {texts.label('club.cafe.and')} ".join(person_label(p) for p in people)
            lines.append(texts("club.cafe.line_group", club=club.name, partners=names))
            buttons += [
                context.command_button(
                    texts.label("club.cafe.contact_button", name=other.display_name or "?"),
                    f"club relation {other.id}",
                )
                for other in people
            ]
        if club.id in taking_part:
            lines.append(texts("club.cafe.line_in", club=club.name))
            label = texts.label("club.cafe.leave_button", club=club.name)
            buttons.append(context.command_button(label, f"club cafe non {club.id}"))
        else:
            lines.append(texts("club.cafe.line_out", club=club.name))
            label = texts.label("club.cafe.join_button", club=club.name)
            buttons.append(context.command_button(label, f"club cafe oui {club.id}"))
    return Reply(Text.join([texts("club.cafe.about"), Text.join(lines)], "\n\n"), tuple(buttons))


# The monthly job.


async def pair_monthly(app: App) -> None:
    """Make this month's groups of every club and tell each member their partners (the 1st of
    the month); each club's month once, whichever instance runs it and however often."""
    queued = await pair_clubs(app, now=utcnow())
    logger.info("Queued %d café RSE message(s)", queued)


async def pair_clubs(app: App, *, now: datetime) -> int:
    """The groups of the month ``now`` falls in (the bot's time zone), club by club; return how
    many messages were queued. A club that fails is left for the next run; the others go on."""
    async with app.database.transaction() as session:
        club_ids = [
            club.id or 0
            for pole in await repo.list_poles(session)
            for club, _ in await repo.pole_clubs(session, pole_id=pole.id or 0)
        ]
    queued = 0
    for club_id in club_ids:
        try:
            async with app.database.transaction() as session:
                queued += await pair_club(
                    session, app.settings, app.content, club_id=club_id, now=now
                )
        except Exception:
            logger.exception("Café RSE of club %s failed", club_id)
    return queued


async def pair_club(
    session: Session, settings: Settings, content: Content, *, club_id: int, now: datetime
) -> int:
    """Make the club's groups of the month ``now`` falls in (the bot's time zone) unless
    made already, and queue each member's message; return how many. Opt-ins of people who
    left the club go first."""
    month = now.astimezone(settings.tz).strftime("%Y-%m")
    club = await session.get(Club, club_id)
    assert club is not None and club.id is not None
    await repo.forget_cafe_leavers(session, club_id=club.id)
    if await repo.cafe_month_paired(session, club_id=club.id, month=month):
        return 0
    people = await repo.cafe_participants(session, pole_id=club.pole_id, club_id=club.id)
    groups = pair_up(people, await repo.cafe_history(session, club_id=club.id))
    if not groups or not await repo.add_cafe_groups(
        session, club_id=club.id, month=month, groups=groups, made_at=now
    ):
        return 0
    by_id = {person.id: person for person in await repo.people_by_id(session, ids=people)}
    queued = 0
    for group in groups:
        together = [by_id[person_id] for person_id in group]
        for person in together:
            others = [other for other in together if other is not person]
            queued += await _tell(session, settings, content, club, month, person, others)
    return queued


async def _tell(
    session: Session,
    settings: Settings,
    content: Content,
    club: Club,
    month: str,
    person: Person,
    others: Sequence[Person],
) -> int:
    """Tell ``person`` their group of the month is made, with a button showing who it is
    (``/club cafe``): the message itself names nobody."""
    assert person.id is not None
    recipient = await recipient_of(session, person_id=person.id)
    if recipient is None:
        return 0
    texts = texts_for(content, settings, person)
    campaign = Campaign(
        pole_id=club.pole_id,
        kind=KIND,
        subject_id=person.id,
        audience=f"cafe:{club.id}:{person.id}",
        text=texts.label(
            "club.cafe.paired" if len(others) == 1 else "club.cafe.paired_trio", club=club.name
        ),
        buttons=[[texts.label("club.cafe.see_button"), "/club cafe"]],
    )
    return await enqueue(
        session,
        campaign=campaign,
        recipients=[recipient],
        dedupe_key=f"cafe:{club.id}:{month}:{person.id}",
    )


ACTIONS = (Action(("cafe", "coffee"), cafe),)
FLOWS = ()
