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


def _events(folder: Path, days: list[str], branch: str = "main") -> Path:
    import json

    (folder / "ci_tests").mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "timestamp": f"{day}T10:00:00Z",
                "test_level": "test",
                "test": {"status": "pass", "name": "t", "service": "api"},
                "git": {"branch": branch},
            }
        )
        for day in days
    ]
    with (folder / "ci_tests" / "events.jsonl").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return folder


def test_a_data_folder_one_level_too_deep_is_an_error_naming_the_right_one(
    run_cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    data = _events(tmp_path / "ci-data", ["2024-05-01"])
    spec = tmp_path / "sorted.yaml"
    spec.write_text(SORTED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = run_cli("run", "sorted.yaml", "--data", "ci-data/ci_tests", expect=2)
    assert "--data ci-data/ci_tests: holds none of the dataset folders" in out.stderr
    assert "ci_tests/, ci_pipelines/, spans/, tekton/" in out.stderr
    assert "did you mean --data ci-data? (it holds ci_tests/)" in out.stderr
    (tmp_path / "empty").mkdir()
    empty = run_cli("run", "sorted.yaml", env={"QRUNNER_DATA": "empty"}, expect=2)
    assert "--data empty: holds none of the dataset folders" in empty.stderr
    shallow = run_cli("explain", "sorted.yaml", "--data", ".", expect=2)
    assert "did you mean --data ci-data?" in shallow.stderr
    run_cli("run", "sorted.yaml", "--data", str(data), "--at", "2024-05-01T12:00:00Z", expect=0)


TYPO = """\
version: 1
name: flaky-gate
source: datadog.ci_tests
request:
  compute: [{aggregation: count, type: total}]
  filter: {from: now-1d, to: now, query: "@git.branch:main @test.isflaky:true"}
  group_by: [{facet: "@test.service", limit: 10}]
checks:
  - {name: flaky tests, metric: c0, fail: "> 0", no_data: pass}
"""


def test_an_attribute_no_event_has_is_a_warning_in_every_report(
    run_cli: Any, tmp_path: Path
) -> None:
    data = _events(tmp_path / "data", ["2024-05-01"])
    spec = tmp_path / "flaky.yaml"
    spec.write_text(TYPO, encoding="utf-8")
    out = run_cli("run", str(spec), "--data", str(data), "--at", "2024-05-01T12:00:00Z",
                  "--report", "console", "--report", f"markdown:{tmp_path / 'r.md'}",
                  "--report", f"json:{tmp_path / 'r.json'}",
                  "--report", f"junit:{tmp_path / 'r.xml'}", expect=0)  # fmt: skip
    said = "no loaded ci_tests event has the attribute @test.isflaky; did you mean @test.is_flaky?"
    assert said in out.stdout
    for report in ("r.md", "r.json", "r.xml"):
        assert said in (tmp_path / report).read_text(encoding="utf-8"), report
    # the gate did not pass silently: the check warns, saying why
    assert "WARN" in out.stdout and "not trusted as a pass" in out.stdout
    # a standard attribute that this data never had (no test was ever flaky) is no typo
    spec.write_text(TYPO.replace("isflaky", "is_flaky"), encoding="utf-8")
    clean = run_cli("run", str(spec), "--data", str(data), "--at", "2024-05-01T12:00:00Z",
                    expect=0)  # fmt: skip
    assert "did you mean" not in clean.stdout + clean.stderr
    assert "NO_DATA" in clean.stdout.upper()


FRESH = """\
version: 1
name: nightly-tests
source: datadog.ci_tests
schedule: {cron: "0 6 * * *", window: 1d}
freshness: {max_age: 2d}
request:
  compute: [{aggregation: count, type: total}]
  filter:
    from: "{{ window.start | epoch_ms | string }}"
    to: "{{ window.end | epoch_ms | string }}"
    query: "@git.branch:main"
checks:
  - {name: failed tests, metric: c0, fail: "> 1000", no_data: pass}
  - name: main still reports
    metric: c0
    fail: "> 1000"
    freshness: {max_age: 1d, of: filter, level: warn}
"""


def _statuses(
    run_cli: Any, spec: Path, data: Path, tick: str, out: Path
) -> dict[str, tuple[str, str]]:
    import json

    result = run_cli("run", str(spec), "--data", str(data), "--tick", tick,
                     "--report", f"json:{out}")  # fmt: skip
    assert result.exit_code in (0, 1), str(result)
    [outcome] = json.loads(out.read_text())["specs"]
    return {c["name"]: (c["status"], c["message"]) for c in outcome["checks"]}


def test_freshness_fails_a_gate_whose_reports_stopped_arriving(
    run_cli: Any, tmp_path: Path
) -> None:
    data = _events(tmp_path / "data", ["2024-05-01", "2024-05-02", "2024-05-03"])
    _events(data, ["2024-05-05"], branch="dev")  # another branch goes on reporting
    spec = tmp_path / "nightly.yaml"
    spec.write_text(FRESH, encoding="utf-8")
    fresh = _statuses(run_cli, spec, data, "2024-05-04T06:00:00Z", tmp_path / "a.json")
    assert fresh["failed tests"][0] == "pass" and fresh["main still reports"][0] == "pass"
    # main stopped after 05-03: the filter's freshness (1d) warns; the source is still fresh
    branch = _statuses(run_cli, spec, data, "2024-05-05T06:00:00Z", tmp_path / "b.json")
    assert branch["failed tests"][0] == "pass"
    status, message = branch["main still reports"]
    assert status == "warn"
    assert message.startswith(
        "stale data: no ci_tests event matching filter.query in the 1d before 2024-05-05T06:00:00Z"
    )
    # nothing at all for two days: every check fails, whatever it counted (no_data: pass)
    stale = _statuses(run_cli, spec, data, "2024-05-08T06:00:00Z", tmp_path / "c.json")
    assert stale["failed tests"][0] == "fail"
    assert "reports may have stopped arriving" in stale["failed tests"][1]
    out = run_cli("run", str(spec), "--data", str(data), "--tick", "2024-05-08T06:00:00Z")
    assert out.exit_code == 1 and "stale data" in out.stdout
    # a re-run of a tick is judged as it was: later events do not make it fresh
    _events(data, ["2024-05-09"])
    again = _statuses(run_cli, spec, data, "2024-05-08T06:00:00Z", tmp_path / "d.json")
    assert again == stale
    # explain agrees, and shows the step
    text = run_cli("explain", str(spec), "--data", str(data), "--tick", "2024-05-08T06:00:00Z",
                   expect=0).stdout  # fmt: skip
    assert "freshness stale data: no ci_tests event in the 2d before" in text


def test_freshness_mistakes_are_located(run_cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(FRESH.replace("max_age: 2d", "max_age: 2days"), encoding="utf-8")
    out = run_cli("validate", str(spec), expect=2)
    assert f"{spec}:5:" in out.stdout and "invalid duration '2days'" in out.stdout
    tekton = tmp_path / "tekton.yaml"
    tekton.write_text(
        "version: 1\nname: t\nsource: tekton.summary\nfreshness: {max_age: 1d}\n"
        "request: {parent: default/results/-, summary: total}\n"
        "checks:\n  - {name: runs, metric: total, fail: '< 1'}\n",
        encoding="utf-8",
    )
    out = run_cli("validate", str(tekton), expect=2)
    assert (
        f"{tekton}:4:" in out.stdout
        and "freshness is measured on Datadog sources only" in out.stdout
    )


def test_freshness_is_measured_the_same_on_datadog(run_cli: Any, tmp_path: Path) -> None:
    """Over the emulator (Datadog's API, answered from the same data), freshness judges as
    on the local engine: the count request is an ordinary aggregate request."""
    import json
    from datetime import UTC, datetime

    from qrunner.emulator.server import running_emulator

    data = _events(tmp_path / "data", ["2024-05-01", "2024-05-02", "2024-05-03"])
    spec = tmp_path / "nightly.yaml"
    spec.write_text(FRESH, encoding="utf-8")
    local = {
        tick: _statuses(run_cli, spec, data, tick, tmp_path / f"l{n}.json")
        for n, tick in enumerate(("2024-05-04T06:00:00Z", "2024-05-08T06:00:00Z"))
    }
    keys = {"DD_API_KEY": "k" * 32, "DD_APP_KEY": "a" * 40}
    at = datetime(2024, 5, 9, tzinfo=UTC)
    with running_emulator(
        data_dir=data, at=at, cache_dir=tmp_path / "emu", api_key=keys["DD_API_KEY"]
    ) as emu:
        env = {**keys, "QRUNNER_DATADOG_URL": emu.url}
        for n, (tick, expected) in enumerate(local.items()):
            out = tmp_path / f"r{n}.json"
            result = run_cli("run", str(spec), "--target", "datadog", "--tick", tick,
                             "--report", f"json:{out}", env=env)  # fmt: skip
            assert result.exit_code in (0, 1), str(result)
            [outcome] = json.loads(out.read_text())["specs"]
            remote = {c["name"]: (c["status"], c["message"]) for c in outcome["checks"]}
            assert remote == expected
    assert local["2024-05-08T06:00:00Z"]["failed tests"][0] == "fail"
