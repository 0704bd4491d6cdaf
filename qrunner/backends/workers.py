"""A fixed pool of daemon threads running blocking HTTP exchanges for an event loop.

Daemon threads, so that an exchange stuck in a socket never keeps the process alive after a
run was interrupted; the awaiting task gets the result or the exception back on its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any


class Workers:
    """A fixed pool of daemon threads running blocking calls for an event loop."""

    def __init__(self, size: int) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"qrunner-http-{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def run(self, func: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put((func, arg, loop, future))
        return future

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            func, arg, loop, future = item
            try:
                result = func(arg)
            except BaseException as exc:  # handed to the awaiting task, which maps it
                settle_future(loop, future, None, exc)
            else:
                settle_future(loop, future, result, None)


def settle_future(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    def settle() -> None:
        if future.done():  # the awaiting task was cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
        loop.call_soon_threadsafe(settle)
