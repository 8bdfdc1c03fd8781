"""The date poll of a club meeting: opening checks, answers until it closes, the reminder,
the tally and the best slot; then properties over any answers."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from content.loader import LOCALES, default_content
from handlers.events.poll import (
    Availability,
    Closed,
    InvalidPoll,
    Poll,
    PollProblem,
    SlotTally,
    answers_of,
    awaiting,
    best_slot,
    close,
    closes_at,
    is_closed,
    open_poll,
    reminder_at,
    tally,
    vote,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2025, 1, 20, 18, 0, tzinfo=PARIS)
MARCH_13 = datetime(2025, 3, 13, 9, 0, tzinfo=PARIS)
MARCH_20 = datetime(2025, 3, 20, 14, 0, tzinfo=PARIS)
MARCH_27 = datetime(2025, 3, 27, 9, 0, tzinfo=PARIS)
CLAIRE = "Claire Berthaut (Fromagerie Berthaut)"
MARC = "Marc Perrin (Maison Perrin Vignobles)"
NADIA = "Nadia Haddad (Biocoop Lyon)"
YANN = "Yann Le Goff (Scop Les Tisserands)"
MEMBERS = [CLAIRE, MARC, NADIA, YANN]
YES, IF_NEEDED, NO = Availability.YES, Availability.IF_NEEDED, Availability.NO


def march_poll() -> Poll:
    return open_poll([MARCH_13, MARCH_20, MARCH_27], deadline=DEADLINE, now=NOW)


def answered(poll: Poll, *answers: tuple[str, datetime, Availability]) -> Poll:
    for member, slot, availability in answers:
        result = vote(poll, member, slot, availability, now=NOW)
        assert isinstance(result, Poll)
        poll = result
    return poll


def refusal(slots: list[datetime], deadline: datetime = DEADLINE) -> InvalidPoll:
    with pytest.raises(InvalidPoll) as refused:
        open_poll(slots, deadline=deadline, now=NOW)
    return refused.value


def problem_of(slots: list[datetime], deadline: datetime = DEADLINE) -> PollProblem:
    return refusal(slots, deadline).problem


# --- Opening ----------------------------------------------------------------------------------


def test_slots_are_kept_in_chronological_order() -> None:
    poll = open_poll([MARCH_27, MARCH_13, MARCH_20], deadline=DEADLINE, now=NOW)

    assert poll.slots == (MARCH_13, MARCH_20, MARCH_27)


def test_a_single_slot_is_refused() -> None:
    refused = refusal([MARCH_13])

    assert refused.problem is PollProblem.TOO_FEW_SLOTS
    assert refused.values == {"minimum": 2, "count": 1}


def test_seven_slots_are_refused() -> None:
    refused = refusal([MARCH_13 + timedelta(days=n) for n in range(7)])

    assert refused.problem is PollProblem.TOO_MANY_SLOTS
    assert refused.values == {"maximum": 6, "count": 7}


def test_six_slots_are_accepted() -> None:
    slots = [MARCH_13 + timedelta(days=n) for n in range(6)]

    assert len(open_poll(slots, deadline=DEADLINE, now=NOW).slots) == 6


def test_a_slot_without_a_time_zone_is_refused() -> None:
    naive = datetime(2025, 3, 20, 14, 0)

    refused = refusal([MARCH_13, naive])

    assert refused.problem is PollProblem.NO_TIME_ZONE
    assert refused.values == {"when": naive}


def test_a_deadline_without_a_time_zone_is_refused() -> None:
    refused = refusal([MARCH_13, MARCH_20], datetime(2025, 1, 20, 18, 0))

    assert refused.problem is PollProblem.DEADLINE_NO_TIME_ZONE
    assert refused.values == {}


def test_the_same_moment_in_two_time_zones_is_one_slot_offered_twice() -> None:
    same_in_utc = MARCH_13.astimezone(UTC)

    assert problem_of([MARCH_13, same_in_utc, MARCH_20]) is PollProblem.SAME_SLOT_TWICE


def test_the_same_time_twice_on_the_night_of_the_october_change_is_one_slot_offered_twice() -> None:
    before = datetime(2025, 10, 26, 0, 30, tzinfo=UTC).astimezone(PARIS)  # 02:30 summer time
    after = datetime(2025, 10, 26, 1, 30, tzinfo=UTC).astimezone(PARIS)  # 02:30 winter time

    assert problem_of([before, after]) is PollProblem.SAME_SLOT_TWICE


def test_a_slot_already_passed_is_refused() -> None:
    yesterday = NOW - timedelta(days=1)

    refused = refusal([yesterday, MARCH_13])

    assert refused.problem is PollProblem.SLOT_PASSED
    assert refused.values == {"when": yesterday}


def test_a_deadline_already_passed_is_refused() -> None:
    refused = refusal([MARCH_13, MARCH_20], NOW)

    assert refused.problem is PollProblem.DEADLINE_PASSED
    assert refused.values == {"when": NOW}


def test_a_deadline_after_the_first_slot_is_refused() -> None:
    deadline = MARCH_13 + timedelta(hours=1)

    refused = refusal([MARCH_20, MARCH_13], deadline)

    assert refused.problem is PollProblem.DEADLINE_AFTER_FIRST_SLOT
    assert refused.values == {"when": deadline, "first_slot": MARCH_13}


def test_the_refusal_gives_the_slot_offered_twice_as_it_was_given() -> None:
    refused = refusal([MARCH_13, MARCH_13.astimezone(UTC), MARCH_20])

    assert refused.values == {"when": MARCH_13.astimezone(UTC)}
    assert refused.values["when"].tzinfo is UTC


def test_the_refusal_explains_itself_to_developers_in_english() -> None:
    assert str(refusal([MARCH_13])) == "too_few_slots: minimum=2, count=1"
    assert str(refusal([MARCH_13, MARCH_20], NOW)) == (
        "deadline_passed: when=2025-01-06T09:00:00+00:00"
    )


# --- Texts ------------------------------------------------------------------------------------


def raised_values() -> dict[PollProblem, set[str]]:
    """For each problem, the names of the values the code gives it with, raised for real."""
    naive = datetime(2025, 3, 20, 14, 0)
    after_first = MARCH_13 + timedelta(hours=1)
    refusals = [
        refusal([MARCH_13]),
        refusal([MARCH_13 + timedelta(days=n) for n in range(7)]),
        refusal([MARCH_13, naive]),
        refusal([MARCH_13, MARCH_20], naive),
        refusal([MARCH_13, MARCH_13, MARCH_20]),
        refusal([NOW - timedelta(days=1), MARCH_13]),
        refusal([MARCH_13, MARCH_20], NOW),
        refusal([MARCH_13, MARCH_20], after_first),
    ]
    names = {r.problem: set(r.values) for r in refusals}
    closed = vote(march_poll(), CLAIRE, MARCH_13, YES, now=DEADLINE)
    assert isinstance(closed, Closed)
    names[closed.problem] = {"when"}  # the text's one date is Closed.at
    return names


@pytest.mark.parametrize("locale", LOCALES)
def test_every_problem_has_a_text_with_exactly_the_values_it_is_raised_with(locale: str) -> None:
    templates = default_content().texts(locale).templates
    raised = raised_values()
    assert set(raised) == set(PollProblem), "exercise every problem above"
    for problem, names in raised.items():
        template = str(templates[f"events.poll.{problem}"])
        placeholders = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        assert placeholders == names, problem


# --- Answering and closing --------------------------------------------------------------------


def test_an_answer_is_recorded_for_its_slot() -> None:
    poll = answered(march_poll(), (CLAIRE, MARCH_20, IF_NEEDED))

    assert answers_of(poll, CLAIRE) == {MARCH_20: IF_NEEDED}


def test_a_member_can_change_their_answer_before_the_poll_closes() -> None:
    poll = answered(march_poll(), (CLAIRE, MARCH_20, NO), (CLAIRE, MARCH_20, YES))

    assert answers_of(poll, CLAIRE) == {MARCH_20: YES}


def test_an_answer_given_with_the_slot_in_utc_counts_for_that_slot() -> None:
    poll = answered(march_poll(), (CLAIRE, MARCH_20.astimezone(UTC), YES))

    assert answers_of(poll, CLAIRE) == {MARCH_20: YES}


def test_an_answer_at_the_deadline_is_refused() -> None:
    refused = vote(march_poll(), CLAIRE, MARCH_13, YES, now=DEADLINE)

    assert refused == Closed(DEADLINE)


def test_an_answer_after_the_animator_closed_the_poll_is_refused() -> None:
    closed_at = NOW + timedelta(days=3)
    poll = close(march_poll(), now=closed_at)

    refused = vote(poll, CLAIRE, MARCH_13, YES, now=closed_at + timedelta(minutes=5))

    assert refused == Closed(closed_at)
    assert refused.problem is PollProblem.CLOSED


def test_an_answer_for_a_slot_the_poll_does_not_offer_is_a_bug() -> None:
    with pytest.raises(ValueError):
        vote(march_poll(), CLAIRE, MARCH_13 + timedelta(hours=1), YES, now=NOW)


def test_the_poll_is_open_until_its_deadline() -> None:
    poll = march_poll()

    assert not is_closed(poll, now=DEADLINE - timedelta(seconds=1))
    assert is_closed(poll, now=DEADLINE)


def test_closing_twice_keeps_the_first_closing_time() -> None:
    first = NOW + timedelta(days=2)
    poll = close(march_poll(), now=first)

    assert closes_at(close(poll, now=first + timedelta(days=1))) == first


def test_closing_after_the_deadline_changes_nothing() -> None:
    poll = march_poll()

    assert close(poll, now=DEADLINE + timedelta(days=1)) == poll


# --- Reminder ---------------------------------------------------------------------------------


def test_the_reminder_is_halfway_between_opening_and_deadline() -> None:
    assert reminder_at(march_poll()) == NOW + (DEADLINE - NOW) / 2


def test_no_reminder_once_the_animator_closed_the_poll_before_halfway() -> None:
    assert reminder_at(close(march_poll(), now=NOW + timedelta(days=1))) is None


def test_the_reminder_goes_to_members_who_left_a_slot_unanswered() -> None:
    poll = answered(
        march_poll(),
        (CLAIRE, MARCH_13, YES),
        (CLAIRE, MARCH_20, NO),
        (CLAIRE, MARCH_27, YES),
        (MARC, MARCH_13, IF_NEEDED),
    )

    assert awaiting(poll, MEMBERS) == [MARC, NADIA, YANN]


# --- Tally and best slot ----------------------------------------------------------------------


def test_the_tally_counts_each_answer_and_names_who_has_not_answered() -> None:
    poll = answered(
        march_poll(),
        (CLAIRE, MARCH_13, YES),
        (MARC, MARCH_13, IF_NEEDED),
        (NADIA, MARCH_13, NO),
    )

    assert tally(poll, MEMBERS)[0] == SlotTally(MARCH_13, 1, 1, 1, (YANN,))


def test_the_answers_of_someone_who_left_the_club_do_not_count() -> None:
    poll = answered(march_poll(), (CLAIRE, MARCH_13, YES), (MARC, MARCH_13, YES))

    assert tally(poll, [CLAIRE, NADIA])[0] == SlotTally(MARCH_13, 1, 0, 0, (NADIA,))


def test_the_best_slot_is_the_one_the_most_can_attend() -> None:
    poll = answered(
        march_poll(),
        (CLAIRE, MARCH_13, YES),
        (CLAIRE, MARCH_20, IF_NEEDED),
        (MARC, MARCH_20, IF_NEEDED),
    )

    assert best_slot(poll, MEMBERS) == MARCH_20


def test_between_slots_as_attended_the_one_with_more_yes_is_best() -> None:
    poll = answered(
        march_poll(),
        (CLAIRE, MARCH_13, IF_NEEDED),
        (MARC, MARCH_13, IF_NEEDED),
        (CLAIRE, MARCH_27, YES),
        (MARC, MARCH_27, IF_NEEDED),
    )

    assert best_slot(poll, MEMBERS) == MARCH_27


def test_between_slots_answered_alike_the_earliest_is_best() -> None:
    poll = answered(march_poll(), (CLAIRE, MARCH_20, YES), (CLAIRE, MARCH_27, YES))

    assert best_slot(poll, MEMBERS) == MARCH_20


# --- Properties -------------------------------------------------------------------------------

PEOPLE = [CLAIRE, MARC, NADIA, YANN, *(f"Membre {n} (Hydreos Conseil)" for n in range(21))]


@st.composite
def polls(draw: st.DrawFn) -> Poll:
    """An open poll of 2 to 6 slots, in Paris or UTC, from a week after NOW."""
    instants = draw(
        st.lists(
            st.datetimes(datetime(2025, 1, 14), datetime(2025, 12, 31), timezones=st.just(UTC)),
            min_size=2,
            max_size=6,
            unique=True,
        )
    )
    zones = st.sampled_from([UTC, PARIS])
    slots = [moment.astimezone(draw(zones)) for moment in instants]
    # Not twice the same time in Paris on the night of the October change: refused.
    assume(len(set(slots)) == len(slots))
    return open_poll(slots, deadline=NOW + timedelta(days=7), now=NOW)


@st.composite
def voted_polls(draw: st.DrawFn) -> tuple[Poll, dict[tuple[str, datetime], Availability]]:
    """A poll after random answers, some changed, and each member's last answer per slot."""
    poll = draw(polls())
    answers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PEOPLE), st.sampled_from(poll.slots), st.sampled_from(Availability)
            ),
            max_size=80,
        )
    )
    last: dict[tuple[str, datetime], Availability] = {}
    for member, slot, availability in answers:
        result = vote(poll, member, slot, availability, now=NOW)
        assert isinstance(result, Poll)
        poll = result
        last[member, slot] = availability
    return poll, last


