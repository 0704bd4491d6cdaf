"""``qrunner merge``: shard JSON reports → one run result, judged as one run.

The merged run holds every shard's specs in the order one unsharded run would have listed
them (specs that failed to load first, then by file in discovery order, then by tick); its
status, counts and exit code come from the same functions as ``qrunner run``'s. Shard
reports must agree on N and cover each shard once; a missing shard is an error rather than a
quietly green merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from qrunner.errors import ExitCode, UsageError
from qrunner.judge.outcomes import (
    Band,
    CheckOutcome,
    GroupResult,
    Offender,
    RunResult,
    SpecOutcome,
    Status,
    exit_code_for,
    run_status,
)
from qrunner.reports.output import ReportRequest, write_reports


@dataclass(slots=True)
class MergeOptions:
    reports: list[Path]
    outputs: list[ReportRequest] = field(default_factory=list)
    fail_on: str = "fail"
    environ: dict[str, str] = field(default_factory=dict)
    interactive: bool = False


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _check(data: dict[str, Any]) -> CheckOutcome:
    return CheckOutcome(
        name=data["name"],
        status=Status(data["status"]),
        observed=data.get("observed"),
        threshold=data.get("threshold", ""),
        unit=data.get("unit"),
        offenders=[
            Offender(dict(o["by"]), o.get("observed"), o.get("baseline"), o.get("change"))
            for o in data.get("offenders", [])
        ],
        message=data.get("message", ""),
        mode=data.get("mode", "enforce"),
        line=int(data.get("line", 0)),
        metric=data.get("metric", ""),
        baseline=data.get("baseline"),
        change=data.get("change"),
        zscore=data.get("zscore"),
        bands=[Band(b["level"], b.get("low"), b.get("high")) for b in data.get("bands", [])],
        groups=[
            GroupResult(
                dict(g["by"]),
                g.get("observed"),
                Status(g["status"]),
                g.get("baseline"),
                g.get("change"),
            )
            for g in data.get("groups", [])
        ],
        unjudged=data.get("baseline_missing"),
        unit_chosen=bool(data.get("unit_chosen", False)),
    )


def _spec(data: dict[str, Any]) -> SpecOutcome:
    window = data.get("window")
    code = data.get("error_code")
    return SpecOutcome(
        name=data["name"],
        source=data.get("source", ""),
        file=data.get("file", ""),
        line=int(data.get("line", 0)),
        status=Status(data["status"]),
        error=data.get("error"),
        checks=[_check(c) for c in data.get("checks", [])],
        request_hash=data.get("request_hash"),
        git_commit=data.get("git_commit"),
        duration_s=float(data.get("duration_s", 0.0)),
        warnings=list(data.get("warnings", [])),
        partial=bool(data.get("partial", False)),
        tags=list(data.get("tags", [])),
        error_code=ExitCode(code) if code is not None else None,
        tick=_time(data["tick"]) if data.get("tick") else None,
        window=(_time(window["start"]), _time(window["end"])) if window else None,
        missed_ticks=[_time(t) for t in data.get("missed_ticks", [])],
        owner=data.get("owner"),
        notify=data.get("notify"),
    )


def read_report(path: Path) -> RunResult:
    """One ``--report json`` file back into a :class:`RunResult`."""
    from qrunner.reports.json_report import read_report_data

    data = read_report_data(path)
    try:
        shard = data.get("shard")
        return RunResult(
            status=Status(data["status"]),
            started_at=_time(data["started_at"]),
            at=_time(data["at"]),
            qrunner_version=str(data["qrunner_version"]),
            target=str(data["target"]),
            specs=[_spec(s) for s in data["specs"]],
            interrupted=bool(data.get("interrupted", False)),
            shard=(int(shard["index"]), int(shard["count"])) if shard else None,
            run_id=data.get("run_id"),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise UsageError(f"{path}: not a qrunner JSON report ({type(e).__name__}: {e})") from None


def _walk_key(file: str) -> tuple[tuple[int, str], ...]:
    """Discovery order (``os.walk``, sorted): a folder's files before its subfolders."""
    parts = PurePosixPath(file.replace("\\", "/")).parts
    return (*((1, p) for p in parts[:-1]), (0, parts[-1] if parts else ""))


