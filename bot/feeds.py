"""RSS and Atom feeds fetched over HTTP, parsed by feedparser and their entries normalised.

No database here: the caller passes each feed's remembered validators (``FeedState``) and gets
one ``FetchOutcome`` per feed back, in the same order, whatever happened to the others.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
import os
import re
import signal
import socket
import ssl
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from multiprocessing import get_context
from typing import Any, Literal, Self, TypeVar
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import feedparser
import httpx

from bot.outbound import AddressRefused, Allowed, PublicTransport, everything, is_public
from content.text import fold

logger = logging.getLogger(__name__)

# ASCII only: HTTP headers are bytes, and a "ô" would fail every request.
USER_AGENT = "rse-bot/0.1 (veille RSE des poles et clusters)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
SUMMARY_LIMIT = 300
# Some feeds put a whole paragraph in the title: an edition lists titles, so they are kept short.
TITLE_LIMIT = 200

Status = Literal["ok", "not_modified", "error"]
E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class FeedState:
    """A feed's address and the validators its last answer gave, for a conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Entry:
    """One item of a feed, normalised: plain text, canonical address, aware UTC date."""

    url: str
    canonical_url: str
    title: str
    summary: str
    published: datetime | None
    source: str


@dataclass(frozen=True)
class FetchOutcome:
    url: str
    status: Status
    entries: tuple[Entry, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """What ``parse_feed`` found; ``is_feed`` is False for an HTML page or any non-feed."""

    is_feed: bool
    title: str | None
    entries: tuple[Entry, ...]


# --- normalisation -----------------------------------------------------------------------------

# Campaign and click identifiers that analytics tools append: they change nothing to the page.
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        # AT Internet / Piano, used by most of the French press (Le Monde's "xtor=RSS-3208").
        "xtor",
        "xts",
        "xtref",
        "at_medium",
        "at_campaign",
        "at_platform",
        "at_creation",
        "at_variant",
        "at_send_date",
        "at_recipient_id",
        "at_recipient_list",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(pair: str) -> bool:
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name in _TRACKING or name.startswith(_TRACKING_PREFIXES)


def without_trackers(url: str) -> str:
    """The address with its tracking parameters removed and nothing else changed: the link an
    edition shows, so that members are not tracked from the newsletter."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    return urlunsplit(parts._replace(query=query))


def canonical_url(url: str) -> str:
    """The address two feeds would give for the same article, for deduplication only.

    Lower-case scheme and host, no default port, no fragment, no tracking parameters (the others
    kept verbatim, in their order), and no trailing "/" on a path other than the root: sites
    serve ``/article/`` and ``/article`` as one page, and this address is never visited (the
    entry's ``url``, without trackers only, is the link).
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. "http://[::1" or a port that is not a number
        return url
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return urlunsplit((scheme, "", parts.path, parts.query, ""))
    host = parts.hostname or ""
    if ":" in host:  # IPv6, whose brackets hostname strips
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = parts.path.rstrip("/") or "/"
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    return urlunsplit((scheme, netloc, path, query, ""))


# Elements whose content is not text at all.
_INVISIBLE = re.compile(r"<(script|style|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
# Tags that separate words become a space; inline ones (<b>, <a>, <span>...) may sit inside a
# word and just go. A tag starts with a letter, so "a < b et c > d" is left alone.
_BLOCK_TAG = re.compile(
    r"</?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]"
    r"|header|hr|img|li|main|nav|ol|p|pre|section|table|td|th|tr|ul)\b[^<>]*>",
    re.I,
)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def _strip_tags(text: str) -> str:
    return _TAG.sub("", _BLOCK_TAG.sub(" ", text))


def clean_text(html_text: str) -> str:
    """Plain text of an HTML fragment: tags stripped, entities unescaped, spaces collapsed."""
    if not html_text:
        return ""
    text = _strip_tags(_INVISIBLE.sub(" ", html_text))
    text = html.unescape(text)
    # Some feeds escape their HTML twice: what was "&lt;p&gt;" is a tag only now.
    if "<" in text:
        text = _strip_tags(text)
    return _SPACES.sub(" ", text).strip()


def summarise(html_text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``clean_text`` cut to at most ``limit`` characters at a word boundary, ending with "…"."""
    text = clean_text(html_text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Cut inside a word: go back to the space before it, unless the whole text is one word.
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


_NOT_WORD = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """A title folded to letters, digits and single spaces: one article's key across sources."""
    return _NOT_WORD.sub(" ", fold(title)).strip()


def _date(entry: Any) -> datetime | None:
    # feedparser gives UTC struct_time tuples, whatever the feed's own offset was.
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime(*value[:6], tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _source(title: str | None, url: str) -> str:
    if title:
        return title
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _entry(raw: Any, base: str, source: str) -> Entry | None:
    url = (raw.get("link") or "").strip()
    if url and not url.startswith(("https://", "http://")):
        url = urljoin(base, url)
    # A link is shown as a link: nothing but the web (no "javascript:", no "file:").
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    body = raw.get("summary") or ""
    if not body and raw.get("content"):
        body = raw["content"][0].get("value", "")
    title = summarise(raw.get("title") or "", TITLE_LIMIT) or summarise(body, 120)
    if not title:
        return None
    return Entry(
        url=without_trackers(url),
        canonical_url=canonical_url(url),
        title=title,
        summary=summarise(body),
        published=_date(raw),
        source=source,
    )


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a downloaded document and normalise its entries; runs in a worker process.

    The content type lets feedparser weigh the header's charset against the XML prolog's.
    """
    # No content-location: given one, feedparser resolves every link against it, which costs
    # a sixth of the parse; _entry resolves the only relative links used, the entries'.
    headers = {"content-type": content_type} if content_type else {}
    # A BytesIO, never the bytes themselves: feedparser opens a bytes value that names a local
    # file. HTML sanitising and URI resolution inside content are off: every tag is stripped
    # below anyway, and they cost from a fifth to half of the parse, with the items' HTML.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    title = clean_text(parsed.feed.get("title") or "") or None
    source = _source(title, url)
    entries = tuple(
        entry for raw in parsed.entries if (entry := _entry(raw, url, source)) is not None
    )
    # Malformed XML still counts as a feed when feedparser recovered its items.
    is_feed = bool(parsed.version) or bool(entries)
    return ParsedFeed(is_feed, title, entries)


# --- fetching ----------------------------------------------------------------------------------


class _FeedError(Exception):
    """A failure already worded for the animators."""


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _size(limit: int) -> str:
    if limit >= 1_000_000:
        return f"{_number(limit / 1_000_000)} Mo"
    if limit >= 1_000:
        return f"{_number(limit / 1_000)} ko"
    return f"{limit} octets"


def _cause(exc: BaseException, kind: type[E]) -> E | None:
    """The exception of ``kind`` that led to ``exc`` (or ``exc`` itself), if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _connect_error(exc: httpx.ConnectError) -> str:
    # Our own words only: nothing of an internal service's answer reaches the animators.
    if (refused := _cause(exc, AddressRefused)) is not None:
        return f"adresse refusée : mène à une adresse interne ({refused.shown})"
    if _cause(exc, socket.gaierror):
        return "adresse introuvable"
    if _cause(exc, ConnectionRefusedError):
        return "connexion refusée"
    if _cause(exc, ssl.SSLError):
        return "connexion sécurisée impossible (certificat TLS)"
    return "connexion impossible"


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    # With one core a worker process only adds copying to the same work.
    return cores if cores > 1 else 0


class Fetcher:
    """Fetches feeds over one HTTP client, within limits; parses them in worker processes.

    feedparser is pure Python and CPU-bound: threads would not run it faster, and parsing in
    the event loop would stall every chat the bot is serving. ``parse_workers`` processes
    (default: one per core, none on a single core; 0 parses in the event loop) are started on
    the first document that needs them, so a run where every feed answers 304 starts none.
    They are spawned, so a script using a Fetcher needs the ``if __name__ == "__main__":``
    guard (``rse-bot`` and ``python -m`` entry points have it).

    Connections go to public addresses only (bot/outbound.py), redirects included, unless
    ``allow_private``; ``allowed`` decides instead which addresses are public (tests).
    """

    def __init__(
        self,
        *,
        concurrency: int = 20,
        per_host: int = 4,
        timeout: float = 10.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        parse_workers: int | None = None,
        user_agent: str = USER_AGENT,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_private: bool = False,
        allowed: Allowed = is_public,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.parse_workers = _default_workers() if parse_workers is None else parse_workers
        self._user_agent = user_agent
        self._transport = transport
        self._allowed = everything if allow_private else allowed
        self._concurrency = concurrency
        self._overall = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client: httpx.AsyncClient | None = None
        self._pool: ProcessPoolExecutor | None = None

    async def __aenter__(self) -> Self:
        limits = httpx.Limits(
            max_connections=self._concurrency, max_keepalive_connections=self._concurrency
        )
        transport = self._transport or PublicTransport(limits=limits, allowed=self._allowed)
        self._client = httpx.AsyncClient(
            headers={"User-Agent": self._user_agent, "Accept": ACCEPT},
            timeout=self.timeout,
            follow_redirects=True,
            max_redirects=self.max_redirects,
            transport=transport,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._pool is not None:
            # In a thread: the workers are joined (and their memory returned) without
            # blocking the event loop while one finishes the document it was parsing.
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def fetch_all(
        self,
        feeds: Sequence[FeedState],
        on_done: Callable[[FetchOutcome], None] | None = None,
    ) -> list[FetchOutcome]:
        """Fetch every feed at once within the limits; outcomes in the order of ``feeds``."""

        async def one(feed: FeedState) -> FetchOutcome:
            outcome = await self.fetch(feed)
            if on_done is not None:
                on_done(outcome)
            return outcome

        return list(await asyncio.gather(*(one(feed) for feed in feeds)))

    async def fetch(self, feed: FeedState) -> FetchOutcome:
        """One feed's outcome; never raises for anything the feed or the network does."""
        if self._client is None:
            raise RuntimeError("Fetcher is not open: use `async with Fetcher() as fetcher`")
        try:
            return await self._fetch(feed)
        except _FeedError as exc:
            return FetchOutcome(feed.url, "error", error=str(exc))
        except Exception:
            logger.exception("flux %s : erreur inattendue", feed.url)
            return FetchOutcome(feed.url, "error", error="erreur inattendue")

    async def _fetch(self, feed: FeedState) -> FetchOutcome:
        host = urlsplit(feed.url).hostname or ""
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self._per_host))
        # The host first: a task queued behind a busy host must not hold an overall slot.
        async with per_host, self._overall:
            status, headers, body, final_url = await self._download(feed)
        if status == 304:
            return FetchOutcome(
                feed.url,
                "not_modified",
                etag=headers.get("etag") or feed.etag,
                last_modified=headers.get("last-modified") or feed.last_modified,
            )
        if status >= 300:
            raise _FeedError(f"HTTP {status}")
        parsed = await self._parse(body, final_url, headers.get("content-type"))
        if not parsed.is_feed:
            raise _FeedError("pas un flux RSS/Atom")
        return FetchOutcome(
            feed.url,
            "ok",
            entries=parsed.entries,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            title=parsed.title,
        )

    async def _download(self, feed: FeedState) -> tuple[int, httpx.Headers, bytes, str]:
        assert self._client is not None  # checked by fetch()
        headers = {}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        try:
            # One deadline for the whole exchange: httpx's own timeout is per read, which a
            # server dripping a byte at a time would never reach.
            async with (
                asyncio.timeout(self.timeout),
                self._client.stream("GET", feed.url, headers=headers) as response,
            ):
                body = await self._read(response) if response.status_code < 300 else b""
                return response.status_code, response.headers, body, str(response.url)
        except (TimeoutError, httpx.TimeoutException):
            raise _FeedError(f"délai dépassé ({_number(self.timeout)} s)") from None
        except httpx.TooManyRedirects:
            raise _FeedError(f"trop de redirections (> {self.max_redirects})") from None
        except httpx.ConnectError as exc:
            raise _FeedError(_connect_error(exc)) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise _FeedError("adresse invalide") from None
        except httpx.DecodingError:
            raise _FeedError("réponse mal compressée") from None
        except httpx.HTTPError:
            raise _FeedError("connexion interrompue") from None

    async def _read(self, response: httpx.Response) -> bytes:
        too_large = _FeedError(f"trop volumineux (> {_size(self.max_bytes)})")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_large
        # Counted after decompression, so a small gzip bomb is stopped as early as a big file.
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise too_large
        return bytes(body)

    async def _parse(self, body: bytes, url: str, content_type: str | None) -> ParsedFeed:
        work = partial(parse_feed, body, url=url, content_type=content_type)
        if self.parse_workers == 0:
            return work()
        if self._pool is None:
            # spawn, not fork: the bot has threads (database drivers, the default executor)
            # whose locks a forked child could inherit held.
            self._pool = ProcessPoolExecutor(
                self.parse_workers, mp_context=get_context("spawn"), initializer=_worker_init
            )
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, work)
        except BrokenProcessPool:
            # A worker died (out of memory?): this feed fails, the next ones get a new pool.
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False)
            raise _FeedError("analyse interrompue") from None
