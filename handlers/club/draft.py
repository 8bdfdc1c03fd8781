"""The meeting an animator is describing in /club reunion: how its dates are typed, how long
it lasts, and the event its answers make; shared by the fixed date (handlers/club/meetings.py)
and the date poll (handlers/club/date_poll.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.storage.models import Event, utcnow
from content.text import fold

# A meeting lasts a morning unless said otherwise.
DURATION = timedelta(hours=2)
# « 12/03/2027 9h », « 12/03/2027 à 9h30 », « 12/03/2027 09:30 ».
_WHEN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(?:a\s+)?(\d{1,2})(?:h|:)(\d{2})?$")


def parse_moment(text: str, zone: tzinfo) -> datetime | None:
    """A date and time typed as « 12/03/2027 9h30 », in ``zone``; None if it is not one."""
    match = _WHEN.match(fold(text))
    if match is None:
        return None
    day, month, year, hour, minute = (int(part or 0) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None


def described_meeting(data: Mapping[str, Any], *, pole_id: int) -> Event:
    """The meeting the flow's answers describe, not stored yet: dated when ``data`` has
    ``starts_at``, else its date to be polled."""
    start = datetime.fromisoformat(data["starts_at"]) if "starts_at" in data else None
    return Event(
        pole_id=pole_id,
        club_id=data["club_id"],
        uid=f"{uuid.uuid4()}@rse-bot",
        status="scheduled" if start else "polling",
        title=data["theme"],
        host_company=data["host"],
        practice=data["practice"],
        place=data["place"],
        agenda=data.get("agenda", ""),
        capacity=data.get("capacity"),
        starts_at=start,
        ends_at=start + DURATION if start else None,
        dated_at=utcnow() if start else None,
    )
