"""The console report: one block per spec, one line per check, then a summary line.

Plain text unless built with ``color=True`` (the caller decides, honouring ``NO_COLOR`` and
whether the stream is a terminal); colour goes through rich, imported only then.
"""

from __future__ import annotations

import io

from qrunner.judge.outcomes import (
    CheckOutcome,
    RunResult,
    SpecOutcome,
    Status,
    count_outcomes,
    describe_counts,
    format_check_value,
)
from qrunner.reports.json_report import format_timestamp
from qrunner.secrets import escape_controls

TOP_OFFENDERS = 5

_STYLES = {
    Status.PASS: "green",
    Status.NO_DATA: "cyan",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
}

Segment = tuple[str, str | None]
Line = list[Segment]


def _verdict(status: Status) -> Segment:
    return (f"{status.upper():<8}", _STYLES[status])


def _by(by: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in by.items()) or "(all)"


def _check_lines(check: CheckOutcome, widths: tuple[int, int, int]) -> list[Line]:
    name_width, observed_width, threshold_width = widths
    name = check.name + (" [shadow]" if not check.enforced else "")
    observed = format_check_value(check, check.observed)
    line: Line = [
        ("  ", None),
        _verdict(check.status),
        (f"{name:<{name_width}}  {observed:>{observed_width}}  ", None),
        (f"{check.threshold:<{threshold_width}}", "dim"),
    ]
    if check.status is not Status.PASS:
        line.append((f"  {check.message}", None))
    elif check.unjudged:  # a pass that could not compare with its baseline says so
        line.append((f"  ({check.unjudged})", None))
    elif check.baseline is not None:  # and one that could, what it compared with
        change = "" if check.change is None else f", change {check.change:+.1f}%"
        line.append((f"  (baseline {format_check_value(check, check.baseline)}{change})", "dim"))
    lines = [line]
    if check.offenders:
        shown = check.offenders[:TOP_OFFENDERS]
        more = len(check.offenders) - len(shown)
        top = f" (top {len(shown)} of {len(check.offenders)})" if more else ""
        title = f"offenders, worst first{top}:"
        lines.append([(" " * 12 + title, "dim")])
        width = max(len(_by(o.by)) for o in shown)
        for offender in shown:
            value = format_check_value(check, offender.observed)
            lines.append([(" " * 14 + f"{_by(offender.by):<{width}}  {value}", None)])
    return lines


def _spec_lines(spec: SpecOutcome, widths: tuple[int, int, int]) -> list[Line]:
    where = f"{spec.file}:{spec.line}" if spec.line else spec.file
    lines: list[Line] = [
        [_verdict(spec.status), (spec.name, "bold"), (f"  {spec.source}  {where}", "dim")]
    ]
    if spec.window is not None:
        start, end = (format_timestamp(t) for t in spec.window)
        tick = format_timestamp(spec.tick) if spec.tick else "?"
        lines.append([(f"  tick {tick} · window {start} .. {end}", "dim")])
    if spec.missed_ticks:
        missed = ", ".join(format_timestamp(t) for t in spec.missed_ticks)
        lines.append([("  ! missed ticks: ", _STYLES[Status.WARN]), (missed, None)])
    if spec.error is not None:
        first, *rest = spec.error.splitlines() or [""]
        lines.append([("  error: ", _STYLES[Status.ERROR]), (first, None)])
        lines.extend([[(" " * 9 + more, None)] for more in rest])
    if spec.partial:
        lines.append([(f"  ! partial result: {spec.partial_reason}", _STYLES[Status.WARN])])
    lines.extend([[("  ! warning: ", _STYLES[Status.WARN]), (w, None)] for w in spec.warnings])
    for check in spec.checks:
        lines.extend(_check_lines(check, widths))
    return lines


def _summary(run: RunResult) -> Line:
    counts = count_outcomes(run)
    text = (
        f"{counts.spec_total} spec(s): {describe_counts(counts.specs)} · "
        f"{counts.check_total} check(s): {describe_counts(counts.checks)}"
    )
    if counts.shadow:
        text += f" · {counts.shadow} shadow"
    if run.interrupted:
        text += " · interrupted"
    return [(f"{run.status.upper()}", _STYLES[run.status]), (f"  {text}", None)]


def render_lines(run: RunResult) -> list[Line]:
    """The report as lines of (text, rich style) segments."""
    checks = [c for s in run.specs for c in s.checks]
    widths = (
        max((len(c.name) + (0 if c.enforced else 9) for c in checks), default=0),
        max((len(format_check_value(c, c.observed)) for c in checks), default=0),
        max((len(c.threshold) for c in checks), default=0),
    )
    header = (
        f"qrunner {run.qrunner_version} · target {run.target} · "
        f"started {format_timestamp(run.started_at)}"
        + (f" · shard {run.shard[0]}/{run.shard[1]}" if run.shard else "")
    )
    lines: list[Line] = [[(header, "dim")], []]
    for spec in run.specs:
        lines.extend(_spec_lines(spec, widths))
        lines.append([])
    lines.append(_summary(run))
    return lines


class ConsoleReporter:
    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def render(self, run: RunResult) -> str:
        # Text from specs, data and APIs: control characters shown, never sent to the terminal.
        lines = [[(escape_controls(t), style) for t, style in line] for line in render_lines(run)]
        if not self.color:
            return "".join("".join(t for t, _ in line).rstrip() + "\n" for line in lines)
        from rich.console import Console
        from rich.text import Text

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            force_terminal=True,
            color_system="standard",
            width=10_000,
            highlight=False,
            soft_wrap=True,
        )
        for line in lines:
            text = Text()
            for segment, style in line:
                text.append(segment, style=style or "")
            text.rstrip()
            console.print(text)
        return buffer.getvalue()
