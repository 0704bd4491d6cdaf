"""``qrunner validate`` and ``qrunner render``: the spec author's commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from qrunner.cli.options import EPILOG_EXIT_CODES, render_options, spec_paths
from qrunner.cli.schedule import tick_option
from qrunner.errors import ExitCode
from qrunner.secrets import inert, inert_json


@click.command(epilog=EPILOG_EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path())
@render_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format."
)
@click.option(
    "--notify",
    "notify_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PATH",
    help="Also check this routing file (channels, routes, silences) against the specs' owners.",
)
def validate(
    paths: tuple[str, ...],
    variables: tuple[str, ...],
    at: str | None,
    fmt: str,
    notify_path: Path | None,
) -> None:
    """Load, render and schema-check every spec under PATHS (default: queries/).

    Every error is reported as path:line:col: message [pointer].

    \b
    Examples:
      qrunner validate queries/ --var branch=release-1.2
      qrunner validate queries/ --notify notify.yaml
    """
    from qrunner.reports.validation import format_validation
    from qrunner.spec.render import build_renderer
    from qrunner.validate.specs import validate_specs

    renderer = build_renderer(at=at, variables=variables, environ=os.environ)
    report = validate_specs(spec_paths(paths), renderer, keep=False)
    report.check_command_line(spec_paths(paths))
    text = format_validation(report, fmt)
    click.echo(inert_json(text) if fmt == "json" else inert(text), nl=False)
    routing_failed = False
    if notify_path is not None:
        from qrunner.notify.routing_file import check_routing

        for problem in check_routing(notify_path, spec_paths(paths)):
            routing_failed |= problem.severity == "error"
            click.echo(inert(f"{problem.severity}: {problem}"), err=True)
    sys.exit(ExitCode.SPEC_ERROR if report.failed or routing_failed else ExitCode.OK)


@click.command()
@click.argument("spec", type=click.Path())
@render_options
@tick_option
def render(spec: str, variables: tuple[str, ...], at: str | None, tick: str | None) -> None:
    """Print SPEC's request exactly as it would be sent.

    Datadog: the JSON body. Tekton: the URL path and query string.

    \b
    Example:
      qrunner render queries/flaky-tests-main.yaml --at 2024-05-01T06:00:00Z
    """
    from qrunner.run.single import render_one
    from qrunner.spec.cron import pin_tick
    from qrunner.spec.render import build_renderer
    from qrunner.validate.specs import describe_request

    renderer = pin_tick(build_renderer(at=at, variables=variables, environ=os.environ), tick)
    rendered = render_one(Path(spec), renderer)
    from qrunner.sources import SOURCES

    click.echo(inert_json(describe_request(SOURCES[rendered.spec.source], rendered.request)))
