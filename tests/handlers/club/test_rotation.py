"""Host rotation of the club: examples, then simulated years of meetings with members coming,
going and changing their mind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.club.rotation import Candidate, PastMeeting, suggest_hosts

JOINED = date(2023, 9, 12)


def test_a_company_that_never_hosted_comes_before_those_that_did() -> None:
    companies = [
        Candidate("Biocoop Lyon", JOINED),
        Candidate("Scop Les Tisserands", JOINED),
        Candidate("Fromagerie Berthaut", JOINED),
    ]
    meetings = [
        PastMeeting(date(2024, 1, 18), "Biocoop Lyon"),
        PastMeeting(date(2024, 3, 21), "Fromagerie Berthaut"),
    ]

    assert suggest_hosts(companies, meetings)[0] == "Scop Les Tisserands"


def test_companies_that_hosted_come_least_recent_first() -> None:
    companies = [
        Candidate("Biocoop Lyon", JOINED),
        Candidate("Scop Les Tisserands", JOINED),
        Candidate("Fromagerie Berthaut", JOINED),
    ]
    meetings = [
        PastMeeting(date(2024, 1, 18), "Fromagerie Berthaut"),
        PastMeeting(date(2024, 3, 21), "Biocoop Lyon"),
        PastMeeting(date(2024, 5, 16), "Scop Les Tisserands"),
    ]

    assert suggest_hosts(companies, meetings) == [
        "Fromagerie Berthaut",
        "Biocoop Lyon",
        "Scop Les Tisserands",
    ]


def test_among_companies_that_never_hosted_the_longest_in_the_club_comes_first() -> None:
    companies = [
        Candidate("Hydreos Conseil", date(2024, 2, 1)),
        Candidate("Maison Perrin Vignobles", date(2023, 9, 12)),
    ]

    assert suggest_hosts(companies, []) == ["Maison Perrin Vignobles", "Hydreos Conseil"]


def test_companies_that_joined_the_same_day_come_by_name() -> None:
    companies = [
        Candidate("Scop Les Tisserands", JOINED),
        Candidate("atelier Vélo Cité", JOINED),
        Candidate("Biocoop Lyon", JOINED),
    ]

    assert suggest_hosts(companies, []) == [
        "atelier Vélo Cité",
        "Biocoop Lyon",
        "Scop Les Tisserands",
    ]


def test_a_company_that_would_rather_not_host_is_never_suggested() -> None:
    companies = [
        Candidate("Biocoop Lyon", JOINED),
        Candidate("Hydreos Conseil", JOINED, willing=False),
    ]
    meetings = [PastMeeting(date(2024, 1, 18), "Biocoop Lyon")]

    assert suggest_hosts(companies, meetings) == ["Biocoop Lyon"]


def test_a_company_with_several_leaders_in_the_club_is_suggested_once() -> None:
    companies = [
        Candidate("Fromagerie Berthaut", JOINED),
        Candidate("FROMAGERIE  berthaut", date(2024, 1, 8)),
        Candidate("Biocoop Lyon", date(2024, 2, 5)),
    ]

    assert suggest_hosts(companies, []) == ["Fromagerie Berthaut", "Biocoop Lyon"]


def test_a_company_hosts_only_if_none_of_its_leaders_declined() -> None:
    companies = [
        Candidate("Maison Perrin Vignobles", JOINED),
        Candidate("Maison Perrin Vignobles", date(2024, 1, 8), willing=False),
        Candidate("Biocoop Lyon", JOINED),
    ]

    assert suggest_hosts(companies, []) == ["Biocoop Lyon"]


def test_the_host_of_a_cancelled_meeting_still_has_to_host() -> None:
    companies = [Candidate("Biocoop Lyon", JOINED), Candidate("Hydreos Conseil", JOINED)]
    meetings = [
        PastMeeting(date(2024, 1, 18), "Biocoop Lyon"),
        PastMeeting(date(2024, 3, 21), "Hydreos Conseil", cancelled=True),
    ]

    assert suggest_hosts(companies, meetings)[0] == "Hydreos Conseil"


def test_a_newcomer_goes_before_every_company_that_hosted() -> None:
    companies = [
        Candidate("Biocoop Lyon", JOINED),
        Candidate("Scop Les Tisserands", JOINED),
        Candidate("Hydreos Conseil", date(2024, 6, 3)),
    ]
    meetings = [
        PastMeeting(date(2024, 1, 18), "Biocoop Lyon"),
        PastMeeting(date(2024, 3, 21), "Scop Les Tisserands"),
    ]

    assert suggest_hosts(companies, meetings)[0] == "Hydreos Conseil"


def test_a_company_back_from_a_long_refusal_goes_by_its_last_hosting_not_its_count() -> None:
    # Biocoop Lyon hosted twice long ago, then declined for a year while Hydreos Conseil
    # hosted once, recently: Biocoop has waited longer, though it hosted more often.
    companies = [Candidate("Biocoop Lyon", JOINED), Candidate("Hydreos Conseil", JOINED)]
    meetings = [
        PastMeeting(date(2023, 11, 16), "Biocoop Lyon"),
        PastMeeting(date(2024, 1, 18), "Biocoop Lyon"),
        PastMeeting(date(2025, 3, 20), "Hydreos Conseil"),
    ]

    assert suggest_hosts(companies, meetings)[0] == "Biocoop Lyon"


def test_a_company_that_left_the_club_is_not_suggested() -> None:
    companies = [Candidate("Biocoop Lyon", JOINED)]
    meetings = [PastMeeting(date(2023, 11, 16), "Scop Les Tisserands")]

    assert suggest_hosts(companies, meetings) == ["Biocoop Lyon"]


def test_a_member_without_a_company_is_not_a_candidate() -> None:
    assert suggest_hosts([Candidate("  ", JOINED), Candidate("Biocoop Lyon", JOINED)], []) == [
        "Biocoop Lyon"
    ]


def test_at_most_count_companies_are_suggested() -> None:
    companies = [Candidate(f"Coopérative {n}", JOINED) for n in range(10)]

    assert len(suggest_hosts(companies, [], count=3)) == 3


def test_no_suggestion_at_all_is_refused() -> None:
    with pytest.raises(ValueError):
        suggest_hosts([Candidate("Biocoop Lyon", JOINED)], [], count=0)


def test_always_taking_the_third_suggestion_can_keep_two_companies_waiting() -> None:
    # What the rotation does not promise once the animator departs from the first suggestion:
    # the 3rd of 4 companies, then the new 3rd, and so on, leaves the first two waiting.
    companies = [Candidate(f"Coopérative {n}", JOINED) for n in range(4)]
    meetings: list[PastMeeting] = []
    for month in range(1, 13):
        host = suggest_hosts(companies, meetings)[2]
        meetings.append(PastMeeting(date(2024, month, 15), host))

    assert {m.host for m in meetings} == {"Coopérative 2", "Coopérative 3"}


# --- Simulated years --------------------------------------------------------------------------

NAMES = [
    "Biocoop Lyon",
    "Scop Les Tisserands",
    "Fromagerie Berthaut",
    "Maison Perrin Vignobles",
    "Hydreos Conseil",
    "Atelier Vélo Cité",
    "Brasserie du Pilat",
    "Menuiserie Garnier",
    *(f"Coopérative {n}" for n in range(32)),
]
MEETING_MONTHS = (1, 3, 5, 9, 11)  # five meetings a year, none in summer
YEARS = 4


@dataclass
class Club:
    """The club as the simulation changes it: each company's leaders and their willingness."""

    leaders: dict[str, list[Candidate]] = field(default_factory=dict)
    held: list[PastMeeting] = field(default_factory=list)
    meetings: list[PastMeeting] = field(default_factory=list)

    def candidates(self) -> list[Candidate]:
        return [leader for leaders in self.leaders.values() for leader in leaders]

    def willing(self) -> set[str]:
        return {c for c, leaders in self.leaders.items() if all(lead.willing for lead in leaders)}

    def last_hosted(self, company: str) -> date | None:
        return max((m.held_on for m in self.held if m.host == company), default=None)


