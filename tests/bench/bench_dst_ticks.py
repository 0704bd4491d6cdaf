"""Ticks around DST changes against an independent minute-by-minute walk, in bulk.

Not part of the test run (tests/spec/test_dst_ticks.py runs a few hundred such cases). Usage:
python tests/bench/bench_dst_ticks.py [--cases 5000] [--seed 19]. Each case is a generated cron
(wildcards, fixed times, steps, lists, weekdays, aliases), a zone with 30- or 45-minute changes,
midnight changes or the usual ones, and a moment within two days of one of its changes since
2000; qrunner's latest tick, next tick and the ticks of the two days before are compared with
tests/spec/dst_reference.py. Prints the number of cases, the disagreements (each one listed) and
how long qrunner took per case; the README quotes the result.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from qrunner.spec.cron import parse_schedule
from tests.spec.dst_reference import reference_ticks, transitions

ZONES = (
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Tehran",
    "Asia/Amman",
    "Africa/Cairo",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "America/Asuncion",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Adelaide",
)
MINUTES = ("*", "0", "30", "45", "*/15", "*/20", "0,30", "15-50/5", "59", "5-25", "*/7", "44")
HOURS = ("*", "0", "1", "2", "3", "23", "*/2", "1-3", "0,12", "22-23", "*/5", "2,3")
WEEKDAYS = ("*", "0", "5", "1-5", "6,0")
DAYS = ("*", "2-31", "1,15")


def generate(rng: random.Random) -> tuple[str, str, datetime]:
    zone = rng.choice(ZONES)
    change = rng.choice(transitions(zone)[-40:])
    at = change + timedelta(seconds=rng.randint(-2 * 86400, 2 * 86400))
    if rng.random() < 0.05:
        return rng.choice(("@hourly", "@daily")), zone, at
    weekday = rng.choice(WEEKDAYS)
    day = rng.choice(DAYS) if weekday != "*" else "*"
    return f"{rng.choice(MINUTES)} {rng.choice(HOURS)} {day} * {weekday}", zone, at


def disagreement(cron: str, zone: str, at: datetime) -> tuple[str | None, float]:
    start = time.perf_counter()
    schedule = parse_schedule(cron, zone, "1h", "0m")
    latest, following = schedule.bracket(at)
    recent = schedule.ticks_between(at - timedelta(days=2), at, 10_000)
    spent = time.perf_counter() - start
    for days in (3, 9):
        walked = reference_ticks(cron, zone, at - timedelta(days=days), at + timedelta(days=days))
        before = [t for t in walked if t <= at]
        after = [t for t in walked if t > at]
        if before and after:
            break
    expected = [t for t in before if t > at - timedelta(days=2)][::-1]
    if (latest, following) != (before[-1], after[0]) or recent != expected:
        return f"{cron!r} {zone} --at {at:%Y-%m-%dT%H:%M:%SZ}: {latest} {following}", spent
    return None, spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    wrong: list[str] = []
    spent = 0.0
    for _ in range(args.cases):
        message, seconds = disagreement(*generate(rng))
        spent += seconds
        if message:
            wrong.append(message)
    for line in wrong:
        print("DISAGREES", line)
    print(
        f"{args.cases} cases in {len(ZONES)} zones: {len(wrong)} disagreements; "
        f"qrunner {1000 * spent / args.cases:.2f} ms per case (latest, next, two days of ticks)"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
