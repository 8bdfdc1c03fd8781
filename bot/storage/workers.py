"""The threads that talk to the database, each with a connection of its own.

A transaction takes one worker for its whole life: its statements run on that thread, in
order, on that thread's connection, kept open from one transaction to the next (taking one
from the pool and giving it back cost a message more than its statements). A hop is a job put
on the thread's queue and its result given back to the event loop: half the bookkeeping of a
ThreadPoolExecutor with its futures chained to asyncio's, which showed in every message's
profile. A job left behind by a cancelled caller still runs before the next one on the thread,
so a rollback always comes after the statement it undoes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
_worker_thread = threading.local()


def on_a_worker() -> bool:
    """Whether the calling thread is one of the database's workers."""
    return getattr(_worker_thread, "serving", False)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Worker:
    """One thread and its connection to the database."""

    def __init__(self, engine: Engine, name: str) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._jobs: SimpleQueue[tuple[Any, ...] | None] = SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        _worker_thread.serving = True
        while (job := self._jobs.get()) is not None:
            loop, future, work, args = job
            try:
                result, error = work(*args), None
            except BaseException as exc:  # given to the awaiting task, which decides
                result, error = None, exc
            # A closed loop: nobody waits for this result any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

    def submit(self, work: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``work(*args)`` on this thread: one hop."""
        if self._stopped:
            # Nothing would ever answer: a task still using a closed database fails at once.
            raise RuntimeError("the database is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, work, args))
        return future

    def connection(self) -> Connection:
        """On this thread: its connection, opened again after a failure invalidated it."""
        if self._connection is None or self._connection.invalidated:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._engine.connect()
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def stop(self) -> None:
        closed = self.submit(self._close)
        self._stopped = True
        self._jobs.put(None)
        await closed
        await asyncio.to_thread(self._thread.join)


class Workers:
    """The workers, and the transactions waiting for a free one."""

    def __init__(self, engine: Engine, count: int) -> None:
        self._all = [Worker(engine, f"rse-bot-db-{n}") for n in range(count)]
        self._free: asyncio.Queue[Worker] | None = None

    def _queue(self) -> asyncio.Queue[Worker]:
        # Made on first use, in the event loop that uses it.
        if self._free is None:
            self._free = asyncio.Queue()
            for worker in self._all:
                self._free.put_nowait(worker)
        return self._free

    async def take(self) -> Worker:
        """A free worker, waiting for one if need be; give it back with ``give_back``."""
        return await self._queue().get()

    def give_back(self, worker: Worker) -> None:
        self._queue().put_nowait(worker)

    async def stop(self) -> None:
        for worker in self._all:
            await worker.stop()
