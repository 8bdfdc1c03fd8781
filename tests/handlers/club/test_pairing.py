"""The café RSE's pairing rule (handlers/club/pairing.py): examples, then any membership and
any history, and months of a steady membership."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.club.pairing import Group, met_this_round, pair_up, pairs_of

# Ids as the database gives them: not 0..n-1, with gaps.
ids = st.integers(min_value=1, max_value=60)
months = st.lists(
    st.lists(st.sets(ids, min_size=2, max_size=3).map(lambda g: tuple(sorted(g))), max_size=15),
    max_size=12,
)


@st.composite
def clubs(draw: st.DrawFn) -> tuple[set[int], list[list[Group]]]:
    """2 to 30 members, and past months' groups of two or three among them and people who
    have left since: many months, so that many pairs have met."""
    members = draw(st.sets(ids, min_size=2, max_size=30))
    people = sorted(members | draw(st.sets(ids, max_size=5)))
    group = st.sets(st.sampled_from(people), min_size=2, max_size=3).map(lambda g: tuple(sorted(g)))
    return members, draw(st.lists(st.lists(group, max_size=15), max_size=40))


def play(
    members: list[int], count: int, history: list[list[Group]] | None = None
) -> list[list[Group]]:
    """``count`` months of pairing ``members`` after ``history``: the history then."""
    played = list(history or [])
    for _ in range(count):
        played.append(pair_up(members, played))
    return played


def test_two_members_meet_every_month() -> None:
    assert play([14, 27], 3) == [[(14, 27)]] * 3


def test_three_members_make_one_trio() -> None:
    assert pair_up([5, 9, 2], []) == [(2, 5, 9)]


def test_nobody_is_paired_alone() -> None:
    assert pair_up([7], []) == []
    assert pair_up([], []) == []


def test_the_round_ends_once_everyone_has_met() -> None:
    four = [1, 2, 3, 4]
    history = play(four, 2)

    assert len(met_this_round(four, history)) == 4
    assert met_this_round(four, play(four, 1, history)) == set()


def test_a_leavers_pairs_no_longer_count() -> None:
    history = [[(1, 2), (3, 4)], [(1, 3), (2, 4)]]

    assert met_this_round([1, 2, 3], history) == {(1, 2), (1, 3)}


def test_newcomers_meet_new_people_first() -> None:
    """1 to 4 have all met; 5 and 6 join: only one old pair has to meet again."""
    history = play([1, 2, 3, 4], 3)
    groups = pair_up([1, 2, 3, 4, 5, 6], history)

    new = [group for group in groups if 5 in group or 6 in group]
    assert len(new) == 2 and all(len(group) == 2 for group in new)


def test_the_same_input_gives_the_same_pairs_whatever_the_order() -> None:
    history = [[(3, 8), (11, 20)]]

    assert pair_up([20, 3, 11, 8, 5], history) == pair_up([3, 5, 8, 11, 20], history)


@given(clubs())
@settings(max_examples=300, deadline=None)
def test_everyone_is_in_exactly_one_group_and_one_trio_for_an_odd_number(
    club: tuple[set[int], list[list[Group]]],
) -> None:
    members, history = club
    groups = pair_up(members, history)

    assert sorted(m for group in groups for m in group) == sorted(members)
    sizes = Counter(len(group) for group in groups)
    assert sizes == Counter({2: len(members) // 2 - (len(members) % 2), 3: len(members) % 2})


@given(clubs())
@settings(max_examples=300, deadline=None)
def test_someone_meets_only_people_already_met_only_when_nobody_new_is_free(
    club: tuple[set[int], list[list[Group]]],
) -> None:
    members, history = club
    """Whoever is given only people they met this round: every member they have not met yet
    is given someone new."""
    met = met_this_round(members, history)
    groups = pair_up(members, history)

    def repeating(member: int, group: Group) -> bool:
        return all(tuple(sorted((member, o))) in met for o in group if o != member)

    stuck = {m: i for i, group in enumerate(groups) for m in group if repeating(m, group)}
    for (a, i), (b, j) in combinations(stuck.items(), 2):
        assert i == j or tuple(sorted((a, b))) in met, (a, b, groups)


@given(st.sets(ids, min_size=1, max_size=15).map(lambda s: sorted(s)), months)
@settings(max_examples=100, deadline=None)
def test_in_a_steady_even_club_everyone_meets_everyone_once_in_n_minus_1_months(
    half: list[int], history: list[list[Group]]
) -> None:
    """From the start of a round (any history before it), whatever the ids."""
    members = [*half, *(100 + m for m in half)]
    start = [*history, [tuple(members)]]  # everyone met everyone: a round ends there

    played = play(members, len(members) - 1, start)[len(start) :]

    met = Counter(pair for month in played for group in month for pair in pairs_of(group))
    assert set(met) == set(combinations(sorted(members), 2))
    assert set(met.values()) == {1}


@pytest.mark.parametrize("size", range(3, 31, 2))
def test_in_a_steady_odd_club_everyone_meets_everyone_within_n_months(size: int) -> None:
    members = list(range(11, 11 + size))

    played = play(members, size)

    met = {pair for month in played for group in month for pair in pairs_of(group)}
    assert met == set(combinations(members, 2))


def test_being_three_goes_round() -> None:
    """Over two rounds of seven, nobody is in the trio more than twice as often as another."""
    played = play(list(range(1, 8)), 14)

    trios = Counter(m for month in played for group in month if len(group) == 3 for m in group)
    assert len(trios) == 7 and max(trios.values()) <= 2 * min(trios.values())
