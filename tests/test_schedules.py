"""Calendars as people write them: read, stored in a canonical form, and the times they name."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from content.loader import default_content
from content.schedules import Schedule, ScheduleError, parse_schedule, weekday_names

PARIS = ZoneInfo("Europe/Paris")
NAMES = default_content().weekdays


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("lundi 8h30", "mon 08:30"),
        ("Lundi à 08:30", "mon 08:30"),
        ("mardi, jeudi 7h15", "tue,thu 07:15"),
        ("chaque mercredi et vendredi à 9h", "wed,fri 09:00"),
        ("tous les jours 7h", "mon,tue,wed,thu,fri,sat,sun 07:00"),
        ("le 1er et le 15 du mois à 9h", "1,15 09:00"),
        ("1, 15 9h", "1,15 09:00"),
        ("every Monday at 8:30", "mon 08:30"),
        ("on the 1st and 15th at 09:00", "1,15 09:00"),
        ("ven 17h", "fri 17:00"),
    ],
)
def test_a_calendar_is_read_in_french_or_english(written: str, canonical: str) -> None:
    assert str(parse_schedule(written, NAMES)) == canonical


def test_the_canonical_form_reads_back_the_same() -> None:
    schedule = parse_schedule("samedi, dimanche 23h59", NAMES)

    assert parse_schedule(str(schedule), NAMES) == schedule


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("lundi 25h", "schedules.bad_time"),
        ("lundi 8h75", "schedules.bad_time"),
        ("le 31 à 9h", "schedules.bad_monthday"),
        ("le 0 à 9h", "schedules.bad_monthday"),
        ("lundi", "schedules.no_time"),
        ("8h30", "schedules.no_day"),
        ("lundi 8h 9h", "schedules.one_time"),
        ("lundi et le 15 à 9h", "schedules.days_mixed"),
        ("lundi matin 8h", "schedules.unknown_word"),
        ("lundi " * 30 + "8h", "schedules.too_long"),
    ],
)
def test_an_unreadable_calendar_says_why(written: str, key: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(written, NAMES)

    assert raised.value.key == key


def test_the_unknown_word_is_named() -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule("lundi matin 8h", NAMES)

    assert raised.value.values == {"word": "matin"}


def test_the_latest_time_named_in_a_span() -> None:
    note = Schedule(8, 30, weekdays=(0,))

    latest = note.latest(
        datetime(2026, 11, 16, 9, tzinfo=PARIS), datetime(2026, 12, 1, 12, tzinfo=PARIS), PARIS
    )

    assert latest == datetime(2026, 11, 30, 8, 30, tzinfo=PARIS)


def test_no_time_named_in_a_span_gives_none() -> None:
    letter = Schedule(9, 0, monthdays=(1, 15))

    assert (
        letter.latest(
            datetime(2026, 12, 1, 9, tzinfo=PARIS), datetime(2026, 12, 14, 23, tzinfo=PARIS), PARIS
        )
        is None
    )


def test_times_keep_to_paris_time_across_the_clock_change() -> None:
    note = Schedule(8, 30, weekdays=(0,))

    after = note.next_time(datetime(2027, 3, 24, tzinfo=PARIS), PARIS)

    assert (after.hour, after.utcoffset()) == (8, datetime(2027, 7, 1, tzinfo=PARIS).utcoffset())


def test_day_names_need_seven_days() -> None:
    with pytest.raises(ValueError, match="sept jours"):
        weekday_names([["lundi", "mardi"]])
