"""Attributes a query names that no loaded event has: a typo (``@test.isflaky``) would
otherwise match nothing and answer no data, which a ``no_data: pass`` gate reads as a pass.

The local engine knows every column it loaded, so it says so: the answer carries one
``meta.warnings`` entry per unknown attribute, with the closest known one ("did you mean"),
and the judge never trusts a pass (or no data) that comes with a warning (it becomes ``warn``,
in every report). The real APIs do not do this: they know no schema.

Both spellings of a reserved attribute (``service`` and ``@service``) name the same column;
tags (``team:payments``) are top-level columns like reserved attributes, so a tag that no
event carries is reported the same way. Not reported: Datadog's reserved attributes and the
standard attributes of the source (:data:`STANDARD_ATTRIBUTES`: ``@test.is_flaky`` is absent
from the data of a project that never had a flaky test, and asking for it is no typo), names
under a loaded attribute (``@test`` when ``test.status`` is loaded), and any name when the
dataset has no event at all: that is no data, not a typo (the ``--data`` layout check and
``freshness`` cover it).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from qrunner.engine.base import Column
from qrunner.engine.datadog.search.nodes import FieldResolver

UNKNOWN_ATTRIBUTE_CODE = "unknown_attribute"

_RESERVED = ("host", "service", "status", "env", "version", "source", "message", "trace_id")
_GIT = ("git.branch", "git.tag", "git.commit.sha", "git.commit.message", "git.repository_url",
        "git.repository.id", "git.commit.author.email", "git.commit.author.name")  # fmt: skip
_CI = ("ci.pipeline.id", "ci.pipeline.name", "ci.pipeline.number", "ci.pipeline.url",
       "ci.provider.name", "ci.job.name", "ci.job.url", "ci.stage.name", "ci.workspace_path",
       "ci.status", "ci_level", "duration", "error.message", "error.type",
       "error.stack")  # fmt: skip
# Attributes Datadog documents for each source: legitimately absent from data that never had
# them (no flaky test, no retry, no error), so never reported as unknown.
STANDARD_ATTRIBUTES: dict[str, frozenset[str]] = {
    "ci_tests": frozenset({
        *_RESERVED, *_GIT, *_CI, "test_level", "test.name", "test.suite", "test.full_name",
        "test.status", "test.type", "test.framework", "test.service", "test.is_flaky",
        "test.is_new", "test.is_retry", "test.is_known_flaky", "test.skip_reason",
        "test.source.file", "test.suite_path", "test.codeowners", "test.command",
        "test.bundle", "test.traits", "test_session.id", "test_module.id", "test_suite.id",
        "os.platform", "os.version", "runtime.name", "runtime.version",
    }),
    "ci_pipelines": frozenset({
        *_RESERVED, *_GIT, *_CI, "ci.pipeline.is_manual", "ci.pipeline.partial_retry",
        "ci.queue_time", "ci.node.name", "ci.node.labels",
    }),
    "spans": frozenset({
        *_RESERVED, "resource_name", "operation_name", "span.kind", "duration",
        "error.message", "error.type", "error.stack", "http.status_code", "http.method",
        "http.url", "http.route", "db.system", "db.statement", "peer.service",
    }),
}  # fmt: skip


@dataclass(slots=True)
class RecordingResolver:
    """A resolver that remembers the names it could not resolve, in order (name → reserved)."""

    inner: FieldResolver
    known: list[str]  # the loaded columns
    dataset: str
    missing: dict[str, bool] = field(default_factory=dict)

    def resolve(self, name: str, *, reserved: bool) -> Column | None:
        column = self.inner.resolve(name, reserved=reserved)
        if column is None and name and not self._expected(name):
            self.missing.setdefault(name, reserved)
        return column

    def _expected(self, name: str) -> bool:
        standard = STANDARD_ATTRIBUTES.get(self.dataset, frozenset())
        return name in standard or any(k.startswith(f"{name}.") for k in self.known)

    def free_text(self) -> list[Column]:
        return self.inner.free_text()

    def warnings(self) -> list[dict[str, Any]]:
        """One ``meta.warnings`` entry per unknown attribute."""
        found = []
        dataset = self.dataset
        candidates = sorted({*self.known, *STANDARD_ATTRIBUTES.get(dataset, ())})
        for name, reserved in self.missing.items():
            prefix = "" if reserved else "@"
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
            hint = f"; did you mean {prefix}{close[0]}?" if close else ""
            message = f"no loaded {dataset} event has the attribute {prefix}{name}{hint}"
            found.append({"code": UNKNOWN_ATTRIBUTE_CODE, "title": message, "detail": message})
        return found
