"""Regenerate the `qrunner explain` golden files:
``python tests/authoring/generate_explain_golden.py``.

Golden files are never edited by hand. Each spec in ``tests/authoring/explain/queries/`` is
explained at a pinned time over ``tests/authoring/explain/data/``, in both formats, from the
repository root (so file paths in the output are relative to it).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURES = HERE / "explain"
GOLDEN = HERE / "golden"
AT = "2024-05-01T06:00:00Z"
SPECS = ("per-group", "timeseries", "no-data")
FORMATS = {"text": "txt", "json": "json"}


def render_all(cache_dir: Path) -> dict[str, str]:
    """Golden file name → expected text. Run from the repository root."""
    from qrunner.authoring.explain import explain_spec
    from qrunner.reports.explain_view import format_explanation
    from qrunner.run.targets import target_options
    from qrunner.spec.render import build_renderer

    renderer = build_renderer(at=AT, variables=(), environ={})
    options = target_options(
        target="local",
        data_dir=Path("tests/authoring/explain/data"),
        at=renderer.at,
        environ={"QRUNNER_CACHE_DIR": str(cache_dir)},
    )
    out = {}
    for name in SPECS:
        explanation = explain_spec(
            Path(f"tests/authoring/explain/queries/{name}.yaml"), renderer, options
        )
        for fmt, suffix in FORMATS.items():
            out[f"explain-{name}.{suffix}"] = format_explanation(explanation, fmt)
    return out


def main() -> int:
    os.chdir(ROOT)
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as cache:
        for file, text in render_all(Path(cache)).items():
            (GOLDEN / file).write_text(text, encoding="utf-8", newline="")
            print(f"wrote {GOLDEN / file}")  # a developer script, not qrunner code
    return 0


if __name__ == "__main__":
    sys.exit(main())