def _order(spec: SpecOutcome) -> tuple[Any, ...]:
    loaded = bool(spec.source)  # a spec that failed to load has no source
    return (loaded, _walk_key(spec.file), spec.tick.timestamp() if spec.tick else 0.0)


def _refuse_repeats(runs: Sequence[tuple[Path, RunResult]]) -> None:
    """One spec at one tick in two reports would be counted twice: a report given twice, or
    two runs of the same specs, are not parts of one run."""
    seen: dict[tuple[str, str, str], tuple[int, Path]] = {}
    for number, (path, run) in enumerate(runs):
        for spec in run.specs:
            tick = spec.tick.isoformat() if spec.tick else ""
            key = (spec.file, spec.name, tick)
            first, first_path = seen.setdefault(key, (number, path))
            if first != number:
                at = f" at tick {tick}" if tick else ""
                raise UsageError(
                    f"spec {spec.name!r}{at} is in both {first_path} and {path}: "
                    "merge the reports of one run"
                )


def _refuse_mixed(
    runs: Sequence[tuple[Path, RunResult]], what: str, key: Callable[[RunResult], str]
) -> None:
    """Shards of one run share a target and a qrunner version; anything else is not one run."""
    first_path, first = runs[0]
    for path, run in runs[1:]:
        if key(run) != key(first):
            raise UsageError(
                f"the reports are not one run: {first_path} has {what} {key(first)!r}, "
                f"{path} has {key(run)!r}"
            )


def merge_runs(runs: Sequence[tuple[Path, RunResult]]) -> RunResult:
    if not runs:
        raise UsageError("qrunner merge needs at least one JSON report")
    _refuse_mixed(runs, "target", lambda run: run.target)
    _refuse_mixed(runs, "qrunner version", lambda run: run.qrunner_version)
    # A list, not a dict by path: the same file given twice is a shard given twice.
    shards = [(path, run.shard) for path, run in runs if run.shard is not None]
    if shards:
        counts = {count for _, (_, count) in shards}
        if len(counts) > 1 or len(shards) != len(runs):
            raise UsageError("the reports come from different shardings (--shard K/N)")
        count = counts.pop()
        seen: dict[int, Path] = {}
        for path, (index, _) in shards:
            if index in seen:
                raise UsageError(f"shard {index}/{count} twice: {seen[index]} and {path}")
            seen[index] = path
        missing = sorted(set(range(1, count + 1)) - set(seen))
        if missing:
            named = ", ".join(f"{k}/{count}" for k in missing)
            raise UsageError(f"shard(s) {named} missing: their reports were not given")
    _refuse_repeats(runs)
    results = [run for _, run in runs]
    specs = sorted((s for run in results for s in run.specs), key=_order)
    return RunResult(
        status=run_status(specs),
        started_at=min(r.started_at for r in results),
        at=max(r.at for r in results),
        qrunner_version=results[0].qrunner_version,
        target=results[0].target,
        specs=specs,
        interrupted=any(r.interrupted for r in results),
        run_id=results[0].run_id,  # shards of one CI run share it
    )


def execute_merge(options: MergeOptions, *, stdout: TextIO, stderr: TextIO) -> int:
    """Merge, write the reports, return ``qrunner run``'s exit code for the merged run."""
    run = merge_runs([(path, read_report(path)) for path in options.reports])
    unwritten = write_reports(
        run,
        options.outputs,
        environ=options.environ,
        interactive=options.interactive,
        stdout=stdout,
        stderr=stderr,
    )
    code = exit_code_for(run, fail_on=options.fail_on)
    if unwritten and code is not ExitCode.INTERNAL_ERROR:
        return int(ExitCode.SPEC_ERROR)  # as `qrunner run`: a missing report has not passed
    return int(code)
