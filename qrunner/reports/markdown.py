"""The Markdown report, for ``$GITHUB_STEP_SUMMARY``: a status line, a table of every check,
and each per-group check's offenders folded under ``<details>``. When the run has a history
(``--history``) or a check has a baseline, a ``trend`` column shows a sparkline of the
check's recent values and its change against the baseline."""

from __future__ import annotations

from qrunner.judge.outcomes import (
    CheckOutcome,
    RunResult,
    Status,
    count_outcomes,
    describe_counts,
    format_check_value,
)
from qrunner.reports.json_report import format_timestamp
from qrunner.secrets import escape_controls

EMOJI = {
    Status.PASS: "✅",
    Status.NO_DATA: "⚪",
    Status.WARN: "⚠️",
    Status.FAIL: "❌",
    Status.ERROR: "💥",
}


def escape_cell(text: str) -> str:
    """Text safe inside a table cell: no pipes, tags, line breaks or control characters."""
    return (
        escape_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace("|", "\\|")
        .replace("\r\n", "<br>")
        .replace("\n", "<br>")
    )


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _by(by: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in by.items()) or "(all)"


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """``[1, 2, 8]`` → ``▁▂█`` (a flat series is a flat line)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    top = len(SPARKS) - 1
    return "".join(SPARKS[round((v - low) / span * top) if span else 0] for v in values)


def _trend_cell(check: CheckOutcome) -> str:
    parts = [sparkline(check.trend)] if len(check.trend) > 1 else []
    if check.change is not None:
        parts.append(f"{check.change:+.1f}%")
    if check.baseline is not None:
        parts.append(f"(baseline {format_check_value(check, check.baseline)})")
    return escape_cell(" ".join(parts)) or "—"


def _status_cell(status: Status, shadow: bool = False) -> str:
    return f"{EMOJI[status]} {status}" + (" (shadow)" if shadow else "")


class MarkdownReporter:
    def __init__(self, *, color: bool = False) -> None:
        del color

    def render(self, run: RunResult) -> str:
        counts = count_outcomes(run)
        summary = (
            f"{counts.spec_total} spec(s): {describe_counts(counts.specs)} · "
            f"{counts.check_total} check(s): {describe_counts(counts.checks)}"
        )
        if counts.shadow:
            summary += f" · {counts.shadow} shadow"
        out = [f"### {EMOJI[run.status]} qrunner: {run.status}", ""]
        out.append(
            f"{summary} · target `{run.target}`" + (" · **interrupted**" if run.interrupted else "")
        )
        trend = any(c.trend or c.baseline is not None for s in run.specs for c in s.checks)
        columns = ["spec", "check", "observed", "threshold", "status", *(["trend"] * trend)]
        out += ["", _row(*columns), _row(*(["---"] * len(columns)))]
        details: list[str] = []
        notes: list[str] = []
        for spec in run.specs:
            name = escape_cell(spec.name)
            if spec.error is not None:
                error = f"{_status_cell(Status.ERROR)}: {escape_cell(spec.error)}"
                out.append(_row(name, "—", "—", "—", error, *(["—"] * trend)))
            if spec.window is not None:
                start, end = (format_timestamp(t) for t in spec.window)
                notes.append(f"- 🕒 {name}: window {start} .. {end}")
            if spec.missed_ticks:
                missed = ", ".join(format_timestamp(t) for t in spec.missed_ticks)
                notes.append(f"- ⚠️ {name}: missed ticks {missed}")
            if spec.partial:
                notes.append(f"- ⚠️ {name}: partial result ({spec.partial_reason})")
            notes += [f"- ⚠️ {name}: {escape_cell(w)}" for w in spec.warnings]
            for check in spec.checks:
                observed = format_check_value(check, check.observed)
                out.append(
                    _row(
                        name,
                        escape_cell(check.name),
                        escape_cell(observed),
                        escape_cell(check.threshold),
                        _status_cell(check.status, not check.enforced)
                        + (escape_cell(f" ({check.unjudged})") if check.unjudged else ""),
                        *([_trend_cell(check)] * trend),
                    )
                )
                if check.offenders:
                    details += [
                        "",
                        f"<details><summary>{name} / {escape_cell(check.name)}: "
                        f"{len(check.offenders)} offender(s)</summary>",
                        "",
                        "| group | observed |",
                        "| --- | --- |",
                    ]
                    details += [
                        _row(
                            escape_cell(_by(o.by)),
                            escape_cell(format_check_value(check, o.observed)),
                        )
                        for o in check.offenders
                    ]
                    details += ["", "</details>"]
        if notes:
            out += ["", *notes]
        out += details
        return "\n".join(out) + "\n"
