"""Which attribute names can be columns, and what happens to the others.

Every attribute of a loaded record becomes a column named by its dotted path (``test.status``).
A name that cannot be one is **left out of its record**, with a warning at the record's line;
the record itself loads (its status, its other attributes still count):

* an empty name, at any level (``{"": 1}``, ``{"test": {"": 1}}``);
* a name holding a control character (NUL, a line break, a tab, DEL…);
* a top-level name starting with ``__``: those are qrunner's own columns (``__ts``, ``__file``);
* a dotted path longer than :data:`~qrunner.limits.MAX_ATTRIBUTE_PATH_CHARS` characters.

No renaming: a renamed attribute could collide with a real one, and a query could never name it.
"""

from __future__ import annotations

import re
from typing import Any

from qrunner.limits import MAX_ATTRIBUTE_PATH_CHARS, excerpt

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def unusable_name(key: str, path: str, *, top: bool) -> str | None:
    """Why the attribute ``key`` (at dotted ``path``) cannot be a column; None if it can."""
    if not key:
        return "an empty attribute name"
    if _CONTROL.search(key):
        return "a control character in its name"
    if top and key.startswith("__"):
        return "a name starting with __ (reserved for qrunner's own columns)"
    if len(path) > MAX_ATTRIBUTE_PATH_CHARS:
        return f"a name longer than {MAX_ATTRIBUTE_PATH_CHARS} characters"
    return None


def describe(path: str) -> str:
    """An attribute path as a message quotes it: bounded, control characters visible."""
    return excerpt(repr(path)[1:-1], 80)


def drop_unusable_names(record: dict[str, Any], prefix: str, problems: list[str]) -> None:
    """Remove, in place, the attributes of ``record`` whose name cannot be a column."""
    for key in list(record):
        path = f"{prefix}{key}"
        reason = unusable_name(key, path, top=not prefix)
        if reason is not None:
            problems.append(f"attribute @{describe(path)} left out: {reason}")
            del record[key]
        elif isinstance(record[key], dict):
            drop_unusable_names(record[key], f"{path}.", problems)
