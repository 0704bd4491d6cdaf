"""Lint a composite action's steps with actionlint, which reads workflows only.

Usage: python .ci/actionlint-action.py ACTION.yml... (actionlint on PATH)

actionlint checks `uses:` versions, inputs and runtimes, expressions and (with shellcheck)
`run:` scripts, but refuses an action.yml ("jobs section is missing"). This wraps the
action's `runs.steps` text, unchanged, in a workflow whose `workflow_call` declares the
action's inputs (so `${{ inputs.x }}` type-checks), padded so every step keeps its line in
ACTION.yml: actionlint's `file:line:col` points into the real file. Exits as actionlint does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml


def as_workflow(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    action = yaml.safe_load(text)
    if action.get("runs", {}).get("using") != "composite":
        raise SystemExit(f"{path}: not a composite action (runs.using)")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "  steps:") + 1
    inputs = {name: {"type": "string", "required": False} for name in (action.get("inputs") or {})}
    header = [
        "on: {workflow_call: {inputs: " + json.dumps(inputs) + "}}",
        "jobs:",
        "  action:",
        "    runs-on: ubuntu-latest",
        "    steps:",
    ]
    if len(header) > start:
        raise SystemExit(f"{path}: runs.steps starts too early to keep its line numbers")
    padding = ["#"] * (start - len(header))
    return "\n".join(header + padding + lines[start:]) + "\n"


def main(paths: list[str]) -> int:
    status = 0
    for name in paths:
        done = subprocess.run(
            ["actionlint", "-stdin-filename", name, "-"],
            input=as_workflow(Path(name)),
            text=True,
            check=False,
        )
        status = status or done.returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
