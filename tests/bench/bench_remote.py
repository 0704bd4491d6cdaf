"""Benchmark: 500 aggregate queries against the emulator with 50 ms latency per request.

Compares qrunner's Datadog backend (asyncio, one pooled client, bounded concurrency) with the
official ``datadog-api-client`` driven by a thread pool of the same size, against the ideal
``requests x latency / concurrency``. A script, not a test::

    python tests/bench/bench_remote.py [--requests 500] [--latency 0.05] [--concurrency 16]
                                       [--answer canned|local]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from qrunner.backends.base import PreparedQuery, TargetOptions
from qrunner.backends.datadog import DatadogBackend
from qrunner.emulator.faults import Fault
from qrunner.emulator.server import running_emulator
from qrunner.sources import SOURCES

API_KEY, APP_KEY = "bench-api-key", "bench-app-key"


def canned(source_name: str, request: dict[str, Any]) -> tuple[int, Any]:
    bucket = {"by": {}, "computes": {"c0": 1}}
    return 200, {"data": {"buckets": [bucket]}, "meta": {"status": "done"}}


def body(i: int) -> dict[str, Any]:
    return {
        "compute": [{"aggregation": "count", "type": "total"}],
        "filter": {"from": "now-1h", "to": "now", "query": f"@test.name:bench{i}"},
    }


def run_qrunner(url: str, n: int, concurrency: int) -> float:
    env = {"QRUNNER_DATADOG_URL": url, "DD_API_KEY": API_KEY, "DD_APP_KEY": APP_KEY}
    options = TargetOptions(
        target="datadog", at=datetime.now(UTC), env=env, concurrency=concurrency
    )
    source = SOURCES["datadog.ci_tests"]
    queries = [PreparedQuery(f"s{i}", source, body(i)) for i in range(n)]

    async def go() -> float:
        backend = DatadogBackend(options)
        try:
            # Warm up (imports, TLS context, one connection), as a long-lived client would be.
            await backend.execute(PreparedQuery("warm-up", source, body(-1)))
            started = time.perf_counter()
            await asyncio.gather(*(backend.execute(q) for q in queries))
            return time.perf_counter() - started
        finally:
            await backend.aclose()

    return asyncio.run(go())


def run_official(url: str, n: int, concurrency: int) -> float:
    from datadog_api_client import ApiClient, Configuration
    from datadog_api_client.v2.api.ci_visibility_tests_api import CIVisibilityTestsApi
    from datadog_api_client.v2.model.ci_app_tests_aggregate_request import (
        CIAppTestsAggregateRequest,
    )
    from datadog_api_client.v2.model.ci_app_tests_query_filter import CIAppTestsQueryFilter

    configuration = Configuration(host=url)
    configuration.api_key["apiKeyAuth"] = API_KEY
    configuration.api_key["appKeyAuth"] = APP_KEY
    configuration.connection_pool_maxsize = concurrency
    with ApiClient(configuration) as api_client:
        api = CIVisibilityTestsApi(api_client)

        def one(i: int) -> Any:
            request = CIAppTestsAggregateRequest(
                filter=CIAppTestsQueryFilter(
                    _from="now-1h", to="now", query=f"@test.name:official{i}"
                ),
            )
            return api.aggregate_ci_app_test_events(body=request)

        one(-1)  # warm-up, as for qrunner
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, range(n)))
        return time.perf_counter() - started


def _serve(urls: Any, stop: Any, latency: float, answer_kind: str) -> None:
    """Child process: the emulator must not share the client's GIL, or it measures itself."""
    answer = canned if answer_kind == "canned" else None
    with running_emulator(answer, api_key=API_KEY, app_key=APP_KEY) as emulator:
        emulator.faults.add(Fault("latency", delay=latency))
        urls.put(emulator.url)
        stop.wait()
        urls.put(emulator.count())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--answer", choices=["canned", "local"], default="canned")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ideal = args.requests * args.latency / args.concurrency
    context = multiprocessing.get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    child = context.Process(target=_serve, args=(urls, stop, args.latency, args.answer))
    child.start()
    rounds = args.rounds
    ours_runs: list[float] = []
    theirs_runs: list[float] = []
    try:
        url = urls.get(timeout=60)
        # Interleaved rounds, medians reported: a 2-core machine running both the client and
        # the emulator is noisy (±10% between single runs).
        for _ in range(rounds):
            ours_runs.append(run_qrunner(url, args.requests, args.concurrency))
            with contextlib.suppress(ImportError):  # datadog-api-client not installed
                theirs_runs.append(run_official(url, args.requests, args.concurrency))
    finally:
        stop.set()
        sent = urls.get(timeout=60)
        child.join()
    ours = statistics.median(ours_runs)
    theirs = statistics.median(theirs_runs) if theirs_runs else None
    sent //= rounds
    sent -= 1 + (args.requests + 1 if theirs is not None else 0)
    print(f"medians of {rounds} interleaved rounds")
    print(
        f"{args.requests} requests, {args.latency * 1000:.0f} ms latency, "
        f"concurrency {args.concurrency}, answers: {args.answer}"
    )
    print(f"ideal                      {ideal:6.3f} s")
    print(f"qrunner                    {ours:6.3f} s  {ours / ideal:4.2f}x ideal  ({sent} sent)")
    if theirs is None:
        print("datadog-api-client         not installed (pip install 'qrunner[bench]')")
    else:
        print(f"datadog-api-client threads {theirs:6.3f} s  {theirs / ideal:4.2f}x ideal")


if __name__ == "__main__":
    main()
