"""Who has a « café RSE » with whom this month: a pure rule over the club's opted-in members
(their ids) and the groups of the months before, the same answer for the same input.

Rounds. A round lasts until every possible pair among the current members has met; then a new
round starts and pairs may meet again. The round is read again from the history each month
(oldest month first, counting only pairs of current members), so nothing is kept about it: a
newcomer's pairs are all unmet and the round lasts until they have met everyone; a leaver's no
longer count.

This month's groups. The circle method (the round-robin tables of sports leagues) makes n
members (n even) meet everyone exactly once in n − 1 months. Each month the table's round
with the most new pairs is taken, the first one on ties, so a round already played is not
played again while the membership stays the same. When members came or went the table no
longer fits the history; the round taken is then improved as long as two members who each
meet only people they have already met could meet each other instead (each such swap makes
at least one more new pair, so it ends). Hence the guarantee: someone is given only people
they have already met this round only if every member they have not met yet is given someone
new.

An odd number makes one trio, rather than someone left alone for the month: friendlier, and
nobody has to be chosen to wait. The trio's third member may have met one of the pair already
(five members make ten pairs and four meet a month: some pair meets twice in three months);
they join the pair with whom they make the most new pairs, the pair least often in a trio on
ties, so that being three goes round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from itertools import combinations

# Ids in increasing order: two members, or three for the trio of an odd number.
Group = tuple[int, ...]
Pair = tuple[int, int]


def pairs_of(group: Collection[int]) -> set[Pair]:
    """The pairs who meet in ``group``: one for two people, three for a trio."""
    return set(combinations(sorted(group), 2))


def met_this_round(members: Collection[int], history: Sequence[Sequence[Group]]) -> set[Pair]:
    """The pairs of ``members`` who already met in the current round; ``history`` holds each
    past month's groups, oldest month first."""
    present = set(members)
    possible = len(present) * (len(present) - 1) // 2
    met: set[Pair] = set()
    for month in history:
        for group in month:
            met |= {(a, b) for a, b in pairs_of(group) if a in present and b in present}
        if len(met) == possible:
            met = set()  # everyone has met everyone: the next month starts a new round
    return met


def pair_up(members: Collection[int], history: Sequence[Sequence[Group]]) -> list[Group]:
    """This month's groups: every member in one, pairs and, for an odd number, one trio;
    nothing for fewer than two members."""
    people = sorted(set(members))
    if len(people) < 2:
        return []
    met = met_this_round(people, history)
    in_trios = Counter(m for month in history for group in month if len(group) == 3 for m in group)
    best = max(_table(people, met, in_trios), key=lambda groups: _new_pairs(groups, met))
    return sorted(tuple(sorted(group)) for group in _improved(best, met))


def _table(people: list[int], met: set[Pair], in_trios: Counter[int]) -> Iterator[list[list[int]]]:
    """The rounds of the circle method: the first seat stays, the others turn one seat a
    month, and seat i meets the seat facing it. For an odd number the first seat is left
    empty, and whoever faces it joins the pair with whom they make the most new pairs, among
    those the pair whose members were least often in a trio (so that it goes round)."""
    seats: list[int | None] = [None, *people] if len(people) % 2 else list(people)
    count = len(seats)
    for turn in range(count - 1):
        rest = seats[1:]
        turned = [seats[0], *rest[turn:], *rest[:turn]]
        groups: list[list[int]] = []
        alone = None
        for a, b in zip(turned[: count // 2], reversed(turned[count // 2 :]), strict=True):
            if a is None or b is None:
                alone = b if a is None else a
            else:
                groups.append([a, b])
        if alone is not None:
            joined = max(
                groups,
                key=lambda group: (
                    _new_pairs([[*group, alone]], met),
                    -sum(in_trios[m] for m in group),
                ),
            )
            joined.append(alone)
        yield groups


def _new_pairs(groups: Sequence[Collection[int]], met: set[Pair]) -> int:
    return sum(len(pairs_of(group) - met) for group in groups)


def _improved(groups: list[list[int]], met: set[Pair]) -> list[list[int]]:
    """Regroup, while it can be done, two members who meet only people they have already met
    and have not met each other: they form a pair, and what is left of their groups the other
    group (a pair, or the trio)."""
    groups = [list(group) for group in groups]
    while (swap := _swap(groups, met)) is not None:
        i, x, j, y = swap
        rest = [m for m in groups[i] if m != x] + [m for m in groups[j] if m != y]
        groups[i], groups[j] = [x, y], rest
    return groups


def _swap(groups: list[list[int]], met: set[Pair]) -> tuple[int, int, int, int] | None:
    """The first two such members, each with their group's index."""
    repeating = [
        (i, x)
        for i, group in enumerate(groups)
        for x in group
        if all(_pair(x, other) in met for other in group if other != x)
    ]
    for (i, x), (j, y) in combinations(repeating, 2):
        if i != j and _pair(x, y) not in met:
            return i, x, j, y
    return None


def _pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)
