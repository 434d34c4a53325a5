"""Hypothesis strategies for property tests of gradients: Values, random expressions over chosen ops, and
random programs (``autograd_lite.testing.graphs``).

``expressions`` draws a computation graph node by node from the ops given (built-in names or functions
made by ``define_op``), reusing earlier nodes, and keeps each op's arguments inside its domain and away
from kinks and singularities, so that finite differences are reliable on what it draws. A failing
example shrinks towards fewer nodes, the first op and variable listed, and simple inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError:  # an optional dependency: say how to get it
    raise ImportError(
        "autograd_lite.testing.strategies needs hypothesis: pip install 'autograd-lite[testing]'"
    ) from None

from ..core.engine import Value
from ..core.modes import MATH_ERRORS
from .expressions import BUILTINS, Apply, Expression, Function, Term, function, usable_name
from .graphs import Option, Program, check_sizes, draw_program

__all__ = ["ALL_OPS", "BOUND", "CONSTANTS", "DELTA", "expressions", "programs", "values"]

ALL_OPS = tuple(BUILTINS)  #: Every built-in op's name, "+" first: a failing example shrinks towards it.
CONSTANTS = (2.0, 0.5, -1.5, 3.0)  #: The numbers that the graphs fold in, as in x * 0.5.
# An op is applied only where it is moderate and smooth: its value and local derivatives at most BOUND,
# each local derivative changing by at most 10% (plus 0.1) when an argument moves by DELTA, and at the
# same rate on both sides. That rules out kinks in the op (relu at 0) and in its derivatives (so second
# derivatives exist), the edges of domains (log near 0) and near-singular points (1 / 1e-9).
BOUND = 1e3  #: The largest value, and local derivative, that an op may have where it is applied.
DELTA = 1e-4  #: How far an argument moves to check that an op's local derivatives change smoothly.


def values(min_value: float = -3.0, max_value: float = 3.0) -> st.SearchStrategy[Value]:
    """Generate leaf Values with finite data between min_value and max_value."""
    return st.builds(Value, st.floats(min_value, max_value))


def programs(
    min_inputs: int = 1,
    max_inputs: int = 4,
    min_steps: int = 1,
    max_steps: int = 12,
    chain: bool = False,
) -> st.SearchStrategy[Program]:
    """Generate random programs, as ``autograd_lite.testing.graphs.draw_program`` draws them with these
    arguments; run one on Values with ``program.run([Value(x) for x in program.inputs])``.
    """
    check_sizes(min_inputs, max_inputs, min_steps, max_steps)  # refused now, not at the first draw
    return _programs(min_inputs, max_inputs, min_steps, max_steps, chain)


@st.composite
def _programs(
    draw: st.DrawFn, min_inputs: int, max_inputs: int, min_steps: int, max_steps: int, chain: bool
) -> Program:
    return draw_program(
        _Drawn(draw),
        min_inputs=min_inputs,
        max_inputs=max_inputs,
        min_steps=min_steps,
        max_steps=max_steps,
        chain=chain,
    )


class _Drawn:
    """graphs.Choices from hypothesis's draw, so that a failing program shrinks."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def real(self, low: float, high: float) -> float:
        return self._draw(st.floats(low, high))

    def choice(self, options: Sequence[Option]) -> Option:
        return self._draw(st.sampled_from(options))

    def coin(self) -> bool:
        return self._draw(st.booleans())


