"""bot/transports/telegram_request.py, python-telegram-bot's requests on aiohttp: a Bot API
that does not answer in time, or is not there, gives PTB's own TimedOut and NetworkError,
which delivery retries as it did with PTB's client (what PTB sends, forms and files, arrives:
the Telegram conversations of tests/transports go through it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut

from bot.transports.telegram_request import AiohttpRequest
from tests.transports.conftest import free_port


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    made = AiohttpRequest(pool_size=2)
    await made.initialize()
    yield made
    await made.shutdown()


@pytest.fixture
async def silent_api() -> AsyncIterator[str]:
    """A server that takes the request and answers nothing for five seconds."""

    async def silent(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot1:x/getMe", silent)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/bot1:x/getMe"
    await runner.cleanup()


async def test_an_answer_later_than_the_read_timeout_is_a_timeout(
    request_: AiohttpRequest, silent_api: str
) -> None:
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimedOut):
        await request_.post(silent_api, read_timeout=0.2)
    assert asyncio.get_running_loop().time() - started < 2


async def test_a_bot_api_nobody_serves_is_a_network_error(request_: AiohttpRequest) -> None:
    with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError"):
        await request_.post(f"http://127.0.0.1:{free_port()}/bot1:x/getMe")


async def test_a_request_before_initialize_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest(pool_size=1).do_request("http://127.0.0.1:1/", "POST")
