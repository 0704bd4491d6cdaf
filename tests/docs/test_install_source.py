"""qrunner is never installed by its bare name from the package registry.

The name `qrunner` on PyPI belongs to an unrelated project (a UI test framework) that also
installs a `qrunner` command: a workflow that ran `pip install qrunner` would run someone
else's code with the Datadog keys in its environment. Every file of this repository and every
file `qrunner init` writes (each recipe) must install from this repository at a pinned ref or
from the checkout it runs in.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import qrunner
from qrunner.authoring.scaffold import RECIPES, scaffold_files

ROOT = Path(__file__).resolve().parents[2]
_INSTALL = re.compile(r"\b(?:pip3?|pipx|uv pip)\s+install\b([^\n&;|]*)")
_BARE = re.compile(r"""["']?qrunner(?:\[[^\]]*\])?(?:[=<>!~]=?[\w.*+-]+)?["']?""")
_DEFAULT = re.compile(r""":-["']?qrunner(?:[=<>!~\[]|["'}])""")  # "${X:-qrunner}"
_PINNED = re.compile(r"git\+https://github\.com/[\w.-]+/qrunner@v(\d+\.\d+\.\d+)\b")


def bare_installs(text: str) -> list[str]:
    """The lines of ``text`` that would install the registry's `qrunner`."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        for match in _INSTALL.finditer(line):
            if any(_BARE.fullmatch(arg) for arg in match.group(1).split()):
                found.append(line.strip())
        if _DEFAULT.search(line):
            found.append(line.strip())
    return found


def _repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listed.returncode == 0:
        return [ROOT / name for name in listed.stdout.splitlines()]
    return [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]


def test_the_detector_finds_what_it_must() -> None:
    assert bare_installs("python -m pip install qrunner")
    assert bare_installs("pip install 'qrunner==1.0.73'")
    assert bare_installs('RUN pip install --no-cache-dir "qrunner>=0.1"')
    assert bare_installs('pip install "${QRUNNER_REQUIREMENT:-qrunner}"')
    assert bare_installs("pip install -U qrunner[bench]")
    assert not bare_installs("pip install .")
    assert not bare_installs('pip install "git+https://github.com/acme/qrunner@v0.1.0"')
    assert not bare_installs("pip install -e '.[test]'")


def test_no_file_in_the_repository_installs_the_bare_name() -> None:
    offenders = []
    for path in _repository_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{path.relative_to(ROOT)}: {line}" for line in bare_installs(text)]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_what_init_writes_installs_from_the_repository_at_this_release(recipe: str) -> None:
    for path, content in scaffold_files(recipe):
        text = content.decode("utf-8")
        assert not bare_installs(text), f"{recipe}: {path}"
        if "pip install" in text:
            versions = set(_PINNED.findall(text))
            assert versions == {qrunner.__version__}, f"{recipe}: {path} pins {versions}"
