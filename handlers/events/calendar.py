"""Club meetings as iCalendar: the invitation file of one member (iTIP REQUEST or CANCEL, RFC
5546) and a member's subscribed feed of meetings, each with the VTIMEZONE its times need.

Pure functions: the caller keeps a meeting's UID from the poll to the end and raises its
SEQUENCE at every change, which is what makes calendars update the event instead of adding one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

Method = Literal["REQUEST", "CANCEL"]
PartStat = Literal["NEEDS-ACTION", "ACCEPTED", "TENTATIVE", "DECLINED"]

PRODID = "-//rse-bot//Club RSE//FR"
# A member known only on Telegram or Slack still needs an ATTENDEE address in their feed; the
# .invalid top-level domain (RFC 2606) can never deliver mail.
NO_ADDRESS = "sans-adresse@rse-bot.invalid"


@dataclass(frozen=True)
class Party:
    """Someone named in an invitation; ``email`` None for a member without an address."""

    name: str
    email: str | None = None


@dataclass(frozen=True)
class Invitation:
    """One meeting as one attendee's calendar should show it."""

    uid: str
    sequence: int
    summary: str
    start: datetime
    end: datetime
    organizer: Party
    attendee: Party
    dtstamp: datetime
    method: Method = "REQUEST"
    partstat: PartStat = "NEEDS-ACTION"
    location: str = ""
    description: str = ""
    timezone: str = "Europe/Paris"

    def __post_init__(self) -> None:
        for name in ("start", "end", "dtstamp"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.end <= self.start:
            raise ValueError("end must come after start")
        if self.sequence < 0:
            raise ValueError("sequence must be 0 or more")
        if self.method not in get_args(Method):
            raise ValueError(f"unknown method {self.method!r}")
        if self.partstat not in get_args(PartStat):
            raise ValueError(f"unknown partstat {self.partstat!r}")
        ZoneInfo(self.timezone)  # ZoneInfoNotFoundError (a KeyError) for an unknown zone


def ics(invitation: Invitation) -> bytes:
    """The iTIP file of ``invitation``: METHOD REQUEST (new or changed) or CANCEL."""
    calendar = _calendar(method=invitation.method)
    _add_timezones(calendar, [invitation])
    calendar.add_component(_event(invitation))
    return calendar.to_ical()


def feed(events: Iterable[Invitation], *, name: str | None = None) -> bytes:
    """A member's subscribed calendar of ``events``, cancelled ones shown as cancelled."""
    events = list(events)
    # No METHOD: a feed is a plain iCalendar object, not an iTIP message, and so may carry
    # each event's ATTENDEE with the member's answer (PUBLISH forbids ATTENDEE).
    calendar = _calendar(method=None)
    if name:
        calendar.calendar_name = name
    _add_timezones(calendar, events)
    for invitation in events:
        calendar.add_component(_event(invitation))
    return calendar.to_ical()


def _calendar(*, method: Method | None) -> Calendar:
    # Calendar() rather than Calendar.new(): the latter adds a random UID, and a file that
    # changes at every build makes feeds look modified to clients polling them.
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    if method is not None:
        calendar.add("METHOD", method)
    return calendar


def _event(invitation: Invitation) -> Event:
    zone = ZoneInfo(invitation.timezone)
    organizer = vCalAddress.new(_address(invitation.organizer), cn=invitation.organizer.name)
    attendee = vCalAddress.new(
        _address(invitation.attendee),
        cn=invitation.attendee.name,
        role="REQ-PARTICIPANT",
        partstat=invitation.partstat,
        rsvp=True,
    )
    event = Event.new(
        uid=invitation.uid,
        sequence=invitation.sequence,
        stamp=invitation.dtstamp.astimezone(UTC),
        start=invitation.start.astimezone(zone),
        end=invitation.end.astimezone(zone),
        summary=invitation.summary,
        organizer=organizer,
        attendees=[attendee],
        status="CANCELLED" if invitation.method == "CANCEL" else "CONFIRMED",
    )
    # Empty LOCATION or DESCRIPTION lines show as blank fields in some clients: left out.
    if invitation.location:
        event.add("LOCATION", invitation.location)
    if invitation.description:
        event.add("DESCRIPTION", invitation.description)
    return event


def _address(party: Party) -> str:
    return f"mailto:{party.email or NO_ADDRESS}"


def _add_timezones(calendar: Calendar, events: list[Invitation]) -> None:
    years: dict[str, list[int]] = defaultdict(list)
    for invitation in events:
        zone = ZoneInfo(invitation.timezone)
        years[invitation.timezone] += [
            invitation.start.astimezone(zone).year,
            invitation.end.astimezone(zone).year,
        ]
    for tzid, seen in sorted(years.items()):
        # From a year before the first event, so that an observance has begun before it.
        calendar.add_component(_vtimezone(tzid, min(seen) - 1, max(seen) + 1))


def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of ``tzid`` over those years, from zoneinfo's own transitions.

    icalendar's ``Timezone.from_tzid`` lists every transition as an RDATE, and Outlook ignores
    RDATEs in a VTIMEZONE: it then shifts summer events by an hour (iCalcreator issues #86 and
    #106). So each observance whose onsets fall on the same weekday of the same month every
    year, like Europe's "last Sunday of March", becomes the yearly RRULE that Outlook and
    Google write themselves; any other keeps its RDATEs.
    """
    timezone = Timezone()
    timezone.add("TZID", tzid)
    for (daylight, before, after, name), times in _observances(tzid, first_year, last_year):
        observance = TimezoneDaylight() if daylight else TimezoneStandard()
        observance.add("TZNAME", name)
        observance.add("TZOFFSETFROM", before)
        observance.add("TZOFFSETTO", after)
        observance.add("DTSTART", times[0])
        rule = _yearly_rule(times)
        if rule is not None:
            observance.add("RRULE", rule)
        elif times[1:]:
            observance.add("RDATE", list(times[1:]))
        timezone.add_component(observance)
    return timezone


Observance = tuple[bool, timedelta, timedelta, str]


@lru_cache(maxsize=64)
def _observances(
    tzid: str, first_year: int, last_year: int
) -> tuple[tuple[Observance, tuple[datetime, ...]], ...]:
    """(daylight, offset from, offset to, name) of each observance, and its local onsets."""
    zone = ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    onsets: dict[Observance, list[datetime]] = defaultdict(list)
    for instant, before, after in _transitions(zone, start, end):
        local = instant.astimezone(zone)
        key = (bool(local.dst()), before, after, local.tzname() or "")
        # An onset is written in the local time that was in force until then (RFC 5545 3.6.5).
        onsets[key].append((instant + before).replace(tzinfo=None))
    if not onsets:
        local = start.astimezone(zone)
        offset = local.utcoffset() or timedelta()
        onsets[(False, offset, offset, local.tzname() or "")] = [local.replace(tzinfo=None)]
    return tuple((key, tuple(times)) for key, times in onsets.items())


def _transitions(
    zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, timedelta, timedelta]]:
    """Each change of UTC offset in [start, end): its instant, the offset before and after."""
    found = []
    day = start
    before = day.astimezone(zone).utcoffset()
    while day < end:
        following = day + timedelta(days=1)
        after = following.astimezone(zone).utcoffset()
        if after != before:
            # The first minute of the day with the new offset (offsets change on the minute).
            low, high = 0, 24 * 60
            while high - low > 1:
                middle = (low + high) // 2
                moment = day + timedelta(minutes=middle)
                if moment.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            assert before is not None and after is not None
            found.append((day + timedelta(minutes=high), before, after))
        day, before = following, after
    return found


def _yearly_rule(times: tuple[datetime, ...]) -> dict[str, object] | None:
    """FREQ=YEARLY;BYMONTH=m;BYDAY=nSU if ``times`` are one such day in consecutive years."""
    first = times[0]
    if len(times) < 2 or any(
        (t.year, t.month, t.weekday(), t.time())
        != (first.year + i, first.month, first.weekday(), first.time())
        for i, t in enumerate(times)
    ):
        return None
    day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[first.weekday()]
    if all((t + timedelta(days=7)).month != t.month for t in times):
        return {"FREQ": "YEARLY", "BYMONTH": first.month, "BYDAY": f"-1{day}"}
    weeks = {(t.day - 1) // 7 + 1 for t in times}
    if len(weeks) == 1:
        return {"FREQ": "YEARLY", "BYMONTH": first.month, "BYDAY": f"{weeks.pop()}{day}"}
    return None
