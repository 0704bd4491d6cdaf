"""Hostile cases found by trying the newer commands (ingest, plan, merge, scheduling) as a
user would. Each makes the same assertions as the spec-file cases."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SPEC = """\
version: 1
name: {name}
source: datadog.ci_tests
request:
  filter: {{from: now-7d, to: now, query: "@git.branch:main"}}
checks:
  - name: tests
    metric: c0
    fail: "< 0"
"""
AT = "2024-05-01T06:00:00Z"
JUNIT = '<testsuite name="s" timestamp="2024-05-01T06:00:00"><testcase name="a"/></testsuite>\n'


def _junit(folder: Path) -> Path:
    path = folder / "report.xml"
    path.write_text(JUNIT, encoding="utf-8")
    return path


def test_ingest_into_a_data_folder_that_cannot_be_made_is_a_data_error(
    tmp_path: Path, hostile: Any
) -> None:
    _junit(tmp_path)
    (tmp_path / "blocker").write_text("a file where a folder should be", encoding="utf-8")
    outcome = hostile.qrunner(
        ["ingest", "junit", "report.xml", "--data", "blocker/data", "--no-ci-env"], cwd=tmp_path
    )
    hostile.assert_hostile(outcome, exit_code=2, where="blocker/data", says="cannot write")


def _shard_report(tmp_path: Path, hostile: Any, shard: str) -> Path:
    (tmp_path / "specs").mkdir(exist_ok=True)
    (tmp_path / "specs" / "a.yaml").write_text(SPEC.format(name="a"), encoding="utf-8")
    out = tmp_path / f"shard-{shard.replace('/', '-')}.json"
    hostile.qrunner(
        ["run", "specs", "--at", AT, "--shard", shard, "--report", f"json:{out.name}"],
        cwd=tmp_path,
    )
    assert out.exists()
    return out


def test_merge_of_one_shard_report_given_twice_says_so(tmp_path: Path, hostile: Any) -> None:
    one = _shard_report(tmp_path, hostile, "1/2")
    outcome = hostile.qrunner(["merge", one.name, one.name], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where=one.name, says="shard 1/2 twice")


def test_merge_of_a_report_from_another_version_names_its_version(
    tmp_path: Path, hostile: Any
) -> None:
    (tmp_path / "old.json").write_text('{"version": 0, "specs": []}', encoding="utf-8")
    outcome = hostile.qrunner(["merge", "old.json"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="old.json", says="version 0")


SCHEDULED = SPEC.replace(
    "request:",
    'schedule: {{cron: "0 6 * * *", window: 1d}}\nrequest:',
).replace(
    "from: now-7d, to: now",
    'from: "{{{{ window.start | iso }}}}", to: "{{{{ window.end | iso }}}}"',
)


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ('{"version": 1, "specs": {"s": 5}}', "specs.s: expected a mapping"),
        ('{"version": 1, "specs": {"s": {"done": "x"}}}', "specs.s.done: expected a list"),
        ('{"version": 1, "specs": {"s": {"done": ["x"]}}}', "specs.s.done[0]"),
        ('{"version": 1, "specs": {"s": {"through": "2024-05-01T06:00:00"}}}', "UTC time"),
        (
            '{"version": 1, "specs": {"s": {"claims": {"t": {"owner": "h:1", "expires": 7}}}}}',
            "specs.s.claims.t.expires",
        ),
        ("\\xff\\xfe", "not UTF-8"),
    ],
)
@pytest.mark.parametrize("command", ["run", "plan"])
def test_a_damaged_state_file_is_a_state_error_and_left_alone(
    tmp_path: Path, hostile: Any, state: str, says: str, command: str
) -> None:
    (tmp_path / "s.yaml").write_text(SCHEDULED.format(name="s"), encoding="utf-8")
    path = tmp_path / "state.json"
    content = state.encode("latin-1").decode("unicode_escape").encode("latin-1")
    path.write_bytes(content)
    due = ["--due"] if command == "run" else []
    outcome = hostile.qrunner(
        [command, "s.yaml", *due, "--state", "state.json", "--at", AT], cwd=tmp_path
    )
    hostile.assert_hostile(outcome, exit_code=2, where="state.json", says=says)
    assert path.read_bytes() == content


def test_merge_of_one_unsharded_report_given_twice_is_refused(tmp_path: Path, hostile: Any) -> None:
    (tmp_path / "a.yaml").write_text(SPEC.format(name="a"), encoding="utf-8")
    hostile.qrunner(["run", "a.yaml", "--at", AT, "--report", "json:whole.json"], cwd=tmp_path)
    copy = tmp_path / "copy.json"
    copy.write_bytes((tmp_path / "whole.json").read_bytes())
    outcome = hostile.qrunner(["merge", "whole.json", "copy.json"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="copy.json", says="spec 'a' is in both")
    same = hostile.qrunner(["merge", "whole.json", "whole.json"], cwd=tmp_path)
    hostile.assert_hostile(same, exit_code=2, where="whole.json", says="spec 'a' is in both")


def test_a_fifo_as_state_or_report_to_merge_is_refused_not_waited_on(
    tmp_path: Path, hostile: Any
) -> None:
    (tmp_path / "s.yaml").write_text(SCHEDULED.format(name="s"), encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.json")
    due = hostile.qrunner(["run", "s.yaml", "--due", "--state", "pipe.json"], cwd=tmp_path)
    hostile.assert_hostile(due, exit_code=2, where="pipe.json", says="not a regular file")
    merge = hostile.qrunner(["merge", "pipe.json"], cwd=tmp_path)
    hostile.assert_hostile(merge, exit_code=2, where="pipe.json", says="not a regular file")


def test_a_state_under_a_file_names_the_file_that_is_not_a_folder(
    tmp_path: Path, hostile: Any
) -> None:
    (tmp_path / "s.yaml").write_text(SCHEDULED.format(name="s"), encoding="utf-8")
    (tmp_path / "blocker").write_text("", encoding="utf-8")
    args = ["run", "s.yaml", "--due", "--state", "blocker/state.json", "--at", AT]
    outcome = hostile.qrunner(args, cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, where="blocker", says="not a folder")


def test_plan_checks_its_var_options_as_run_does(tmp_path: Path, hostile: Any) -> None:
    (tmp_path / "s.yaml").write_text(SCHEDULED.format(name="s"), encoding="utf-8")
    outcome = hostile.qrunner(["plan", "s.yaml", "--var", "nonsense"], cwd=tmp_path)
    hostile.assert_hostile(outcome, exit_code=2, says="--var expects NAME=VALUE")
