"""``BACKENDS``: backend name → factory. Each factory imports its module only when called,
so that listing the choices (``qrunner run --target``) never loads httpx or DuckDB."""

from __future__ import annotations

from collections.abc import Callable

from qrunner.backends.base import Backend, TargetOptions

# The imports below are deliberately lazy (PLC0415): see the module docstring.


def _local(options: TargetOptions) -> Backend:
    from qrunner.backends.local import LocalBackend

    return LocalBackend(options)


def _datadog(options: TargetOptions) -> Backend:
    from qrunner.backends.datadog import DatadogBackend

    return DatadogBackend(options)


def _tekton(options: TargetOptions) -> Backend:
    from qrunner.backends.tekton import TektonBackend

    return TektonBackend(options)


BACKENDS: dict[str, Callable[[TargetOptions], Backend]] = {
    "local": _local,
    "datadog": _datadog,
    "tekton": _tekton,
}
