"""Every limit is a named constant in qrunner/limits.py and a row of the README's Limits table."""

from __future__ import annotations

import re
from pathlib import Path

from qrunner import limits

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_limit_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Limits") : text.index("## Secrets and untrusted input")]
    names = [n for n in vars(limits) if re.fullmatch(r"[A-Z][A-Z0-9_]+", n)]
    assert names, "qrunner/limits.py defines the limits"
    missing = [n for n in names if f"`{n}`" not in section]
    assert not missing, f"add a row to the README's Limits table for {missing}"
