"""``qrunner init``, ``qrunner explain`` and ``qrunner test``: the spec author's loop."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qrunner.cli.options import (
    EPILOG_EXIT_CODES,
    query_context,
    render_options,
    spec_paths,
    target_flags,
)
from qrunner.cli.schedule import tick_option
from qrunner.secrets import inert, inert_json


@click.command(epilog=EPILOG_EXIT_CODES)
@click.argument("spec", type=click.Path())
@render_options
@tick_option
@target_flags
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format."
)
def explain(
    spec: str,
    variables: tuple[str, ...],
    at: str | None,
    tick: str | None,
    target: str | None,
    data_dir: Path | None,
    tekton_ca: str | None,
    tekton_insecure: bool,
    fmt: str,
) -> None:
    """Run SPEC and show why each check decided what it did.

    Prints the rendered request, a compact view of the response and, for every check, each
    step from response to verdict: the buckets judged, the value read from each and its unit
    conversion, the reducer or scope, each threshold compared, the no_data or partial-result
    rule. Exits 0 once explained, whatever the verdicts (use `qrunner run` as the gate).

    \b
    Example:
      qrunner explain queries/pipeline-duration-p90.yaml --at 2024-05-01T06:00:00Z
    """
    from qrunner.authoring.explain import explain_spec
    from qrunner.reports.explain_view import format_explanation

    renderer, options = query_context(
        at=at,
        tick=tick,
        variables=variables,
        target=target,
        data_dir=data_dir,
        tekton_ca=tekton_ca,
        tekton_insecure=tekton_insecure,
    )
    explanation = explain_spec(Path(spec), renderer, options)
    for notice in explanation.notices:
        click.echo(inert(f"qrunner: {notice}"), err=True)
    text = format_explanation(explanation, fmt)
    # the response's values are the data's, not ours: shown, never obeyed by a terminal or CI
    click.echo(inert_json(text) if fmt == "json" else inert(text), nl=False)
    sys.exit(0)


_EPILOG_TEST = """\b
Exit codes: 0 every expectation held, 1 an expectation failed, 2 usage / test file / spec
error, 3 a case's query could not run, 4 internal error."""


@click.command(name="test", epilog=_EPILOG_TEST)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT[:PATH]",
    help="text or junit; to PATH or stdout (repeatable). Default: text on stdout.",
)
def spec_test(paths: tuple[str, ...], reports: tuple[str, ...]) -> None:
    """Run the spec unit tests (*.test.yaml) under PATHS (default: queries/).

    Each test case runs its spec on the local engine over exactly the case's data (inline
    events and Tekton records, or a data folder), at its `at` time with its `vars`, and
    compares every check's status (and observed value) with what the case expects. A failed
    expectation shows expected vs actual and the check's explain trace. Exit 1 when an
    expectation failed, 2 when a test file or its spec is invalid.

    \b
    Example:
      qrunner test queries/ --report junit:reports/spec-tests.xml
    """
    from qrunner.authoring.spectest import run_spec_tests
    from qrunner.errors import UsageError
    from qrunner.judge.expectations import exit_code_for_tests
    from qrunner.reports.atomic import write_atomic
    from qrunner.reports.output import finish_report
    from qrunner.reports.spectest_view import TEST_FORMATS

    requests = []
    for value in reports or ("text",):
        fmt, _, path = value.partition(":")
        if fmt not in TEST_FORMATS:
            raise UsageError(f"--report: unknown format {fmt!r}; choose from text, junit")
        requests.append((fmt, Path(path) if path else None))
    results = run_spec_tests(spec_paths(paths))
    if not results:
        raise UsageError(f"no test files (*.test.yaml) under {', '.join(paths or ('queries',))}")
    for fmt, target in requests:
        text = finish_report(fmt, TEST_FORMATS[fmt](results))  # no secret, no workflow command
        if target is None:
            click.echo(inert(text) if fmt == "text" else text, nl=False)
        else:
            write_atomic(target, text)
    sys.exit(int(exit_code_for_tests(results)))


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--local",
    is_flag=True,
    help="The no-Datadog recipe: your tests' JUnit reports ingested in CI, gates on the "
    "local engine over that data.",
)
def init(directory: Path, local: bool) -> None:
    """Scaffold a working qrunner setup in DIRECTORY (default: the current folder).

    Writes queries/ with one commented example spec per source, queries/_templates/, spec
    unit tests in queries/tests/, the editor schemas in queries/_schemas/, a scheduled
    GitHub workflow (hourly, what is due, state and history cached) and a pull-request
    validation workflow. With --local, the recipe for teams without Datadog: a test workflow
    that ingests its JUnit reports into a cached data folder, gates on the local engine over
    it, and only the specs that data can answer. Never overwrites a file: the ones already
    there are listed and left alone.

    \b
    Example:
      qrunner init && qrunner validate && qrunner test && qrunner run
      qrunner init --local
    """
    from qrunner.authoring.scaffold import NEXT_COMMANDS, write_scaffold

    result = write_scaffold(directory, "local" if local else "datadog")
    for path in result.created:
        click.echo(inert(f"created {directory / path}"))
    for path in result.kept:
        click.echo(inert(f"left alone {directory / path} (it already exists)"))
    inside = "" if directory == Path() else f"cd {directory}\n  "
    click.echo(inert("\nnext:\n  " + inside + "\n  ".join(NEXT_COMMANDS)))
