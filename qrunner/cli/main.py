"""The command line: turns flags into option objects, calls one core function, maps exit codes.

No HTTP, Jinja, YAML or report formatting lives here. ``main`` is the one top-level
handler: known errors print one line and exit with their code; anything else is a bug,
reported in one line with a hint to re-run with ``--traceback``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from qrunner import __version__
from qrunner.errors import ExitCode, QrunnerError

TARGETS = ("local", "datadog", "tekton", "remote")
REPORT_FORMATS = ("console", "json", "junit", "markdown", "github")

EPILOG_EXIT_CODES = """\b
Exit codes: 0 all good (pass or warn), 1 a check failed, 2 usage / spec / template /
schema error, 3 backend unavailable or erroring after retries, 4 internal error."""


def _paths(values: tuple[str, ...]) -> list[Path]:
    return [Path(v) for v in values] or [Path("queries")]


def _common_render_options(func: Any) -> Any:
    func = click.option(
        "--var",
        "variables",
        multiple=True,
        metavar="NAME=VALUE",
        help="Override a template variable (repeatable).",
    )(func)
    func = click.option(
        "--at",
        "at",
        metavar="TIMESTAMP",
        help="Pin 'now' (ISO-8601 or epoch), for reproducible windows. Default: the current time.",
    )(func)
    return func


def _target_options(func: Any) -> Any:
    func = click.option(
        "--tekton-insecure",
        is_flag=True,
        help="Do not verify Tekton Results' TLS certificate (loudly warned; prefer --tekton-ca).",
    )(func)

    func = click.option(
        "--tekton-ca",
        type=click.Path(dir_okay=False, exists=True),
        default=None,
        help="CA bundle for Tekton Results' TLS certificate. Env: TEKTON_RESULTS_CA.",
    )(func)
    func = click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Local data directory (ci_tests/, ci_pipelines/, spans/, tekton/). Env: QRUNNER_DATA. "
        "Default: a built-in sample dataset.",
    )(func)
    func = click.option(
        "--target",
        type=click.Choice(TARGETS),
        default=None,
        help="Where queries run: local engine (default), datadog, tekton, or remote "
        "(each spec on its own API). Env: QRUNNER_TARGET.",
    )(func)
    return func


class _Handler(click.Group):
    """The one top-level handler: exceptions become a one-line message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QrunnerError as e:
            click.echo(f"qrunner: error: {e}", err=True)
            ctx.exit(int(e.exit_code))
        except KeyboardInterrupt:
            click.echo("qrunner: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as e:
            if "--traceback" in sys.argv or (ctx.obj or {}).get("traceback"):
                raise
            click.echo(
                f"qrunner: internal error: {type(e).__name__}: {e} "
                "(this is a bug; re-run with --traceback and report it)",
                err=True,
            )
            ctx.exit(int(ExitCode.INTERNAL_ERROR))


@click.group(
    cls=_Handler,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG_EXIT_CODES,
)
@click.version_option(__version__, "--version", prog_name="qrunner")
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an internal error.")
@click.pass_context
def cli(ctx: click.Context, traceback: bool) -> None:
    """qrunner: run versioned YAML query specs as quality gates.

    \b
    Example:
      qrunner validate queries/
      qrunner run queries/ --report junit:reports/qrunner.xml
    """
    ctx.ensure_object(dict)
    ctx.obj["traceback"] = traceback


@cli.command(epilog=EPILOG_EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path())
@_common_render_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format."
)
def validate(paths: tuple[str, ...], variables: tuple[str, ...], at: str | None, fmt: str) -> None:
    """Load, render and schema-check every spec under PATHS (default: queries/).

    Every error is reported as path:line:col: message [pointer].

    \b
    Example:
      qrunner validate queries/ --var branch=release-1.2
    """
    from qrunner.reports.validation import format_validation
    from qrunner.spec.render import build_renderer
    from qrunner.validate.specs import validate_specs

    renderer = build_renderer(at=at, variables=variables, environ=os.environ)
    report = validate_specs(_paths(paths), renderer, keep=False)
    click.echo(format_validation(report, fmt), nl=False)
    sys.exit(ExitCode.SPEC_ERROR if report.failed else ExitCode.OK)


