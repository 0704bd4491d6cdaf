"""A user's own mistakes never pass a gate silently: each one, tried as a hostile user would,
through the command line, gets a clear word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SORTED = """\
version: 1
name: sorted
source: datadog.ci_tests
request:
  compute: [{aggregation: count, type: total}]
  filter: {from: now-1d, to: now, query: "*"}
  group_by:
    - facet: "@test.service"
      limit: 3
      sort: {aggregation: count, order: desc}
    - facet: "@test.name"
      limit: 3
      sort: {aggregation: count, order: desc, type: measure}
checks:
  - {name: tests, metric: c0, fail: "> 1000000"}
"""


def test_a_sort_with_an_aggregation_but_no_type_is_warned_about(
    run_cli: Any, tmp_path: Path
) -> None:
    spec = tmp_path / "sorted.yaml"
    spec.write_text(SORTED, encoding="utf-8")
    out = run_cli("validate", str(spec), expect=0)  # a warning, not an error
    assert (
        f"{spec}:10:7: warning: request.group_by[0].sort has an aggregation but no type: "
        "Datadog then sorts the groups alphabetically" in out.stdout
    )
    assert "add type: measure" in out.stdout
    assert "group_by[1]" not in out.stdout  # type: measure is what was meant