members_lists = st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=25, unique=True)


@given(voted_polls())
def test_a_members_answer_is_the_last_one_they_gave(
    voted: tuple[Poll, dict[tuple[str, datetime], Availability]],
) -> None:
    poll, last = voted

    for member in PEOPLE:
        mine = {slot: a for (who, slot), a in last.items() if who == member}
        assert answers_of(poll, member) == mine


@given(voted_polls(), members_lists)
def test_each_slot_counts_every_member_once_answered_or_not(
    voted: tuple[Poll, dict[tuple[str, datetime], Availability]], members: list[str]
) -> None:
    poll, last = voted

    for counted in tally(poll, members):
        respondents = {who for (who, slot) in last if slot == counted.slot and who in members}
        assert counted.yes + counted.if_needed + counted.no == len(respondents)
        assert set(counted.unanswered) == set(members) - respondents


@given(voted_polls(), members_lists)
def test_no_slot_beats_the_best_one(
    voted: tuple[Poll, dict[tuple[str, datetime], Availability]], members: list[str]
) -> None:
    poll, last = voted

    def score(slot: datetime) -> tuple[int, int]:
        mine = [a for (who, s), a in last.items() if s == slot and who in members]
        return (sum(a is not NO for a in mine), sum(a is YES for a in mine))

    best = best_slot(poll, members)
    for slot in poll.slots:
        assert score(slot) <= score(best)
        if score(slot) == score(best):
            assert best <= slot


@given(voted_polls(), st.sampled_from(PEOPLE), st.sampled_from(Availability))
def test_once_closed_no_answer_changes_the_poll(
    voted: tuple[Poll, dict[tuple[str, datetime], Availability]],
    member: str,
    availability: Availability,
) -> None:
    poll = close(voted[0], now=NOW + timedelta(days=1))

    for slot in poll.slots:
        assert isinstance(
            vote(poll, member, slot, availability, now=NOW + timedelta(days=2)), Closed
        )
