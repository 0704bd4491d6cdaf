"""Benchmark: CLI cold start, `qrunner validate` and `qrunner run` throughput.

Not part of the test run. Usage: python tests/bench/bench_cli.py [--specs 1000] [--runs 5]
Prints the figures quoted in the README. Targets on the 2-core reference machine:
cold start of `qrunner --version` under 0.3 s; at least 1,000 specs/s for validate;
`qrunner run` on the local engine at least 100 specs/s in under 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = Path(__file__).resolve().parents[2] / "queries"


def _qrunner() -> list[str]:
    exe = shutil.which("qrunner")
    return [exe] if exe else [sys.executable, "-m", "qrunner"]


def generate_specs(folder: Path, count: int) -> None:
    """Copies of the example specs (all four sources, templates included) with unique names."""
    examples = sorted(QUERIES.glob("*.yaml"))
    shutil.copytree(QUERIES / "_templates", folder / "_templates")
    for i in range(count):
        source = examples[i % len(examples)]
        text = source.read_text()
        name = next(line for line in text.splitlines() if line.startswith("name: "))
        (folder / f"spec-{i:05d}.yaml").write_text(text.replace(name, f"{name}-{i}"))


def time_command(args: list[str], runs: int) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=False, capture_output=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    median, best = time_command([*_qrunner(), "--version"], args.runs * 2)
    print(
        f"cold start  qrunner --version        median {median:.3f} s  best {best:.3f} s"
        "   (target < 0.3 s)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "queries"
        folder.mkdir()
        generate_specs(folder, args.specs)
        check = subprocess.run(
            [*_qrunner(), "validate", str(folder)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            sys.exit(f"validate failed:\n{check.stdout}{check.stderr}")
        median, best = time_command([*_qrunner(), "validate", str(folder)], args.runs)
        print(
            f"validate    {args.specs} specs               median {median:.3f} s  "
            f"{args.specs / median:,.0f} specs/s   (target >= 1,000 specs/s)"
        )

        env = {**os.environ, "QRUNNER_CACHE_DIR": str(Path(tmp) / "cache")}
        at = ["--at", "2024-05-01T12:00:00Z"]
        # The first run generates the sample dataset and loads it into the cache.
        subprocess.run(
            [*_qrunner(), "run", str(folder), *at], env=env, capture_output=True, check=False
        )
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(
                [*_qrunner(), "run", str(folder), *at, "--report", f"json:{tmp}/run.json"],
                env=env,
                capture_output=True,
                check=False,
            )
            timings.append(time.perf_counter() - start)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        median = statistics.median(timings)
        print(
            f"run (local) {args.specs} specs               median {median:.3f} s  "
            f"{args.specs / median:,.0f} specs/s   peak RSS {peak_mb:,.0f} MB"
            "   (targets >= 100 specs/s, < 300 MB)"
        )


if __name__ == "__main__":
    main()
