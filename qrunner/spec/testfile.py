"""Spec unit tests (``*.test.yaml``): the file format, discovery and loading.

A test file names one spec and lists cases; each case gives the data the spec's query sees
(inline events per dataset, inline Tekton records, or a data folder), the run's time and
variables, and the status each named check must end with::

    spec: ../flaky-tests-main.yaml        # relative to this file
    tests:
      - name: three flaky runs of one service warn
        at: 2024-05-01T06:00:00Z          # or tick: for a scheduled spec
        vars: {branch: main}
        events:
          ci_tests:
            - {timestamp: "2024-05-01T05:00:00Z", test_level: test, ...}
        expect:
          - check: at most 5 flaky test runs per service
            status: warn
            observed: 3                   # optional, in the check's unit

Discovery follows the spec rules (``_``/``.``-prefixed files and folders are skipped); spec
discovery in turn skips ``*.test.yaml``. Every problem is a located :class:`Diagnostic`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qrunner.errors import SpecError, UsageError
from qrunner.spec.loader import TEST_SUFFIXES, Diagnostic, display_path, walk_files
from qrunner.spec.yamlsource import YamlDocument, format_pointer, load_yaml_file

EVENT_DATASETS = ("ci_tests", "ci_pipelines", "spans")

ExpectedStatus = Literal["pass", "no_data", "warn", "fail", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expectation(_Strict):
    check: str = Field(min_length=1, description="the check's name, as in the spec")
    status: ExpectedStatus
    observed: float | None = Field(
        default=None, description="the observed value, in the check's unit (relative 1e-6)"
    )


class SpecTestCase(_Strict):
    name: str = Field(min_length=1)
    at: str | None = Field(
        default=None,
        description="the run's time: ISO-8601 (UTC without an offset); default: the tick",
    )
    tick: str | None = Field(
        default=None,
        description="scheduled specs: the tick to run (default: the latest at or before at)",
    )
    vars: dict[str, str | int | float | bool] = Field(default_factory=dict)
    events: dict[Literal["ci_tests", "ci_pipelines", "spans"], list[dict[str, Any]]] = Field(
        default_factory=dict, description="inline events per dataset, as in a JSON Lines file"
    )
    records: list[dict[str, Any]] = Field(
        default_factory=list, description="inline Tekton records: {name, type, data}"
    )
    data: str | None = Field(
        default=None, description="a data folder instead of inline data (relative to this file)"
    )
    expect: list[Expectation] = Field(min_length=1)


class SpecTestFile(_Strict):
    spec: str = Field(min_length=1, description="the spec under test, relative to this file")
    tests: list[SpecTestCase] = Field(min_length=1)


@dataclass(slots=True)
class LoadedSpecTest:
    path: Path
    display: str
    doc: YamlDocument
    model: SpecTestFile

    @property
    def spec_path(self) -> Path:
        return self.path.parent / self.model.spec


def discover_tests(paths: Sequence[Path]) -> list[Path]:
    """Test files under ``paths`` in a stable order; a missing path is a usage error."""
    found: list[Path] = []
    for root in paths:
        if root.is_dir():
            found.extend(_walk(root))
        elif root.exists() and root.name.endswith(TEST_SUFFIXES):
            found.append(root)  # reading it refuses FIFOs and devices, with the reason
        elif root.exists():
            raise UsageError(f"{root} is not a spec test file (*.test.yaml)")
        else:
            raise UsageError(f"no such file or directory: {root}")
    return found


def _walk(root: Path) -> Iterable[Path]:
    return walk_files(root, lambda name: name.endswith(TEST_SUFFIXES))


def load_test_file(path: Path) -> tuple[str, LoadedSpecTest | None, list[Diagnostic]]:
    """Read and check one test file: (display path, the file or None, its diagnostics)."""
    from pydantic import ValidationError

    display = display_path(path)
    try:
        doc = load_yaml_file(path, display)
    except SpecError as e:
        return display, None, [Diagnostic.from_error(e)]
    if not isinstance(doc.data, dict):
        return display, None, [Diagnostic(doc.locate(()), "a test file must be a YAML mapping")]
    try:
        model = SpecTestFile.model_validate(doc.data)
    except ValidationError as e:
        found = [_diagnostic(doc, err) for err in e.errors()]
        found.sort(key=lambda d: (d.location.line, d.location.col))
        return display, None, found
    loaded = LoadedSpecTest(path, display, doc, model)
    problems = []
    for i, case in enumerate(model.tests):
        if case.data is not None and (case.events or case.records):
            message = "give data: or inline events/records, not both"
            problems.append(Diagnostic(doc.locate(("tests", i, "data")), message))
        if case.at is None and case.tick is None:
            message = "a test needs at: (the run's time) or tick: (a scheduled spec's tick)"
            problems.append(Diagnostic(doc.locate(("tests", i)), message, f"tests[{i}]"))
    if not loaded.spec_path.is_file():
        problems.append(Diagnostic(doc.locate(("spec",)), f"no such spec file: {model.spec}"))
    return display, (None if problems else loaded), problems


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    depth = len(loc)
    if depth == 1:
        return list(SpecTestFile.model_fields)
    if depth == 3 and loc[0] == "tests":
        return list(SpecTestCase.model_fields)
    if depth == 5 and loc[2] == "expect":
        return list(Expectation.model_fields)
    if depth == 4 and loc[2] == "events":
        return list(EVENT_DATASETS)
    return []


def _diagnostic(doc: YamlDocument, err: Any) -> Diagnostic:
    loc = tuple(err["loc"])
    pointer = format_pointer(loc)
    kind = err["type"]
    if kind == "extra_forbidden" or (kind == "literal_error" and loc[-2:-1] == ("events",)):
        key = str(loc[-1])
        message = f"unknown field '{key}'"
        close = difflib.get_close_matches(key, _fields_at(loc), n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        return Diagnostic(doc.locate(loc), message, pointer)
    if kind == "missing":
        return Diagnostic(doc.locate(loc[:-1]), f"missing required field '{loc[-1]}'", pointer)
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return Diagnostic(
            doc.locate(loc), f"{err.get('input')!r} is not one of {expected}", pointer
        )
    expected = _EXPECTED.get(kind)
    message = f"expected {expected}, got {err.get('input')!r}" if expected else str(err["msg"])
    return Diagnostic(doc.locate(loc), message, pointer)


_EXPECTED = {
    "string_type": "a string",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "too_short": "at least one item",
}
