"""What the run does with the unexpected: a bug in one spec, a signal, a hung worker thread.

An exception qrunner did not raise on purpose while executing or judging a spec is that spec's
error, marked internal with the exception's type (exit 4); ``--traceback`` prints where it
came from. SIGTERM outside the event loop (while specs are loaded and rendered) ends the run
like Ctrl-C instead of killing it silently.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import traceback
from collections.abc import Iterator
from types import FrameType

from qrunner.limits import excerpt
from qrunner.secrets import redact


def internal_error_message(error: BaseException) -> str:
    """One line for a spec's unexpected exception: what it was, and that it is a bug."""
    detail = excerpt(redact(str(error)).replace("\n", " "))
    return (
        f"internal error: {type(error).__name__}: {detail} "
        "(a bug in qrunner; re-run with --traceback and report it)"
    )


def format_traceback(spec: str, error: BaseException) -> str:
    text = "".join(traceback.format_exception(error)).rstrip()
    return f"traceback of {spec}'s internal error:\n{redact(text)}"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise KeyboardInterrupt


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While loading and rendering, SIGTERM raises KeyboardInterrupt like SIGINT does, so the
    top-level handler reports it (exit 130) instead of the process vanishing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
