"""``qrunner test``: run spec unit tests on the local engine over exactly their data.

For each case of each ``*.test.yaml`` (:mod:`qrunner.spec.testfile`) the inline events and
records are written to a fresh data folder (or the case's ``data:`` folder is used), the spec is
rendered at the case's ``at`` (a scheduled spec: at its ``tick``, else its latest tick at or
before ``at``) with its ``vars`` and no environment variables, run on the local engine with a
cache of its own, judged like ``qrunner run`` judges it, and each expectation is compared with
the outcome (:mod:`qrunner.judge.expectations`).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from qrunner.authoring.explain import explain_rendered
from qrunner.backends.base import TargetOptions
from qrunner.errors import QrunnerError, SpecError
from qrunner.judge.expectations import CaseResult, SpecTestResult, compare_expectation
from qrunner.run.single import render_one
from qrunner.spec.render import Renderer, parse_at
from qrunner.spec.testfile import LoadedSpecTest, SpecTestCase, discover_tests, load_test_file


def run_spec_tests(paths: Sequence[Path]) -> list[SpecTestResult]:
    """Every test file under ``paths``, run; a broken file never stops the others."""
    results = []
    for path in discover_tests(paths):
        display, loaded, diagnostics = load_test_file(path)
        if loaded is None:
            results.append(SpecTestResult(display, "", diagnostics=[str(d) for d in diagnostics]))
            continue
        result = SpecTestResult(display, loaded.model.spec)
        with tempfile.TemporaryDirectory(prefix="qrunner-test-") as scratch:
            for index, case in enumerate(loaded.model.tests):
                result.cases.append(_run_case(loaded, index, case, Path(scratch)))
        results.append(result)
    return results


def _var_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _write_data(case: SpecTestCase, folder: Path) -> Path:
    """The case's inline events and records as a local data folder."""
    for dataset, events in case.events.items():
        (folder / dataset).mkdir(parents=True)
        lines = [json.dumps(event, ensure_ascii=False) for event in events]
        (folder / dataset / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if case.records:
        (folder / "tekton").mkdir(parents=True)
        lines = [json.dumps(record, ensure_ascii=False) for record in case.records]
        (folder / "tekton" / "records.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _data_folder(loaded: LoadedSpecTest, index: int, case: SpecTestCase, scratch: Path) -> Path:
    if case.data is None:
        return _write_data(case, scratch / f"case-{index}")
    folder = loaded.path.parent / case.data
    if not folder.is_dir():
        where = loaded.doc.locate(("tests", index, "data"))
        raise SpecError(f"no such data folder: {case.data}", where, f"tests[{index}].data")
    return folder


def _parse_time(
    loaded: LoadedSpecTest, index: int, field: str, text: str, parse: Callable[[str], datetime]
) -> datetime:
    try:
        return parse(text)
    except QrunnerError:
        where = loaded.doc.locate(("tests", index, field))
        message = f"invalid time {text!r}; use ISO-8601, e.g. 2024-05-01T06:00:00Z"
        raise SpecError(message, where, f"tests[{index}].{field}") from None


def _renderer(loaded: LoadedSpecTest, index: int, case: SpecTestCase) -> Renderer:
    from qrunner.spec.cron import parse_tick

    tick = None if case.tick is None else _parse_time(loaded, index, "tick", case.tick, parse_tick)
    at = tick if case.at is None else _parse_time(loaded, index, "at", case.at, parse_at)
    assert at is not None  # the loader requires at: or tick:
    # No environment: a test sees only what it states, so it gives the same answer anywhere.
    overrides = {key: _var_text(value) for key, value in case.vars.items()}
    renderer = Renderer(at=at, environ={}, overrides=overrides)
    renderer.tick = tick  # as --tick does (qrunner.spec.cron.pin_tick)
    return renderer


def _check_vars(loaded: LoadedSpecTest, index: int, renderer: Renderer) -> None:
    """A variable the spec neither declares nor uses is a typo, located in the test file
    (``render_one`` would report it against the spec, without a line)."""
    import difflib

    from qrunner.spec.loader import load_spec_file
    from qrunner.validate.specs import unused_overrides

    spec = load_spec_file(loaded.spec_path)[1]
    if spec is None:
        return  # render_one reports the spec's own problems
    declared = list(spec.spec.vars)
    for name in unused_overrides(spec, renderer):
        close = difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        where = loaded.doc.locate(("tests", index, "vars", name))
        message = f"the spec neither declares nor uses a variable {name!r}{hint}"
        raise SpecError(message, where, f"tests[{index}].vars.{name}")


def _check_names(loaded: LoadedSpecTest, index: int, case: SpecTestCase, names: list[str]) -> None:
    """An expectation naming a check the spec does not have is a mistake in the test file,
    located there (as a test FAIL it would read like the spec's fault)."""
    import difflib

    for position, expected in enumerate(case.expect):
        if expected.check in names:
            continue
        close = difflib.get_close_matches(expected.check, names, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"its checks: {', '.join(names)}"
        where = loaded.doc.locate(("tests", index, "expect", position, "check"))
        message = f"the spec has no check named {expected.check!r}; {hint}"
        raise SpecError(message, where, f"tests[{index}].expect[{position}].check")


def _run_case(loaded: LoadedSpecTest, index: int, case: SpecTestCase, scratch: Path) -> CaseResult:
    started = time.monotonic()
    result = CaseResult(case.name, loaded.doc.locate(("tests", index)).line)
    try:
        renderer = _renderer(loaded, index, case)
        _check_vars(loaded, index, renderer)
        rendered = render_one(loaded.spec_path, renderer)
        _check_names(loaded, index, case, [check.name for check in rendered.spec.checks])
        options = TargetOptions(
            target="local",
            at=renderer.at,
            data_dir=_data_folder(loaded, index, case, scratch),
            cache_dir=scratch / "cache",
        )
        explanation = explain_rendered(rendered, options, renderer)
    except QrunnerError as e:
        result.error = str(e)
        result.error_code = e.exit_code
        return result
    result.notices = explanation.notices
    for position, expected in enumerate(case.expect):
        line = loaded.doc.locate(("tests", index, "expect", position)).line
        result.expectations.append(
            compare_expectation(
                expected.check, expected.status, expected.observed, line, explanation.checks
            )
        )
    result.duration_s = round(time.monotonic() - started, 3)
    return result
