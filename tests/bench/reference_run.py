"""Compare the local engine with the independent reference on many generated requests.

Run from the repository: ``python -m tests.bench.reference_run --seed 7 --cases 5000``.
The test suite runs a few hundred cases with one fixed seed; this runs as many as asked with
any seed and prints the smallest request that disagrees (Hypothesis shrinks it), exiting 1.
Not a pytest test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

from qrunner.engine.store.datastore import LocalStore
from tests.engine.datadog.reference_cases import Case, cases, differences, make_events, write_events
from tests.engine.datadog.test_reference import every_page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    parser.add_argument("--cases", type=int, default=3000, help="requests to try (default 3000)")
    parser.add_argument("--events", type=int, default=2500, help="dataset size (default 2500)")
    args = parser.parse_args()
    events = make_events(args.events)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        store = LocalStore(write_events(events, root / "data"), root / "cache")
        tried = 0

        @seed(args.seed)
        @settings(
            max_examples=args.cases,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases())
        def compare(case: Case) -> None:
            nonlocal tried
            tried += 1
            found = differences(every_page(store, case.body, case.source), events, case)
            assert not found, "\n".join([f"request: {case.body}", *found])

        started = time.perf_counter()
        try:
            compare()
        except AssertionError as e:
            print(f"seed {args.seed}: the engine and the reference disagree:\n{e}")
            return 1
        finally:
            store.close()
        took = time.perf_counter() - started
        print(f"seed {args.seed}: {tried} requests agree ({took:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
