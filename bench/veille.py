"""RSE watch digest: 200 feeds x 50 items fetched, parsed, deduplicated, tagged, made an edition.

A server in a process of its own (as a real site would be) serves the feeds on 127.0.0.1,
gzipped, with ETag and Last-Modified. Reported, as medians of alternated rounds:
(a) fetch + parse + normalise + deduplicate (canonical URL, title key) + tag + an in-memory
    edition (grouped by theme, newest first, N per theme), as a ratio to feedparser alone
    parsing the same documents in this one process (target <= 1.3);
(b) the second run, where every feed answers 304, as a fraction of the first (target <= 0.1);
and peak memory (maximum resident set of this process and of its largest parse worker).

    python -m bench.veille [--feeds 200] [--items 50] [--workers N] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

import feedparser

from bot.feeds import Entry, FeedState, Fetcher, FetchOutcome, title_key
from content.veille.models import Themes, load_themes

PER_THEME = 5
# What bot.feeds.parse_feed turns off (it strips every tag itself): shown beside the baseline,
# which keeps feedparser's defaults.
AS_PARSE_FEED = {"sanitize_html": False, "resolve_relative_uris": False}
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
# Winter time in Paris: RSS dates carry the publisher's offset, feedparser gives UTC.
PARIS = timezone(timedelta(hours=1))
_TITLES = (
    "CSRD : ce que l'Omnibus change pour les PME de l'agroalimentaire",
    "Bilan carbone : {n} entreprises des Hauts-de-France passent au scope 3",
    "Économie circulaire : la filière emballage mise sur le réemploi",
    "Sécheresse : les industriels revoient leur consommation d'eau",
    "Qualité de vie au travail : le télétravail s'installe dans les ateliers",
    "Devoir de vigilance : premières décisions de justice",
    "Achats responsables : un label pour les relations fournisseurs",
    "Numérique responsable : l'écoconception des services en ligne",
    "Agriculture biologique : les circuits courts progressent",
    "VSME : le standard volontaire pour les PME se précise",
    "Biodiversité : les haies reviennent dans les exploitations",
    "Énergie : les PME face à la hausse des prix",
    "Gouvernance : {n} nouvelles sociétés à mission",
    "Un nouveau directeur pour le pôle",
    "Taxonomie européenne : les investisseurs attendent des données",
)
_SENTENCES = (
    "Les entreprises du secteur <strong>agroalimentaire</strong> doivent se préparer au "
    "reporting de durabilité, même lorsqu'elles n'y sont pas soumises directement.",
    "Le bilan carbone, la biodiversité et les achats responsables sont au cœur des "
    "nouvelles attentes des donneurs d&#8217;ordres &amp; des banques.",
    '<a href="https://example.org/guide">Un guide pratique</a> détaille les étapes, '
    "de la cartographie des risques au plan d'action.",
    "Selon l'ADEME, les gains d'efficacité énergétique atteignent souvent 15 % en deux ans.",
    "Les salariés sont associés à la démarche lors d'ateliers organisés chaque trimestre.",
    '<img src="/img/photo.jpg" alt=""> Les pôles et clusters accompagnent leurs '
    "adhérents avec des clubs RSE et des diagnostics partagés.",
)


def _article(feed: int, item: int) -> tuple[str, str]:
    """(title, address) of an item; some are the same article as in another feed."""
    title = _TITLES[(feed * 7 + item) % len(_TITLES)].format(n=item + 3)
    if item % 10 == 1:
        # Reprinted by a neighbouring feed at its own address, its title in capitals.
        slug = f"reprise-{feed // 2}-{item}"
        title = _TITLES[(feed // 2 + item) % len(_TITLES)].format(n=item + 3) + f" ({slug})"
        return (title.upper() if feed % 2 else title), f"https://site{feed}.example/{slug}/"
    if item % 10 == 0:
        # Syndicated: the same article in every feed of a group of 4, with the feed's trackers.
        slug = f"commun-{feed // 4}-{item}"
        url = f"https://www.novethic.example/{slug}.html?utm_source=flux{feed}&utm_medium=rss"
        return f"{title} ({slug})", url
    slug = f"article-{feed}-{item}"
    return f"{title} ({slug})", f"https://site{feed}.example/{slug}?id={item}&xtor=RSS-{feed}"


def _description(feed: int, item: int) -> str:
    count = len(_SENTENCES)
    paragraphs = (
        " ".join(_SENTENCES[(feed + item + k) % count] for k in range(3)),
        " ".join(_SENTENCES[(feed + 2 * item + k) % count] for k in range(2)),
    )
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def document(feed: int, items: int) -> tuple[bytes, str]:
    """Feed ``feed``'s body and content type: RSS 2.0, every fourth one Atom."""
    start = datetime(2026, 11, 23, 18, tzinfo=UTC)
    parts = []
    for item in range(items):
        title, url = _article(feed, item)
        when = start - timedelta(hours=item * 3 + feed % 5)
        if feed % 4 == 3:
            parts.append(
                f'<entry><title>{escape(title)}</title><link href="{escape(url)}"/>'
                f"<id>urn:flux:{feed}:{item}</id><published>{when.isoformat()}</published>"
                f"<updated>{when.isoformat()}</updated><author><name>Rédaction</name></author>"
                f'<summary type="html">{escape(_description(feed, item))}</summary></entry>'
            )
        else:
            parts.append(
                f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
                f'<guid isPermaLink="false">flux-{feed}-{item}</guid>'
                f"<pubDate>{format_datetime(when.astimezone(PARIS))}</pubDate>"
                f"<dc:creator>Rédaction</dc:creator><category>RSE</category>"
                f"<description>{escape(_description(feed, item))}</description></item>"
            )
    if feed % 4 == 3:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Actualités RSE {feed}</title><id>urn:flux:{feed}</id>"
            f'<link href="https://site{feed}.example/"/><updated>{start.isoformat()}</updated>'
            f"{''.join(parts)}</feed>"
        )
        return body.encode(), ATOM
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Actualités RSE {feed}</title><link>https://site{feed}.example/</link>"
        f"<description>Veille</description><language>fr</language>{''.join(parts)}"
        "</channel></rss>"
    )
    return body.encode(), RSS


