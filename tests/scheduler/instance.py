"""A bot instance that only competes for the scheduler, as a real process for leader-election
tests: ``python -m tests.scheduler.instance RETRY_SECONDS`` with the RSEBOT_* settings.

Prints « leader » or « follower » at start and at every change.
"""

from __future__ import annotations

import asyncio
import sys

from bot.app import App
from bot.config import load_settings
from scheduler.service import Scheduler


async def main(retry_interval: float) -> None:
    app = await App.start(load_settings())
    scheduler = Scheduler(app, retry_interval=retry_interval)
    await scheduler.start()
    shown = None
    while True:
        state = "leader" if scheduler.leading else "follower"
        if state != shown:
            print(state, flush=True)
            shown = state
        await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
