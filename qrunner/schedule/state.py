"""The ``--due`` state: which ticks of which spec are done, claimed or given up.

One JSON file (default :data:`DEFAULT_STATE`), read and written only under an exclusive
``flock`` on a ``.lock`` file beside it, and replaced atomically (temporary file, fsync,
rename), so a crash never leaves half a file. Per spec::

    {"through": "2024-05-01T06:00:00Z",      every tick at or before it is settled
     "done": ["2024-05-03T06:00:00Z"],         settled ticks after ``through``
     "last_done": "...", "last_status": "pass",
     "claims": {"2024-05-02T06:00:00Z": {"owner": "host:pid", "expires": "..."}}}

A run *claims* the ticks it is about to run (under the lock), runs them without holding the
lock, and *commits* after its reports are written: a tick that ended in anything but
``error`` becomes done; an errored one only loses its claim, so the next due run retries it.
Another run never takes a tick claimed by a live run; a claim dies with its process (same
host) or when its lease expires. Ticks older than the ``--catch-up`` newest pending ones are
given up: reported once as ``missed_ticks`` and settled.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qrunner.errors import LimitError, StateError
from qrunner.limits import CLAIM_LEASE_SECONDS, MAX_PENDING_TICKS, open_regular_file
from qrunner.schedule.lockfile import LockError, claim_alive, locked_update, owner_id
from qrunner.spec.cron import Schedule, format_utc

DEFAULT_STATE = Path(".qrunner") / "state.json"
STATE_VERSION = 1
CLAIM_LEASE = timedelta(seconds=CLAIM_LEASE_SECONDS)


@dataclass(slots=True)
class Pending:
    """What a due run does for one spec: ``run`` oldest first, ``missed`` given up."""

    run: list[datetime] = field(default_factory=list)
    missed: list[datetime] = field(default_factory=list)
    claimed: list[datetime] = field(default_factory=list)  # by another live run
    ticks: list[datetime] = field(
        default_factory=list
    )  # every tick after ``through``, oldest first


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _alive(owner: str, expires: str | None, now: datetime) -> bool:
    return claim_alive(owner, _parse(expires), now)


def pending_ticks(
    entry: Mapping[str, Any] | None,
    schedule: Schedule,
    *,
    at: datetime,
    catch_up: int,
    now: datetime,
    latest: datetime | None = None,
) -> Pending:
    """The ticks a due run at ``at`` would run for a spec with this state ``entry``
    (``latest``: its latest tick at or before ``at``, when already known).

    A spec the state has never seen starts at its latest tick (its history is not replayed).
    """
    latest = latest or schedule.latest_tick(at)
    through = _parse(entry.get("through")) if entry else None
    if through is None:
        candidates = [latest]
    elif through >= latest:
        candidates = []
    elif schedule.next_tick(through) == latest:  # the usual case: one tick since the last run
        candidates = [latest]
    else:
        candidates = schedule.ticks_between(through, latest, MAX_PENDING_TICKS)
    done = set(entry.get("done", [])) if entry else set()
    claims = entry.get("claims", {}) if entry else {}
    result = Pending(ticks=candidates[::-1])
    unsettled = []
    for tick in candidates:  # newest first
        key = format_utc(tick)
        if key in done:
            continue
        claim = claims.get(key)
        if claim and _alive(claim.get("owner", ""), claim.get("expires"), now):
            result.claimed.append(tick)
        else:
            unsettled.append(tick)
    result.run = sorted(unsettled[:catch_up])
    result.missed = sorted(unsettled[catch_up:])
    return result


def _check_time(path: Path, where: str, value: Any) -> None:
    try:
        parsed = _parse(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        parsed = None
    if value is not None and (parsed is None or parsed.utcoffset() is None):
        raise StateError(f"{path}: {where}: not an ISO-8601 UTC time: {value!r}")


def _check_entry(path: Path, name: str, entry: Any) -> None:
    """Refuse a hand-edited or damaged entry here, at the file, rather than deep in a run."""
    where = f"specs.{name}"
    if not isinstance(entry, dict):
        raise StateError(f"{path}: {where}: expected a mapping, got {type(entry).__name__}")
    for key in ("through", "last_done"):
        _check_time(path, f"{where}.{key}", entry.get(key))
    done = entry.get("done", [])
    if not isinstance(done, list):
        raise StateError(f"{path}: {where}.done: expected a list of ticks")
    for i, tick in enumerate(done):
        _check_time(path, f"{where}.done[{i}]", tick)
        if not isinstance(tick, str):
            raise StateError(f"{path}: {where}.done[{i}]: expected a tick, got {tick!r}")
    claims = entry.get("claims", {})
    if not isinstance(claims, dict):
        raise StateError(f"{path}: {where}.claims: expected a mapping")
    for tick, claim in claims.items():
        if not isinstance(claim, dict) or not isinstance(claim.get("owner", ""), str):
            raise StateError(f"{path}: {where}.claims.{tick}: expected {{owner, expires}}")
        _check_time(path, f"{where}.claims.{tick}.expires", claim.get("expires"))


class StateFile:
    """The state file and its lock; use :meth:`locked` for every read-modify-write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    def read(self) -> dict[str, Any]:
        """The state as last written (atomic writes make an unlocked read consistent)."""
        try:
            with open_regular_file(self.path) as source:  # a FIFO would block a due run forever
                text = source.read().decode("utf-8")
        except FileNotFoundError:
            return {"version": STATE_VERSION, "specs": {}}
        except NotADirectoryError:  # as locked() says: a file stands where a folder should
            raise StateError(f"{self.path.parent}: not a folder") from None
        except OSError as e:
            raise StateError(f"{self.path}: cannot read the state: {e.strerror}") from None
        except LimitError as e:
            raise StateError(f"{self.path}: cannot read the state: {e}") from None
        except UnicodeDecodeError:
            raise StateError(f"{self.path}: not a state file: not UTF-8 text") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise StateError(
                f"{self.path}:{e.lineno}:{e.colno}: not a state file: {e.msg}"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("specs"), dict):
            raise StateError(f"{self.path}: not a qrunner state file (no 'specs' mapping)")
        if data.get("version") != STATE_VERSION:
            raise StateError(f"{self.path}: state version {data.get('version')!r} is not 1")
        for name, entry in data["specs"].items():
            _check_entry(self.path, name, entry)
        return data

    @contextlib.contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        """Hold the lock, yield the state; what the block leaves in it is written back."""

        try:
            with locked_update(self.path, self.read) as data:
                yield data
        except LockError as e:
            raise StateError(str(e)) from None


