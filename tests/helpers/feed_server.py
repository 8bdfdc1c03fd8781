"""A web server on 127.0.0.1 serving the feeds and failures a watch digest meets in the wild.

    async with FeedServer() as server:
        outcome = await fetcher.fetch(FeedState(server.url("rss2.xml")))

Every path is listed in ``PATHS`` but ``moved?to=ADDRESS``, a redirect to any address, and
``held/N.xml``; ``server.requests`` keeps each request's path and headers,
and ``server.most_at_once`` the most requests it was answering at the same time.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
from typing import Self

from aiohttp import web
from multidict import CIMultiDictProxy

RSS2 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Actu RSE &amp; Climat</title>
  <link>https://actu-rse.example/</link>
  <description>Veille</description>
  <item>
    <title>CSRD : ce que l&#8217;Omnibus change pour les PME</title>
    <link>https://actu-rse.example/csrd-omnibus/?utm_source=rss&amp;utm_medium=flux&amp;id=42#haut</link>
    <guid isPermaLink="false">csrd-omnibus</guid>
    <pubDate>Mon, 23 Nov 2026 09:30:00 +0100</pubDate>
    <description><![CDATA[<p>Le seuil passe à <strong>1&nbsp;000 salariés</strong>.</p><p>Les PME
      gardent le standard <a href="/vsme">VSME</a>.</p>]]></description>
  </item>
  <item>
    <title>Sécheresse : les industriels économisent l'eau</title>
    <link>https://actu-rse.example/secheresse</link>
    <pubDate>Sun, 22 Nov 2026 18:00:00 GMT</pubDate>
    <description>Moins 20 % en deux ans.</description>
  </item>
  <item>
    <title>Article sans date</title>
    <link>/relatif</link>
    <description>Lien relatif au site du flux.</description>
  </item>
</channel>
</rss>
"""

# Another site relaying RSS2's first article, with its own trackers and typography.
RELAY = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>Le relais RSE</title>
  <link>https://relais.example/</link>
  <description>Revue de presse</description>
  <item>
    <title>CSRD – ce que l'Omnibus change pour les PME</title>
    <link>https://ACTU-RSE.example/csrd-omnibus?id=42&amp;xtor=RSS-12&amp;fbclid=abc#partager</link>
    <description>Repris d'Actu RSE.</description>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Le fil Atom</title>
  <id>urn:fil-atom</id>
  <updated>2026-11-23T10:00:00Z</updated>
  <entry>
    <title type="html">Biodiversité : les haies &lt;em&gt;reviennent&lt;/em&gt;</title>
    <link rel="alternate" href="https://atom.example/haies"/>
    <id>urn:haies</id>
    <published>2026-11-20T08:00:00+01:00</published>
    <updated>2026-11-21T08:00:00+01:00</updated>
    <summary type="html">&lt;p&gt;Plantées avec les agriculteurs.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Achats responsables</title>
    <link href="https://atom.example/achats"/>
    <id>urn:achats</id>
    <updated>2026-11-19T12:00:00Z</updated>
    <content type="html">&lt;p&gt;Un label pour les relations fournisseurs.&lt;/p&gt;</content>
  </entry>
</feed>
"""

RSS1 = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/">
    <title>Fil RDF</title>
    <link>https://rdf.example/</link>
    <description>RSS 1.0</description>
    <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example/a"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example/a">
    <title>Économie circulaire : la consigne revient</title>
    <link>https://rdf.example/a</link>
    <description>Le réemploi des bouteilles.</description>
    <dc:date>2026-11-18T07:00:00+01:00</dc:date>
  </item>
</rdf:RDF>
"""

RSS091 = """<?xml version="1.0"?>
<rss version="0.91">
<channel>
  <title>Ancien fil</title>
  <link>https://ancien.example/</link>
  <description>RSS 0.91</description>
  <language>fr</language>
  <item>
    <title>Numérique responsable</title>
    <link>https://ancien.example/nr</link>
    <description>Allonger la durée de vie des équipements.</description>
  </item>
</channel>
</rss>
"""

LATIN1 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0">
<channel>
  <title>Écologie et société</title>
  <link>https://latin.example/</link>
  <description>Encodé en ISO-8859-1</description>
  <item>
    <title>Sobriété énergétique : l'hiver arrive</title>
    <link>https://latin.example/sobriete</link>
    <description>Chauffage à 19 °C dans les ateliers.</description>
  </item>
</channel>
</rss>
""".encode("iso-8859-1")

# Two good items, then a tag left open and the document cut short.
MALFORMED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>Fil cassé</title>
  <link>https://casse.example/</link>
  <item><title>Premier article</title><link>https://casse.example/1</link></item>
  <item><title>Deuxième article</title><link>https://casse.example/2</link></item>
  <item><title>Troisième <b>article</title><link>https://casse.example/3</link>
"""

