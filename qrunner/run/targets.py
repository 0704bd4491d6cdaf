"""Targets: where queries run, and the backends a run creates for them.

``--target`` (or ``QRUNNER_TARGET``) picks ``local`` (the default), ``datadog``, ``tekton`` or
``remote`` (each spec on its own API); a spec whose source the target cannot run is an error
for that spec only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from qrunner.backends.base import Backend, TargetOptions
from qrunner.errors import UsageError
from qrunner.run.config import check_configuration
from qrunner.sources import Source

REMOTE_FAMILIES = ("datadog", "tekton")


def target_options(
    *,
    target: str | None,
    data_dir: Path | None,
    at: datetime,
    environ: Mapping[str, str],
    concurrency: int = 8,
    deadline: float | None = None,
    tekton_ca: str | None = None,
    tekton_insecure: bool = False,
) -> TargetOptions:
    chosen = target or environ.get("QRUNNER_TARGET") or "local"
    if chosen not in ("local", *REMOTE_FAMILIES, "remote"):
        raise UsageError(f"QRUNNER_TARGET: unknown target {chosen!r}")
    check_configuration(chosen, environ)
    data = data_dir or (Path(environ["QRUNNER_DATA"]) if environ.get("QRUNNER_DATA") else None)
    if data is not None and not data.is_dir():
        raise UsageError(f"--data: no such directory: {data}")
    if data is not None and chosen == "local":
        check_data_layout(data)
    cache = environ.get("QRUNNER_CACHE_DIR")
    return TargetOptions(
        target=chosen,
        at=at,
        data_dir=data,
        cache_dir=Path(cache) if cache else None,
        concurrency=concurrency,
        deadline=deadline,
        env=dict(environ),
        tekton_ca=tekton_ca or environ.get("TEKTON_RESULTS_CA") or None,
        tekton_insecure=tekton_insecure,
    )


def _datasets_in(folder: Path) -> list[str]:
    from qrunner.engine.store.columns import DATASETS

    return [name for name in (*DATASETS, "tekton") if (folder / name).is_dir()]


def check_data_layout(data: Path) -> None:
    """A data folder holding none of the dataset folders would answer every query with no
    data — and pass every ``no_data: pass`` gate — so it is an error naming the layout, and
    the folder one level up (or down) when that one holds datasets."""
    from qrunner.engine.store.columns import DATASETS

    if _datasets_in(data):
        return
    expected = ", ".join(f"{name}/" for name in (*DATASETS, "tekton"))
    message = (
        f"--data {data}: holds none of the dataset folders ({expected}), so every query "
        f"would answer no data; expected {data / 'ci_tests'}/*.jsonl|*.xml|*.parquet and the "
        "like (the layout `qrunner ingest` and `qrunner sample-data` write)"
    )
    up = data.resolve().parent
    if _datasets_in(up):
        message += f"; did you mean --data {data.parent if data.name else up}? (it holds "
        message += ", ".join(f"{name}/" for name in _datasets_in(up)) + ")"
    else:
        below = sorted(c for c in data.iterdir() if c.is_dir() and _datasets_in(c))
        if below:
            message += f"; did you mean --data {below[0]}?"
    raise UsageError(message)


class Backends:
    """The backends a run needs, created on first use and closed together."""

    def __init__(self, options: TargetOptions) -> None:
        self.options = options
        self.made: dict[str, Backend] = {}

    def family_for(self, source: Source) -> str:
        target = self.options.target
        if target == "local":
            return "local"
        if target in ("remote", source.backend):
            return source.backend
        raise UsageError(f"source {source.name} cannot run on target {target}")

    def get(self, source: Source) -> Backend:
        from qrunner.backends.registry import BACKENDS

        family = self.family_for(source)
        if family not in self.made:
            self.made[family] = BACKENDS[family](self.options)
        return self.made[family]

    def notices(self) -> list[str]:
        out: list[str] = []
        for backend in self.made.values():
            out.extend(str(n) for n in getattr(backend, "notices", []))
            out.extend(str(w) for w in getattr(backend, "warnings", []))
        return out

    async def aclose(self) -> None:
        for backend in self.made.values():
            await backend.aclose()
