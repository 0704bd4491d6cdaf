"""``qrunner ingest junit``: JUnit reports → one new JSON Lines file in ``DATA/ci_tests/``.

The local counterpart of ``datadog-ci junit upload``. Reports are loaded exactly as the data
folder loads them (:func:`qrunner.engine.store.junit.load_junit`) and tagged with what they lack, in
increasing priority: the CI environment's git and CI context (:mod:`qrunner.engine.store.ci_env`),
``--tag KEY:VALUE``, then ``--service``/``--env``; a report's own properties win over all of
these. Suites without a timestamp are timed by ``--time``, else by the file's modification time
(with a warning); with ``--override-timestamps``, ``--time`` times every suite (a backfill of old
reports, whose own timestamps would be wrong or missing), and without it a notice says which
reports kept their own timestamps.

Each ingest writes one new file, ``ingest-<UTC time>-<random>.jsonl``, never rewriting one: it
is written under a hidden name (the data folder ignores dot files) and linked into place, so a
run reading the folder at the same moment sees all of it or none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qrunner.engine.base import DataWarning
from qrunner.engine.store.ci_env import read_ci_context
from qrunner.engine.store.junit import load_junit, unify_key_case
from qrunner.engine.store.junit_fields import parse_report_time
from qrunner.errors import DataError, UsageError


@dataclass(frozen=True, slots=True)
class IngestOptions:
    reports: list[Path]  # report files, or folders searched for *.xml
    data_dir: Path
    service: str | None = None
    env: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    ci_environment: Mapping[str, str] | None = None  # None: do not read CI variables
    time: datetime | None = None
    override_timestamps: bool = False  # ``time`` replaces the reports' own timestamps


@dataclass(frozen=True, slots=True)
class IngestResult:
    written: Path
    reports: int
    tests: int  # test-level events (executions)
    events: int
    warnings: list[DataWarning]
    notices: list[str] = field(default_factory=list)


def parse_tag(text: str) -> tuple[str, str]:
    """``--tag KEY:VALUE`` (the value may contain colons)."""
    key, sep, value = text.partition(":")
    # `--tag @team:core` is how the attribute is written in a query; it is stored as `team`.
    key = key.strip().removeprefix("@")
    if not sep or not key:
        raise UsageError(f"--tag: expected KEY:VALUE, got {text!r}")
    return key, value.strip()


def parse_time(text: str) -> datetime:
    """``--time``: any timestamp form a JUnit report may hold (ISO-8601, RFC 1123, epoch)."""
    moment = parse_report_time(text)
    if moment is None:
        raise UsageError(
            f"--time: invalid timestamp {text!r}; use ISO-8601, e.g. 2024-05-01T06:00:00Z"
        )
    return moment


def _report_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.xml") if p.is_file())
        else:
            files.append(path)
    return files


def _defaults(options: IngestOptions) -> dict[str, str]:
    defaults = read_ci_context(options.ci_environment) if options.ci_environment else {}
    defaults |= options.tags
    if options.service:
        defaults |= {"test.service": options.service, "service": options.service}
    if options.env:
        defaults["env"] = options.env
    return defaults


def _write_new(folder: Path, events: list[dict[str, Any]]) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    token = uuid.uuid4().hex[:12]
    hidden = folder / f".ingest-{token}.tmp"
    final = folder / f"ingest-{stamp}-{token}.jsonl"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with hidden.open("x", encoding="utf-8") as sink:
            for event in events:
                sink.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n")
            sink.flush()
            os.fsync(sink.fileno())
        try:
            os.link(hidden, final)  # fails rather than replace an existing file
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if final.exists():
                raise FileExistsError(final) from None
            os.replace(hidden, final)
    except OSError as e:
        raise DataError(f"{folder}: cannot write ingested events: {e}") from e
    finally:
        with contextlib.suppress(OSError):  # nothing to remove when the folder could not be made
            hidden.unlink(missing_ok=True)
    return final


def ingest_junit(options: IngestOptions) -> IngestResult:
    """Load the reports, tag them and write them to a new file in ``DATA/ci_tests/``."""
    files = _report_files(options.reports)
    if not files:
        raise UsageError("no JUnit reports found (give report files or folders holding *.xml)")
    defaults = _defaults(options)
    events: list[dict[str, Any]] = []
    warnings: list[DataWarning] = []
    notices: list[str] = []
    for path in files:
        found, problems = load_junit(
            path,
            time=options.time,
            override_time=options.override_timestamps,
            defaults=defaults,
            notices=notices,
        )
        events += found
        warnings += problems
    if not events:
        raise DataError(
            f"no test events in {len(files)} report(s); nothing written"
            + "".join(f"\n  {w}" for w in warnings)
        )
    unify_key_case(events)
    written = _write_new(options.data_dir / "ci_tests", events)
    tests = sum(e["test_level"] == "test" for e in events)
    return IngestResult(written, len(files), tests, len(events), warnings, notices)
