"""``qrunner plan`` and ``qrunner merge``, and the scheduling flags of ``qrunner run``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from qrunner.cli.options import EPILOG_EXIT_CODES, render_options, report_flags, spec_paths
from qrunner.errors import ExitCode


def tick_option(func: Any) -> Any:
    """--tick for ``render`` and ``query``: see a scheduled spec's request at a given tick."""
    return click.option(
        "--tick",
        metavar="TIMESTAMP",
        default=None,
        help="Render scheduled specs at this tick (one of theirs) instead of the latest.",
    )(func)


def schedule_flags(func: Any) -> Any:
    """--tick, --due, --state, --catch-up, --shard (``qrunner run``)."""
    func = click.option(
        "--shard",
        metavar="K/N",
        default=None,
        help="Run only part K of N of the selected specs (stable by name); budgets are split.",
    )(func)
    func = click.option(
        "--catch-up",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        metavar="N",
        help="With --due: run up to N owed ticks per spec, oldest first; older ones are missed.",
    )(func)
    func = click.option(
        "--state",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="With --due: the state file of done ticks. Default: .qrunner/state.json.",
    )(func)
    func = click.option(
        "--due",
        is_flag=True,
        help="Run only scheduled specs whose latest tick is not done yet (see --state).",
    )(func)
    func = click.option(
        "--tick",
        metavar="TIMESTAMP",
        default=None,
        help="Run scheduled specs at this tick (it must be one of theirs), e.g. yesterday's.",
    )(func)
    return func


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@render_options
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The state of run --due, to show what is due. Default: .qrunner/state.json.",
)
@click.option(
    "--catch-up", type=click.IntRange(min=1), default=1, metavar="N", help="As for run --due."
)
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Show each spec's shard of N.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format."
)
def plan(
    paths: tuple[str, ...],
    variables: tuple[str, ...],
    at: str | None,
    state: Path | None,
    catch_up: int,
    shards: int | None,
    fmt: str,
) -> None:
    """Show each spec's schedule, last done, latest and next tick, window, and if it is due.

    \b
    Examples:
      qrunner plan queries/ --at 2024-05-01T12:00:00Z
      qrunner plan queries/ --state .qrunner/state.json --format json
    """
    from qrunner.reports.plan_view import format_plan
    from qrunner.schedule.plan import build_plan
    from qrunner.secrets import inert, inert_json
    from qrunner.spec.render import parse_at, parse_var_options

    parse_var_options(variables)  # accepted like every spec command, and checked like it too
    entries, failed = build_plan(
        spec_paths(paths), at=parse_at(at), state=state, catch_up=catch_up, shards=shards
    )
    for problems in failed.values():
        for problem in problems:
            click.echo(inert(f"qrunner: {problem}"), err=True)
    text = format_plan(entries, fmt)
    click.echo(inert_json(text) if fmt == "json" else inert(text), nl=False)
    sys.exit(ExitCode.SPEC_ERROR if failed else ExitCode.OK)


@click.command(epilog=EPILOG_EXIT_CODES)
@click.argument(
    "paths",
    metavar="REPORTS...",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@report_flags
def merge(paths: tuple[Path, ...], reports: tuple[str, ...], fail_on: str) -> None:
    """Combine shard JSON reports into one run; write its reports; exit as `run` would.

    \b
    Example:
      qrunner merge out/shard-*.json --report markdown:summary.md --report junit:junit.xml
    """
    from qrunner.reports.output import parse_report_option
    from qrunner.schedule.merge import MergeOptions, execute_merge

    options = MergeOptions(
        reports=list(paths),
        outputs=[parse_report_option(r) for r in reports],
        fail_on=fail_on,
        environ=dict(os.environ),
        interactive=sys.stderr.isatty(),
    )
    sys.exit(execute_merge(options, stdout=sys.stdout, stderr=sys.stderr))
