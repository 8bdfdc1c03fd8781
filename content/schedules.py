"""Recurring times as people write them: « lundi 8h30 », « lundi, jeudi 9h », « 1,15 09:00 »,
« tous les jours 7h ». Parsed once, stored in a canonical form (« mon,thu 09:00 »), described
back in the reader's language, and turned into the times they name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

from content.text import fold

# APScheduler's day names, which are also the canonical form's.
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Every month has them: a schedule on the 30th would silently skip February.
LAST_MONTHDAY = 28
MAX_LENGTH = 100
_TIME = re.compile(r"^(\d{1,2})(?:h|:)(\d{2})?$")
_MONTHDAY = re.compile(r"^(\d{1,2})(?:er|e|eme|st|nd|rd|th)?$")
_EVERY_DAY = {"jour", "jours", "quotidien", "quotidienne", "day", "days", "daily"}
# Words that read naturally around the days and the time and carry nothing.
_FILLERS = {
    *("le", "les", "et", "chaque", "a", "du", "de", "mois", "tous", "toutes"),
    *("every", "each", "on", "the", "and", "at", "of", "month", "all"),
}


class ScheduleError(ValueError):
    """A schedule that cannot be read: ``key`` names the text explaining why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Schedule:
    """Days of the week (0 is Monday) or days of the month, at one time of day."""

    hour: int
    minute: int
    weekdays: tuple[int, ...] = ()
    monthdays: tuple[int, ...] = ()

    def __str__(self) -> str:
        days = (
            ",".join(CRON_DAYS[day] for day in self.weekdays)
            if self.weekdays
            else ",".join(map(str, self.monthdays))
        )
        return f"{days} {self.time}"

    @property
    def time(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    def trigger(self, zone: tzinfo) -> CronTrigger:
        if self.weekdays:
            days = {"day_of_week": ",".join(CRON_DAYS[day] for day in self.weekdays)}
        else:
            days = {"day": ",".join(map(str, self.monthdays))}
        return CronTrigger(hour=self.hour, minute=self.minute, timezone=zone, **days)

    def next_time(self, after: datetime, zone: tzinfo) -> datetime:
        """The first time it names strictly after ``after``."""
        found = self.trigger(zone).get_next_fire_time(None, after + timedelta(microseconds=1))
        assert found is not None  # a cron trigger without end date never runs out
        return found

    def latest(self, after: datetime, until: datetime, zone: tzinfo) -> datetime | None:
        """The last time it names in (``after``, ``until``], if any."""
        latest = None
        moment = self.next_time(after, zone)
        while moment <= until:
            latest = moment
            moment = self.next_time(moment, zone)
        return latest


def weekday_names(lists: Iterable[Sequence[str]]) -> dict[str, int]:
    """Day names (Monday first, one list per language) and their first three letters, folded,
    to the day's number."""
    names: dict[str, int] = {}
    for days in lists:
        if len(days) != 7:
            raise ValueError(f"sept jours attendus, pas {len(days)} : {', '.join(days)}")
        for number, day in enumerate(days):
            folded = fold(day.strip())
            names[folded] = names[folded[:3]] = number
    return names


def parse_schedule(text: str, names: Mapping[str, int]) -> Schedule:
    """Read a schedule; raise ScheduleError naming what is wrong."""
    if len(text) > MAX_LENGTH:
        raise ScheduleError("schedules.too_long", maximum=MAX_LENGTH)
    weekdays: set[int] = set()
    monthdays: set[int] = set()
    times: list[tuple[int, int]] = []
    for word in fold(text).replace(",", " ").replace("'", " ").split():
        if match := _TIME.match(word):
            hour, minute = int(match[1]), int(match[2] or 0)
            if hour > 23 or minute > 59:
                raise ScheduleError("schedules.bad_time", time=word)
            times.append((hour, minute))
        elif match := _MONTHDAY.match(word):
            day = int(match[1])
            if not 1 <= day <= LAST_MONTHDAY:
                raise ScheduleError("schedules.bad_monthday", day=word, last=LAST_MONTHDAY)
            monthdays.add(day)
        elif word in names:
            weekdays.add(names[word])
        elif word in _EVERY_DAY:
            weekdays.update(range(7))
        elif word not in _FILLERS:
            raise ScheduleError("schedules.unknown_word", word=word)
    if len(times) != 1:
        raise ScheduleError("schedules.one_time" if times else "schedules.no_time")
    if weekdays and monthdays:
        raise ScheduleError("schedules.days_mixed")
    if not weekdays and not monthdays:
        raise ScheduleError("schedules.no_day")
    [(hour, minute)] = times
    return Schedule(hour, minute, tuple(sorted(weekdays)), tuple(sorted(monthdays)))
