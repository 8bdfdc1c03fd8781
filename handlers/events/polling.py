"""An event's date poll in storage: opened with its slots, answered slot by slot, tallied,
closed, and fixed on one slot (the event keeps its UID from the poll to the invitation). Any
event can poll its date; the rules are handlers/events/poll.py's, applied to the stored rows.

Members are named in the pure rules by their person id as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage import repositories as repo
from bot.storage.models import POLL_CHOICES, Event, PollSlot
from bot.storage.session import Session
from handlers.events import poll as rules
from handlers.events.poll import Availability, Closed, Poll, SlotTally

# The stored choice (POLL_CHOICES) of each availability, and back.
CHOICES: Mapping[str, Availability] = dict(
    zip(POLL_CHOICES, (Availability.YES, Availability.IF_NEEDED, Availability.NO), strict=True)
)
STORED: Mapping[Availability, str] = {availability: c for c, availability in CHOICES.items()}


@dataclass(frozen=True, slots=True)
class StoredPoll:
    """An event's poll as stored: its slots (numbered from 1 in this order, earliest first)
    and the rules' view of it."""

    event: Event
    slots: tuple[PollSlot, ...]
    poll: Poll

    def answers_of(self, person_id: int) -> dict[int, str]:
        """The person's stored choice by slot id, for the slots they answered."""
        given = rules.answers_of(self.poll, str(person_id))
        return {
            slot.id or 0: STORED[given[slot.starts_at]]
            for slot in self.slots
            if slot.starts_at in given
        }

    def closes_at(self) -> datetime:
        return rules.closes_at(self.poll)

    def is_closed(self, *, now: datetime) -> bool:
        return rules.is_closed(self.poll, now=now)


async def open_poll(
    session: Session,
    *,
    event: Event,
    slots: Sequence[datetime],
    deadline: datetime,
    now: datetime,
) -> StoredPoll:
    """Store ``event`` with its date polled among ``slots`` until ``deadline``; raises
    ``InvalidPoll`` (nothing stored) when the rules refuse them."""
    poll = rules.open_poll(slots, deadline=deadline, now=now)
    event.status, event.starts_at, event.ends_at = "polling", None, None
    # The poll's opening, from which its reminder halfway is counted.
    event.created_at = now
    event.poll_deadline, event.poll_closed_at = poll.deadline, None
    session.add(event)
    await session.flush()
    assert event.id is not None
    stored = await repo.add_poll_slots(session, event_id=event.id, starts=poll.slots)
    return StoredPoll(event, tuple(stored), poll)


async def load(session: Session, *, event: Event) -> StoredPoll:
    """The event's poll with every answer given so far."""
    assert event.id is not None and event.poll_deadline is not None
    slots = tuple(await repo.poll_slots(session, event_id=event.id))
    starts = {slot.id: slot.starts_at for slot in slots}
    votes = tuple(
        rules.Vote(str(vote.person_id), starts[vote.slot_id], CHOICES[vote.choice])
        for vote in await repo.poll_votes(session, event_id=event.id)
    )
    poll = Poll(
        tuple(slot.starts_at for slot in slots),
        opened_at=event.created_at,
        deadline=event.poll_deadline,
        votes=votes,
        closed_at=event.poll_closed_at,
    )
    return StoredPoll(event, slots, poll)


async def vote(
    session: Session,
    *,
    stored: StoredPoll,
    person_id: int,
    slot: PollSlot,
    choice: str,
    now: datetime,
) -> StoredPoll | Closed:
    """The poll with the person's ``choice`` (of POLL_CHOICES) for ``slot``, replacing their
    previous one; ``Closed`` once the poll has closed, or its date is fixed."""
    if stored.event.status != "polling":
        return Closed(stored.closes_at())
    answered = rules.vote(stored.poll, str(person_id), slot.starts_at, CHOICES[choice], now=now)
    if isinstance(answered, Closed):
        return answered
    assert slot.id is not None
    await repo.set_poll_vote(session, slot_id=slot.id, person_id=person_id, choice=choice)
    return StoredPoll(stored.event, stored.slots, answered)


async def close(session: Session, *, stored: StoredPoll, now: datetime) -> StoredPoll:
    """The poll closed now by an animator (unchanged if it closed already)."""
    closed = rules.close(stored.poll, now=now)
    if closed.closed_at != stored.event.poll_closed_at:
        stored.event.poll_closed_at = closed.closed_at
        session.add(stored.event)
        await session.flush()
    return StoredPoll(stored.event, stored.slots, closed)


async def members(session: Session, *, event: Event) -> list[str]:
    """The event's audience as the rules name them, by name: whose answers count."""
    audience = await repo.event_audience(session, event=event)
    return [str(person.id) for person in await repo.people_by_id(session, ids=audience)]


def tally(stored: StoredPoll, members: Sequence[str]) -> list[SlotTally]:
    return rules.tally(stored.poll, members)


def best_slot(stored: StoredPoll, members: Sequence[str]) -> PollSlot:
    """The slot to propose (handlers/events/poll.best_slot)."""
    best = rules.best_slot(stored.poll, members)
    return next(slot for slot in stored.slots if slot.starts_at == best)


def awaiting(stored: StoredPoll, members: Sequence[str]) -> list[int]:
    """The people who left a slot unanswered."""
    return [int(member) for member in rules.awaiting(stored.poll, members)]


def voters(stored: StoredPoll) -> list[int]:
    """Everyone who answered a slot, in the order they first did."""
    return [int(member) for member in dict.fromkeys(v.member for v in stored.poll.votes)]


def reminder_due(stored: StoredPoll, *, now: datetime) -> bool:
    """Whether the one reminder should be out: halfway reached, poll still open."""
    at = rules.reminder_at(stored.poll)
    return at is not None and at <= now and not stored.is_closed(now=now)


async def fix(
    session: Session, *, stored: StoredPoll, slot: PollSlot, duration: timedelta, now: datetime
) -> Event:
    """The event fixed on ``slot``: scheduled, with the UID it had while polled, and the poll
    closed if it was not."""
    event = stored.event
    await close(session, stored=stored, now=now)
    event.status, event.starts_at = "scheduled", slot.starts_at
    event.ends_at, event.dated_at = slot.starts_at + duration, now
    session.add(event)
    await session.flush()
    return event
