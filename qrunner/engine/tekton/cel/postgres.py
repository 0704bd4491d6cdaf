"""What PostgreSQL does with the values of a translated CEL filter (step 4 of
:mod:`qrunner.engine.tekton.cel.compile`).

Text cast to ``TIMESTAMP WITH TIME ZONE`` (:func:`parse_timestamp`), ``->>`` on JSON
(:func:`json_field`), ``LIKE`` and ``~``, comparisons and arithmetic where NULL propagates,
``CONCAT`` and three-valued ``AND``/``OR``. What PostgreSQL would refuse raises
:class:`CelSqlFailure`.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from qrunner.errors import QrunnerError


class CelSqlFailure(QrunnerError):
    """The server accepts the filter but PostgreSQL fails on it (the server then answers ``{}``)."""


_TIMESTAMP_TEXT = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?)?"
    r"\s*(?:([Zz]|UTC)|([+-])(\d{1,2})(?::?(\d{2}))?)?\s*"
)


def parse_timestamp(text: str) -> datetime | None:
    """Read text the way ``::TIMESTAMP WITH TIME ZONE`` does (ISO forms, UTC session), or None.

    Fractions are rounded to microseconds like PostgreSQL; a missing zone means UTC.
    """
    match = _TIMESTAMP_TEXT.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0), tzinfo=UTC)  # fmt: skip
    except ValueError:
        return None
    if fraction:
        value += timedelta(microseconds=round(int(fraction) * 10 ** (6 - len(fraction))))
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        value -= offset if sign == "+" else -offset
    return value


def _json_text(value: Any) -> str | None:
    """What ``->>`` yields for a JSON value."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return _jsonb_text(value)


def _jsonb_text(value: Any) -> str:
    # jsonb prints keys shortest first, then bytewise, with ", " and ": " separators.
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        return "{" + ", ".join(f"{json.dumps(k)}: {_jsonb_text(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_jsonb_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_field(data: Any, path: tuple[str | int, ...]) -> str | None:
    """``data->'a'->0->>'b'``: string keys only enter objects, integer keys only arrays."""
    value = data
    for key in path:
        if isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        elif isinstance(key, int) and isinstance(value, list) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return _json_text(value)


def like(value: str, pattern: str) -> bool:
    regex: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise CelSqlFailure("LIKE pattern must not end with escape character")
            regex.append(re.escape(escaped))
        else:
            regex.append({"%": ".*", "_": "."}.get(ch) or re.escape(ch))
    return _compile_re2("(?s)" + "".join(regex)).fullmatch(value) is not None


def search(value: str, pattern: str) -> bool:
    """``value ~ pattern`` with RE2, a linear-time engine: a filter from a pull request cannot
    backtrack catastrophically (``(a+)+$``) on the local engine."""
    return _compile_re2(pattern).search(value) is not None


@functools.lru_cache(maxsize=256)
def _compile_re2(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr; the error is ours to report
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        reason = (
            e.args[0].decode(errors="replace") if e.args and isinstance(e.args[0], bytes) else e
        )
        raise CelSqlFailure(f"invalid regular expression: {reason}") from e


def to_timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_timestamp(str(value))
    if parsed is None:
        raise CelSqlFailure(f'invalid input syntax for type timestamp with time zone: "{value}"')
    return parsed


def compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if op == "_==_":
        return bool(a == b)
    if op == "_!=_":
        return bool(a != b)
    if op == "_<_":
        return bool(a < b)
    if op == "_<=_":
        return bool(a <= b)
    if op == "_>_":
        return bool(a > b)
    return bool(a >= b)


def arithmetic(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if op == "_+_":
        result = a + b
    elif op == "_-_":
        result = a - b
    elif op == "_*_":
        result = a * b
    elif b == 0:
        raise CelSqlFailure("division by zero")
    elif isinstance(a, int) and isinstance(b, int):
        quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # truncates, like C
        result = quotient if op == "_/_" else a - b * quotient
    else:
        result = a / b
    if isinstance(result, int) and not -(2**63) <= result < 2**63:
        raise CelSqlFailure("bigint out of range")
    return result


def concat_text(value: Any) -> str:
    # CONCAT skips NULLs.
    return "" if value is None else str(value)


def and_(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def or_(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False
