"""Full-text search of a club's directory and service exchange, by the database itself: SQLite's
FTS5 (accents folded by its tokenizer, French plurals by a prefix on each word's stem) and
PostgreSQL's ``tsvector`` (the ``rsebot_french`` configuration: ``unaccent`` then the French
stemmer), each with its own ranking (bm25, ts_rank_cd), the subject weighing most.

The search tables live beside the SQLModel tables, outside their metadata: an FTS5 virtual table
(with its shadow tables) on SQLite, a table of ``tsvector`` on PostgreSQL, both kept up to date
by triggers created in migration 0015, so that every write, the erasure of a person included,
reaches the index without our code. ``INDEXES`` names them for the migration tests.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text

from bot.storage.session import Session
from content.text import fold


@dataclass(frozen=True, slots=True)
class Index:
    """The search table ``name`` over ``source``'s ``columns``, weighed in that order."""

    name: str
    source: str
    columns: tuple[str, ...]
    # bm25 weights of the columns on SQLite (higher: more important); PostgreSQL gives them
    # the weights A, B, C in the same order.
    weights: tuple[float, ...]


DIRECTORY = Index(
    "directory_search", "directory_entries", ("subject", "keywords", "shared"), (10, 5, 1)
)
EXCHANGE = Index("exchange_search", "exchange_posts", ("text",), (1,))
INDEXES: tuple[Index, ...] = (DIRECTORY, EXCHANGE)
# At most this many words of a query are searched.
MAX_WORDS = 8
_WORD = re.compile(r"[a-z0-9]+")
# A French plural's mark: « certifications » and « certification » share « certification ».
_PLURAL = re.compile(r"(?<=[a-z]{3})[sx]$")


def is_search_table(name: str) -> bool:
    """Whether ``name`` is one of the search tables or, on SQLite, one of their shadows."""
    return any(name == index.name or name.startswith(index.name + "_") for index in INDEXES)


def in_metadata(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: the search tables are the migrations' own, not the models'
    (so that comparing the schema with the models leaves them out)."""
    return not (type_ == "table" and name is not None and is_search_table(name))


def words_of(query: str) -> list[str]:
    """The words searched for: accents and case folded, punctuation dropped, at most
    MAX_WORDS, each once."""
    found = _WORD.findall(fold(query))
    return list(dict.fromkeys(found))[:MAX_WORDS]


def fts5_query(words: Sequence[str]) -> str:
    """An FTS5 query matching any of the words, each by its stem as a prefix."""
    return " OR ".join(f'"{_PLURAL.sub("", word)}"*' for word in words)


def tsquery(words: Sequence[str]) -> str:
    """A ``to_tsquery`` text matching any of the words, each stemmed, as a prefix."""
    return " | ".join(f"{word}:*" for word in words)


async def forget_deleted(session: Session) -> None:
    """Rid the indexes of what deleted rows left in them: an FTS5 index keeps a deleted row's
    words in its segments until they are merged (``optimize``), where a person's erasure must
    leave nothing. PostgreSQL's search rows go with their source row (ON DELETE CASCADE)."""
    if session.bind.dialect.name == "sqlite":
        for index in INDEXES:
            await session.execute(
                text(f"INSERT INTO {index.name}({index.name}) VALUES ('optimize')")
            )


async def ranked(
    session: Session,
    index: Index,
    *,
    query: str,
    club_ids: Collection[int],
    limit: int,
) -> list[int]:
    """Ids of ``index.source`` rows of the clubs ``club_ids`` matching ``query``, best first."""
    words = words_of(query)
    if not words or not club_ids:
        return []
    clubs = bindparam("clubs", list(club_ids), expanding=True)
    if session.bind.dialect.name == "postgresql":
        statement = text(
            f"SELECT s.id FROM to_tsquery('rsebot_french', :query) q, {index.name} i"
            f" JOIN {index.source} s ON s.id = i.source_id"
            " WHERE i.document @@ q AND s.club_id IN :clubs"
            " ORDER BY ts_rank_cd(i.document, q) DESC, s.id LIMIT :limit"
        ).bindparams(clubs, query=tsquery(words), limit=limit)
    else:
        weights = ", ".join(str(w) for w in index.weights)
        statement = text(
            f"SELECT s.id FROM {index.name} i JOIN {index.source} s ON s.id = i.rowid"
            f" WHERE {index.name} MATCH :query AND s.club_id IN :clubs"
            f" ORDER BY bm25({index.name}, {weights}), s.id LIMIT :limit"
        ).bindparams(clubs, query=fts5_query(words), limit=limit)
    return [row_id for (row_id,) in await session.execute(statement)]