def _leaders(data: st.DataObject, company: str, joined: date) -> list[Candidate]:
    count = data.draw(st.integers(1, 3), label=f"leaders of {company}")
    willing = st.sampled_from([True, True, True, False])
    return [Candidate(company, joined, data.draw(willing)) for _ in range(count)]


def _change_members(data: st.DataObject, club: Club, day: date) -> None:
    """Between two meetings: some companies leave, some join or come back, some leaders change
    their mind about hosting."""
    for _ in range(data.draw(st.integers(0, 2), label="leaving")):
        if len(club.leaders) > 1:
            del club.leaders[data.draw(st.sampled_from(sorted(club.leaders)))]
    outside = [name for name in NAMES if name not in club.leaders]
    for _ in range(data.draw(st.integers(0, 2), label="joining")):
        if outside:
            company = data.draw(st.sampled_from(outside))
            outside.remove(company)
            club.leaders[company] = _leaders(data, company, day)
    for _ in range(data.draw(st.integers(0, 2), label="changing their mind")):
        company = data.draw(st.sampled_from(sorted(club.leaders)))
        leaders = club.leaders[company]
        n = data.draw(st.integers(0, len(leaders) - 1))
        leader = leaders[n]
        leaders[n] = Candidate(leader.company, leader.joined, not leader.willing)


