"""python-telegram-bot's requests to the Bot API made with aiohttp instead of httpx.

PTB leaves the HTTP client to a ``BaseRequest`` (its documented extension point); its own,
on httpx and httpcore, took a third of an update's CPU in our profiles (py-spy, python -m
bench.telegram_throughput), much of it asking anyio which event loop runs, and it grew with
the idle connections of its pool. aiohttp, which already serves our webhook, does the same
requests for less.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest, RequestData

# As PTB's own client: sends to many chats at once, each paced on its own.
CONNECTIONS = 256

# PTB's own defaults for its HTTPXRequest, in seconds.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


def _given(value: object, default: float | None) -> float | None:
    # PTB passes a DefaultValue where the caller named no timeout.
    return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]


def _total(*parts: float | None) -> float | None:
    # aiohttp bounds reads between chunks, not writes: the whole request is bounded by the sum
    # of its steps' limits, as PTB's client bounds each of them.
    return None if any(part is None for part in parts) else sum(parts)  # type: ignore[arg-type]


def on_aiohttp(builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any]) -> Any:
    """``builder`` with PTB's requests on aiohttp: the API calls on a pool as large as PTB's
    own, the long poll on a session of its own (it holds its connection for up to its
    timeout)."""
    return builder.request(AiohttpRequest(pool_size=CONNECTIONS)).get_updates_request(
        AiohttpRequest(pool_size=1)
    )


class AiohttpRequest(BaseRequest):
    """Requests to the Bot API on one aiohttp session, at most ``pool_size`` at once."""

    __slots__ = ("_pool_size", "_session")

    def __init__(self, pool_size: int) -> None:
        self._pool_size = pool_size
        # Made in initialize(), inside the event loop that uses it.
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, READ_TIMEOUT)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        connect = _given(connect_timeout, CONNECT_TIMEOUT)
        pool = _given(pool_timeout, POOL_TIMEOUT)
        timeout = aiohttp.ClientTimeout(
            total=_total(pool, connect, write, read),
            # aiohttp's connect counts the wait for a free connection and the connecting.
            connect=_total(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        body, headers = _body(request_data)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class name says what failed when the message is empty.
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Body = aiohttp.FormData | bytes | None


def _body(request_data: RequestData | None) -> tuple[Body, dict[str, str]]:
    """The request's parameters as PTB's own client sends them, a form (multipart with files),
    and its headers. A form without files is encoded here, not by aiohttp's FormData: a
    broadcast's CPU per message went from 1.61 ms to 1.14 ms (python -m bench.broadcast)."""
    if request_data is None:
        return None, {}
    if not request_data.contains_files:
        return request_data.url_encoded_parameters().encode(), _FORM
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form, {}
