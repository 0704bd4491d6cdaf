"""A Jinja sandbox with a budget: templates arrive in pull requests, so rendering one spec is
bounded in time, steps, calls and the size of every string or list it builds.

Jinja's own sandbox stops attribute escapes but not unbounded work: ``'x' * 10**9``, a
recursive macro, three nested ``range(1000)`` loops, a string doubled forty times. Here:

* every line of compiled template code executed counts as a step (a loop iteration is at least
  one), checked with a trace function active only while a template runs; the same hook checks
  the deadline, so no loop outruns it;
* ``*``, ``**``, ``+``, ``%`` and ``~`` check the size of what they would build *before*
  building it; calls and filters refuse size arguments beyond the output limit and check what
  they return; the output of a template is counted as it is produced.

Exceeding a bound raises :class:`RenderLimit`, which the renderer turns into a located
:class:`~qrunner.errors.TemplateError`.
"""

from __future__ import annotations

import contextvars
import inspect
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import BuiltinMethodType, FrameType
from typing import Any

from qrunner.limits import (
    MAX_RENDER_CALLS,
    MAX_RENDER_INT_BITS,
    MAX_RENDER_ITERATIONS,
    MAX_RENDER_OUTPUT_CHARS,
    MAX_RENDER_SECONDS,
)

