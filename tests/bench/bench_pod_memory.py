"""Benchmark: peak memory of the Kubernetes CronJob's command, for its resource figures.

Not part of the test run. Usage: python tests/bench/bench_pod_memory.py [--port 8931]
Starts `qrunner emulator` on 127.0.0.1 (Tekton Results answered from the sample data), runs
the command deploy/kubernetes/30-cronjob.yaml runs (its args, with this checkout's queries/ and
a scratch state), then the same specs on the local engine, and prints each child's peak RSS
(getrusage, as /usr/bin/time -v reports it). The manifests' requests and limits quote it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CRONJOB = ROOT / "deploy" / "kubernetes" / "30-cronjob.yaml"


def _qrunner() -> list[str]:
    exe = shutil.which("qrunner")
    return [exe] if exe else [sys.executable, "-m", "qrunner"]


def cronjob_args(scratch: Path) -> list[str]:
    pod = yaml.safe_load(CRONJOB.read_text())["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    args: list[str] = pod["containers"][0]["args"]
    return [
        a.replace("/qrunner/queries/", f"{ROOT / 'queries'}/").replace("/state/", f"{scratch}/")
        for a in args
    ]


def peak_rss_mib(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run ``command`` alone in a fresh child process; its peak RSS in MiB and exit code."""
    probe = (
        "import resource, subprocess, sys; "
        "code = subprocess.run(sys.argv[1:]).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    kib, code = done.stdout.split()[-2:]
    return int(kib) / 1024, int(code)


def _wait_for(port: int) -> None:
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the emulator did not listen on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8931)
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp())
    (scratch / "reports").mkdir()
    env = {**os.environ, "QRUNNER_CACHE_DIR": str(scratch / "cache")}
    emulator = subprocess.Popen(
        [*_qrunner(), "emulator", "--port", str(options.port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(options.port)
        remote = {
            **env,
            "TEKTON_RESULTS_URL": f"http://127.0.0.1:{options.port}",
            "TEKTON_RESULTS_TOKEN": "x",
        }
        mib, code = peak_rss_mib([*_qrunner(), *cronjob_args(scratch)], remote)
        print(f"CronJob command (--target tekton, emulator): peak RSS {mib:6.1f} MiB, exit {code}")
    finally:
        emulator.terminate()
        emulator.wait()
    local = [*_qrunner(), "run", str(ROOT / "queries"), "--target", "local"]
    mib, code = peak_rss_mib(local, env)
    print(f"local engine, every spec, sample data:      peak RSS {mib:6.1f} MiB, exit {code}")
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