@cli.command()
@click.argument("spec", type=click.Path())
@_common_render_options
def render(spec: str, variables: tuple[str, ...], at: str | None) -> None:
    """Print SPEC's request exactly as it would be sent.

    Datadog: the JSON body. Tekton: the URL path and query string.

    \b
    Example:
      qrunner render queries/flaky-tests-main.yaml --at 2024-05-01T06:00:00Z
    """
    from qrunner.run.runner import render_one
    from qrunner.spec.render import build_renderer
    from qrunner.validate.specs import describe_request

    renderer = build_renderer(at=at, variables=variables, environ=os.environ)
    rendered = render_one(Path(spec), renderer)
    from qrunner.sources import SOURCES

    click.echo(describe_request(SOURCES[rendered.spec.source], rendered.request))


@cli.command()
@click.argument("spec", type=click.Path())
@_common_render_options
@_target_options
def query(
    spec: str,
    variables: tuple[str, ...],
    at: str | None,
    target: str | None,
    data_dir: Path | None,
    tekton_ca: str | None,
    tekton_insecure: bool,
) -> None:
    """Run SPEC's query and print the raw response JSON, exactly as the API returns it.

    \b
    Example:
      qrunner query queries/pipeline-duration-p90.yaml --at 2024-05-01T06:00:00Z
    """
    import json

    from qrunner.run.runner import query_one
    from qrunner.run.targets import target_options
    from qrunner.spec.render import build_renderer

    renderer = build_renderer(at=at, variables=variables, environ=os.environ)
    options = target_options(
        target=target,
        data_dir=data_dir,
        at=renderer.at,
        environ=os.environ,
        tekton_ca=tekton_ca,
        tekton_insecure=tekton_insecure,
    )
    response, notices = query_one(Path(spec), renderer, options)
    for notice in notices:
        click.echo(f"qrunner: {notice}", err=True)
    click.echo(json.dumps(response, indent=2, ensure_ascii=False))


@cli.command(epilog=EPILOG_EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--select",
    "selectors",
    multiple=True,
    metavar="PATTERN",
    help="Only specs matching: a name glob, tag:NAME or source:GLOB (repeatable: any).",
)
@_common_render_options
@_target_options
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT[:PATH]",
    help="console, json, junit, markdown or github; to PATH or stdout (repeatable).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["fail", "warn"]),
    default="fail",
    help="Lowest verdict that makes the exit code 1.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Queries in flight at once.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Deadline for the whole run.",
)
@click.option(
    "--publish",
    type=click.Choice(["datadog"]),
    default=None,
    help="Publish each check result to Datadog Product Analytics.",
)
@click.option(
    "--application-id",
    default=None,
    help="Product Analytics application id. Env: QRUNNER_PRODUCT_ANALYTICS_APPLICATION_ID.",
)
def run(
    paths: tuple[str, ...],
    selectors: tuple[str, ...],
    variables: tuple[str, ...],
    at: str | None,
    target: str | None,
    data_dir: Path | None,
    tekton_ca: str | None,
    tekton_insecure: bool,
    reports: tuple[str, ...],
    fail_on: str,
    concurrency: int,
    timeout: float | None,
    publish: str | None,
    application_id: str | None,
) -> None:
    """Run the specs under PATHS (default: queries/), judge their checks, write reports.

    \b
    Examples:
      qrunner run queries/
      qrunner run queries/ --select tag:nightly --report junit:out/junit.xml
    """
    from qrunner.reports.output import parse_report_option
    from qrunner.run.runner import RunOptions, execute_run

    options = RunOptions(
        paths=_paths(paths),
        selectors=list(selectors),
        variables=list(variables),
        at=at,
        target=target,
        data_dir=data_dir,
        tekton_ca=tekton_ca,
        tekton_insecure=tekton_insecure,
        reports=[parse_report_option(r) for r in reports],
        fail_on=fail_on,
        concurrency=concurrency,
        timeout=timeout,
        publish=publish,
        application_id=application_id,
        environ=dict(os.environ),
        interactive=sys.stderr.isatty(),
    )
    sys.exit(execute_run(options, stdout=sys.stdout, stderr=sys.stderr))


