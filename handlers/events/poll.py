"""The date poll of a club meeting (issue "Club BouRSE"): the animator offers 2 to 6 slots,
each member answers « oui », « si nécessaire » or « non » for each slot and may change their
mind until the poll closes, at its deadline or earlier when the animator closes it; members who
left a slot unanswered get one reminder halfway; the best slot is the one the most can attend.

Pure functions over frozen values: the caller stores the poll and passes the clock (``now``).
A slot is compared as an instant, whatever its time zone, so that 9h in Paris and 8h UTC in
winter are one slot. Refusals carry their reason as a ``PollProblem`` and the raw values that
explain it (counts as ints, slots and deadlines as datetimes); the chat layer says it with the
text ``events.poll.<problem>``, dates formatted in the reader's time zone and language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

MIN_SLOTS = 2
MAX_SLOTS = 6


class Availability(StrEnum):
    """A member's answer for one slot."""

    YES = "oui"
    IF_NEEDED = "si nécessaire"
    NO = "non"


class PollProblem(StrEnum):
    TOO_FEW_SLOTS = "too_few_slots"
    TOO_MANY_SLOTS = "too_many_slots"
    NO_TIME_ZONE = "no_time_zone"
    DEADLINE_NO_TIME_ZONE = "deadline_no_time_zone"
    SAME_SLOT_TWICE = "same_slot_twice"
    SLOT_PASSED = "slot_passed"
    DEADLINE_PASSED = "deadline_passed"
    DEADLINE_AFTER_FIRST_SLOT = "deadline_after_first_slot"
    CLOSED = "closed"


class InvalidPoll(ValueError):
    """A poll the animator cannot open as given: ``problem`` says why, and ``values`` holds the
    placeholders of its text ``events.poll.<problem>`` as raw values: ``minimum``, ``maximum`` and
    ``count`` as ints, ``when`` (the slot or the deadline at fault) and ``first_slot`` as
    datetimes, aware except the slot of ``NO_TIME_ZONE``. ``str()`` is for developers."""

    def __init__(self, problem: PollProblem, **values: object) -> None:
        shown = ", ".join(f"{name}={_shown(value)}" for name, value in values.items())
        super().__init__(f"{problem.value}: {shown}" if shown else problem.value)
        self.problem = problem
        self.values = values


@dataclass(frozen=True, slots=True)
class Vote:
    member: str
    slot: datetime
    availability: Availability


@dataclass(frozen=True, slots=True)
class Poll:
    """Slots in chronological order; ``closed_at`` is set when the animator closed it before
    the deadline. Make one with ``open_poll``, which checks the slots."""

    slots: tuple[datetime, ...]
    opened_at: datetime
    deadline: datetime
    votes: tuple[Vote, ...] = ()
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Closed:
    """An answer refused: the poll closed at ``at`` (the ``when`` of the text
    ``events.poll.closed``)."""

    at: datetime
    problem: PollProblem = PollProblem.CLOSED


@dataclass(frozen=True, slots=True)
class SlotTally:
    """The answers for one slot; ``unanswered`` lists the members who gave none, in the order
    of the club's members."""

    slot: datetime
    yes: int
    if_needed: int
    no: int
    unanswered: tuple[str, ...]

    @property
    def available(self) -> int:
        return self.yes + self.if_needed


def open_poll(slots: Iterable[datetime], *, deadline: datetime, now: datetime) -> Poll:
    """A poll on ``slots`` until ``deadline``, or ``InvalidPoll`` saying what to correct."""
    _require_aware(now)
    slots = list(slots)
    if len(slots) < MIN_SLOTS:
        raise InvalidPoll(PollProblem.TOO_FEW_SLOTS, minimum=MIN_SLOTS, count=len(slots))
    if len(slots) > MAX_SLOTS:
        raise InvalidPoll(PollProblem.TOO_MANY_SLOTS, maximum=MAX_SLOTS, count=len(slots))
    for slot in slots:
        if not _aware(slot):
            # Naive: the chat layer can only show it as written.
            raise InvalidPoll(PollProblem.NO_TIME_ZONE, when=slot)
    for n, slot in enumerate(slots):
        # Equal as instants (9h in Paris, 8h UTC in winter), or as Python compares them: the
        # 02:30 before and after the October change in Paris, which members could not tell apart.
        if any(slot == other or _same(slot, other) for other in slots[:n]):
            raise InvalidPoll(PollProblem.SAME_SLOT_TWICE, when=slot)
    for slot in slots:
        if slot <= now:
            raise InvalidPoll(PollProblem.SLOT_PASSED, when=slot)
    if not _aware(deadline):
        raise InvalidPoll(PollProblem.DEADLINE_NO_TIME_ZONE)
    if deadline <= now:
        raise InvalidPoll(PollProblem.DEADLINE_PASSED, when=deadline)
    first = min(slots, key=_instant)
    if deadline > first:
        raise InvalidPoll(PollProblem.DEADLINE_AFTER_FIRST_SLOT, when=deadline, first_slot=first)
    return Poll(tuple(sorted(slots, key=_instant)), opened_at=now, deadline=deadline)


