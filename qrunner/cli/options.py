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
schema error, 3 backend unavailable or erroring after retries, 4 internal error."""


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
