"""Waiting on a fake server's state, shared by the fake Telegram and Slack servers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class Changes:
    """Fakes call ``notify()`` after every request; tests wait until a predicate holds."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def until(
        self, predicate: Callable[[], bool], seconds: float, failure: Callable[[], str]
    ) -> None:
        """Return once predicate() holds; AssertionError with ``failure()`` after ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {seconds} s: {failure()}")
            self._event.clear()
            # Also wake now and then: the predicate may watch the bot's state, not the calls.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), min(remaining, 0.05))
