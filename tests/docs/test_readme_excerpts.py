"""The README's excerpts of workflow and manifest files say what the files say.

A YAML block whose first line is ``# excerpt of PATH`` must be a part of PATH: every key it
has, the file has with a matching value; list items appear in the file in the same order;
strings match with whitespace runs made equal and ``…`` standing for any text. The composite
action's usage example passes only inputs the action declares, and every action the README
names at a version is one the repository's files use at that version.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EXCERPT = re.compile(r"# excerpt of (\S+)")


def _yaml_blocks() -> list[str]:
    return _YAML_BLOCK.findall(README)


def _excerpts() -> list[tuple[str, str]]:
    found = []
    for block in _yaml_blocks():
        match = _EXCERPT.match(block)
        if match:
            found.append((match.group(1), block))
    return found


def _text_matches(excerpt: str, actual: str) -> bool:
    words = [re.escape(part) for part in " ".join(excerpt.split()).split("…")]
    return re.fullmatch(r".*?".join(words), " ".join(actual.split()), re.DOTALL) is not None


def mismatch(excerpt: Any, actual: Any, where: str = "") -> str | None:
    """Where ``excerpt`` is not a part of ``actual``, or None when it is."""
    if isinstance(excerpt, dict):
        if not isinstance(actual, dict):
            return f"{where}: a mapping in the README, {type(actual).__name__} in the file"
        for key, value in excerpt.items():
            if key not in actual:
                return f"{where}.{key}: not in the file"
            found = mismatch(value, actual[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(excerpt, list):
        if not isinstance(actual, list):
            return f"{where}: a list in the README, {type(actual).__name__} in the file"
        at = 0
        for i, item in enumerate(excerpt):
            while at < len(actual) and mismatch(item, actual[at]) is not None:
                at += 1
            if at == len(actual):
                return f"{where}[{i}]: no item of the file (in order) matches {item!r}"
            at += 1
        return None
    if isinstance(excerpt, str) and isinstance(actual, str):
        ok = _text_matches(excerpt, actual)
        return None if ok else f"{where}: {excerpt!r} is not {actual!r}"
    return None if excerpt == actual else f"{where}: {excerpt!r} is not {actual!r}"


def test_the_readme_quotes_the_scheduled_workflow() -> None:
    assert ".github/workflows/quality-gates.yml" in dict(_excerpts())


@pytest.mark.parametrize(("path", "block"), _excerpts(), ids=[p for p, _ in _excerpts()])
def test_an_excerpt_is_part_of_its_file(path: str, block: str) -> None:
    actual = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    found = mismatch(yaml.safe_load(block), actual)
    assert found is None, f"README's excerpt of {path}: {found}"


def test_the_matching_is_strict_enough() -> None:
    file = {"steps": [{"uses": "a@v1"}, {"run": "qrunner run queries/ --due\n--shard 1/4"}]}
    assert mismatch({"steps": [{"run": "qrunner run … --shard 1/4"}]}, file) is None
    assert mismatch({"steps": [{"uses": "a@v2"}]}, file) is not None
    assert mismatch({"steps": [{"run": "…"}, {"uses": "a@v1"}]}, file) is not None  # order
    assert mismatch({"steps": [{"run": "qrunner run --due"}]}, file) is not None


def test_the_composite_action_example_passes_inputs_it_declares() -> None:
    action = yaml.safe_load((ROOT / ".github/actions/qrunner/action.yml").read_text())
    found = []
    for block in _yaml_blocks():
        data = yaml.safe_load(block)
        if isinstance(data, list):
            found += [s for s in data if "/.github/actions/qrunner@" in str(s.get("uses", ""))]
    assert found, "the README shows no use of the composite action"
    for step in found:
        assert set(step.get("with", {})) <= set(action["inputs"]), step


def _uses(text: str) -> set[str]:
    return set(re.findall(r"uses:\s*([\w.-]+/[\w./-]+@v\d+)", text))


def test_every_action_version_the_readme_names_is_the_one_the_files_use() -> None:
    files = [*ROOT.joinpath(".github").rglob("*.yml")]
    files += ROOT.joinpath("qrunner").rglob("*.yml")
    used = set().union(*(_uses(f.read_text(encoding="utf-8")) for f in files))
    named = {u for u in _uses(README) if not u.startswith("your-org/")}
    assert named <= used, f"the README names {sorted(named - used)}; the files use {sorted(used)}"