def expressions(
    variables: Sequence[str] = ("x",),
    ops: Iterable[str | Callable[..., Any]] = ALL_OPS,
    max_depth: int = 3,
    min_value: float = -3.0,
    max_value: float = 3.0,
) -> st.SearchStrategy[Expression]:
    """Generate random expressions over the variables (drawn between min_value and max_value) and the ops,
    at most max_depth ops from any variable to the result. Call one on ``expr.inputs``.
    """
    names = tuple(variables)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"variables must be distinct names, at least one, got {variables!r}")
    for name in names:
        if not usable_name(name):
            raise ValueError(
                f"{name!r} cannot be a variable's name: it must be an ASCII identifier, not an op's name"
            )
    functions = tuple(function(op) for op in ops)
    if not functions:
        raise ValueError("ops must name at least one op")
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1:
        raise ValueError(f"max_depth must be a positive integer, got {max_depth!r}")
    if not (math.isfinite(min_value) and math.isfinite(max_value) and min_value < max_value):
        raise ValueError(f"min_value < max_value, both finite, is needed; got {min_value!r}, {max_value!r}")
    return _expressions(names, functions, max_depth, st.floats(min_value, max_value))


@dataclass(frozen=True)
class _Node:
    term: Term
    value: float  # at the drawn point
    height: int  # ops on the longest path from a variable


@st.composite
def _expressions(
    draw: st.DrawFn, names: tuple[str, ...], functions: tuple[Function, ...], max_depth: int, inputs: Any
) -> Expression:
    point = tuple(draw(inputs) for _ in names)
    pool = [_Node(name, x, 0) for name, x in zip(names, point)]  # nodes made so far, for reuse

    def term(depth: int) -> _Node:
        """Draw an argument: a node of height at most depth, reused or new, or a constant."""
        kind = draw(st.integers(0, 3 if depth else 1))
        if kind == 0:
            usable = [node for node in pool if node.height <= depth]
            return usable[draw(st.integers(0, len(usable) - 1))]
        if kind == 1:
            c = draw(st.sampled_from(CONSTANTS))
            return _Node(c, c, 0)
        return application(depth)

    def application(depth: int) -> _Node:
        """Draw a new node: an op on arguments at which it is well conditioned (three tries, else a
        variable)."""
        for _ in range(3):
            fn = draw(st.sampled_from(functions))
            args = [term(depth - 1) for _ in range(fn.arity)]
            if all(isinstance(a.term, float) for a in args):
                args[0] = pool[0]  # every node depends on a variable
            value = _well_conditioned(fn, args)
            if value is not None:
                node = _Node(Apply(fn, tuple(a.term for a in args)), value, 1 + max(a.height for a in args))
                pool.append(node)
                return node
        return pool[0]

    return Expression(application(max_depth).term, names, point)


def _local(fn: Function, args: list[Value | float]) -> tuple[float, tuple[float, ...]] | None:
    """Return fn's value and local derivatives at args, or None where it is undefined or not finite."""
    try:
        out = fn.call(*args)
    except MATH_ERRORS:
        return None
    numbers = (out.data, *out.local_grads)
    return (numbers[0], numbers[1:]) if all(math.isfinite(x) for x in numbers) else None


def _well_conditioned(fn: Function, args: list[_Node]) -> float | None:
    """Return fn's value at args if it is moderate and smooth there (see BOUND), else None."""
    nodes = [not isinstance(a.term, float) for a in args]

    def at(shift: int, by: float) -> tuple[float, tuple[float, ...]] | None:
        xs = [a.value + (by if i == shift else 0.0) for i, a in enumerate(args)]
        return _local(fn, [Value(x) if node else x for x, node in zip(xs, nodes)])

    centre = at(-1, 0.0)
    if centre is None or any(abs(x) > BOUND for x in (centre[0], *centre[1])):
        return None
    for i in (i for i, node in enumerate(nodes) if node):
        below, above = at(i, -DELTA), at(i, DELTA)
        if below is None or above is None:
            return None
        for low, mid, high in zip(below[1], centre[1], above[1]):
            down, up = mid - low, high - mid
            if max(abs(down), abs(up)) > 0.1 * (1 + abs(mid)):  # a jump in the derivative
                return None
            if abs(up - down) > 0.1 * (abs(up) + abs(down)) + 1e-6 * (1 + abs(mid)):  # a kink in it
                return None
    return centre[0]
