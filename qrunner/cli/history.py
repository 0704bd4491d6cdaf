"""``qrunner history import|show|prune`` and ``qrunner report html``: the history store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

HISTORY_HELP = "The history store (a folder of Parquet files). Env: QRUNNER_HISTORY."


def history_option(*, required: bool) -> Callable[[Any], Any]:
    return click.option(
        "--history",
        "history",
        envvar="QRUNNER_HISTORY",
        type=click.Path(file_okay=False, path_type=Path),
        required=required,
        help=HISTORY_HELP,
    )


@click.group()
def history() -> None:
    """Record, read and prune the history of check results.

    \b
    Example:
      qrunner run queries/ --history .qrunner-history
      qrunner history show pipeline-duration-p90 --history .qrunner-history
    """


@history.command("import")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@history_option(required=True)
def import_(reports: tuple[Path, ...], history: Path) -> None:
    """Backfill the store from archived JSON reports (qrunner run --report json:FILE).

    \b
    Example:
      qrunner history import reports/*.json --history .qrunner-history
    """
    from qrunner.history.importer import import_reports

    summary = import_reports(list(reports), history)
    skipped = f"; {len(summary.skipped)} already recorded" if summary.skipped else ""
    click.echo(f"imported {summary.rows} row(s) from {summary.files} report(s){skipped}")


@history.command()
@click.argument("spec")
@click.option("--check", default=None, help="Only this check.")
@click.option("--group", default=None, help="A group of a per-group check: its key or a value.")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@history_option(required=True)
def show(spec: str, check: str | None, group: str | None, limit: int, history: Path) -> None:
    """Print SPEC's recorded values over time, oldest first.

    \b
    Example:
      qrunner history show flaky-tests-main --check "flaky tests" --group checkout
    """
    from qrunner.history.series import format_series, read_series

    points = read_series(history, spec, check=check, group=group, limit=limit)
    if not points:
        _explain_no_points(history, spec, check, group)
    click.echo(format_series(points))


def _explain_no_points(history: Path, spec: str, check: str | None, group: str | None) -> None:
    """Name what is missing: the spec, its check (with "did you mean"), or the group."""
    import difflib

    from qrunner.errors import UsageError
    from qrunner.history.series import recorded_checks

    checks = recorded_checks(history, spec)
    if checks is None:
        raise UsageError(f"no recorded values for {spec!r} under {history}")
    if check is not None and check not in checks:
        close = difflib.get_close_matches(check, checks, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"its checks: {', '.join(checks)}"
        raise UsageError(f"--check {check!r}: {spec!r} has no such check recorded; {hint}")
    raise UsageError(f"--group {group!r}: no recorded values for that group of {spec!r}")


@history.command()
@click.option("--keep", required=True, metavar="DURATION", help="Keep this much, e.g. 90d.")
@click.option("--at", "at", metavar="TIMESTAMP", help="Pin 'now' (default: the current time).")
@history_option(required=True)
def prune(keep: str, at: str | None, history: Path) -> None:
    """Delete the date partitions older than --keep.

    \b
    Example:
      qrunner history prune --keep 90d --history .qrunner-history
    """
    from qrunner.errors import UsageError
    from qrunner.history.store import prune as prune_store
    from qrunner.spec.render import parse_at, parse_duration

    try:
        duration = parse_duration(keep)
    except ValueError as e:
        raise UsageError(f"--keep: {e}") from None
    removed = prune_store(history, duration, parse_at(at).date())
    click.echo(f"deleted {len(removed)} partition(s) older than {keep}")


@click.group()
def report() -> None:
    """Reports over the history store.

    \b
    Example:
      qrunner report html --history .qrunner-history --out trends.html
    """


@report.command()
@history_option(required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--days", type=click.IntRange(1, 3660), default=90, show_default=True)
@click.option("--at", "at", metavar="TIMESTAMP", help="Pin 'now' (default: the current time).")
def html(history: Path, out: Path, days: int, at: str | None) -> None:
    """Write one self-contained HTML file of every check's trend (no network needed).

    \b
    Example:
      qrunner report html --history .qrunner-history --out trends.html
    """
    from qrunner.history.html import write_html_report
    from qrunner.spec.render import parse_at

    written = write_html_report(history, out, days=days, now=parse_at(at))
    size = written.bytes / 1e6
    click.echo(f"wrote {out}: {written.checks} check(s), {size:.1f} MB in {written.seconds:.2f}s")
