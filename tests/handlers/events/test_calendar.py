"""Club meetings as iCalendar files, read back with icalendar as a calendar client would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from handlers.events.calendar import NO_ADDRESS, Party, feed, ics
from tests.helpers.invitations import MEETING, PARIS


def _read(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def _event(data: bytes) -> Event:
    (event,) = _read(data).events
    return event


def _utc_start(data: bytes) -> datetime:
    """DTSTART in UTC through the file's own VTIMEZONE only, as Outlook reads it."""
    calendar = _read(data)
    (timezone,) = calendar.timezones
    local = calendar.events[0].start.replace(tzinfo=timezone.to_tz(lookup_tzid=False))
    return local.astimezone(UTC)


def test_an_invitation_is_an_itip_request_with_every_field() -> None:
    data = ics(MEETING)
    calendar = _read(data)
    event = _event(data)

    assert str(calendar["PRODID"]) == "-//rse-bot//Club RSE//FR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == MEETING.uid
    assert event["SEQUENCE"] == 0
    assert b"DTSTAMP:20270301T083000Z" in data
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTEND"].params["TZID"] == "Europe/Paris"
    assert event.start == MEETING.start
    assert event.end == MEETING.end
    assert str(event["SUMMARY"]) == MEETING.summary
    assert str(event["LOCATION"]) == MEETING.location
    assert str(event["DESCRIPTION"]) == MEETING.description
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_organizer_and_the_attendee_are_named_and_asked_to_answer() -> None:
    event = _event(ics(MEETING))

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:club-rse@vehiculedufutur.com"
    assert organizer.params["CN"] == "Pôle Véhicule du Futur"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:c.lefevre@alsace-emballages.fr"
    assert dict(attendee.params) == {
        "CN": "Camille Lefèvre",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }


def test_the_attendees_answer_is_their_partstat() -> None:
    event = _event(ics(replace(MEETING, partstat="TENTATIVE")))

    assert event["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"


def test_an_update_keeps_the_uid_and_raises_the_sequence() -> None:
    moved = replace(
        MEETING,
        sequence=1,
        start=datetime(2027, 3, 25, 14, 0, tzinfo=PARIS),
        end=datetime(2027, 3, 25, 16, 0, tzinfo=PARIS),
        dtstamp=datetime(2027, 3, 10, 9, 0, tzinfo=UTC),
    )

    first, second = _event(ics(MEETING)), _event(ics(moved))

    assert str(second["UID"]) == str(first["UID"])
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert second.start == datetime(2027, 3, 25, 14, 0, tzinfo=PARIS)


def test_a_cancellation_is_method_cancel_with_status_cancelled() -> None:
    data = ics(replace(MEETING, method="CANCEL", sequence=2))

    assert str(_read(data)["METHOD"]) == "CANCEL"
    event = _event(data)
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 2
    assert str(event["UID"]) == MEETING.uid


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # Thursday before the last Sunday of March (28th): still CET, UTC+1.
        (datetime(2027, 3, 25, 10, 0), datetime(2027, 3, 25, 9, 0, tzinfo=UTC)),
        # Thursday before the last Sunday of October (31st): still CEST, UTC+2.
        (datetime(2027, 10, 28, 10, 0), datetime(2027, 10, 28, 8, 0, tzinfo=UTC)),
        # The Thursday after it: CET again.
        (datetime(2027, 11, 4, 10, 0), datetime(2027, 11, 4, 9, 0, tzinfo=UTC)),
    ],
)
def test_the_vtimezone_puts_a_meeting_at_its_utc_time_either_side_of_a_dst_change(
    local: datetime, utc: datetime
) -> None:
    start = local.replace(tzinfo=PARIS)
    meeting = replace(MEETING, start=start, end=start + timedelta(hours=2))

    assert start.astimezone(UTC) == utc
    assert _utc_start(ics(meeting)) == utc


