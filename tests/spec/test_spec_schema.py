"""The editor schema of spec format v1 is generated from the models and never goes stale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from qrunner.spec.schema import SPEC_SCHEMA_FILE, render_spec_schema

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schemas" / SPEC_SCHEMA_FILE


def test_the_committed_spec_schema_is_fresh() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render_spec_schema(), (
        f"{COMMITTED} is stale: regenerate it with `python -m qrunner.spec.schema`"
    )


def test_the_regeneration_command_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / SPEC_SCHEMA_FILE
    done = subprocess.run(
        [sys.executable, "-m", "qrunner.spec.schema", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(out) in done.stdout
    assert out.read_text(encoding="utf-8") == render_spec_schema()


@pytest.mark.parametrize("spec", sorted((ROOT / "queries").glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_spec_passes_the_editor_schema(spec: Path) -> None:
    import yaml

    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(spec.read_text()))
