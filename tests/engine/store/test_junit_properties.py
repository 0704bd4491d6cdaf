"""Property tests: whatever a JUnit report holds, loading it raises nothing and says what it did.

The loader's documented behaviour: never an exception; events whose status is pass/fail/skip,
whose timestamp is ISO-8601 UTC and whose duration, when present, is 0…1 day in nanoseconds;
problems as :class:`DataWarning` naming the file.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, tostring

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrunner.engine.base import DataWarning
from qrunner.engine.store.junit import load_junit
from qrunner.engine.store.junit_fields import parse_report_time, parse_seconds
from qrunner.limits import MAX_TEST_SECONDS

TIMES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["1.5", "1,5", "1,234.5", "-1", "nan", "inf", "1e30", "1500000000", ""]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
STAMPS = st.one_of(
    st.text(max_size=30),
    st.sampled_from([
        "2021-03-07T10:36:56 UTC", "Sat, 03 Dec 2022 23:10:07 GMT",
        "2024-01-01T00:00:00.123456789Z",
        "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "1717236000", "99999999999999",
        "Mon, 32 Foo 2022 99:99:99 GMT",
    ]),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)  # fmt: skip
WORDS = st.sampled_from(["disabled", "skipped", "notrun", "error", "run", "passed", "", "FAILED"])
NAMES = st.one_of(
    st.text(max_size=10), st.sampled_from(["a.b", "a.b.c", "A.B", "timestamp", "test.status"])
)
TAGS = ("failure", "error", "skipped", "flakyFailure", "rerunFailure", "flakyError", "rerunError")


@st.composite
def suites(draw: st.DrawFn, depth: int = 0) -> Element:
    suite = Element("testsuite")
    for key, values in (("name", NAMES), ("time", TIMES), ("timestamp", STAMPS)):
        if draw(st.booleans()):
            suite.set(key, draw(values))
    if draw(st.booleans()):
        holder = SubElement(suite, "properties")
        for _ in range(draw(st.integers(0, 3))):
            SubElement(
                holder, "property", {"name": draw(NAMES), "value": draw(st.text(max_size=5))}
            )
    for _ in range(draw(st.integers(0, 4))):
        if depth < 3 and draw(st.integers(0, 4)) == 0:
            suite.append(draw(suites(depth + 1)))
            continue
        case = SubElement(suite, "testcase", {"name": draw(NAMES)})
        for key, values in (("classname", NAMES), ("time", TIMES), ("status", WORDS)):
            if draw(st.booleans()):
                case.set(key, draw(values))
        for tag in draw(st.lists(st.sampled_from(TAGS), max_size=3)):
            SubElement(case, tag, {"message": draw(st.text(max_size=5)), "time": draw(TIMES)})
    return suite


@st.composite
def reports(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:  # not even XML
        return draw(st.binary(max_size=200))
    root = Element("testsuites")
    if draw(st.booleans()):
        root.set("timestamp", draw(STAMPS))
    for _ in range(draw(st.integers(0, 3))):
        root.append(draw(suites()))
    document = tostring(root if draw(st.booleans()) else (list(root) or [root])[0])
    if draw(st.integers(0, 5)) == 0:
        cut = draw(st.integers(0, len(document)))
        document = document[:cut]
    return document


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_any_report_loads_or_warns_never_raises(document: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "svc" / "report.xml"
        path.parent.mkdir()
        path.write_bytes(document)
        events, warnings = load_junit(path, time=datetime(2024, 1, 1, tzinfo=UTC))
    json.dumps(events)
    for event in events:
        assert event["test.status"] in ("pass", "fail", "skip")
        assert event["test_level"] in ("test", "suite")
        assert datetime.fromisoformat(event["timestamp"]).tzinfo is not None
        if "duration" in event and event["test_level"] == "test":
            assert 0 <= event["duration"] <= MAX_TEST_SECONDS * 1e9
    assert all(isinstance(w, DataWarning) and w.path == str(path) for w in warnings)


@given(st.text())
def test_timestamps_parse_or_say_none(text: str) -> None:
    moment = parse_report_time(text)
    assert moment is None or moment.tzinfo is not None


@given(st.text())
def test_durations_parse_or_say_none(text: str) -> None:
    seconds = parse_seconds(text)
    assert seconds is None or 0 <= seconds < float("inf")
