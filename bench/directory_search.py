"""Club directory search: 10,000 entries, the database's full-text search against a Python scan
of the same rows.

Both answer the same queries with the same meaning (any of the words, accents and case folded,
French plurals by a prefix on each word's stem, the subject weighing most) and return the 10
best ids of one club:
(a) rse-bot: ``bot.storage.search.ranked`` — SQLite FTS5 (bm25), or PostgreSQL tsvector with
    unaccent and the French stemmer (ts_rank_cd);
(b) the peer: SELECT the club's entries, fold and score each in Python, sort.
Reported per database: the median time of a query over every query and round, and the ratio
peer / rse-bot. SQLite always; PostgreSQL when ``RSEBOT_BENCH_POSTGRES_URL`` names a server
database the benchmark may fill (a database of its own is created and dropped).

    python -m bench.directory_search [--entries 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select

from bench.postgres import fresh_database
from bot.storage import repositories as repo
from bot.storage import search
from bot.storage.database import Database, upgrade
from bot.storage.models import DirectoryEntry
from bot.storage.session import Session
from content.text import fold

LIMIT = 10
QUERIES = (
    "certification",
    "certifications ISO",
    "harcelement",
    "Harcèlement au travail",
    "bilan carbone fournisseurs",
    "label engagé RSE",
    "économie circulaire emballages",
    "qualité de vie au travail télétravail",
    "achats responsables",
    "devoir de vigilance",
    "eau sécheresse",
    "énergie",
)
_SUBJECTS = (
    "Certification ISO {n}",
    "Harcèlement au travail : procédure et référent",
    "Bilan carbone scope {n}",
    "Label Engagé RSE niveau {n}",
    "Économie circulaire des emballages",
    "Qualité de vie au travail",
    "Achats responsables et fournisseurs",
    "Devoir de vigilance dans la chaîne de valeur",
    "Gestion de l'eau en période de sécheresse",
    "Efficacité énergétique des ateliers",
    "Recrutement et marque employeur",
    "Numérique responsable",
    "Mécénat de compétences",
    "Gouvernance et société à mission",
)
_SHARED = (
    "audit à blanc, calendrier, budget, choix de l'organisme certificateur",
    "retour d'expérience de l'évaluation, points forts et axes de progrès",
    "questionnaire fournisseurs, clauses des contrats, suivi annuel",
    "télétravail deux jours par semaine, accord signé avec les représentants",
    "réemploi des caisses, tri à la source, filière de recyclage locale",
    "compteurs divisionnaires, variation de vitesse, récupération de chaleur",
    "cartographie des risques, plan d'action, alerte",
)
_KEYWORDS = ("iso", "rh", "climat", "label", "achats", "eau", "énergie", "social", "gouvernance")


def entries(count: int, club_id: int, seed: int = 12) -> list[DirectoryEntry]:
    """``count`` realistic entries of one club, the same for every database."""
    chosen = random.Random(seed)
    return [
        DirectoryEntry(
            club_id=club_id,
            subject=chosen.choice(_SUBJECTS).format(n=chosen.randint(1, 50001)),
            shared=" ; ".join(chosen.sample(_SHARED, 2)),
            keywords=" ".join(chosen.sample(_KEYWORDS, 2)),
        )
        for _ in range(count)
    ]


def python_scan(rows: list[tuple[int, str, str, str]], query: str) -> list[int]:
    """The peer: every row folded and scored in Python, the same meaning as the search."""
    stems = [search._PLURAL.sub("", word) for word in search.words_of(query)]
    scored = []
    for row_id, subject, keywords, shared in rows:
        score = 0.0
        for weight, field in zip((10, 5, 1), (subject, keywords, shared), strict=True):
            words = fold(field).replace("'", " ").split()
            score += weight * sum(1 for w in words for stem in stems if w.startswith(stem))
        if score:
            scored.append((-score, row_id))
    scored.sort()
    return [row_id for _, row_id in scored[:LIMIT]]


async def _fill(database: Database, count: int) -> int:
    async with database.transaction() as session:
        pole = await repo.default_pole(session)
        if pole is None:
            pole = await repo.create_pole(session, name="Pôle RSE", is_default=True)
        assert pole.id is not None
        club = await repo.create_club(session, pole_id=pole.id, name="Club BouRSE", charter="-")
        assert club.id is not None
        session.add_all(entries(count, club.id))
        return club.id


async def _median(
    run: Callable[[Session, str], Awaitable[list[int]]], database: Database, rounds: int
) -> tuple[float, int]:
    """Median seconds per query, and how many results in all (to see both answer)."""
    times, found = [], 0
    for _ in range(rounds):
        for query in QUERIES:
            async with database.transaction() as session:
                started = time.perf_counter()
                ids = await run(session, query)
                times.append(time.perf_counter() - started)
            found += len(ids)
    return statistics.median(times), found


async def measure(url: str, count: int, rounds: int) -> tuple[float, float, int, int]:
    database = Database(url)
    try:
        await upgrade(database)
        club = await _fill(database, count)

        async def ours(session: Session, query: str) -> list[int]:
            return await search.ranked(
                session, search.DIRECTORY, query=query, club_ids=[club], limit=LIMIT
            )

        async def peer(session: Session, query: str) -> list[int]:
            rows = await session.execute(
                select(
                    DirectoryEntry.id,
                    DirectoryEntry.subject,
                    DirectoryEntry.keywords,
                    DirectoryEntry.shared,
                ).where(DirectoryEntry.club_id == club)
            )
            return python_scan([tuple(row) for row in rows], query)  # type: ignore[misc]

        await _median(ours, database, 1)  # warm both paths up
        await _median(peer, database, 1)
        fts, fts_found = await _median(ours, database, rounds)
        scan, scan_found = await _median(peer, database, rounds)
        return fts, scan, fts_found, scan_found
    finally:
        await database.dispose()


async def _postgres(server: str, count: int, rounds: int) -> tuple[float, float, int, int]:
    async with fresh_database(server, "rsebot_bench") as url:
        return await measure(url, count, rounds)


def _print(label: str, figures: tuple[float, float, int, int]) -> None:
    fts, scan, fts_found, scan_found = figures
    print(
        f"{label:<11} full-text {fts * 1000:7.2f} ms   Python scan {scan * 1000:7.2f} ms   "
        f"ratio scan/full-text {scan / fts:6.1f}   results {fts_found} / {scan_found}"
    )


async def main(count: int, rounds: int) -> None:
    print(f"{count} directory entries, {len(QUERIES)} queries x {rounds} rounds, top {LIMIT}")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        _print("SQLite", await measure(url, count, rounds))
    server = os.environ.get("RSEBOT_BENCH_POSTGRES_URL")
    if server:
        _print("PostgreSQL", await _postgres(server, count, rounds))
    else:
        print("PostgreSQL  skipped (set RSEBOT_BENCH_POSTGRES_URL to a server database)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.entries, arguments.rounds))
