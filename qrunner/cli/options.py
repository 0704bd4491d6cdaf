"""Options and texts shared by several commands."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

TARGETS = ("local", "datadog", "tekton", "remote")
REPORT_FORMATS = ("console", "json", "junit", "markdown", "github")

EPILOG_EXIT_CODES = """\b
Exit codes: 0 all good (pass or warn), 1 a check failed, 2 usage / spec / template /
schema error, 3 backend unavailable or erroring after retries, 4 internal error, 5 the
gates passed but a notification (--notify) was not delivered after retries."""


class _FiniteSeconds(click.FloatRange):
    """A number of seconds, at least 0.1 and finite: ``nan`` and ``inf`` are refused (a NaN
    deadline would compare false with every clock reading)."""

    def __init__(self) -> None:
        super().__init__(min=0.1)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return seconds


FINITE_SECONDS = _FiniteSeconds()


def spec_paths(values: tuple[str, ...]) -> list[Path]:
    return [Path(v) for v in values] or [Path("queries")]


def render_options(func: Any) -> Any:
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


def target_flags(func: Any) -> Any:
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


def report_flags(func: Any) -> Any:
    """``--report`` and ``--fail-on``, shared by ``run`` and ``merge``."""
    func = click.option(
        "--fail-on",
        type=click.Choice(["fail", "warn"]),
        default="fail",
        help="Lowest verdict that makes the exit code 1.",
    )(func)
    return click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="FORMAT[:PATH]",
        help="console, json, junit, markdown or github; to PATH or stdout (repeatable).",
    )(func)


def query_context(
    *,
    at: str | None,
    tick: str | None,
    variables: tuple[str, ...],
    target: str | None,
    data_dir: Path | None,
    tekton_ca: str | None,
    tekton_insecure: bool,
) -> tuple[Any, Any]:
    """The renderer (``now`` pinned by ``--at``/``--tick``) and the target options of a
    one-spec command (``query``, ``explain``)."""
    import os

    from qrunner.run.targets import target_options
    from qrunner.spec.cron import pin_tick
    from qrunner.spec.render import build_renderer

    renderer = pin_tick(build_renderer(at=at, variables=variables, environ=os.environ), tick)
    options = target_options(
        target=target,
        data_dir=data_dir,
        at=renderer.at,
        environ=os.environ,
        tekton_ca=tekton_ca,
        tekton_insecure=tekton_insecure,
    )
    return renderer, options
