"""Scheduled runs end to end: ticks pin requests, due runs with state, catch-up, shards, merge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import QUERIES

DAILY = """\
version: 1
name: {name}
source: datadog.ci_tests
schedule:
  cron: "0 6 * * *"
  timezone: Europe/Berlin
  window: 1d
  delay: 30m
request:
  compute: [{{aggregation: {aggregation}, metric: "@duration", type: total}}]
  filter:
    from: "{{{{ window.start | epoch_ms | string }}}}"
    to: "{{{{ window.end | epoch_ms | string }}}}"
    query: "{query}"
checks:
  - name: tests ran
    metric: c0
    fail: "< 1{unit}"
    no_data: {no_data}
"""


def _daily(folder: Path, name: str, query: str = "test_level:test", no_data: str = "fail") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    aggregation = "count" if no_data == "fail" else "avg"  # avg of nothing is no data
    unit = "" if no_data == "fail" else "ms"
    path.write_text(
        DAILY.format(name=name, query=query, no_data=no_data, aggregation=aggregation, unit=unit)
    )
    return path


def _report(run_cli: Any, *args: str, out: Path, expect: int | None = None) -> dict[str, Any]:
    run_cli("run", *args, "--report", f"json:{out}", expect=expect)
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def _ticks(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["name"], s["tick"]) for s in report["specs"]]


# 06:00 in Berlin on 2024-04-30 (CEST) is 04:00 UTC.
TICK = "2024-04-30T04:00:00Z"


def test_a_late_run_renders_the_same_request_as_an_on_time_one(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    spec = _daily(tmp_path / "q", "daily")
    runs = [
        ("--at", "2024-04-30T04:01:00Z"),  # a minute late
        ("--at", "2024-04-30T07:00:00Z"),  # three hours late
        ("--at", "2024-05-01T05:00:00Z", "--tick", TICK),  # 25 hours late: the next tick is due
    ]
    specs = []
    for i, args in enumerate(runs):
        report = _report(
            run_cli, str(spec), "--data", str(sample_dir), *args, out=tmp_path / f"{i}.json"
        )
        specs.append(report["specs"][0])
    assert {s["tick"] for s in specs} == {TICK}
    assert {s["request_hash"] for s in specs} == {specs[0]["request_hash"]}
    assert specs[0]["window"] == {"start": "2024-04-29T03:30:00Z", "end": "2024-04-30T03:30:00Z"}
    assert {json.dumps(s["checks"]) for s in specs} == {json.dumps(specs[0]["checks"])}
    # without --tick, 25 hours late is the next tick, with its own window
    late = _report(
        run_cli, str(spec), "--data", str(sample_dir), "--at", "2024-05-01T05:00:00Z",
        out=tmp_path / "late.json",
    )  # fmt: skip
    assert late["specs"][0]["tick"] == "2024-05-01T04:00:00Z"
    assert late["specs"][0]["request_hash"] != specs[0]["request_hash"]


def test_tick_must_be_one_of_the_schedule(run_cli: Any, sample_dir: Path, tmp_path: Path) -> None:
    spec = _daily(tmp_path / "q", "daily")
    result = run_cli(
        "run", str(spec), "--data", str(sample_dir), "--tick", "2024-04-30T04:30:00Z", expect=2
    )
    assert "--tick 2024-04-30T04:30:00Z is not a tick of this schedule" in result.stdout
    assert "2024-04-30T04:00:00Z and 2024-05-01T04:00:00Z" in result.stdout


def test_a_dropped_day_is_caught_up_oldest_first_with_one_window_per_tick(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "q"
    _daily(folder, "daily")
    state = tmp_path / "state.json"
    common = [str(folder), "--data", str(sample_dir), "--due", "--state", str(state)]
    first = _report(run_cli, *common, "--at", "2024-04-28T05:00:00Z", out=tmp_path / "1.json")
    assert _ticks(first) == [("daily", "2024-04-28T04:00:00Z")]
    # the run of 2024-04-29 was dropped; the next one catches up
    again = _report(
        run_cli, *common, "--at", "2024-04-30T05:00:00Z", "--catch-up", "3",
        out=tmp_path / "2.json",
    )  # fmt: skip
    assert _ticks(again) == [("daily", "2024-04-29T04:00:00Z"), ("daily", "2024-04-30T04:00:00Z")]
    windows = [s["window"] for s in again["specs"]]
    assert windows == [
        {"start": "2024-04-28T03:30:00Z", "end": "2024-04-29T03:30:00Z"},
        {"start": "2024-04-29T03:30:00Z", "end": "2024-04-30T03:30:00Z"},
    ]
    assert len({s["request_hash"] for s in again["specs"]}) == 2
    assert all(s["missed_ticks"] == [] for s in again["specs"])
    nothing = _report(run_cli, *common, "--at", "2024-04-30T09:00:00Z", out=tmp_path / "3.json")
    assert nothing["specs"] == []
    # two dropped days with --catch-up 1 (the default): the latest runs, the others are listed
    dropped = _report(run_cli, *common, "--at", "2024-05-03T05:00:00Z", out=tmp_path / "4.json")
    assert _ticks(dropped) == [("daily", "2024-05-03T04:00:00Z")]
    assert dropped["specs"][0]["missed_ticks"] == ["2024-05-01T04:00:00Z", "2024-05-02T04:00:00Z"]
    plan = run_cli(
        "plan", str(folder), "--state", str(state), "--at", "2024-05-03T05:00:00Z",
        "--format", "json", expect=0,
    )  # fmt: skip
    (entry,) = json.loads(plan.stdout)
    assert entry["due"] is False and entry["last_done_tick"] == "2024-05-03T04:00:00Z"
    assert entry["next_tick"] == "2024-05-04T04:00:00Z"
    assert entry["window"] == {"start": "2024-05-02T03:30:00Z", "end": "2024-05-03T03:30:00Z"}


def test_an_errored_tick_is_retried_and_without_due_the_state_is_not_read(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "q"
    _daily(folder, "nothing", query="service:no-such-service", no_data="error")
    state = tmp_path / "state.json"
    common = [str(folder), "--data", str(sample_dir), "--due", "--state", str(state)]
    for name in ("1", "2"):
        report = _report(
            run_cli, *common, "--at", "2024-04-30T05:00:00Z", out=tmp_path / f"{name}.json"
        )
        assert [(s["tick"], s["status"]) for s in report["specs"]] == [
            ("2024-04-30T04:00:00Z", "error")
        ]
    state.write_text("not json")
    run_cli("run", str(folder), "--data", str(sample_dir), "--state", str(state), expect=3)
    result = run_cli(*["run", *common], expect=2)
    assert "not a state file" in result.stderr + result.stdout


def test_concurrent_due_runs_run_each_tick_once(sample_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "q"
    for i in range(6):
        _daily(folder, f"daily-{i}")
    state = tmp_path / "state.json"
    env = {**os.environ, "QRUNNER_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("GITHUB_ACTIONS", None)
    env.pop("GITHUB_STEP_SUMMARY", None)

    def start(name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable, "-m", "qrunner", "run", str(folder), "--data", str(sample_dir),
                "--due", "--state", str(state), "--at", "2024-04-30T05:00:00Z",
                "--concurrency", "1", "--report", f"json:{tmp_path / name}.json",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip

    procs = [start("a"), start("b")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    ran = [
        (s["name"], s["tick"])
        for name in ("a", "b")
        for s in json.loads((tmp_path / f"{name}.json").read_text())["specs"]
    ]
    assert sorted(ran) == sorted((f"daily-{i}", "2024-04-30T04:00:00Z") for i in range(6))
    saved = json.loads(state.read_text())["specs"]
    assert all(entry["claims"] == {} for entry in saved.values())


def _comparable(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in s.items() if k != "duration_s"} for s in report["specs"]]


def test_four_shards_merged_equal_one_unsharded_run(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    common = [str(QUERIES), "--data", str(sample_dir), "--at", "2024-05-01T12:00:00Z"]
    whole = _report(run_cli, *common, out=tmp_path / "whole.json")
    parts = []
    for k in range(1, 5):
        path = tmp_path / f"shard-{k}.json"
        _report(run_cli, *common, "--shard", f"{k}/4", out=path)
        parts.append(path)
    names = [s["name"] for p in parts for s in json.loads(p.read_text())["specs"]]
    assert sorted(names) == sorted(s["name"] for s in whole["specs"])  # each in exactly one
    merged_path = tmp_path / "merged.json"
    result = run_cli(
        "merge", *map(str, parts), "--report", f"json:{merged_path}", "--report", "markdown"
    )
    whole_exit = run_cli("run", *common, "--report", f"json:{tmp_path / 'again.json'}").exit_code
    assert result.exit_code == whole_exit == 1
    merged = json.loads(merged_path.read_text())
    assert _comparable(merged) == _comparable(whole)
    assert merged["status"] == whole["status"] and merged["shard"] is None
    assert "window" in result.stdout
    missing = run_cli("merge", *map(str, parts[:3]), expect=2)
    assert "shard(s) 4/4 missing" in missing.stderr


def test_shards_split_the_spans_budget() -> None:
    from qrunner.schedule.shard import parse_shard, shard_environ, shard_of

    assert shard_environ({}, parse_shard("2/4"))["QRUNNER_SPANS_BUDGET"] == "75/3600"
    assert (
        shard_environ({"QRUNNER_SPANS_BUDGET": "1000/60"}, parse_shard("1/3"))[
            "QRUNNER_SPANS_BUDGET"
        ]
        == "333/60"
    )
    assert "QRUNNER_SPANS_BUDGET" not in shard_environ({}, None)
    # rendezvous hashing: going from 4 to 5 shards moves only specs into the new shard
    names = [f"spec-{i}" for i in range(400)]
    moved = [n for n in names if shard_of(n, 4) != shard_of(n, 5)]
    assert all(shard_of(n, 5) == 5 for n in moved) and 40 < len(moved) < 130
    with pytest.raises(Exception, match="K/N"):
        parse_shard("5/4")
