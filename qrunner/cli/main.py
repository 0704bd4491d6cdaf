"""The command line: turns flags into option objects, calls one core function, maps exit codes.

No HTTP, Jinja, YAML or report formatting lives here. ``main`` is the one top-level
handler: known errors print one line and exit with their code; anything else is a bug,
reported in one line with a hint to re-run with ``--traceback``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from qrunner import __version__
from qrunner.cli.authoring import explain, init, spec_test
from qrunner.cli.data import emulator, sample_data
from qrunner.cli.history import history, report
from qrunner.cli.ingest import ingest
from qrunner.cli.notify import notify
from qrunner.cli.options import EPILOG_EXIT_CODES
from qrunner.cli.run import query, run
from qrunner.cli.schedule import merge, plan
from qrunner.cli.schemas import schemas
from qrunner.cli.specs import render, validate
from qrunner.errors import ExitCode, QrunnerError
from qrunner.limits import excerpt
from qrunner.secrets import inert

# What a process killed by SIGPIPE reports (128 + 13): the reader went away (``| head -1``),
# so the output is incomplete; never 0, so a ``set -o pipefail`` gate does not read it as a pass.
EXIT_BROKEN_PIPE = 141


def _quiet_broken_pipe() -> None:
    """The reader of stdout is gone: point stdout at /dev/null so the interpreter's last flush
    does not fail again, and say nothing (stderr may be the same closed pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


class _Handler(click.Group):
    """The one top-level handler: exceptions become a one-line message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QrunnerError as e:
            click.echo(inert(f"qrunner: error: {e}"), err=True)
            ctx.exit(int(e.exit_code))
        except KeyboardInterrupt:
            click.echo("qrunner: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            _quiet_broken_pipe()
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as e:
            if "--traceback" in sys.argv or (ctx.obj or {}).get("traceback"):
                raise
            click.echo(
                inert(
                    f"qrunner: internal error: {type(e).__name__}: {excerpt(str(e))} "
                    "(this is a bug; re-run with --traceback and report it)"
                ),
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


# Each command lives in the module of its group (specs, run, schedule, schemas, data, ingest,
# history, authoring, notify); adding one is adding it here.
for _command in (
    validate, render, query, run, plan, merge, schemas, sample_data, emulator, ingest, history,
    report, init, explain, spec_test, notify,
):  # fmt: skip
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="qrunner")