async def serve(feeds: int, items: int) -> None:
    """Child process: serve the feeds, print the base URL, stop when stdin closes."""
    from aiohttp import web

    last_modified = "Mon, 23 Nov 2026 18:00:00 GMT"
    bodies = {}
    for n in range(feeds):
        body, content_type = document(n, items)
        bodies[str(n)] = (gzip.compress(body), content_type, f'"v1-{n}"')

    async def handle(request: web.Request) -> web.Response:
        packed, content_type, etag = bodies[request.match_info["n"]]
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        headers["Content-Encoding"] = "gzip"
        headers["Content-Type"] = content_type
        return web.Response(body=packed, headers=headers)

    app = web.Application()
    app.router.add_get("/flux/{n}.xml", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"http://127.0.0.1:{port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


def build_edition(
    outcomes: Sequence[FetchOutcome], themes: Themes
) -> tuple[dict[str, list[Entry]], int, int]:
    """In memory: the edition's items per theme, how many items were kept and how many dropped."""
    seen_urls: set[str] = set()
    seen_keys: set[str] = set()
    kept: list[tuple[Entry, tuple[str, ...]]] = []
    dropped = 0
    for outcome in outcomes:
        for entry in outcome.entries:
            key = title_key(entry.title)
            if entry.canonical_url in seen_urls or key in seen_keys:
                dropped += 1
                continue
            seen_urls.add(entry.canonical_url)
            seen_keys.add(key)
            kept.append((entry, themes.tag(entry.title, entry.summary)))
    oldest = datetime.min.replace(tzinfo=UTC)
    kept.sort(key=lambda pair: pair[0].published or oldest, reverse=True)
    edition: dict[str, list[Entry]] = {}
    placed: set[str] = set()
    for theme in themes.ids:
        chosen = [e for e, tags in kept if theme in tags and e.canonical_url not in placed]
        edition[theme] = chosen[:PER_THEME]
        placed.update(e.canonical_url for e in edition[theme])
    return edition, len(kept), dropped


def parse_alone(documents: Sequence[tuple[bytes, str]], **options: bool) -> float:
    """Seconds feedparser takes to parse every document here (its defaults unless told)."""
    started = time.perf_counter()
    for body, content_type in documents:
        headers = {"content-type": content_type}
        feedparser.parse(io.BytesIO(body), response_headers=headers, **options)
    return time.perf_counter() - started


async def pipeline(
    themes: Themes, workers: int | None, states: list[FeedState]
) -> tuple[float, list[FetchOutcome], tuple[int, int]]:
    started = time.perf_counter()
    # The feeds are served on loopback, an internal address: allowed for the benchmark.
    async with Fetcher(parse_workers=workers, allow_private=True) as fetcher:
        outcomes = await fetcher.fetch_all(states)
    edition, kept, dropped = build_edition(outcomes, themes)
    elapsed = time.perf_counter() - started
    assert sum(len(group) for group in edition.values()) <= PER_THEME * len(themes.ids)
    return elapsed, outcomes, (kept, dropped)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="parse processes (0: none)")
    parser.add_argument("--rounds", type=int, default=3, help="alternate runs; medians reported")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        await serve(options.feeds, options.items)
        return
    documents = [document(n, options.items) for n in range(options.feeds)]
    themes = load_themes()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.veille",
        "--serve",
        "--feeds",
        str(options.feeds),
        "--items",
        str(options.items),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None
    base_url = (await child.stdout.readline()).decode().strip()
    urls = [f"{base_url}/flux/{n}.xml" for n in range(options.feeds)]
    alone, unsanitised, firsts, seconds = [], [], [], []
    try:
        for _ in range(options.rounds):
            alone.append(parse_alone(documents))
            unsanitised.append(parse_alone(documents, **AS_PARSE_FEED))
            first, outcomes, counts = await pipeline(
                themes, options.workers, [FeedState(u) for u in urls]
            )
            assert all(o.status == "ok" for o in outcomes), [o.error for o in outcomes]
            again = [FeedState(o.url, o.etag, o.last_modified) for o in outcomes]
            second, outcomes, _ = await pipeline(themes, options.workers, again)
            assert all(o.status == "not_modified" for o in outcomes)
            firsts.append(first)
            seconds.append(second)
        # The parse workers have been joined; the server, still running, is not counted.
        workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    finally:
        child.stdin.close()
        await child.wait()
    size = sum(len(body) for body, _ in documents) / 1e6
    workers = Fetcher(parse_workers=options.workers).parse_workers
    base, lean, first, second = (
        statistics.median(runs) for runs in (alone, unsanitised, firsts, seconds)
    )
    mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{options.feeds} feeds x {options.items} items ({size:.1f} MB of XML, gzipped on the "
        f"wire), {workers} parse processes, median of {options.rounds} alternated rounds"
    )
    print(f"items kept / duplicates dropped  : {counts[0]} / {counts[1]}")
    print(f"feedparser alone, one process    : {base:6.2f} s  {_rounded(alone)}")
    print(f"  with parse_feed's options      : {lean:6.2f} s  {_rounded(unsanitised)}")
    print(f"fetch..edition, first run        : {first:6.2f} s  {_rounded(firsts)}")
    print(f"second run, every feed 304       : {second:6.3f} s  {_rounded(seconds, 3)}")
    print(f"(a) first run / feedparser alone : {first / base:6.2f}  (target <= 1.30)")
    print(f"    / with parse_feed's options  : {first / lean:6.2f}")
    print(f"(b) second run / first run       : {second / first:6.3f}  (target <= 0.100)")
    print(
        f"peak memory (max RSS)            : this process {mine:.0f} MB, "
        f"largest parse worker {workers_rss:.0f} MB"
    )


def _rounded(values: Sequence[float], digits: int = 2) -> list[float]:
    return [round(value, digits) for value in values]


if __name__ == "__main__":
    asyncio.run(main())
