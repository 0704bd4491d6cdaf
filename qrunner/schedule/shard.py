"""``--shard K/N``: a stable part of the selected specs, and its share of the API budgets.

A spec belongs to the shard whose rendezvous (highest random weight) hash of
``(shard, name)`` is highest: every spec is in exactly one shard, a spec's shard depends
only on its name and N (adding or removing specs moves no other spec; changing N moves
about 1/N of them), and no shard needs to know the others. A spec file that failed to load
has no name; its path is hashed instead, so exactly one shard reports it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from qrunner.errors import UsageError

_SHARD = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{1,4})\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        return shard_of(key, self.count) == self.index


def parse_shard(text: str) -> Shard:
    match = _SHARD.match(text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise UsageError(f"--shard {text!r}: use K/N with 1 <= K <= N, e.g. 2/4")
    return Shard(int(match.group(1)), int(match.group(2)))


def shard_of(key: str, count: int) -> int:
    """The 1-based shard of ``key`` among ``count`` (rendezvous hashing)."""

    def weight(index: int) -> bytes:
        return hashlib.sha256(f"{index}\0{key}".encode()).digest()

    return max(range(1, count + 1), key=weight)


def shard_environ(environ: Mapping[str, str], shard: Shard | None) -> dict[str, str]:
    """The environment for one shard: per-run API budgets divided by N, so N shards running
    at once stay within what one run may spend (``QRUNNER_SPANS_BUDGET``)."""
    from qrunner.backends.datadog import SPANS_PATH, budgets_from_env

    out = dict(environ)
    if shard is None or shard.count == 1:
        return out
    budget = budgets_from_env(environ).get(SPANS_PATH)
    if budget is not None:
        limit = max(1, budget.limit // shard.count)
        out["QRUNNER_SPANS_BUDGET"] = f"{limit}/{budget.period:g}"
    return out
