"""Who hosts the club's meetings: each member says whether their company would open its doors
(``/club accueillir oui|non``), and the meeting's host step suggests the willing member
companies that hosted least recently (handlers/club/rotation.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Context
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import ClubMember
from content.text import fold
from handlers.actions import Action
from handlers.club.admin import member_clubs, pick_club
from handlers.club.rotation import Candidate, PastMeeting, suggest_hosts

_WILLING = {"oui": True, "yes": True, "non": False, "no": False}


async def suggested_hosts(context: Context, *, club_id: int) -> list[str]:
    """The member companies to suggest as the next meeting's host, the most deserving first:
    every meeting with a date counts, a planned one too (its host is already taken)."""
    assert context.pole is not None and context.pole.id is not None
    candidates = [
        Candidate(company or "", since.date(), willing=hosting is not False)
        for company, since, hosting in await repo.hosting_candidates(
            context.session, pole_id=context.pole.id, club_id=club_id
        )
    ]
    meetings = [
        PastMeeting(starts_at.date(), host or None, cancelled)
        for starts_at, host, cancelled in await repo.club_hostings(context.session, club_id=club_id)
    ]
    return suggest_hosts(candidates, meetings)


def hosting_line(context: Context, member: ClubMember) -> Text:
    """What the member said about hosting, with the command to change it, for /club."""
    said = {True: "yes", False: "no", None: "unsaid"}[member.hosting]
    return context.texts(f"club.hosting.line.{said}")


async def host(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club accueillir oui|non [CLUB]``: whether the member's company would host a meeting
    of the club; asks which club when they are in several."""
    if not args or fold(args[0]) not in _WILLING:
        return [context.say("club.hosting.usage")]
    willing = _WILLING[fold(args[0])]
    mine = await member_clubs(context)
    if not mine:
        return [context.say("club.admin.none")]
    clubs = [club for club, _ in mine]
    if len(args) > 1:
        club = pick_club(clubs, " ".join(args[1:]))
        if club is None:
            return [context.say("club.admin.unknown")]
    elif len(mine) == 1:
        club = clubs[0]
    else:
        word = "oui" if willing else "non"
        buttons = [context.command_button(c.name, f"club accueillir {word} {c.id}") for c in clubs]
        return [context.say("club.hosting.which", buttons=buttons)]
    member = next(member for c, member in mine if c.id == club.id)
    await repo.set_hosting(context.session, member=member, hosting=willing)
    return [context.say(f"club.hosting.set.{'yes' if willing else 'no'}", club=club.name)]


ACTIONS = (Action(("accueillir", "host"), host),)
FLOWS = ()
