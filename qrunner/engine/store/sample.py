"""The built-in sample dataset: a few days of CI tests, pipelines, spans and Tekton records.

Deterministic for ``(seed, days, end)``: three repositories (``web-ui``, ``api``, ``payments``)
run CI pipelines (``ci_level`` pipeline/stage/job; main and feature branches; a slow
``nightly-e2e`` and the occasional slow runner) whose unit-test jobs emit test events at every
``test_level`` (session/module/suite/test). A few tests are genuinely flaky: they fail, are
retried on the same commit and pass, the retry carrying ``@test.is_flaky`` and
``@test.is_retry``; the JUnit reports of an Android app (:mod:`.sample_junit`) add nested
suites, surefire reruns and a test that is flaky only across two runs of one commit. Spans of
four services have a latency tail and error statuses. Test and pipeline events carry ISO-8601
timestamps, spans epoch milliseconds, as real exports mix both.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qrunner.engine.store.sample_junit import generate_junit_sample
from qrunner.engine.tekton.summary import generate_tekton_sample

BRANCHES = ("main", "feature/checkout-v2", "fix/login-timeout", "chore/deps-bump")
_REPOS: dict[str, dict[str, Any]] = {
    "web-ui": {
        "language": "javascript",
        "framework": "jest",
        "suites": ("LoginForm", "Checkout", "SearchBar", "Navigation"),
        "flaky": ("Checkout.caches result 4",),
    },
    "api": {
        "language": "python",
        "framework": "pytest",
        "suites": ("test_users", "test_orders", "test_auth", "test_search"),
        "flaky": ("test_orders.retries request 3", "test_auth.rejects invalid token 7"),
    },
    "payments": {
        "language": "go",
        "framework": "gotest",
        "suites": ("ledger", "refunds", "cards"),
        "flaky": ("refunds.times out 8",),
    },
}
_SPAN_SERVICES: dict[str, tuple[tuple[str, str, str, float, float], ...]] = {
    # resource, operation, type, median ms, error rate
    "web-frontend": (
        ("GET /", "http.request", "web", 40, 0.002),
        ("GET /checkout", "http.request", "web", 120, 0.01),
    ),
    "api-gateway": (
        ("GET /api/users", "http.request", "web", 25, 0.004),
        ("POST /api/orders", "http.request", "web", 90, 0.02),
    ),
    "payments": (
        ("POST /charge", "http.request", "web", 180, 0.05),
        ("SELECT ledger", "postgres.query", "db", 8, 0.001),
    ),
    "search": (
        ("GET /search", "http.request", "web", 60, 0.01),
        ("query index", "elasticsearch.query", "db", 30, 0.003),
    ),
}
_MS = 1_000_000  # nanoseconds


@dataclass(frozen=True, slots=True)
class SampleSummary:
    out_dir: Path
    start: datetime
    end: datetime
    days: int
    seed: int
    counts: dict[str, int] = field(default_factory=dict)  # dataset → events written


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def _tests(suite: str, count: int) -> list[str]:
    verbs = (
        "renders", "validates input", "handles error", "retries request", "caches result",
        "paginates", "sorts results", "rejects invalid token", "times out", "logs audit",
    )  # fmt: skip
    return [f"{suite}.{verbs[i % len(verbs)]} {i}" for i in range(count)]


class _Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tests: list[dict[str, Any]] = []
        self.pipelines: list[dict[str, Any]] = []
        self.spans: list[dict[str, Any]] = []

    def duration(self, median_ms: float, spread: float = 0.5) -> int:
        return int(self.rng.lognormvariate(0, spread) * median_ms * _MS)

    def pipeline_run(self, repo: str, name: str, started: datetime, run: int) -> None:
        rng = self.rng
        branch = "main" if rng.random() < 0.6 else rng.choice(BRANCHES[1:])
        sha = _sha(repo, started.date(), run)
        repository = {"id": f"github.com/acme/{repo}"}
        pipeline = {"name": name, "id": _sha(name, started, run)[:12]}
        context = {
            "git": {"branch": branch, "commit": {"sha": sha}, "repository": repository},
            "ci": {"pipeline": pipeline, "provider": {"name": "github"}},
        }
        slow = 3.0 if rng.random() < 0.05 else 1.0
        stages: list[tuple[str, tuple[str, ...]]] = [
            ("build", ("compile", "lint")),
            ("test", ("unit-tests", "integration-tests")),
        ]
        if name == "nightly-e2e":
            stages = [("e2e", ("browser-tests", "api-contract-tests"))]
        elif branch == "main":
            stages.append(("deploy", ("deploy-staging",)))
        clock, status = started, "success"
        for stage, jobs in stages:
            stage_start, stage_status = clock, "success"
            longest = 0
            for job in jobs:
                queue = self.duration(20_000, 0.8)
                minutes = 25 if name == "nightly-e2e" else 3
                took = int(self.duration(minutes * 60_000) * slow)
                job_status = "success" if status == "success" else "skipped"
                if job_status == "success" and job == "unit-tests":
                    failed = self.test_run(
                        repo, context, clock + timedelta(milliseconds=queue // _MS)
                    )
                    job_status = "error" if failed else "success"
                elif job_status == "success" and rng.random() < 0.03:
                    job_status = "error"
                if rng.random() < 0.01:
                    job_status = "canceled"
                self.pipelines.append(self.ci_event("job", clock, took, job_status, context,
                                                    stage=stage, job=job, queue=queue))  # fmt: skip
                longest = max(longest, took + queue)
                if job_status in ("error", "canceled"):
                    stage_status = job_status
            took = longest
            self.pipelines.append(
                self.ci_event("stage", stage_start, took, stage_status, context, stage=stage)
            )
            clock += timedelta(milliseconds=took // _MS)
            if stage_status != "success" and status == "success":
                status = stage_status
        total = int((clock - started).total_seconds() * 1e9)
        self.pipelines.append(self.ci_event("pipeline", started, total, status, context))

    def ci_event(
        self, level: str, at: datetime, took: int, status: str, context: dict[str, Any],
        *, stage: str = "", job: str = "", queue: int | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        ci = dict(context["ci"])
        ci["status"] = status
        if stage:
            ci["stage"] = {"name": stage}
        if job:
            ci["job"] = {"name": job}
        if queue is not None:
            ci["queue_time"] = queue
        return {"timestamp": _iso(at), "ci_level": level, "type": "ci", "duration": took,
                "ci": ci, "git": context["git"]}  # fmt: skip

    def test_run(self, repo: str, context: dict[str, Any], started: datetime) -> bool:
        rng, spec = self.rng, _REPOS[repo]
        service = f"{repo}-tests"
        common = {
            "type": "test",
            "service": service,
            "env": "ci",
            "language": spec["language"],
            **context,
        }
        clock = started
        session_failed = False
        for suite in spec["suites"]:
            suite_start, suite_failed = clock, False
            for number, full_name in enumerate(_tests(suite, 8 + len(suite) % 3)):
                name = full_name.split(".", 1)[1]
                flaky = full_name in spec["flaky"]
                base = 40 + (hash_int(full_name) % 400)
                fail_rate = 0.25 if flaky else 0.002
                if (
                    context["git"]["branch"] == "fix/login-timeout"
                    and suite == "test_auth"
                    and number == 3
                ):
                    fail_rate = 0.9  # a regression that only lives on its branch
                attempts = [rng.random() >= fail_rate]
                if not attempts[0] and flaky:
                    attempts.append(rng.random() >= 0.1)
                for retry, passed in enumerate(attempts):
                    took = self.duration(base, 0.35)
                    test: dict[str, Any] = {
                        "name": name, "suite": suite, "full_name": full_name, "service": service,
                        "status": "pass" if passed else "fail", "framework": spec["framework"],
                        "codeowners": f'["@acme/{repo}-team"]',
                    }  # fmt: skip
                    if retry:
                        test |= {"is_retry": True, "is_flaky": True}
                    event = {"timestamp": _iso(clock), "test_level": "test", "duration": took,
                             "test": test, **common}  # fmt: skip
                    if not passed:
                        event["error"] = {
                            "type": "AssertionError",
                            "message": f"{name}: expected 200, got 500",
                        }
                    self.tests.append(event)
                    clock += timedelta(milliseconds=took // _MS)
                suite_failed = suite_failed or not attempts[-1]
            session_failed = session_failed or suite_failed
            self.tests.append(
                self.level_event("suite", suite_start, clock, suite_failed, common, suite)
            )
        self.tests.append(self.level_event("module", started, clock, session_failed, common, None))
        self.tests.append(self.level_event("session", started, clock, session_failed, common, None))
        return session_failed

    def level_event(
        self, level: str, start: datetime, end: datetime, failed: bool,
        common: dict[str, Any], suite: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        test: dict[str, Any] = {
            "service": common["service"],
            "status": "fail" if failed else "pass",
        }
        if suite:
            test["suite"] = suite
        took = int((end - start).total_seconds() * 1e9)
        return {
            "timestamp": _iso(start),
            "test_level": level,
            "duration": took,
            "test": test,
            **common,
        }

    def span_hour(self, hour: datetime) -> None:
        rng = self.rng
        busy = 1.5 if 8 <= hour.hour < 20 else 0.5
        for _ in range(int(rng.randint(60, 100) * busy)):
            service = rng.choice(sorted(_SPAN_SERVICES))
            resource, operation, kind, median, error_rate = rng.choice(_SPAN_SERVICES[service])
            took = self.duration(median, 0.6)
            if rng.random() < 0.02:
                took *= rng.randint(10, 50)  # the latency tail
            error = rng.random() < error_rate * (3 if took > median * 10 * _MS else 1)
            span: dict[str, Any] = {
                "timestamp": int(hour.timestamp() * 1000) + rng.randrange(3_600_000),
                "service": service, "env": "prod" if rng.random() < 0.8 else "staging",
                "host": f"{service}-{rng.randint(1, 3)}", "resource_name": resource,
                "operation_name": operation, "type": kind, "status": "error" if error else "ok",
                "trace_id": str(rng.getrandbits(63)), "span_id": str(rng.getrandbits(63)),
                "duration": took,
            }  # fmt: skip
            if kind == "web":
                method, _, _ = resource.partition(" ")
                span["http"] = {
                    "method": method,
                    "status_code": rng.choice((500, 502, 503)) if error else 200,
                }
            if error:
                slow_error = took > median * 10 * _MS
                span["error"] = {
                    "type": "TimeoutError" if slow_error else "ServerError",
                    "message": f"{resource} failed",
                }
            self.spans.append(span)


def hash_int(text: str) -> int:
    return int(_sha(text)[:8], 16)


def _write(path: Path, events: list[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as sink:
        for event in events:
            sink.write(json.dumps(event, separators=(",", ":")))
            sink.write("\n")
    return len(events)


def generate_sample(out_dir: Path, *, days: int, seed: int, end: datetime) -> SampleSummary:
    """Write the sample dataset for ``[end - days, end)`` under ``out_dir``."""
    end = end.astimezone(UTC)
    start = end - timedelta(days=days)
    generator = _Generator(random.Random(seed))
    for day in range(days):
        midnight = start + timedelta(days=day)
        weekday = midnight.weekday() < 5
        for repo in sorted(_REPOS):
            runs = generator.rng.randint(20, 30) if weekday else generator.rng.randint(4, 8)
            for run in range(runs):
                offset = timedelta(seconds=generator.rng.randrange(7 * 3600, 21 * 3600))
                generator.pipeline_run(repo, f"{repo}-ci", midnight + offset, run)
        generator.pipeline_run("web-ui", "nightly-e2e", midnight + timedelta(hours=2), 0)
        for hour in range(24):
            generator.span_hour(midnight + timedelta(hours=hour))
    tekton = generate_tekton_sample(random.Random(seed + 1), start, days)
    junit_dir = out_dir / "ci_tests" / "junit" / "android-app"
    junit = generate_junit_sample(random.Random(seed + 2), start, days, junit_dir)
    counts = {
        "ci_tests": _write(out_dir / "ci_tests" / "tests.jsonl", generator.tests) + junit,
        "ci_pipelines": _write(out_dir / "ci_pipelines" / "pipelines.jsonl", generator.pipelines),
        "spans": _write(out_dir / "spans" / "spans.jsonl", generator.spans),
        "tekton": _write(out_dir / "tekton" / "records.jsonl", tekton),
    }
    return SampleSummary(out_dir, start, end, days, seed, counts)
