"""The read-modify-write protocol the ``--due`` state and the alert state share.

An exclusive ``flock`` on a ``.lock`` file beside the data file; the file read under it and
written back atomically (:func:`qrunner.reports.atomic.write_atomic`) only when the block
changed it. Work done *outside* the lock (running ticks, delivering notifications) is
*claimed* first: a claim names its process (:func:`owner_id`) and expires; another process
never takes work claimed by a live one (:func:`claim_alive`), and a claim dies with its process
(same host) or when its lease ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from qrunner.reports.atomic import write_atomic


class LockError(Exception):
    """The lock cannot be opened (or a file stands where its folder should); the message says
    which file. Callers translate it into their own error."""


@contextlib.contextmanager
def locked_update(path: Path, read: Callable[[], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Hold the lock on ``path``, yield ``read()``; what the block leaves in the data is
    written back, atomically and only if it changed. An exception in the block writes nothing."""
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise LockError(f"{path.parent}: not a folder") from None
    except OSError as e:
        raise LockError(f"{lock_path}: cannot open the lock: {e.strerror}") from None
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole block
    except OSError as e:
        raise LockError(f"{lock_path}: cannot open the lock: {e.strerror}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            data = read()
            before = json.dumps(data, sort_keys=True)
            yield data
            if json.dumps(data, sort_keys=True) != before:
                write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def owner_id() -> str:
    """Names this process in a claim: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_alive(owner: str, expires: datetime | None, now: datetime) -> bool:
    """Whether a claim by ``owner`` expiring at ``expires`` still holds at ``now``."""
    if expires is None or expires <= now:
        return False
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True
