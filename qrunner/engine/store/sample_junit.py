"""The JUnit part of the sample dataset: an Android app's Gradle/surefire reports.

Eight CI runs a day on ``main`` (every three hours), each writing one report with nested suites
(``app`` → ``com.acme.cart.CartTest``…), a disabled test (``status="disabled"``), a skipped
one, and two flaky tests:

* ``SyncTest.syncsOfflineCart`` usually fails once and passes on surefire's rerun
  (``<flakyFailure>``): flaky within one report;
* ``SyncTest.uploadsReceipt`` sometimes fails the whole job, which CI re-runs on the same commit
  where it passes: flaky only across reports (derived per commit at load time). Re-run reports
  give their time in RFC 1123 form, as mocha does, the others in ISO-8601.

Every report names its service, branch and commit in ``<properties>``, as ``ingest`` writes them.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ElementTree, SubElement

SERVICE = "android-app-tests"
RUNS_PER_DAY = 8
_SUITES: dict[str, dict[str, tuple[str, ...]]] = {
    "app": {
        "com.acme.cart.CartTest": ("addsItem", "removesItem", "appliesCoupon", "totals"),
        "com.acme.sync.SyncTest": ("syncsOfflineCart", "uploadsReceipt", "resolvesConflict"),
    },
    "ui": {
        "com.acme.ui.CheckoutScreenTest": ("rendersTotal", "showsError", "darkMode"),
    },
}


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def _properties(parent: Element, values: dict[str, str]) -> None:
    holder = SubElement(parent, "properties")
    for name, value in values.items():
        SubElement(holder, "property", {"name": name, "value": value})


def _case(
    rng: random.Random, suite: Element, classname: str, name: str, *, upload_fails: bool
) -> float:
    took = round(rng.lognormvariate(0, 0.4) * 0.3, 3)
    case = SubElement(suite, "testcase", {"name": name, "classname": classname, "time": f"{took}"})
    if name == "darkMode":
        case.set("status", "disabled")
        case.set("time", "0")
        return 0.0
    if name == "resolvesConflict":
        SubElement(case, "skipped", {"message": "needs a device"})
    elif name == "syncsOfflineCart" and rng.random() < 0.7:
        problem = {"message": "expected SYNCED but was PENDING", "type": "AssertionError"}
        SubElement(case, "flakyFailure", problem)
    elif name == "uploadsReceipt" and upload_fails:
        SubElement(case, "failure", {"message": "timeout after 5s", "type": "TimeoutException"})
    return took


def _report(
    rng: random.Random, started: datetime, sha: str, *, upload_fails: bool, rerun: bool
) -> ElementTree:
    stamp = (
        format_datetime(started, usegmt=True) if rerun else started.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    root = Element("testsuites", {"name": "android-app", "timestamp": stamp})
    _properties(
        root,
        {
            "test.service": SERVICE, "service": SERVICE, "env": "ci", "language": "java",
            "test.framework": "junit5", "git.branch": "main", "git.commit.sha": sha,
            "git.repository.id": "github.com/acme/android-app",
            "ci.pipeline.name": "android-app-ci", "ci.provider.name": "github",
        },
    )  # fmt: skip
    for group, classes in _SUITES.items():
        outer = SubElement(root, "testsuite", {"name": group})
        outer_time = 0.0
        for classname, names in classes.items():
            inner = SubElement(outer, "testsuite", {"name": classname})
            took = sum(_case(rng, inner, classname, n, upload_fails=upload_fails) for n in names)
            inner.set("time", f"{took:.3f}")
            outer_time += took
        outer.set("time", f"{outer_time:.3f}")
    return ElementTree(root)


def generate_junit_sample(rng: random.Random, start: datetime, days: int, out_dir: Path) -> int:
    """Write the reports under ``out_dir``; return how many test executions they hold."""
    executions = 0
    for day in range(days):
        midnight = start + timedelta(days=day)
        for run in range(RUNS_PER_DAY):
            started = midnight + timedelta(hours=3 * run, minutes=rng.randrange(20, 50))
            sha = _sha("android-app", midnight.date(), run)
            upload_fails = rng.random() < 0.35
            attempts = [(started, upload_fails)]
            if upload_fails:  # CI re-runs the failed job on the same commit
                attempts.append((started + timedelta(minutes=12), False))
            for number, (at, fails) in enumerate(attempts):
                tree = _report(rng, at, sha, upload_fails=fails, rerun=number > 0)
                suffix = "-rerun" if number else ""
                path = out_dir / f"{midnight:%Y-%m-%d}" / f"run-{run}{suffix}.xml"
                path.parent.mkdir(parents=True, exist_ok=True)
                tree.write(path, encoding="utf-8", xml_declaration=True)
                executions += sum(1 for _ in tree.iter("testcase"))
                executions += sum(1 for _ in tree.iter("flakyFailure"))
    return executions