def claim_ticks(
    state: dict[str, Any],
    plans: Mapping[str, tuple[Schedule, Pending]],
    *,
    lease: timedelta,
    now: datetime,
) -> None:
    """Record this run's claims, and settle the missed ticks, in ``state`` (held locked)."""
    owner = owner_id()
    expires = format_utc(now + lease)
    for name, (schedule, pending) in plans.items():
        entry = state["specs"].setdefault(name, {"through": None, "done": [], "claims": {}})
        claims = entry.setdefault("claims", {})
        for key in [
            k for k, c in claims.items() if not _alive(c.get("owner", ""), c.get("expires"), now)
        ]:
            del claims[key]
        for tick in pending.run:
            claims[format_utc(tick)] = {"owner": owner, "expires": expires}
        entry["done"] = sorted({*entry.get("done", []), *map(format_utc, pending.missed)})
        if entry.get("through") is None and pending.run:
            # The first tick this state knows of: nothing before it is owed.
            entry["through"] = format_utc(pending.run[0] - timedelta(seconds=1))
        _compact(entry, schedule, pending.ticks)


def settle_ticks(
    state: dict[str, Any],
    finished: Sequence[tuple[str, datetime, str]],
    schedules: Mapping[str, Schedule],
    *,
    release_only: bool = False,
    known: Mapping[str, Sequence[datetime]] | None = None,
) -> None:
    """Commit ``(name, tick, status)`` results: non-error ticks become done; claims go.
    ``known``: per spec, the ticks its claim saw after ``through`` (spares recomputing)."""
    for name, tick, status in finished:
        entry = state["specs"].setdefault(name, {"through": None, "done": [], "claims": {}})
        key = format_utc(tick)
        entry.get("claims", {}).pop(key, None)
        if release_only or status == "error":
            continue
        entry["done"] = sorted({*entry.get("done", []), key})
        if entry.get("last_done") is None or entry["last_done"] < key:
            entry["last_done"], entry["last_status"] = key, status
        _compact(entry, schedules[name], (known or {}).get(name))


def _compact(
    entry: dict[str, Any], schedule: Schedule, known: Sequence[datetime] | None = None
) -> None:
    """Advance ``through`` over consecutive done ticks, so ``done`` stays short. ``known``
    (every tick after the claim's ``through``, oldest first) spares asking the cron again."""
    through = _parse(entry.get("through"))
    done = set(entry.get("done", []))
    if through is None or not done:
        return
    newest = _parse(max(done))
    assert newest is not None
    if known is not None and (not known or known[-1] >= newest):
        ticks = [t for t in known if t > through]
    else:
        ticks = schedule.ticks_between(through, newest, MAX_PENDING_TICKS)[::-1]
    for tick in ticks:  # oldest first
        key = format_utc(tick)
        if key not in done:
            break
        done.discard(key)
        entry["through"] = key
    floor = entry["through"]
    entry["done"] = sorted(k for k in done if k > floor)


def utc_now() -> datetime:
    return datetime.now(UTC)
