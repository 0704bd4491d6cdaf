"""``qrunner run`` and ``qrunner query``: executing specs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from qrunner.cli.history import history_option
from qrunner.cli.notify import notify_flags, notify_request
from qrunner.cli.options import (
    EPILOG_EXIT_CODES,
    FINITE_SECONDS,
    query_context,
    render_options,
    report_flags,
    spec_paths,
    target_flags,
)
from qrunner.cli.schedule import schedule_flags, tick_option
from qrunner.secrets import inert, inert_json


@click.command()
@click.argument("spec", type=click.Path())
@render_options
@tick_option
@target_flags
@click.option(
    "--pages",
    is_flag=True,
    help="Print every page exactly as answered, one JSON document per line, not merged.",
)
def query(
    spec: str,
    variables: tuple[str, ...],
    at: str | None,
    target: str | None,
    data_dir: Path | None,
    tekton_ca: str | None,
    tekton_insecure: bool,
    tick: str | None,
    pages: bool,
) -> None:
    """Run SPEC's query and print the API's response JSON, with every page merged.

    A paged answer (Datadog tests aggregate's meta.page.after) is followed as a run follows
    it, and the buckets of every page are printed as one response; --pages prints each page
    as the API answered it instead, one JSON document per line.

    \b
    Example:
      qrunner query queries/pipeline-duration-p90.yaml --at 2024-05-01T06:00:00Z
    """
    import json

    from qrunner.run.single import query_one

    renderer, options = query_context(
        at=at,
        tick=tick,
        variables=variables,
        target=target,
        data_dir=data_dir,
        tekton_ca=tekton_ca,
        tekton_insecure=tekton_insecure,
    )
    answers, notices = query_one(Path(spec), renderer, options, pages=pages)
    for notice in notices:
        click.echo(inert(f"qrunner: {notice}"), err=True)
    for answer in answers:
        indent = None if pages else 2
        click.echo(inert_json(json.dumps(answer, indent=indent, ensure_ascii=False)))


@click.command(epilog=EPILOG_EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--select",
    "selectors",
    multiple=True,
    metavar="PATTERN",
    help="Only specs matching: a name glob, tag:NAME or source:GLOB (repeatable: any).",
)
@render_options
@target_flags
@report_flags
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Queries in flight at once.",
)
@click.option(
    "--timeout",
    type=FINITE_SECONDS,
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
@schedule_flags
@history_option(required=False)
@notify_flags
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
    tick: str | None,
    due: bool,
    state: Path | None,
    catch_up: int,
    shard: str | None,
    history: Path | None,
    notify_path: Path | None,
    alert_state: Path | None,
) -> None:
    """Run the specs under PATHS (default: queries/), judge their checks, write reports.

    \b
    Examples:
      qrunner run queries/
      qrunner run queries/ --select tag:nightly --report junit:out/junit.xml
      qrunner run queries/ --due --catch-up 3 --shard 2/4 --report json:out/shard-2.json
      qrunner run queries/ --due --notify notify.yaml --report json:out/run.json
    """
    from qrunner.reports.output import parse_report_option
    from qrunner.run.runner import RunOptions, execute_run
    from qrunner.schedule.pairs import ScheduleOptions
    from qrunner.schedule.shard import parse_shard

    options = RunOptions(
        paths=spec_paths(paths),
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
        traceback=bool((click.get_current_context().find_root().obj or {}).get("traceback")),
        schedule=ScheduleOptions(
            tick=tick,
            due=due,
            state=state,
            catch_up=catch_up,
            shard=parse_shard(shard) if shard else None,
        ),
        history=history,
        notify=notify_request(notify_path, alert_state),
    )
    sys.exit(execute_run(options, stdout=sys.stdout, stderr=sys.stderr))
