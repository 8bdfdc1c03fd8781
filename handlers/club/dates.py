"""How a club meeting's dates are typed in the chat and how long a meeting lasts: shared by the
fixed date of /club reunion and its date poll (handlers/club/date_poll.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

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
