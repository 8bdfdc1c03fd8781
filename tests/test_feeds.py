"""Feeds fetched from a local web server, and the normalisation of their entries."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.feeds import (
    FeedState,
    Fetcher,
    FetchOutcome,
    canonical_url,
    clean_text,
    parse_feed,
    summarise,
    title_key,
    without_trackers,
)
from bot.outbound import IPAddress, PublicTransport, is_public
from tests.helpers.feed_server import ETAG, LAST_MODIFIED, PATHS, FeedServer

# Short enough for a fast suite, long enough for a loaded machine to answer a local request.
TIMEOUT = 1.0


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    # allow_private: the feed server listens on 127.0.0.1, an internal address.
    # Parsed in the event loop: a test's few small documents are not worth starting processes.
    async with Fetcher(
        allow_private=True, timeout=TIMEOUT, max_bytes=20_000, parse_workers=0
    ) as feed_fetcher:
        yield feed_fetcher


async def fetch(fetcher: Fetcher, server: FeedServer, path: str) -> FetchOutcome:
    return await fetcher.fetch(FeedState(server.url(path)))


# --- formats and encodings ---------------------------------------------------------------------


async def test_rss2_entries_are_normalised(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "rss2.xml")
    assert outcome.status == "ok" and outcome.error is None
    assert outcome.title == "Actu RSE & Climat"
    first = outcome.entries[0]
    assert first.title == "CSRD : ce que l’Omnibus change pour les PME"
    assert first.url == "https://actu-rse.example/csrd-omnibus/?id=42#haut"
    assert first.canonical_url == "https://actu-rse.example/csrd-omnibus?id=42"
    assert first.summary == "Le seuil passe à 1 000 salariés. Les PME gardent le standard VSME."
    assert first.published == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert first.source == "Actu RSE & Climat"


async def test_rss2_relative_link_is_resolved_against_the_feed(
    fetcher: Fetcher, server: FeedServer
) -> None:
    outcome = await fetch(fetcher, server, "rss2.xml")
    undated = outcome.entries[2]
    assert undated.url == server.url("relatif")
    assert undated.published is None


async def test_one_article_from_two_feeds_with_different_trackers_has_one_url_and_title_key(
    fetcher: Fetcher, server: FeedServer
) -> None:
    original, relay = await fetcher.fetch_all(
        [FeedState(server.url("rss2.xml")), FeedState(server.url("relay.xml"))]
    )
    first, second = original.entries[0], relay.entries[0]
    assert first.url != second.url
    assert first.canonical_url == second.canonical_url
    assert title_key(first.title) == title_key(second.title)


async def test_atom_entry_prefers_published_and_falls_back_to_updated(
    fetcher: Fetcher, server: FeedServer
) -> None:
    outcome = await fetch(fetcher, server, "atom.xml")
    assert outcome.status == "ok"
    hedges, purchases = outcome.entries
    assert hedges.title == "Biodiversité : les haies reviennent"
    assert hedges.published == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    assert purchases.published == datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    assert purchases.summary == "Un label pour les relations fournisseurs."


async def test_rss1_rdf_feed_is_read(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "rss1.rdf")
    assert outcome.status == "ok"
    (entry,) = outcome.entries
    assert entry.title == "Économie circulaire : la consigne revient"
    assert entry.published == datetime(2026, 11, 18, 6, 0, tzinfo=UTC)


async def test_rss091_feed_is_read(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "rss091.xml")
    assert outcome.status == "ok"
    assert [entry.title for entry in outcome.entries] == ["Numérique responsable"]


async def test_iso_8859_1_declared_in_the_prolog_is_decoded(
    fetcher: Fetcher, server: FeedServer
) -> None:
    outcome = await fetch(fetcher, server, "latin1.xml")
    assert outcome.title == "Écologie et société"
    assert outcome.entries[0].title == "Sobriété énergétique : l'hiver arrive"


async def test_a_wrong_charset_in_the_header_does_not_garble_the_text(
    fetcher: Fetcher, server: FeedServer
) -> None:
    outcome = await fetch(fetcher, server, "latin1-wrong-charset.xml")
    assert outcome.status == "ok"
    assert outcome.entries[0].summary == "Chauffage à 19 °C dans les ateliers."


async def test_malformed_xml_keeps_the_entries_before_the_fault(
    fetcher: Fetcher, server: FeedServer
) -> None:
    outcome = await fetch(fetcher, server, "malformed.xml")
    assert outcome.status == "ok"
    titles = [entry.title for entry in outcome.entries]
    assert titles[:2] == ["Premier article", "Deuxième article"]


async def test_an_html_page_is_not_a_feed(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "page.html")
    assert (outcome.status, outcome.error) == ("error", "pas un flux RSS/Atom")


async def test_gzip_body_is_decompressed(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "gzip.xml")
    assert "gzip" in server.headers_of("gzip.xml")[0]["Accept-Encoding"]
    assert len(outcome.entries) == 3


# --- HTTP --------------------------------------------------------------------------------------


async def test_first_fetch_returns_the_validators(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "conditional.xml")
    assert (outcome.status, outcome.etag, outcome.last_modified) == ("ok", ETAG, LAST_MODIFIED)


async def test_second_fetch_with_the_validators_is_not_modified(
    fetcher: Fetcher, server: FeedServer
) -> None:
    state = FeedState(server.url("conditional.xml"), ETAG, LAST_MODIFIED)
    outcome = await fetcher.fetch(state)
    assert outcome == FetchOutcome(
        state.url, "not_modified", etag=ETAG, last_modified=LAST_MODIFIED
    )
    sent = server.headers_of("conditional.xml")[0]
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == (ETAG, LAST_MODIFIED)


async def test_not_found_is_an_error(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "missing.xml")
    assert (outcome.status, outcome.error) == ("error", "HTTP 404")


async def test_server_error_is_an_error(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "error.xml")
    assert (outcome.status, outcome.error) == ("error", "HTTP 500")


async def test_a_slow_server_times_out(server: FeedServer) -> None:
    async with Fetcher(allow_private=True, timeout=0.2, parse_workers=0) as quick:
        outcome = await fetch(quick, server, "slow.xml")
    assert (outcome.status, outcome.error) == ("error", "délai dépassé (0,2 s)")


async def test_an_oversized_body_is_refused_while_it_streams(
    fetcher: Fetcher, server: FeedServer
) -> None:
    # endless.xml never ends: only a cap checked while reading can answer before the timeout.
    started = time.perf_counter()
    outcome = await fetch(fetcher, server, "endless.xml")
    assert (outcome.status, outcome.error) == ("error", "trop volumineux (> 20 ko)")
    assert time.perf_counter() - started < TIMEOUT


async def test_redirects_within_the_limit_are_followed(
    fetcher: Fetcher, server: FeedServer
) -> None:
    outcome = await fetch(fetcher, server, "redirect/5")
    assert outcome.status == "ok"
    assert outcome.url == server.url("redirect/5")


async def test_too_many_redirects_is_an_error(fetcher: Fetcher, server: FeedServer) -> None:
    outcome = await fetch(fetcher, server, "redirect/6")
    assert (outcome.status, outcome.error) == ("error", "trop de redirections (> 5)")


async def test_a_refused_connection_is_an_error(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = await fetcher.fetch(FeedState(f"http://127.0.0.1:{port}/flux.xml"))
    assert (outcome.status, outcome.error) == ("error", "connexion refusée")


async def test_an_unknown_host_is_an_error() -> None:
    def no_such_host(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    async with Fetcher(transport=httpx.MockTransport(no_such_host)) as offline:
        outcome = await offline.fetch(FeedState("https://flux.invalid/rss"))
    assert (outcome.status, outcome.error) == ("error", "adresse introuvable")


async def test_requests_name_rse_bot(fetcher: Fetcher, server: FeedServer) -> None:
    await fetch(fetcher, server, "rss091.xml")
    assert server.headers_of("rss091.xml")[0]["User-Agent"].startswith("rse-bot/")


async def test_one_failing_feed_does_not_stop_the_others(server: FeedServer) -> None:
    done: list[FetchOutcome] = []
    async with Fetcher(allow_private=True, timeout=0.3, max_bytes=20_000, parse_workers=0) as quick:
        outcomes = await quick.fetch_all([FeedState(server.url(p)) for p in PATHS], done.append)
    by_path = dict(zip(PATHS, outcomes, strict=True))
    assert [o.url for o in outcomes] == [server.url(p) for p in PATHS]
    assert sorted(o.url for o in done) == sorted(server.url(p) for p in PATHS)
    failing = {"page.html", "missing.xml", "error.xml", "slow.xml", "endless.xml", "redirect/9"}
    assert {p for p, o in by_path.items() if o.status == "error"} == failing
    assert all(o.entries for p, o in by_path.items() if p not in failing)


async def test_requests_to_one_host_are_bounded(server: FeedServer) -> None:
    feeds = [FeedState(server.url(f"held/{n}.xml")) for n in range(8)]
    async with Fetcher(allow_private=True, per_host=2, parse_workers=0) as polite:
        outcomes = await polite.fetch_all(feeds)
    assert all(o.status == "ok" for o in outcomes)
    assert server.most_at_once == 2


async def test_requests_overall_are_bounded(server: FeedServer) -> None:
    # Two names for the same server: two hosts as far as the per-host limit goes.
    feeds = [
        FeedState(server.url(f"held/{n}.xml", host=("127.0.0.1", "localhost")[n % 2]))
        for n in range(8)
    ]
    async with Fetcher(allow_private=True, concurrency=3, per_host=4, parse_workers=0) as polite:
        outcomes = await polite.fetch_all(feeds)
    assert all(o.status == "ok" for o in outcomes)
    assert server.most_at_once == 3


async def test_parsing_in_a_worker_process_gives_the_same_entries(
    fetcher: Fetcher, server: FeedServer
) -> None:
    async with Fetcher(allow_private=True, parse_workers=1) as pooled:
        in_worker = await fetch(pooled, server, "rss2.xml")
    assert in_worker == await fetch(fetcher, server, "rss2.xml")


# --- internal addresses ------------------------------------------------------------------------


@pytest.fixture
async def guarded() -> AsyncIterator[Fetcher]:
    """A fetcher as deployed: internal addresses refused."""
    async with Fetcher(timeout=TIMEOUT, parse_workers=0) as feed_fetcher:
        yield feed_fetcher


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://10.0.0.5/flux.xml", "10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:8080/flux.xml", "::1"),
        ("http://[::ffff:127.0.0.1]/flux.xml", "127.0.0.1"),
    ],
)
async def test_a_feed_at_an_internal_address_is_refused(
    guarded: Fetcher, url: str, address: str
) -> None:
    outcome = await guarded.fetch(FeedState(url))

    assert (outcome.status, outcome.error) == (
        "error",
        f"adresse refusée : mène à une adresse interne ({address})",
    )


async def test_a_feed_on_loopback_is_refused_before_any_request(
    guarded: Fetcher, server: FeedServer
) -> None:
    outcome = await guarded.fetch(FeedState(server.url("rss2.xml")))

    assert outcome.error == "adresse refusée : mène à une adresse interne (127.0.0.1)"
    assert server.requests == []


async def test_a_host_name_of_this_machine_is_refused(guarded: Fetcher, server: FeedServer) -> None:
    outcome = await guarded.fetch(FeedState(server.url("rss2.xml", host="localhost")))

    assert outcome.error == "adresse refusée : mène à une adresse interne (localhost)"
    assert server.requests == []


async def test_a_redirect_to_an_internal_address_is_refused(server: FeedServer) -> None:
    # The feed server stands for a public site: its address, and only it, counts as public.
    def only_the_server(address: IPAddress) -> bool:
        return address == ipaddress.ip_address("127.0.0.1")

    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    async with Fetcher(timeout=TIMEOUT, parse_workers=0, allowed=only_the_server) as fetcher:
        outcome = await fetcher.fetch(FeedState(server.url(f"moved?to={metadata}")))

    assert [path for path, _ in server.requests] == ["moved"]
    assert outcome.error == "adresse refusée : mène à une adresse interne (169.254.169.254)"


async def test_a_name_resolving_to_public_and_internal_addresses_is_reached_on_the_public_one(
    server: FeedServer,
) -> None:
    # A rebinding DNS answering both: the connection goes to the allowed address only.
    async def both(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("10.0.0.5"), ipaddress.ip_address("127.0.0.1")]

    def only_the_server(address: IPAddress) -> bool:
        return address == ipaddress.ip_address("127.0.0.1")

    limits = httpx.Limits(max_connections=2)
    transport = PublicTransport(limits=limits, allowed=only_the_server, resolver=both)
    async with Fetcher(timeout=TIMEOUT, parse_workers=0, transport=transport) as fetcher:
        outcome = await fetcher.fetch(FeedState(server.url("rss091.xml", host="flux.example")))

    assert outcome.status == "ok"
    assert server.headers_of("rss091.xml")[0]["Host"].startswith("flux.example:")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.5",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["91.198.174.192", "2a00:1450:4007:80e::200e", "::ffff:91.198.174.192"]
)
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


# --- parsing and normalisation -------------------------------------------------------------


def test_an_entry_without_a_web_link_is_left_out() -> None:
    body = (
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><title>Piege</title><link>javascript:alert(1)</link></item>"
        b"<item><title>Bon</title><link>https://ok.example/</link></item></channel></rss>"
    )
    parsed = parse_feed(body, url="https://flux.example/rss")
    assert [entry.title for entry in parsed.entries] == ["Bon"]


def test_a_body_naming_a_local_file_is_not_read_as_that_file(tmp_path: Path) -> None:
    local = tmp_path / "flux.xml"
    local.write_text(
        '<rss version="2.0"><channel><item><title>Secret</title>'
        "<link>https://x.example/</link></item></channel></rss>"
    )
    parsed = parse_feed(str(local).encode(), url="https://flux.example/rss")
    assert not parsed.is_feed and parsed.entries == ()


def test_source_is_the_host_when_the_feed_has_no_title() -> None:
    body = b'<rss version="2.0"><channel><item><title>A</title><link>https://a.example/</link>'
    parsed = parse_feed(body + b"</item></channel></rss>", url="https://www.ademe.fr/rss")
    assert parsed.entries[0].source == "ademe.fr"


def test_canonical_url_drops_tracking_parameters_and_keeps_the_others_in_order() -> None:
    url = "https://a.example/p?b=2&utm_source=x&fbclid=1&a=1&xtor=RSS-3&UTM_Medium=y&gclid=z&c="
    assert canonical_url(url) == "https://a.example/p?b=2&a=1&c="


def test_canonical_url_drops_the_fragment_and_lowers_scheme_and_host() -> None:
    assert canonical_url("HTTPS://Www.Example.FR/Article#commentaires") == (
        "https://www.example.fr/Article"
    )


def test_canonical_url_drops_default_port_and_trailing_slash_but_keeps_the_root() -> None:
    assert canonical_url("http://example.fr:80/a/b/") == "http://example.fr/a/b"
    assert canonical_url("https://example.fr") == "https://example.fr/"
    assert canonical_url("https://example.fr:8443/") == "https://example.fr:8443/"


def test_links_lose_their_trackers_and_nothing_else() -> None:
    url = "https://Actu.example/a/?utm_source=rss&id=42&fbclid=9&page=2#haut"
    assert without_trackers(url) == "https://Actu.example/a/?id=42&page=2#haut"


def test_two_trackings_of_one_article_share_a_canonical_url() -> None:
    first = "https://novethic.example/csrd.html?utm_source=newsletter&mc_cid=1&mc_eid=2"
    second = "https://novethic.example/csrd.html?utm_source=rss&utm_medium=feed#top"
    assert canonical_url(first) == canonical_url(second)


def test_clean_text_strips_tags_and_unescapes_entities() -> None:
    html = "<p>Le <b>bilan</b> carbone&nbsp;: 15&#160;% &amp; plus</p>\n\n<p>Suite</p>"
    assert clean_text(html) == "Le bilan carbone : 15 % & plus Suite"


def test_clean_text_drops_scripts_and_comments() -> None:
    assert clean_text("A<script>alert('x')</script><!-- note -->B") == "A B"


def test_clean_text_strips_html_escaped_twice() -> None:
    assert clean_text("&lt;p&gt;Texte&lt;/p&gt;") == "Texte"


def test_clean_text_keeps_a_lone_less_than_sign() -> None:
    assert clean_text("a < b et c > d") == "a < b et c > d"


def test_summarise_keeps_a_short_text_whole() -> None:
    assert summarise("<p>Court.</p>") == "Court."


def test_summarise_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    text = "La sobriété énergétique concerne toutes les entreprises du territoire."
    summary = summarise(text, limit=30)
    assert summary == "La sobriété énergétique…"
    assert len(summary) <= 30


def test_summarise_defaults_to_about_300_characters() -> None:
    summary = summarise("mot " * 200)
    assert 290 <= len(summary) <= 300 and summary.endswith("mot…")


def test_title_key_folds_case_accents_and_punctuation() -> None:
    assert title_key("Économie circulaire : l'État s'engage !") == title_key(
        "ECONOMIE CIRCULAIRE – L’ETAT S’ENGAGE"
    )
    assert title_key("  Œuvre   d'art ") == "oeuvre d art"