def closes_at(poll: Poll) -> datetime:
    """When answers stop: the deadline, or earlier when the animator closed the poll."""
    if poll.closed_at is not None and poll.closed_at < poll.deadline:
        return poll.closed_at
    return poll.deadline


def is_closed(poll: Poll, *, now: datetime) -> bool:
    return now >= closes_at(poll)


def close(poll: Poll, *, now: datetime) -> Poll:
    """The poll closed by the animator now; unchanged if it is closed already."""
    if is_closed(poll, now=now):
        return poll
    return replace(poll, closed_at=now)


def vote(
    poll: Poll, member: str, slot: datetime, availability: Availability, *, now: datetime
) -> Poll | Closed:
    """The poll with ``member``'s answer for ``slot`` (replacing their previous one), or
    ``Closed`` once the poll has closed."""
    if is_closed(poll, now=now):
        return Closed(closes_at(poll))
    chosen = _slot_of(poll, slot)
    kept = tuple(v for v in poll.votes if not (v.member == member and _same(v.slot, chosen)))
    return replace(poll, votes=(*kept, Vote(member, chosen, availability)))


def answers_of(poll: Poll, member: str) -> dict[datetime, Availability]:
    """The member's current answers, by slot, for the slots they answered."""
    return {v.slot: v.availability for v in poll.votes if v.member == member}


def reminder_at(poll: Poll) -> datetime | None:
    """When to send the one reminder: halfway between opening and deadline, or None when the
    animator closed the poll before then."""
    halfway = poll.opened_at + (poll.deadline - poll.opened_at) / 2
    if closes_at(poll) <= halfway:
        return None
    return halfway


def awaiting(poll: Poll, members: Sequence[str]) -> list[str]:
    """The members to remind: those who left at least one slot unanswered."""
    answered: dict[str, set[datetime]] = {}
    for v in poll.votes:
        answered.setdefault(v.member, set()).add(_instant(v.slot))
    return [m for m in dict.fromkeys(members) if len(answered.get(m, ())) < len(poll.slots)]


def tally(poll: Poll, members: Sequence[str]) -> list[SlotTally]:
    """Per slot, in chronological order, the answers of the club's ``members``.

    Only current members count: someone who answered and then left the club will not come.
    """
    club = list(dict.fromkeys(members))
    current = set(club)
    tallies = []
    for slot in poll.slots:
        given = {
            v.member: v.availability
            for v in poll.votes
            if v.member in current and _same(v.slot, slot)
        }
        counts = {availability: 0 for availability in Availability}
        for availability in given.values():
            counts[availability] += 1
        tallies.append(
            SlotTally(
                slot,
                yes=counts[Availability.YES],
                if_needed=counts[Availability.IF_NEEDED],
                no=counts[Availability.NO],
                unanswered=tuple(m for m in club if m not in given),
            )
        )
    return tallies


def best_slot(poll: Poll, members: Sequence[str]) -> datetime:
    """The slot the most members can attend (« oui » or « si nécessaire »), then the one the
    most prefer (« oui »), then the earliest: a sooner meeting is less likely to be forgotten."""
    best = min(tally(poll, members), key=lambda t: (-t.available, -t.yes, _instant(t.slot)))
    return best.slot


def _slot_of(poll: Poll, slot: datetime) -> datetime:
    for offered in poll.slots:
        if _same(offered, slot):
            return offered
    # The chat only offers the poll's own slots: anything else is a bug, not an answer.
    raise ValueError(f"{slot.isoformat()} is not a slot of this poll")


def _same(a: datetime, b: datetime) -> bool:
    return _instant(a) == _instant(b)


def _instant(moment: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo compare by wall time; in UTC every comparison is one of
    # instants, whichever zones the animator and the database use.
    return moment.astimezone(UTC)


def _aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _require_aware(moment: datetime) -> None:
    if not _aware(moment):
        raise ValueError(f"now must be an aware datetime, got {moment.isoformat()}")


def _shown(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)