_docs_option = click.option(
    "--docs",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory holding the API doc pages.",
)


@cli.group()
def schemas() -> None:
    """Generate and check the request/response JSON Schemas from the API docs."""


@schemas.command("generate")
@_docs_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Where to write the schemas.",
)
def schemas_generate(docs: Path, out: Path) -> None:
    """Parse the API doc pages into JSON Schema 2020-12 files.

    \b
    Example:
      qrunner schemas generate --docs ../shared/api-docs --out schemas/
    """
    from qrunner.schemagen import generate_schemas, write_schemas

    written = write_schemas(generate_schemas(docs, out / "overrides"), out)
    click.echo(f"wrote {len(written)} schemas to {out}")


@schemas.command("check")
@_docs_option
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="The committed schemas.",
)
def schemas_check(docs: Path, schemas_dir: Path) -> None:
    """Fail (exit 2) when the committed schemas are stale against the doc pages.

    \b
    Example:
      qrunner schemas check --docs ../shared/api-docs
    """
    from qrunner.schemagen import check_schemas

    problems = check_schemas(docs, schemas_dir)
    for problem in problems:
        click.echo(f"{schemas_dir}: {problem}", err=True)
    if problems:
        click.echo("run: qrunner schemas generate --docs DIR --out schemas/", err=True)
        sys.exit(ExitCode.SPEC_ERROR)
    click.echo(f"{schemas_dir}: up to date")


@cli.command("sample-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--days", type=click.IntRange(1, 365), default=14, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--at", "at", metavar="TIMESTAMP", help="End of the generated period (default: now).")
def sample_data(directory: Path, days: int, seed: int, at: str | None) -> None:
    """Write a deterministic, realistic sample dataset for the local engine.

    \b
    Example:
      qrunner sample-data ./ci-data --days 7 --seed 1 && qrunner run --data ./ci-data
    """
    from qrunner.engine.store.sample import generate_sample
    from qrunner.spec.render import parse_at

    summary = generate_sample(directory, days=days, seed=seed, end=parse_at(at))
    counts = ", ".join(f"{n:,} {name}" for name, n in summary.counts.items())
    click.echo(
        f"wrote sample data to {directory}: {counts} "
        f"({summary.start:%Y-%m-%d %H:%M} to {summary.end:%Y-%m-%d %H:%M} UTC, seed {seed})"
    )


@cli.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dataset to answer from (default: the built-in sample dataset).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8126, show_default=True)
def emulator(data_dir: Path | None, host: str, port: int) -> None:
    """Serve fake Datadog and Tekton Results APIs answering from local data.

    Point qrunner at it to try a remote workflow without credentials.

    \b
    Example:
      qrunner emulator --port 8126 &
      export QRUNNER_DATADOG_URL=http://127.0.0.1:8126 DD_API_KEY=x DD_APP_KEY=y
      qrunner run queries/ --target datadog --select 'source:datadog.*'
    """
    from qrunner.emulator.server import serve

    def ready(url: str) -> None:
        click.echo(f"qrunner emulator listening on {url} (Ctrl-C to stop)", err=True)
        click.echo(
            f"  export QRUNNER_DATADOG_URL={url} QRUNNER_DATADOG_INTAKE_URL={url} "
            f"TEKTON_RESULTS_URL={url} TEKTON_RESULTS_TOKEN=emulator "
            "DD_API_KEY=emulator DD_APP_KEY=emulator",
            err=True,
        )

    serve(data_dir=data_dir, host=host, port=port, ready=ready)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="qrunner")
