"""Why a check decided what it did, as data: the steps from response to verdict.

The judge records an :class:`ExplainStep` for every decision it takes while judging a check —
which buckets it looked at, the value it read from each and the unit conversion, the reducer or
scope applied, each threshold compared, the ``no_data`` or partial-result rule — on the same code
path that decides (:mod:`qrunner.judge.measure`, :mod:`qrunner.judge.checks`), so the
explanation cannot drift from the verdict. ``qrunner explain`` and ``qrunner test`` print these
steps; :class:`~qrunner.judge.outcomes.SpecExplanation` gathers what ``explain`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The kinds of step, in the order they usually appear.
STEP_KINDS = (
    "metric",  # what the metric is, what it measures, the unit it is shown in
    "buckets",  # which buckets of the response are judged
    "value",  # the value read from one bucket: raw → reduced → converted → shown
    "scope",  # how the buckets' values become the judged value
    "threshold",  # the judged value against the levels: what triggered, or that none did
    "baseline",  # what the value was compared with (baseline: checks)
    "no_data",  # the no_data policy applied
    "partial",  # the partial-result rule applied
    "error",  # why the value could not be measured
    "verdict",  # the check's status
)


@dataclass(frozen=True, slots=True)
class ExplainStep:
    """One step of a check's judgement. ``by`` names the group it is about (None: the check)."""

    kind: str
    detail: str
    by: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.kind, "detail": self.detail}
        if self.by is not None:
            out["by"] = self.by
        return out