# A format width or precision of a million or more: "%9999999d", "{:>9999999}".
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(?:\d{7,}|\d*\.\d{7,})|\{[^{}]*:[^{}]*\d{7,}")
_SIZE_FILTERS = frozenset({"center", "indent", "truncate", "wordwrap", "batch", "slice"})


class RenderLimit(Exception):
    """Rendering went past one of the template limits."""


@dataclass(slots=True)
class _Budget:
    deadline: float
    steps: int = 0
    calls: int = 0


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def run_bounded(render: Callable[[], Any]) -> Any:
    """``render()`` with the template limits enforced, for one spec's strings together."""
    token = _budget.set(_Budget(time.monotonic() + MAX_RENDER_SECONDS))
    try:
        return render()
    finally:
        _budget.reset(token)


def trace_templates(render: Callable[[], Any]) -> Any:
    """``render()`` with template code traced (steps, calls, the deadline)."""
    previous = sys.gettrace()
    sys.settrace(_trace_calls)
    try:
        return render()
    finally:
        sys.settrace(previous)


def _current() -> _Budget:
    budget = _budget.get()
    if budget is None:  # rendering outside run_bounded (a library caller): a fresh budget
        budget = _Budget(time.monotonic() + MAX_RENDER_SECONDS)
        _budget.set(budget)
    return budget


def _trace_calls(frame: FrameType, event: str, arg: Any) -> Any:
    del arg
    if event != "call" or not isinstance(frame.f_globals.get("environment"), _Marker):
        return None
    if frame.f_code.co_flags & inspect.CO_GENERATOR:
        return _trace_lines  # a generator resuming (template output), not a new call
    budget = _current()
    budget.calls += 1
    if budget.calls > MAX_RENDER_CALLS:
        raise RenderLimit(f"more than {MAX_RENDER_CALLS} macro or template calls (recursion?)")
    return _trace_lines


def _trace_lines(frame: FrameType, event: str, arg: Any) -> Any:
    del frame, arg
    if event == "line":
        budget = _current()
        budget.steps += 1
        if budget.steps > MAX_RENDER_ITERATIONS:
            raise RenderLimit(f"more than {MAX_RENDER_ITERATIONS} template steps (loops?)")
        if budget.steps % 64 == 0 and time.monotonic() > budget.deadline:
            raise RenderLimit(f"rendering took more than {MAX_RENDER_SECONDS:g} s")
    return _trace_lines


class _Marker:
    """Base of the bounded environment; the tracer recognises template frames by it."""


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


def _check_size(value: Any) -> Any:
    if _size(value) > MAX_RENDER_OUTPUT_CHARS:
        raise RenderLimit(f"a value larger than {MAX_RENDER_OUTPUT_CHARS} characters or items")
    return value


def _check_widths(args: Iterable[Any]) -> None:
    """Integer arguments of size-making functions (``center``, ``ljust``, ``zfill``,
    ``wordwrap``...) stay below the output limit."""
    for value in args:
        if isinstance(value, int) and abs(value) > MAX_RENDER_OUTPUT_CHARS:
            raise RenderLimit(f"argument {value} is larger than the template size limit")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise RenderLimit("a format width or precision of a million or more")


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        matches = len(text) + 1 if not old else text.count(old)
        if len(text) + matches * len(new) > MAX_RENDER_OUTPUT_CHARS:
            raise RenderLimit(
                f"replace() would build more than {MAX_RENDER_OUTPUT_CHARS} characters"
            )


def _checked_binop(operator: str, left: Any, right: Any) -> Any:
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if (
                _size(seq)
                and isinstance(times, int)
                and _size(seq) * times > MAX_RENDER_OUTPUT_CHARS
            ):
                raise RenderLimit(
                    f"{operator} would build more than {MAX_RENDER_OUTPUT_CHARS} characters"
                )
        return left * right
    if operator == "**":
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and abs(left) > 1 and right * math.log2(abs(left)) > MAX_RENDER_INT_BITS:
            raise RenderLimit(f"{left} ** {right} is too large a number")
        return left**right
    if operator == "+":
        if _size(left) + _size(right) > MAX_RENDER_OUTPUT_CHARS:
            raise RenderLimit(f"+ would build more than {MAX_RENDER_OUTPUT_CHARS} characters")
        return left + right
    if operator == "%":
        _check_format(left)
        return _check_size(left % right)
    raise RenderLimit(f"operator {operator} is not intercepted")  # not reached


def checked_join(pieces: Iterable[Any]) -> str:
    """``"".join`` that stops once the result would pass the output limit."""
    out: list[str] = []
    total = 0
    for piece in pieces:
        text = str(piece)
        total += len(text)
        if total > MAX_RENDER_OUTPUT_CHARS:
            raise RenderLimit(f"output larger than {MAX_RENDER_OUTPUT_CHARS} characters")
        out.append(text)
    return "".join(out)


class _BoundedRange:
    """``range()`` whose iterations count as steps."""

    def __init__(self, *args: int) -> None:
        _check_widths(args)
        self._range = range(*args)
        if len(self._range) > MAX_RENDER_ITERATIONS:
            raise RenderLimit(f"range() of more than {MAX_RENDER_ITERATIONS} items")

    def __iter__(self) -> Iterator[int]:
        budget = _current()
        for item in self._range:
            budget.steps += 1
            if budget.steps > MAX_RENDER_ITERATIONS:
                raise RenderLimit(f"more than {MAX_RENDER_ITERATIONS} template steps (loops?)")
            yield item

    def __len__(self) -> int:
        return len(self._range)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(*args: Any, **kwargs: Any) -> Any:
        # pass_context / pass_environment filters get that first; the value comes next
        values = args[1:] if getattr(function, "jinja_pass_arg", None) else args
        if name in _SIZE_FILTERS:
            _check_widths([*values[1:], *kwargs.values()])
        elif name == "format" and values:
            _check_format(values[0])
        elif name == "replace" and len(values) >= 3:
            _check_replace(values[0], values[1], values[2])
        return _check_size(function(*args, **kwargs))

    if hasattr(function, "jinja_pass_arg"):
        bounded.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


def _check_call(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Before a call from a template: built-in methods (``'x'.center(n)``, ``.replace``,
    ``.format``) must not be asked to build more than the output limit."""
    function = getattr(function, "__wrapped__", function)  # the sandbox wraps str.format
    if not isinstance(function, BuiltinMethodType):
        return  # macros and our helpers: their own work is traced
    owner = getattr(function, "__self__", None)
    name = function.__name__
    _check_widths([*args, *kwargs.values()])
    if name in ("format", "format_map"):
        _check_format(owner)
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])


def bounded_environment(**options: Any) -> Any:
    """An ImmutableSandboxedEnvironment with the budget above."""
    from jinja2.compiler import CodeGenerator, Frame
    from jinja2.nodes import Concat
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedCodeGenerator(CodeGenerator):
        def visit_Concat(self, node: Concat, frame: Frame) -> None:
            self.write("environment.concat((")  # ``a ~ b``: through the checked join
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    class BoundedEnvironment(ImmutableSandboxedEnvironment, _Marker):
        code_generator_class = BoundedCodeGenerator
        intercepted_binops = frozenset({"*", "**", "+", "%"})
        concat = staticmethod(checked_join)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return _checked_binop(operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            _check_call(__obj, args, kwargs)
            return _check_size(super().call(__context, __obj, *args, **kwargs))

    env = BoundedEnvironment(**options)
    env.globals["range"] = _BoundedRange
    env.globals.pop("lipsum", None)
    env.filters = {name: _bounded_filter(name, f) for name, f in env.filters.items()}
    return env
