"""``/club rappels``: a club's reminder days, shown and set by the pôle's animators (« /club
rappels 7 1 », « /club rappels 3 », « /club rappels aucun »). The reminders themselves go out
from handlers/events/reminders.py."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.conversation import Context
from bot.messages import Reply
from bot.storage import repositories as repo
from bot.storage.models import Club
from content.loader import Texts
from content.text import fold
from handlers.actions import Action
from handlers.events.reminders import MAX_DAYS, MAX_REMINDERS

NONE_WORDS = frozenset({"aucun", "aucune", "none"})
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_days(words: Sequence[str]) -> list[int] | None:
    """The reminder days typed (« 7 1 », « 7, 1 », « aucun »), latest first; None if they are
    not 1 to MAX_REMINDERS numbers from 0 to MAX_DAYS, or « aucun » alone."""
    typed = [word for word in _SEPARATORS.split(" ".join(words)) if word]
    if len(typed) == 1 and fold(typed[0]) in NONE_WORDS:
        return []
    if not 1 <= len(typed) <= MAX_REMINDERS or not all(word.isdigit() for word in typed):
        return None
    days = sorted({int(word) for word in typed}, reverse=True)
    return days if days[0] <= MAX_DAYS else None


def days_text(texts: Texts, days: Sequence[int]) -> str:
    """« 7 jours avant et la veille »."""
    shown = [
        texts.label("club.settings.same_day")
        if n == 0
        else texts.label("club.settings.day_before")
        if n == 1
        else texts.label("club.settings.days_before", days=n)
        for n in days
    ]
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} {texts.label('club.settings.and')} {shown[-1]}"


async def reminders(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club rappels [CODE] [JOURS…|aucun]``: the club's reminder days, or set them. With
    several clubs and no code, asks which with a button per club."""
    assert context.pole is not None and context.pole.id is not None
    clubs = [club for club, _ in await repo.pole_clubs(context.session, pole_id=context.pole.id)]
    if not clubs:
        return [context.say("club.meeting_no_club")]
    words = list(args)
    club: Club | None = None
    if words:
        code = repo.normalize_invite_code(words[0])
        club = next((c for c in clubs if c.code == code), None)
        if club is not None:
            words = words[1:]
    days = parse_days(words) if words else None
    if words and days is None:
        return [context.say("club.settings.usage", maximum=MAX_DAYS, count=MAX_REMINDERS)]
    if club is None and len(clubs) == 1:
        club = clubs[0]
    if club is None:
        tail = f" {' '.join(words)}" if words else ""
        buttons = [context.command_button(c.name, f"club rappels {c.code}{tail}") for c in clubs]
        return [context.say("club.settings.which", buttons=buttons)]
    if days is None:
        return [_shown(context, club)]
    await repo.set_reminder_days(context.session, club=club, days=days)
    if not days:
        return [context.say("club.settings.set_none", club=club.name)]
    return [context.say("club.settings.set", club=club.name, days=days_text(context.texts, days))]


def _shown(context: Context, club: Club) -> Reply:
    if not club.reminder_days:
        return context.say("club.settings.current_none", club=club.name)
    return context.say(
        "club.settings.current", club=club.name, days=days_text(context.texts, club.reminder_days)
    )


ACTIONS = (Action(("rappels", "reminders"), reminders, role="animator"),)
FLOWS = ()
