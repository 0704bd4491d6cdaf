"""Benchmark: `qrunner plan` over many scheduled specs, and what `--due` adds to a run.

Not part of the test run. Usage: python tests/bench/bench_schedule.py [--specs 1000] [--runs 5]
Prints the figures quoted in the README. Targets on the 2-core reference machine:
`qrunner plan` over 1,000 scheduled specs (each with its own cron) under 1 s, cold start
included; `qrunner run --due` (every spec due: claim, run, commit) within 5% of the same
`qrunner run` without `--due`; `qrunner run --due` with nothing due (it decides from names and
schedules, renders nothing) faster than `qrunner validate` of the same specs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import generate_specs  # a sibling script, not a package

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
AT = "2024-05-01T12:00:00Z"


def _qrunner() -> list[str]:
    exe = shutil.which("qrunner")
    return [exe] if exe else [sys.executable, "-m", "qrunner"]


def vary_schedules(folder: Path) -> None:
    """Give every spec its own cron and one of five time zones: no two share a schedule."""
    for i, path in enumerate(sorted(folder.glob("spec-*.yaml"))):
        text = re.sub(
            r'cron: "[^"]*".*', f'cron: "{i % 60} {(i // 60) % 24} * * *"', path.read_text()
        )
        text = re.sub(r"timezone: .*", "", text)
        text = text.replace("schedule:\n", f"schedule:\n  timezone: {ZONES[i % len(ZONES)]}\n")
        path.write_text(text)


CPU: dict[str, list[float]] = {}  # label → CPU seconds (user + system) of each timed run


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(
    args: list[str], env: dict[str, str], before: list[str] | None = None, label: str = ""
) -> float:
    """Wall seconds of one run; its CPU seconds (less swayed by other load) go to ``CPU``."""
    if before:
        subprocess.run(before, check=False)
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(args, env=env, capture_output=True, check=False)
    CPU.setdefault(label, []).append(_cpu() - cpu)
    return time.perf_counter() - start


def state_work(folder: Path, state: Path, runs: int) -> float:
    """Seconds a due run spends on its state, in process: claim every tick, then commit."""
    from qrunner.judge.outcomes import SpecOutcome, Status
    from qrunner.schedule.pairs import ScheduleOptions, plan_batch
    from qrunner.spec.render import build_renderer
    from qrunner.validate.specs import validate_specs

    renderer = build_renderer(at=AT, variables=[], environ={})
    ready = validate_specs([folder], renderer).ready
    timings = []
    for _ in range(runs):
        state.unlink(missing_ok=True)
        start = time.perf_counter()
        batch = plan_batch(ready, ScheduleOptions(due=True, state=state), renderer)
        outcomes = [
            SpecOutcome(r.spec.name, r.spec.source, "", 0, Status.PASS, None, [], None, None, 0.0,
                        tick=r.tick)
            for r in batch.ready
        ]  # fmt: skip
        batch.commit(outcomes)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "queries"
        folder.mkdir()
        generate_specs(folder, args.specs)
        vary_schedules(folder)
        env = {**os.environ, "QRUNNER_CACHE_DIR": str(Path(tmp) / "cache")}
        check = subprocess.run(
            [*_qrunner(), "plan", str(folder), "--at", AT, "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0 or check.stdout.count('"latest_tick": "') != args.specs:
            sys.exit(f"plan failed:\n{check.stdout[-2000:]}{check.stderr}")
        plan = [*_qrunner(), "plan", str(folder), "--at", AT, "--state", f"{tmp}/none.json"]
        timings = [_time(plan, env) for _ in range(args.runs)]
        median = statistics.median(timings)
        validate = [_time([*_qrunner(), "validate", str(folder)], env) for _ in range(args.runs)]
        checked = statistics.median(validate)
        print(
            f"plan        {args.specs} scheduled specs     median {median:.3f} s  "
            f"best {min(timings):.3f} s   (target < 1 s); `qrunner validate` of the same "
            f"specs on this machine now: median {checked:.3f} s"
        )

        state = Path(tmp) / "state.json"
        run = [*_qrunner(), "run", str(folder), "--at", AT, "--report", f"json:{tmp}/run.json"]
        due = [*run, "--due", "--state", str(state)]
        forget = [
            sys.executable,
            "-c",
            f"import pathlib; pathlib.Path({str(state)!r}).unlink(True)",
        ]
        subprocess.run(run, env=env, capture_output=True, check=False)  # sample data, cache
        subprocess.run(due, env=env, capture_output=True, check=False)  # a state, all done
        plain, with_due, nothing_due = [], [], []
        # Interleaved, so load on the machine hits both alike, and each measured run follows the
        # same kind of run (one that queries nothing), so neither pays for the other's writes.
        for _ in range(args.runs):
            nothing_due.append(_time(due, env, label="none"))
            plain.append(_time(run, env, label="plain"))
            nothing_due.append(_time(due, env, label="none"))
            with_due.append(_time(due, env, before=forget, label="due"))
        base, cost = statistics.median(plain), statistics.median(with_due)
        print(
            f"run         {args.specs} specs, no --due     median {base:.3f} s  "
            f"best {min(plain):.3f} s"
            f"\nrun --due   {args.specs} specs, all due      median {cost:.3f} s  "
            f"best {min(with_due):.3f} s  {(cost - base) / base:+.1%} (best "
            f"{(min(with_due) - min(plain)) / min(plain):+.1%})   (target < +5%)"
            f"\nrun --due   {args.specs} specs, none due     median "
            f"{statistics.median(nothing_due):.3f} s   (target < validate, {checked:.3f} s)"
        )
        cpu_base, cpu_due = statistics.median(CPU["plain"]), statistics.median(CPU["due"])
        print(
            f"CPU time    no --due {cpu_base:.2f} s, --due all due {cpu_due:.2f} s  "
            f"{(cpu_due - cpu_base) / cpu_base:+.1%}   (target < +5%)"
        )
        work = state_work(folder, state, args.runs)
        print(
            f"state work  {args.specs} specs (claim + commit, in process) median {work:.3f} s "
            f"= {work / base:.1%} of the run without --due   (target < 5%)"
        )


if __name__ == "__main__":
    main()