def test_the_vtimezone_has_a_standard_and_a_daylight_part_as_yearly_rules() -> None:
    (timezone,) = _read(ics(MEETING)).timezones

    assert timezone.tz_name == "Europe/Paris"
    (standard,) = timezone.standard
    (daylight,) = timezone.daylight
    # Outlook ignores RDATEs in a VTIMEZONE; a yearly rule is what it reads.
    assert "RDATE" not in standard and "RDATE" not in daylight
    assert standard["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert daylight["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert (standard["TZOFFSETFROM"].td, standard["TZOFFSETTO"].td) == (
        timedelta(hours=2),
        timedelta(hours=1),
    )
    assert (daylight["TZOFFSETFROM"].td, daylight["TZOFFSETTO"].td) == (
        timedelta(hours=1),
        timedelta(hours=2),
    )


@pytest.mark.parametrize(
    "tzid",
    [
        "Europe/Paris",
        # Saint-Pierre-et-Miquelon: North American rules (2nd Sunday of March, 1st of November).
        "America/Miquelon",
        # La Réunion: no summer time at all.
        "Indian/Reunion",
    ],
)
def test_the_vtimezone_gives_zoneinfos_offset_at_every_hour_of_the_year(tzid: str) -> None:
    zone = ZoneInfo(tzid)
    start = datetime(2027, 6, 15, 18, 0, tzinfo=zone)
    (timezone,) = _read(
        ics(replace(MEETING, start=start, end=start + timedelta(hours=1), timezone=tzid))
    ).timezones
    from_file = timezone.to_tz(lookup_tzid=False)

    instant = datetime(2027, 1, 1, tzinfo=UTC)
    while instant.year == 2027:
        assert instant.astimezone(from_file).utcoffset() == instant.astimezone(zone).utcoffset()
        instant += timedelta(hours=1)


def test_commas_semicolons_accents_and_newlines_come_back_unchanged() -> None:
    tricky = replace(
        MEETING,
        summary="Club RSE ; Achats responsables, éco-conception & « sobriété »",
        location="Chez Brasserie Météor, 6 rue du Général-Lebocq ; 67270 Hochfelden",
        description="Ordre du jour :\n- bilan 2026, actions ; questions\n\n— Anaïs, animatrice",
        organizer=Party("Pôle Véhicule du Futur, Alsace ; Franche-Comté", "club@vdf.fr"),
        attendee=Party("Éloïse D'Aubigné-Müller", "eloise@meteor.fr"),
    )

    event = _event(ics(tricky))

    assert str(event["SUMMARY"]) == tricky.summary
    assert str(event["LOCATION"]) == tricky.location
    assert str(event["DESCRIPTION"]) == tricky.description
    assert event["ORGANIZER"].params["CN"] == tricky.organizer.name
    assert event["ATTENDEE"].params["CN"] == tricky.attendee.name


def test_a_member_without_an_email_gets_an_address_that_cannot_deliver() -> None:
    event = _event(ics(replace(MEETING, attendee=Party("Lucas Bernard"))))

    assert str(event["ATTENDEE"]) == f"mailto:{NO_ADDRESS}"
    assert NO_ADDRESS.endswith(".invalid")
    assert event["ATTENDEE"].params["CN"] == "Lucas Bernard"


def test_a_feed_lists_every_meeting_with_one_vtimezone_and_no_method() -> None:
    june = datetime(2027, 6, 17, 9, 30, tzinfo=PARIS)
    meetings = [
        MEETING,
        replace(
            MEETING,
            uid="club-rse-2027-06@rse-bot.vehiculedufutur.com",
            summary="Club RSE : mobilité des salariés",
            start=june,
            end=june + timedelta(hours=2),
            partstat="ACCEPTED",
        ),
        replace(
            MEETING,
            uid="club-rse-2027-09@rse-bot.vehiculedufutur.com",
            method="CANCEL",
            sequence=1,
            start=june + timedelta(days=91),
            end=june + timedelta(days=91, hours=2),
        ),
    ]

    calendar = _read(feed(meetings, name="Club RSE — Pôle Véhicule du Futur"))

    assert "METHOD" not in calendar
    assert calendar.calendar_name == "Club RSE — Pôle Véhicule du Futur"
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Europe/Paris"]
    assert [str(event["UID"]) for event in calendar.events] == [m.uid for m in meetings]
    assert [str(event["STATUS"]) for event in calendar.events] == [
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
    ]
    assert calendar.events[1]["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_a_meeting_needs_aware_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        replace(MEETING, start=datetime(2027, 3, 25, 10, 0))
