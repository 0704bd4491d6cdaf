"""``qrunner notify``: deliver what a report owes, explain routing, test a channel; and the
``--notify`` / ``--alert-state`` flags of ``qrunner run``."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from qrunner.cli.history import history_option
from qrunner.cli.options import EPILOG_EXIT_CODES
from qrunner.secrets import inert

ROUTING_HELP = "The routing file (channels, owners, routes, silences)."


def notify_flags(func: Any) -> Any:
    """--notify PATH and --alert-state PATH (``qrunner run``)."""
    func = click.option(
        "--alert-state",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="With --notify: incidents and undelivered events. Default: .qrunner/alerts.json.",
    )(func)
    return click.option(
        "--notify",
        "notify_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="PATH",
        help="After the reports: notify owners as the routing file PATH says (exit 5: gates "
        "passed, a notification not delivered).",
    )(func)


def notify_request(notify_path: Path | None, alert_state: Path | None) -> Any:
    """The run's ``NotifyRequest``, or ``None`` without ``--notify``."""
    from qrunner.run.notify_step import NotifyRequest

    if notify_path is None:
        if alert_state is not None:
            raise click.UsageError("--alert-state needs --notify")
        return None
    if alert_state is None:
        return NotifyRequest(notify_path)
    return NotifyRequest(notify_path, alert_state)


class _ReportOrCommand(click.Group):
    """``qrunner notify REPORT.json …`` delivers; ``qrunner notify routes|test …`` are
    subcommands: anything that is not a subcommand's name is the ``send`` command's."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["send", *args]
        return super().parse_args(ctx, args)


_routing_option = click.option(
    "--notify",
    "notify_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    metavar="PATH",
    help=ROUTING_HELP,
)


@click.group(cls=_ReportOrCommand, epilog=EPILOG_EXIT_CODES)
def notify() -> None:
    """Deliver a run's notifications: qrunner notify REPORT.json --notify PATH.

    Run it once per run, on the merged report (shards never notify on their own). Exit 5:
    a notification was not delivered (it stays in the outbox for the next run).

    \b
    Examples:
      qrunner notify merged.json --notify notify.yaml
      qrunner notify merged.json --notify notify.yaml --dry-run --out messages/
      qrunner notify routes --notify notify.yaml --owner team-platform --status fail
      qrunner notify test chat --notify notify.yaml
    """


@notify.command(name="send", epilog=EPILOG_EXIT_CODES)
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@_routing_option
@click.option(
    "--alert-state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Incidents and undelivered events. Default: .qrunner/alerts.json.",
)
@click.option("--dry-run", is_flag=True, help="Render every message; send nothing, change nothing.")
@history_option(required=False)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --dry-run: write each message under DIR/DESTINATION/.",
)
def send(
    report: Path,
    notify_path: Path,
    alert_state: Path | None,
    dry_run: bool,
    history: Path | None,
    out: Path | None,
) -> None:
    """Deliver what REPORT (a JSON report) owes, and add notifications[] to it (also what
    qrunner notify REPORT does).

    \b
    Example:
      qrunner notify send merged.json --notify notify.yaml
    """
    from qrunner.run.notify_step import notify_report_file

    if out is not None and not dry_run:
        raise click.UsageError("--out needs --dry-run")
    request = replace(notify_request(notify_path, alert_state), history=history)
    code = notify_report_file(
        report, request, dict(os.environ), dry_run=dry_run, out=out, stderr=sys.stderr
    )
    sys.exit(code)


@notify.command(epilog=EPILOG_EXIT_CODES)
@_routing_option
@click.option("--owner", default=None, help="The spec's owner.")
@click.option("--spec", "spec_name", default="*", show_default=True, help="The spec's name.")
@click.option("--check", default="*", show_default=True, help="The check's name.")
@click.option("--target", default="", help="The run's target (local, datadog, tekton).")
@click.option("--severity", default=None, help="The notify block's severity.")
@click.option("--tag", "tags", multiple=True, help="A tag of the spec (repeatable).")
@click.option(
    "--status",
    type=click.Choice(["fail", "warn", "error"]),
    default="fail",
    show_default=True,
    help="The incident's status.",
)
def routes(
    notify_path: Path,
    owner: str | None,
    spec_name: str,
    check: str,
    target: str,
    severity: str | None,
    tags: tuple[str, ...],
    status: str,
) -> None:
    """Explain where an incident would go, and which silence holds it.

    \b
    Example:
      qrunner notify routes --notify notify.yaml --owner team-platform --status fail
    """
    from qrunner.notify.probe import explain_routes
    from qrunner.notify.routes import Subject
    from qrunner.notify.routing_file import read_routing

    subject = Subject(
        spec=spec_name, check=check, target=target, owner=owner, tags=tags,
        severity=severity, status=status,
    )  # fmt: skip
    click.echo(inert(explain_routes(read_routing(notify_path), subject)), nl=False)


@notify.command(name="test", epilog=EPILOG_EXIT_CODES)
@click.argument("channel")
@_routing_option
def test_channel(channel: str, notify_path: Path) -> None:
    """Send a marked sample message to CHANNEL (a name under channels:); exit 5 if it fails.

    \b
    Example:
      qrunner notify test chat --notify notify.yaml
    """
    from qrunner.notify.probe import send_test
    from qrunner.notify.routing_file import read_routing

    ok, line = send_test(read_routing(notify_path), channel, dict(os.environ))
    click.echo(inert(line), err=not ok)
    sys.exit(0 if ok else 5)
