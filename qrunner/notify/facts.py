"""What a message shows of a check, and the notify settings that apply to it, read from the
JSON report's data (so ``qrunner notify`` replays an archived report exactly as it ran)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from qrunner.judge.units import format_quantity
from qrunner.limits import NOTIFY_OFFENDERS_SHOWN
from qrunner.notify.events import CheckFacts, Offender


@dataclass(frozen=True, slots=True)
class Settings:
    """The ``notify`` block that applies to one check (its own over its spec's)."""

    off: bool = False
    for_: int = 1
    resolve_after: int = 1
    severity: str | None = None
    runbook: str | None = None
    report: bool = False
    per_group: bool = False


def settings_for(spec: Mapping[str, Any], check: str | None) -> Settings:
    block = spec.get("notify") or {}
    own = (block.get("checks") or {}).get(check, {}) if check else {}
    merged = {k: v for k, v in block.items() if k != "checks"} | own
    return Settings(
        off=bool(merged.get("off", False)),
        for_=int(merged.get("for", 1)),
        resolve_after=int(merged.get("resolve_after", 1)),
        severity=merged.get("severity"),
        runbook=merged.get("runbook"),
        report=bool(block.get("report", False)),
        per_group=bool(merged.get("per_group", False)),
    )


def group_name(by: Mapping[str, Any]) -> str:
    """A group as incidents and messages name it: ``branch:main, service:api``."""
    return ", ".join(f"{k}:{v}" for k, v in by.items())


def _baseline(check: Mapping[str, Any]) -> str | None:
    baseline, change = check.get("baseline"), check.get("change")
    if baseline is None:
        return None
    text = f"baseline {format_quantity(baseline, check.get('unit'))}"
    return f"{text}, {change:+.1f} %" if change is not None else text


def check_facts(spec: Mapping[str, Any], check: Mapping[str, Any] | None) -> CheckFacts:
    """The facts of ``check`` (``None``: the spec as a whole, e.g. its error)."""
    window = spec.get("window")
    common: dict[str, Any] = {
        "file": str(spec.get("file", "")),
        "git_commit": spec.get("git_commit"),
        "window": (window["start"], window["end"]) if window else None,
    }
    if check is None:
        return CheckFacts(
            status=str(spec.get("status", "error")), observed=None, threshold=None,
            baseline=None, message=spec.get("error"), line=int(spec.get("line", 0)), **common,
        )  # fmt: skip
    offenders = check.get("offenders") or []
    unit = check.get("unit")
    observed = check.get("observed")
    return CheckFacts(
        status=str(check.get("status")),
        observed=format_quantity(observed, unit) if observed is not None else None,
        threshold=check.get("threshold") or None,
        baseline=_baseline(check),
        offenders=tuple(
            Offender(group_name(o.get("by", {})), format_quantity(o.get("observed"), unit))
            for o in offenders[:NOTIFY_OFFENDERS_SHOWN]
        ),
        offenders_total=len(offenders),
        message=check.get("message") or None,
        line=int(check.get("line") or spec.get("line", 0)),
        **common,
    )


def group_facts(
    spec: Mapping[str, Any], check: Mapping[str, Any], group: Mapping[str, Any]
) -> CheckFacts:
    """The facts of one group of a per-group check (its own value, no offenders)."""
    facts = check_facts(spec, {**check, "offenders": [], "status": group.get("status")})
    observed = group.get("observed")
    shown = format_quantity(observed, check.get("unit")) if observed is not None else None
    return replace(facts, observed=shown, baseline=None)