def _simulate(data: st.DataObject, *, picks: int) -> None:
    """Runs YEARS years of meetings, the animator taking one of the first ``picks``
    suggestions, and checks before each meeting what the rotation promises.

    Promise: if the chosen host X hosted before, at most (rank of X − 1) of the companies
    willing now have not hosted since X last did, counting those that never hosted. With the
    first suggestion, none: every other willing company hosted after X's last time.
    """
    club = Club()
    for company in data.draw(st.permutations(NAMES), label="founders")[:25]:
        club.leaders[company] = _leaders(data, company, date(2023, 9, 12))
    for year in range(2024, 2024 + YEARS):
        for month in MEETING_MONTHS:
            day = date(year, month, 15)
            _change_members(data, club, day)
            suggestions = suggest_hosts(club.candidates(), club.meetings)
            assert set(suggestions) <= club.willing()
            if not suggestions:
                continue  # everybody declined: the animator finds a venue elsewhere
            rank = data.draw(st.integers(1, min(picks, len(suggestions))), label="rank")
            host = suggestions[rank - 1]
            previous = club.last_hosted(host)
            if previous is not None:
                waiting = {
                    company
                    for company in club.willing() - {host}
                    if (last := club.last_hosted(company)) is None or last <= previous
                }
                assert len(waiting) <= rank - 1, (host, previous, waiting)
            meeting = PastMeeting(day, host, cancelled=data.draw(st.integers(0, 9)) == 0)
            club.meetings.append(meeting)
            if not meeting.cancelled:
                club.held.append(meeting)


@settings(deadline=None, max_examples=40)
@given(st.data())
def test_following_the_first_suggestion_nobody_hosts_twice_before_every_willing_company_once(
    data: st.DataObject,
) -> None:
    _simulate(data, picks=1)


@settings(deadline=None, max_examples=40)
@given(st.data())
def test_taking_the_2nd_or_3rd_suggestion_skips_at_most_that_many_companies_minus_one(
    data: st.DataObject,
) -> None:
    _simulate(data, picks=3)


@given(
    st.lists(
        st.tuples(st.sampled_from(NAMES[:6]), st.dates(date(2023, 1, 1), date(2024, 12, 31))),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.sampled_from(NAMES[:6]), max_size=8),
)
def test_a_company_counts_once_whatever_the_number_and_order_of_its_leaders(
    leaders: list[tuple[str, date]], hosts: list[str]
) -> None:
    meetings = [PastMeeting(date(2025, 1, 1 + n), host) for n, host in enumerate(hosts)]
    companies = [Candidate(name, joined) for name, joined in leaders]
    # The same club as its companies each represented by their first leader alone.
    first = {name: min(j for n, j in leaders if n == name) for name, _ in leaders}
    one_each = [Candidate(name, joined) for name, joined in first.items()]

    assert suggest_hosts(companies[::-1], meetings, count=6) == suggest_hosts(
        one_each, meetings, count=6
    )