HTML_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Accueil</title></head>
<body><h1>Bienvenue</h1><p>Nos <a href="/actus">actualités</a>.</p></body></html>
"""

ETAG = '"v1"'
LAST_MODIFIED = "Mon, 23 Nov 2026 08:00:00 GMT"
RSS_TYPE = "application/rss+xml"

PATHS = (
    "rss2.xml",
    "relay.xml",
    "atom.xml",
    "rss1.rdf",
    "rss091.xml",
    "latin1.xml",
    "latin1-wrong-charset.xml",
    "malformed.xml",
    "page.html",
    "conditional.xml",
    "missing.xml",
    "error.xml",
    "slow.xml",
    "endless.xml",
    "redirect/9",
    "gzip.xml",
)


class FeedServer:
    """Serves ``PATHS``; ``slow_seconds`` is how long slow.xml and held.xml make a client wait."""

    def __init__(self, *, slow_seconds: float = 5.0) -> None:
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, CIMultiDictProxy[str]]] = []
        self.most_at_once = 0
        self._at_once = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        if self._port is None:
            raise RuntimeError("FeedServer is not started: use `async with FeedServer()`")
        return f"http://{host}:{self._port}/{path}"

    def headers_of(self, path: str) -> list[CIMultiDictProxy[str]]:
        """The headers of every request made for ``path``, oldest first."""
        return [headers for seen, headers in self.requests if seen == path]

    async def __aenter__(self) -> Self:
        app = web.Application(middlewares=[self._record])
        static = {
            "rss2.xml": (RSS2.encode(), "application/rss+xml; charset=utf-8"),
            "relay.xml": (RELAY.encode(), "application/rss+xml; charset=utf-8"),
            "atom.xml": (ATOM.encode(), "application/atom+xml"),
            "rss1.rdf": (RSS1.encode(), "application/rdf+xml"),
            "rss091.xml": (RSS091.encode(), "text/xml"),
            # Declared in the prolog only, as most French sites serving Latin-1 do.
            "latin1.xml": (LATIN1, RSS_TYPE),
            # The server claims UTF-8, the bytes and the prolog say ISO-8859-1.
            "latin1-wrong-charset.xml": (LATIN1, f"{RSS_TYPE}; charset=utf-8"),
            "malformed.xml": (MALFORMED.encode(), RSS_TYPE),
            "page.html": (HTML_PAGE.encode(), "text/html; charset=utf-8"),
        }
        for path, (body, content_type) in static.items():
            app.router.add_get(f"/{path}", _serve(body, content_type))
        app.router.add_get("/conditional.xml", _conditional)
        app.router.add_get("/missing.xml", _status(404))
        app.router.add_get("/error.xml", _status(500))
        app.router.add_get("/slow.xml", self._slow)
        app.router.add_get("/held/{n}.xml", self._held)
        app.router.add_get("/endless.xml", _endless)
        app.router.add_get("/redirect/{n}", _redirect)
        app.router.add_get("/moved", _moved)
        app.router.add_get("/gzip.xml", _gzipped)
        # Short: a test ends while slow.xml still sleeps, and must not wait for it.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _record(self, request: web.Request, handler: web.Handler) -> web.StreamResponse:
        self.requests.append((request.path.lstrip("/"), request.headers))
        self._at_once += 1
        self.most_at_once = max(self.most_at_once, self._at_once)
        try:
            return await handler(request)
        finally:
            self._at_once -= 1

    async def _slow(self, _: web.Request) -> web.Response:
        await asyncio.sleep(self.slow_seconds)
        return web.Response(body=RSS2.encode(), content_type=RSS_TYPE)

    async def _held(self, _: web.Request) -> web.Response:
        # A short wait, so that requests sent together overlap on the server.
        await asyncio.sleep(0.05)
        return web.Response(body=RSS091.encode(), content_type=RSS_TYPE)


def _serve(body: bytes, content_type: str) -> web.Handler:
    async def handle(_: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handle


def _status(status: int) -> web.Handler:
    async def handle(_: web.Request) -> web.Response:
        return web.Response(status=status, text=f"{status}", content_type="text/html")

    return handle


async def _conditional(request: web.Request) -> web.Response:
    validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
    if (
        request.headers.get("If-None-Match") == ETAG
        or request.headers.get("If-Modified-Since") == LAST_MODIFIED
    ):
        return web.Response(status=304, headers=validators)
    return web.Response(body=RSS091.encode(), content_type=RSS_TYPE, headers=validators)


async def _endless(request: web.Request) -> web.StreamResponse:
    """A feed that never ends and gives no length: only a cap while reading stops it."""
    response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
    await response.prepare(request)
    await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Sans fin')
    item = b"<item><title>Encore</title><link>https://sans-fin.example/</link></item>" * 100
    while True:
        await response.write(item)
        await asyncio.sleep(0)


async def _redirect(request: web.Request) -> web.Response:
    """redirect/N sends to redirect/N-1, and redirect/0 serves a feed: N redirects in all."""
    n = int(request.match_info["n"])
    if n == 0:
        return web.Response(body=RSS091.encode(), content_type=RSS_TYPE)
    raise web.HTTPFound(f"/redirect/{n - 1}")


async def _moved(request: web.Request) -> web.Response:
    """moved?to=ADDRESS sends to any address: a feed "moved" to an internal service."""
    raise web.HTTPMovedPermanently(request.query["to"])


async def _gzipped(request: web.Request) -> web.Response:
    if "gzip" not in request.headers.get("Accept-Encoding", ""):
        return web.Response(body=RSS2.encode(), content_type=RSS_TYPE)
    return web.Response(
        body=gzip.compress(RSS2.encode()),
        headers={"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"},
    )
