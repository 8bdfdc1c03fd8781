"""The one HTTP server of a process, shared by the Telegram webhook, Slack's Events API and the
members' calendar feeds."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

logger = logging.getLogger(__name__)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _health(_: web.Request) -> web.Response:
    return web.Response(text="ok")


class HttpServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=1024**2)
        self.app.router.add_get("/healthz", _health)
        self._runner: web.AppRunner | None = None

    def add_post(self, path: str, route: Route) -> None:
        self.app.router.add_post(path, route)

    def add_get(self, path: str, route: Route) -> None:
        self.app.router.add_get(path, route)

    async def start(self) -> None:
        # No access log: a webhook path or a query string may carry a secret.
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]
        logger.info("HTTP server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop accepting requests; the ones being answered finish first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
