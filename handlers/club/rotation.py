"""Who should host the club's next meeting: the willing member companies that hosted least
recently (issue "Club BouRSE": five meetings a year, each hosted by a member company that
presents one of its good practices).

The rotation is by recency, not by number of times hosted. Following the first suggestion
every time, a company hosts again only once every company willing at that moment has hosted
since its last time; so nobody hosts twice before every willing company has hosted once. A
count would punish a company that hosted often while it was the only willing one, or favour
one that came back from a long "plutôt pas" with few hostings but a recent one.

A company is the unit, not a person: several leaders of Biocoop Lyon in the club make one
candidate, under its name as typed (folded, so « BIOCOOP lyon » is the same company).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from content.text import fold

DEFAULT_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    """One member of the club: the company they lead, the day they joined the club, and
    whether they accept that their company hosts (False when they said "plutôt pas")."""

    company: str
    joined: date
    willing: bool = True


@dataclass(frozen=True, slots=True)
class PastMeeting:
    """A meeting of the club and the company that hosted it (None: nobody, say online)."""

    held_on: date
    host: str | None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    joined: date
    willing: bool
    last_hosted: date | None


def suggest_hosts(
    companies: Sequence[Candidate],
    meetings: Sequence[PastMeeting],
    *,
    count: int = DEFAULT_SUGGESTIONS,
) -> list[str]:
    """Up to ``count`` company names to suggest as the next host, the most deserving first.

    Companies that never hosted come first, then those whose last hosting is the oldest.
    ``meetings`` are the meetings so far; a cancelled one did not happen, so its host still
    has to host. Among companies that never hosted (or, rarely, hosted on the same day), the
    one in the club for longest comes first: it has waited longest, and a date of joining does
    not change from one meeting to the next, so the list stays the same until someone hosts.
    The name, last, only makes the order total.
    """
    if count < 1:
        raise ValueError(f"count {count}: at least one suggestion")
    willing = [company for company in _companies(companies, meetings) if company.willing]
    willing.sort(key=_rotation_order)
    return [company.name for company in willing[:count]]


def _rotation_order(company: _Company) -> tuple[bool, date, date, str, str]:
    hosted = company.last_hosted is not None
    return (
        hosted,
        company.last_hosted or date.min,
        company.joined,
        fold(company.name),
        company.name,
    )


def _companies(candidates: Sequence[Candidate], meetings: Sequence[PastMeeting]) -> list[_Company]:
    """One entry per company: joined when its first leader did, willing only if none of its
    leaders said "plutôt pas" (asking a company whose leader declined would be awkward)."""
    last_hosted: dict[str, date] = {}
    for meeting in meetings:
        if meeting.cancelled or meeting.host is None:
            continue
        key = fold(meeting.host)
        if key not in last_hosted or meeting.held_on > last_hosted[key]:
            last_hosted[key] = meeting.held_on
    grouped: dict[str, _Company] = {}
    # Earliest members first, so that the company keeps the spelling of its first leader.
    for candidate in sorted(candidates, key=lambda c: c.joined):
        key = fold(candidate.company)
        if not key:
            continue  # a member who gave no company has nowhere to host
        known = grouped.get(key)
        if known is None:
            grouped[key] = _Company(
                candidate.company, candidate.joined, candidate.willing, last_hosted.get(key)
            )
        elif not candidate.willing:
            grouped[key] = _Company(known.name, known.joined, False, known.last_hosted)
    return list(grouped.values())
