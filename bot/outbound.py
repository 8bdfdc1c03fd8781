"""HTTP requests to addresses people give us (feeds) that cannot reach inside our network.

An animator's feed address, or any redirect it answers with, could name 127.0.0.1, the
10.x office network or 169.254.169.254 (a cloud machine's metadata, with its credentials): we
would fetch it for them and show what came back. So every TCP connection of the feed fetcher
goes through ``PublicBackend``, which resolves the host itself, keeps only the public addresses
and connects to one of those: the address checked is the address connected to, and a DNS answer
that changes between a check and the connection (DNS rebinding) has nothing to slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Which addresses may be connected to; the fetcher's tests choose their own.
Allowed = Callable[[IPAddress], bool]
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

# NAT64 (RFC 6052): an IPv4 address reached through an IPv6-only network's gateway.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# How long the check made when an address is added waits for the DNS.
ADD_CHECK_SECONDS = 5.0


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public Internet: not loopback, private, link-local,
    multicast, unspecified or reserved, including IPv4 written as IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    # is_global alone lets multicast (224.0.0.1) through, hence the explicit checks.
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def everything(_: IPAddress) -> bool:
    """The policy of RSEBOT_FEEDS_ALLOW_PRIVATE: intranet feeds are fetched too."""
    return True


def _local_name(host: str) -> bool:
    # RFC 6761: "localhost" and its subdomains are this machine, whatever a resolver says.
    host = host.rstrip(".").lower()
    return host == "localhost" or host.endswith(".localhost")


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` resolves to, in the resolver's order; a literal address as is."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    found = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class AddressRefused(httpcore.ConnectError):
    """The host leads only to addresses inside our network; nothing was connected to."""

    def __init__(self, host: str, address: IPAddress | None) -> None:
        self.host, self.address = host, address
        super().__init__(f"{host} leads to an internal address ({address or host})")

    @property
    def shown(self) -> str:
        """The internal address, as the animators' message names it (an IPv4 address written
        as IPv6 in its usual form: « 127.0.0.1 », not « ::ffff:7f00:1 »)."""
        if self.address is None:
            return self.host
        mapped = getattr(self.address, "ipv4_mapped", None)
        return str(mapped or self.address)


async def public_addresses(
    host: str, port: int, *, allowed: Allowed = is_public, resolver: Resolver = resolve
) -> list[IPAddress]:
    """The addresses of ``host`` that may be connected to; raises AddressRefused if none.

    Only the allowed ones are kept, so a name resolving to a public and an internal address
    is reached on the public one only.
    """
    if allowed is not everything and _local_name(host):
        raise AddressRefused(host, None)
    addresses = await resolver(host, port)
    kept = [address for address in addresses if allowed(address)]
    if not kept:
        raise AddressRefused(host, addresses[0] if addresses else None)
    return kept


async def internal_address(
    url: str,
    *,
    allowed: Allowed = is_public,
    resolver: Resolver = resolve,
) -> str | None:
    """The internal address ``url`` leads to, to refuse it when it is added; None otherwise.

    Nothing is fetched. A host that does not resolve now is let in: every connection is
    checked again anyway, and a feed's DNS may be down for a day.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    try:
        async with asyncio.timeout(ADD_CHECK_SECONDS):
            await public_addresses(host, port or 443, allowed=allowed, resolver=resolver)
    except AddressRefused as refused:
        return refused.shown
    except (OSError, TimeoutError):
        return None
    return None


class PublicBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own network backend, connecting only to the allowed addresses of a host.

    httpcore passes the origin's host name to ``start_tls`` (AsyncHTTPConnection._connect),
    so TLS still checks the certificate against, and sends SNI for, the name in the address,
    not the IP we connected to.
    """

    def __init__(
        self,
        *,
        allowed: Allowed = is_public,
        resolver: Resolver = resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allowed = allowed
        self._resolver = resolver
        # What httpcore uses under asyncio (its AutoBackend, which picks it, is not public).
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await public_addresses(
                    host, port, allowed=self._allowed, resolver=self._resolver
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host}") from None
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"resolving {host}: {exc}") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # public_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no Unix sockets for addresses people give")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# The most specific first: httpcore's timeouts are also its network errors' cousins.
_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


def _as_httpx(exc: Exception) -> Exception:
    for theirs, ours in _ERRORS:
        if isinstance(exc, theirs):
            return ours(str(exc))
    return exc


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterator[bytes] | Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except Exception as exc:
            mapped = _as_httpx(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    async def aclose(self) -> None:
        await self._stream.aclose()


class PublicTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore pool whose connections go through PublicBackend.

    Our own, because httpx's AsyncHTTPTransport builds its pool itself and takes no network
    backend (httpx 0.28): the alternative was replacing its private ``_pool``. No proxy: a
    proxy would connect to the internal address for us, past the check.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        allowed: Allowed = is_public,
        resolver: Resolver = resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PublicBackend(allowed=allowed, resolver=resolver),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core)
        except Exception as exc:
            mapped = _as_httpx(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
