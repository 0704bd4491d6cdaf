"""`run --due` decides what is due from names and schedules before rendering anything.

A spec that is not due is never rendered or validated (a run with nothing due stays cheap on
a thousand specs; tests/bench/bench_schedule.py measures it), yet a file that fails to load is
still an error (exit 2), and a spec that is due is checked in full as ever.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .test_schedule_run import _daily


def _broken_when_rendered(folder: Path, name: str) -> Path:
    """Loads fine (YAML and model), fails only once rendered and checked: c9 is not computed."""
    path = _daily(folder, name)
    path.write_text(path.read_text().replace("metric: c0", "metric: c9"))
    return path


def _due(run_cli: Any, folder: Path, state: Path, at: str, *args: str, expect: int) -> Any:
    return run_cli(
        "run", str(folder), "--due", "--state", str(state), "--at", at,
        "--report", "json:/dev/null", *args, expect=expect,
    )  # fmt: skip


# 06:00 in Berlin is 04:00 UTC: "daily" and "late" owe nothing at 05:00 once run at 04:30.
RAN, LATER, NEXT_DAY = "2024-04-30T04:30:00Z", "2024-04-30T05:00:00Z", "2024-05-01T05:00:00Z"


def test_a_spec_that_is_not_due_is_not_rendered(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    folder, state = tmp_path / "q", tmp_path / "state.json"
    _daily(folder, "daily")
    data = ("--data", str(sample_dir))
    _due(run_cli, folder, state, RAN, *data, expect=0)
    broken = _broken_when_rendered(folder, "daily")  # edited after its tick was done
    quiet = _due(run_cli, folder, state, LATER, *data, expect=0)
    assert "c9" not in quiet.stderr
    assert "--due: 1 spec(s) not due" in quiet.stderr
    # once due, it is rendered and checked in full
    loud = _due(run_cli, folder, state, NEXT_DAY, *data, expect=2)
    assert f"{broken.name}:17:5: 'c9' is not computed" in loud.stderr


def test_a_file_that_fails_to_load_is_an_error_with_nothing_due(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    folder, state = tmp_path / "q", tmp_path / "state.json"
    _daily(folder, "daily")
    data = ("--data", str(sample_dir))
    _due(run_cli, folder, state, RAN, *data, expect=0)
    (folder / "typo.yaml").write_text("version: 1\nname: typo\nsource: datadog.ci_tests\n  x: [\n")
    (folder / "unknown-key.yaml").write_text(
        (folder / "daily.yaml").read_text().replace("name: daily", "name: other\nowner_x: me")
    )
    result = _due(run_cli, folder, state, LATER, *data, expect=2)
    assert "typo.yaml:" in result.stderr
    assert "unknown-key.yaml:" in result.stderr and "owner_x" in result.stderr
    # two files of one name are an error whether or not either is due
    (folder / "unknown-key.yaml").unlink()
    (folder / "copy.yaml").write_text((folder / "daily.yaml").read_text())
    (folder / "typo.yaml").unlink()
    result = _due(run_cli, folder, state, LATER, *data, expect=2)
    assert "daily" in result.stderr and "copy.yaml" in result.stderr


def test_select_still_means_what_it_says_with_due(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    folder, state = tmp_path / "q", tmp_path / "state.json"
    _daily(folder, "daily")
    data = ("--data", str(sample_dir))
    _due(run_cli, folder, state, RAN, *data, expect=0)
    # selected but not due: nothing to run, not an error
    _due(run_cli, folder, state, LATER, *data, "--select", "dai*", expect=0)
    missing = _due(run_cli, folder, state, LATER, *data, "--select", "nope", expect=2)
    assert "no specs selected matching nope" in missing.stderr + missing.stdout


def test_a_due_spec_that_fails_to_render_is_reported_by_its_own_shard(
    run_cli: Any, sample_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "q"
    _broken_when_rendered(folder, "broken")
    reported = []
    for k in (1, 2, 3):
        state = tmp_path / f"state-{k}.json"
        result = run_cli(
            "run", str(folder), "--data", str(sample_dir), "--due", "--state", str(state),
            "--at", LATER, "--shard", f"{k}/3", "--report", "json:/dev/null",
        )  # fmt: skip
        if "'c9' is not computed" in result.stderr:
            reported.append(k)
            assert result.exit_code == 2
        else:
            assert result.exit_code == 0
    assert len(reported) == 1
