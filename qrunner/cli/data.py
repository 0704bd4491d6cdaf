"""``qrunner sample-data`` and ``qrunner emulator``: local data and fake APIs."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("sample-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--days", type=click.IntRange(1, 365), default=36, show_default=True)
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


@click.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dataset to answer from (default: the built-in sample dataset).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8126, show_default=True)
@click.option(
    "--notify-fakes",
    is_flag=True,
    help="Also serve fake GitHub issues, Slack webhook and webhook receiver APIs "
    "(each on a free port) and print the variables that route notifications to them.",
)
def emulator(data_dir: Path | None, host: str, port: int, notify_fakes: bool) -> None:
    """Serve fake Datadog and Tekton Results APIs answering from local data.

    Point qrunner at it to try a remote workflow without credentials. With
    --notify-fakes, notifications can be tried too; GET <fake URL>/_emulator/state
    shows what each fake received.

    \b
    Example:
      qrunner emulator --port 8126 &
      export QRUNNER_DATADOG_URL=http://127.0.0.1:8126 DD_API_KEY=x DD_APP_KEY=y
      qrunner run queries/ --target datadog --select 'source:datadog.*'
    """
    import contextlib

    from qrunner.emulator.destinations import running_destinations
    from qrunner.emulator.server import serve

    with contextlib.ExitStack() as stack:
        fakes = stack.enter_context(running_destinations(host)) if notify_fakes else None

        def ready(url: str) -> None:
            click.echo(f"qrunner emulator listening on {url} (Ctrl-C to stop)", err=True)
            click.echo(
                f"  export QRUNNER_DATADOG_URL={url} QRUNNER_DATADOG_INTAKE_URL={url} "
                f"TEKTON_RESULTS_URL={url} TEKTON_RESULTS_TOKEN=emulator "
                "DD_API_KEY=emulator DD_APP_KEY=emulator",
                err=True,
            )
            if fakes is not None:
                exports = " ".join(f"{name}={value}" for name, value in fakes.env().items())
                click.echo(f"  export {exports}", err=True)

        serve(data_dir=data_dir, host=host, port=port, ready=ready)
