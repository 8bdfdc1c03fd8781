"""The directory's full-text search, by the database itself (FTS5 on SQLite, tsvector with the
French configuration and unaccent on PostgreSQL): accents and case folded, French plurals and
word forms, several words ranked, one club's entries only, and nothing left of an erased row."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, inspect, text, update

from bot.app import App
from bot.storage import repositories as repo
from bot.storage import search
from bot.storage.models import DirectoryEntry

ENTRIES = {
    "iso": ("Certifications ISO 14001 et ISO 50001", "audit à blanc, budget, calendrier", "iso"),
    "harcelement": ("Harcèlement au travail", "procédure d'alerte, référent", "rh prévention"),
    "label": ("Label Engagé RSE", "retour d'expérience de l'évaluation AFNOR", "label afnor"),
    "carbone": ("Bilan carbone", "scope 3, fournisseurs, certification des données", "climat"),
}


async def _club(app: App, name: str) -> int:
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        club = await repo.create_club(session, pole_id=pole.id, name=name, charter="Charte")
        assert club.id is not None
        return club.id


@pytest.fixture
async def entries(app: App) -> dict[str, int]:
    """The entries' ids by name, in the Club BouRSE; one more in another club."""
    club = await _club(app, "Club BouRSE")
    other = await _club(app, "Club Achats")
    ids = {}
    async with app.database.transaction() as session:
        for name, (subject, shared, keywords) in ENTRIES.items():
            entry = DirectoryEntry(club_id=club, subject=subject, shared=shared, keywords=keywords)
            session.add(entry)
            await session.flush()
            ids[name] = entry.id
        session.add(DirectoryEntry(club_id=other, subject="Certification ISO 9001", shared=""))
    ids["club"] = club
    return ids


async def found(app: App, query: str, club: int) -> list[int]:
    async with app.database.transaction() as session:
        return await search.ranked(
            session, search.DIRECTORY, query=query, club_ids=[club], limit=10
        )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("certification", ["iso", "carbone"]),
        ("CERTIFICATIONS", ["iso", "carbone"]),
        ("harcelement", ["harcelement"]),
        ("Harcèlement", ["harcelement"]),
        ("labels", ["label"]),
        ("afnor évaluation", ["label"]),
        ("carbone iso", ["iso", "carbone"]),
        ("télétravail", []),
        ("«  ?! »", []),
    ],
)
async def test_a_search_finds_word_forms_without_accents(
    app: App, entries: dict[str, int], query: str, expected: list[str]
) -> None:
    got = await found(app, query, entries["club"])
    assert sorted(got) == sorted(entries[name] for name in expected)


async def test_a_word_in_the_subject_ranks_above_one_in_the_text(
    app: App, entries: dict[str, int]
) -> None:
    assert await found(app, "certification", entries["club"]) == [
        entries["iso"],
        entries["carbone"],
    ]


async def test_an_entry_matching_more_words_ranks_first(app: App, entries: dict[str, int]) -> None:
    got = await found(app, "bilan carbone fournisseurs", entries["club"])
    assert got == [entries["carbone"]]
    got = await found(app, "iso audit calendrier", entries["club"])
    assert got[0] == entries["iso"]


async def test_another_clubs_entries_are_not_found(app: App, entries: dict[str, int]) -> None:
    assert len(await found(app, "certification", entries["club"])) == 2
    assert await found(app, "9001", entries["club"]) == []


async def test_the_index_follows_changes_and_deletions(app: App, entries: dict[str, int]) -> None:
    async with app.database.transaction() as session:
        await session.execute(
            update(DirectoryEntry)
            .where(DirectoryEntry.id == entries["label"])
            .values(subject="Label Lucie 26000", keywords="lucie")
        )
        await session.execute(delete(DirectoryEntry).where(DirectoryEntry.id == entries["iso"]))
    assert await found(app, "lucie", entries["club"]) == [entries["label"]]
    assert await found(app, "afnor", entries["club"]) == [entries["label"]]  # still in its text
    assert await found(app, "engage", entries["club"]) == []
    assert await found(app, "14001", entries["club"]) == []


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=60))
def test_any_typed_query_is_safe_for_both_search_languages(query: str) -> None:
    words = search.words_of(query)
    assert len(words) <= search.MAX_WORDS
    assert all(word.isascii() and word.isalnum() for word in words)
    # Only words, each quoted (FTS5) or plain (tsquery): nothing typed becomes an operator.
    assert search.fts5_query(words).replace('"', "").replace("*", "").replace(
        " OR ", " "
    ).split() == [search._PLURAL.sub("", word) for word in words]


async def test_a_deleted_entry_leaves_no_word_in_the_index(
    app: App, entries: dict[str, int]
) -> None:
    async with app.database.transaction() as session:
        entry = DirectoryEntry(
            club_id=entries["club"], subject="Tisserands du Vercors", shared="Vasseur-Oberkampf"
        )
        session.add(entry)
    async with app.database.transaction() as session:
        await session.execute(delete(DirectoryEntry).where(DirectoryEntry.id == entry.id))
        await search.forget_deleted(session)
    async with app.database.transaction() as session:
        names = await session.run_sync(lambda sync: inspect(sync.connection()).get_table_names())
        dumped = b""
        for name in (n for n in names if search.is_search_table(n)):
            for row in await session.execute(text(f'SELECT * FROM "{name}"')):
                dumped += b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    assert b"vasseur" not in dumped.lower() and b"tisserands" not in dumped.lower()
