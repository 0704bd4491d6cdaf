"""``qrunner schemas generate|check``: the API schemas from the doc pages."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qrunner.errors import ExitCode

_docs_option = click.option(
    "--docs",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory holding the API doc pages.",
)


@click.group()
def schemas() -> None:
    """Generate and check the request/response JSON Schemas from the API docs.

    \b
    Example:
      qrunner schemas check --docs ../shared/api-docs
    """


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
