"""``qrunner ingest``: add local CI data to a data folder (translation only; the work is in
:mod:`qrunner.engine.store.ingest`)."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.group()
def ingest() -> None:
    """Add CI results to a local data folder, for the local engine.

    \b
    Example:
      qrunner ingest junit target/surefire-reports --data ./ci-data --service cart
    """


@ingest.command("junit")
@click.argument("reports", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The data folder; events are written to a new file in DATA/ci_tests/.",
)
@click.option("--service", help="@test.service and service, unless a report names its own.")
@click.option("--env", "env_name", help="The env reserved attribute (e.g. ci).")
@click.option("--tag", "tags", multiple=True, metavar="KEY:VALUE", help="Add @KEY (repeatable).")
@click.option(
    "--no-ci-env",
    is_flag=True,
    help="Do not read git and CI context from the CI environment variables.",
)
@click.option(
    "--time",
    "time_text",
    metavar="TIMESTAMP",
    help="When suites without a timestamp ran. Default: the report file's modification time.",
)
@click.option(
    "--override-timestamps",
    is_flag=True,
    help="--time times every suite, even those with their own timestamp (backfills).",
)
def ingest_junit_command(
    reports: tuple[Path, ...],
    data_dir: Path,
    service: str | None,
    env_name: str | None,
    tags: tuple[str, ...],
    no_ci_env: bool,
    time_text: str | None,
    override_timestamps: bool,
) -> None:
    """Tag JUnit XML reports and write them as test events into DATA/ci_tests/.

    The local counterpart of `datadog-ci junit upload`: git and CI context come from the CI
    environment (GitHub Actions, GitLab, Jenkins, Tekton); a report's own properties win.

    A backfill of old reports sets their time with --time and --override-timestamps (their own
    timestamps are otherwise kept, with a notice).

    \b
    Example:
      qrunner ingest junit reports/*.xml --data ./ci-data --service api --env ci --tag team:core
    """
    from qrunner.engine.store.ingest import IngestOptions, ingest_junit, parse_tag, parse_time
    from qrunner.errors import UsageError

    options = IngestOptions(
        reports=list(reports),
        data_dir=data_dir,
        service=service,
        env=env_name,
        tags=dict(parse_tag(tag) for tag in tags),
        ci_environment=None if no_ci_env else dict(os.environ),
        time=parse_time(time_text) if time_text else None,
        override_timestamps=override_timestamps,
    )
    if override_timestamps and not time_text:
        raise UsageError("--override-timestamps needs --time (the time to set)")
    result = ingest_junit(options)
    for warning in result.warnings:
        click.echo(f"qrunner: warning: {warning}", err=True)
    for notice in result.notices:
        click.echo(f"qrunner: notice: {notice}", err=True)
    click.echo(
        f"wrote {result.tests} test executions ({result.events} events) "
        f"from {result.reports} report(s) to {result.written}"
    )
