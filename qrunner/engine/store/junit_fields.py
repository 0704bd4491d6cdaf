"""Values of JUnit XML attributes: timestamps, durations, statuses and properties.

Reporters disagree on almost every attribute; this module reads all the forms the common ones
write and says ``None`` for anything else, so the caller can warn with the file and line.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

SUITE_SLACK_SECONDS = 0.001  # reporters round both times to milliseconds
RETRY_TAGS = ("flakyFailure", "flakyError", "rerunFailure", "rerunError")  # surefire

# The ``status``/``result`` attribute of a <testcase> (googletest, TestNG, Ant, xunit...).
_STATUS_WORDS = {
    "disabled": "skip", "skipped": "skip", "skip": "skip", "notrun": "skip", "not run": "skip",
    "ignored": "skip", "suppressed": "skip", "pending": "skip",
    "error": "fail", "errored": "fail", "failed": "fail", "failure": "fail", "fail": "fail",
    "broken": "fail", "timeout": "fail",
    "passed": "pass", "pass": "pass", "success": "pass", "ok": "pass", "run": "pass",
    "completed": "pass",
}  # fmt: skip
_ZONE_WORDS = re.compile(r"\s*(?:Z|UTC|GMT)$", re.IGNORECASE)
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_report_time(text: str | None) -> datetime | None:
    """A report's timestamp in any form reporters write; no zone means UTC.

    ISO-8601 with or without offset (``2024-06-01T10:00:00``, ``…+02:00``, ``…Z``, nanosecond
    fractions), a trailing ``UTC``/``GMT`` word (TestNG: ``2021-03-07T10:36:56 UTC``), RFC 1123
    (mocha: ``Sat, 03 Dec 2022 23:10:07 GMT``) and epoch seconds or milliseconds.
    """
    if text is None or not text.strip():
        return None
    raw = text.strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", raw):
        value = float(raw)
        return datetime.fromtimestamp(value / 1000 if value >= 1e11 else value, UTC)
    iso = _ZONE_WORDS.sub("+00:00", raw) if raw[:4].isdigit() else raw
    iso = _LONG_FRACTION.sub(r"\1", _SPACED_OFFSET.sub(r"\1", iso))
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if not 1970 <= moment.year <= 9998:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_seconds(text: str | None) -> float | None:
    """``time`` in seconds: ``1.5``, ``1,234.5`` (thousands), ``1,5`` (decimal comma); None if bad.

    A missing attribute is 0; a negative, infinite or unreadable one is None.
    """
    if text is None or not text.strip():
        return 0.0
    raw = text.strip()
    if raw.count(",") == 1 and "." not in raw and not re.search(r",\d{3}$", raw):
        raw = raw.replace(",", ".")
    raw = raw.replace(",", "").removesuffix("s")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def case_status(case: Element) -> tuple[str, Element | None]:
    """``pass``/``fail``/``skip`` of a <testcase> and the element explaining it.

    A <failure>/<error> child fails it, a <skipped> child skips it; otherwise its ``status`` or
    ``result`` attribute decides (``disabled``, ``notrun``… skip; ``error``, ``failed`` fail).
    """
    for tag in ("failure", "error"):
        problem = case.find(tag)
        if problem is not None:
            return "fail", problem
    skipped = case.find("skipped")
    if skipped is not None:
        return "skip", skipped
    for attribute in ("status", "result"):
        word = (case.get(attribute) or "").strip().lower()
        if word in _STATUS_WORDS and _STATUS_WORDS[word] != "pass":
            return _STATUS_WORDS[word], None
    return "pass", None


def read_properties(element: Element) -> dict[str, str]:
    """The <properties> of one element, with full dotted names (``dd_tags[a.b]`` is ``a.b``)."""
    found: dict[str, str] = {}
    for holder in element.findall("properties"):
        for prop in holder.findall("property"):
            name = (prop.get("name") or "").strip()
            if name.startswith("dd_tags[") and name.endswith("]"):
                name = name[len("dd_tags[") : -1].strip()
            value = prop.get("value")
            if value is None:
                value = (prop.text or "").strip()
            if name and not name.startswith("__"):
                found[name] = value
    return found


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
