"""Random computation graphs as small programs, drawn from any source of choices.

This is the one random-graph generator of autograd-lite: the property tests draw its programs through
hypothesis (``autograd_lite.testing.strategies.programs``), and the benchmarks draw one from a seeded
``random.Random`` (``random_program``). Both go through ``draw_program``, which asks a ``Choices`` for
every integer, number, pick and coin flip it needs.

A program has a few inputs, then steps that each make one node from earlier nodes of a pool (by index,
so a node can be used many times, even as both operands of one op) and Python number constants. A step
is a tuple whose first item names its kind:

=========================  ==========================  ===========================================
``("bin", op, i, j)``      ``pool[i] op pool[j]``      op one of ``+ - * / **``
``("rconst", op, i, c)``   ``pool[i] op c``            op one of ``+ - * / **``
``("lconst", op, c, i)``   ``c op pool[i]``            op one of ``+ - * / **``
``("unary", name, i)``     ``pool[i].name()``          name a key of ``UNARY``
``("sum", items)``         ``Value.sum(items)``        each item ``("node", i)`` or ``("const", c)``
``("dot", ws, xs)``        ``Value.dot(ws, xs)``       items as for ``sum``
=========================  ==========================  ===========================================

The root is the sum of the sinks, the nodes no step uses, so every node counts. ``Program.run`` runs
the program on ``Value``s (the engine) or on floats with ``math``, where each op is written from its
textbook definition rather than the engine's: an independent oracle, for finite differences.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import methodcaller
from typing import Any, Protocol, TypeVar

from ..core.engine import Value

__all__ = ["UNARY", "Choices", "Option", "Program", "check_sizes", "draw_program", "random_program"]

#: The type of the options a choice is made among.
Option = TypeVar("Option")

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _softplus(x: float) -> float:
    return math.log(1.0 + math.exp(x))


UNARY: dict[str, tuple[Callable[[Value], Value], Callable[[float], float]]] = {
    "tanh": (methodcaller("tanh"), math.tanh),
    "sigmoid": (methodcaller("sigmoid"), _sigmoid),
    "sin": (methodcaller("sin"), math.sin),
    "cos": (methodcaller("cos"), math.cos),
    "exp": (methodcaller("exp"), math.exp),
    "log": (methodcaller("log"), math.log),
    "sqrt": (methodcaller("sqrt"), math.sqrt),
    "softplus": (methodcaller("softplus"), _softplus),
    "neg": (operator.neg, operator.neg),
}
"""The unary ops a step can apply: name -> (the op on a Value, the op on a float from its definition)."""

# ops that take any bounded input; exp, log and sqrt are drawn by their own guarded branches
_FREE_UNARY = ["tanh", "sigmoid", "sin", "cos", "softplus", "neg"]
_CONSTANTS = [0.5, 1.5, 2.0, 3.0, -0.75, -2.5]  # nonzero, so each can be a divisor
_KINDS = ["bin", "same", "rconst", "lconst", "unary", "exp", "logsqrt", "pow", "sum", "dot"]


@dataclass(frozen=True)
class Program:
    """A computation graph as a program, with the point it is drawn at."""

    #: The point the program is drawn at, one float per input.
    inputs: tuple[float, ...]
    #: One node each, as in the module's table.
    steps: tuple[tuple[Any, ...], ...]
    #: The pool indices that no step uses, summed into the root.
    sinks: tuple[int, ...]
    #: The largest absolute value any node takes at the inputs.
    magnitude: float

    @property
    def size(self) -> int:
        """The number of nodes: the inputs, one per step, and the root."""
        return len(self.inputs) + len(self.steps) + 1

    def run(self, inputs: Sequence[Any], on_values: bool = True) -> tuple[Any, list[Any]]:
        """Return the program's root and its whole pool (the inputs, then one node per step), computed from
        inputs: ``Value``s through the engine (on_values), or floats through ``math`` (not on_values).
        """
        pool = list(inputs)
        for step in self.steps:
            pool.append(_step(step, pool, on_values))
        sinks = [pool[i] for i in self.sinks]
        root = Value.sum(sinks) if on_values else sum(sinks)
        return root, pool


def _item(pool: Sequence[Any], item: tuple[str, Any]) -> Any:
    return pool[item[1]] if item[0] == "node" else item[1]


def _step(step: tuple[Any, ...], pool: Sequence[Any], on_values: bool) -> Any:
    kind = step[0]
    if kind == "bin":
        return _BINARY[step[1]](pool[step[2]], pool[step[3]])
    if kind == "rconst":
        return _BINARY[step[1]](pool[step[2]], step[3])
    if kind == "lconst":
        return _BINARY[step[1]](step[2], pool[step[3]])
    if kind == "unary":
        on_value, on_float = UNARY[step[1]]
        return (on_value if on_values else on_float)(pool[step[2]])
    if kind == "sum":
        items = [_item(pool, it) for it in step[1]]
        return Value.sum(items) if on_values else sum(items)
    if kind == "dot":
        ws = [_item(pool, it) for it in step[1]]
        xs = [_item(pool, it) for it in step[2]]
        return Value.dot(ws, xs) if on_values else sum(w * x for w, x in zip(ws, xs))
    raise ValueError(f"unknown step {step!r}")


def _operands(step: tuple[Any, ...]) -> list[int]:
    kind = step[0]
    if kind == "bin":
        return [step[2], step[3]]
    if kind == "rconst":
        return [step[2]]
    if kind in ("lconst", "unary"):
        return [step[-1]]
    return [i for part in step[1:] for what, i in part if what == "node"]


class Choices(Protocol):
    """Where a drawing's choices come from: hypothesis's ``draw`` in a property test (so that a failing
    program shrinks), or a seeded ``random.Random`` (so that a benchmark draws the same program each run).
    """

    def integer(self, low: int, high: int) -> int:
        """Choose an integer from low to high, both included."""
        ...

    def real(self, low: float, high: float) -> float:
        """Choose a finite float from low to high."""
        ...

    def choice(self, options: Sequence[Option]) -> Option:
        """Choose one of the options."""
        ...

    def coin(self) -> bool:
        """Flip a coin: True or False, with equal odds."""
        ...


class _Seeded:
    """Choices from ``random.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self._rng.randrange(low, high + 1)

    def real(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def choice(self, options: Sequence[Option]) -> Option:
        return options[self._rng.randrange(len(options))]

    def coin(self) -> bool:
        return self._rng.random() < 0.5


def check_sizes(min_inputs: int, max_inputs: int, min_steps: int, max_steps: int) -> None:
    """Refuse, with a ValueError naming them, sizes that no program can have (draw_program's own check,
    for a caller that wants it before the first draw)."""
    for what, low, high in (("inputs", min_inputs, max_inputs), ("steps", min_steps, max_steps)):
        whole = all(isinstance(x, int) and not isinstance(x, bool) for x in (low, high))
        if not (whole and 1 <= low <= high):
            raise ValueError(
                f"min_{what} and max_{what} must be whole numbers, 1 <= min <= max; got {low!r}, {high!r}"
            )


def _count(choose: Choices, low: int, high: int) -> int:
    return low if low == high else choose.integer(low, high)


def draw_program(
    choose: Choices,
    *,
    min_inputs: int = 1,
    max_inputs: int = 4,
    min_steps: int = 1,
    max_steps: int = 12,
    chain: bool = False,
) -> Program:
    """Draw a program of min_inputs to max_inputs inputs and min_steps to max_steps steps (a few more where a
    step needs a helper node), every choice asked of choose.

    By default it mixes every kind of step over inputs in [-2, 2] and keeps the graph well conditioned,
    as finite differences need: divisors are ``b * b + c`` with ``c > 0``, ``log`` and ``sqrt`` only
    see such guarded nodes, ``exp`` and an exponent only bounded ones, and a node whose value passes 4
    is scaled back down by an exact power of two (one more step) before anything uses it.

    With chain, it draws the long, deep kind of graph a benchmark times: inputs in [0.5, 1], then each
    step is the previous node ``+`` or ``*`` (equal odds) another node, so the graph is one path as deep
    as it is long. A ``*`` takes an input, which shrinks the running value by 0.75 on average; a ``+``
    takes any earlier node, which pulls a small running value back up. That keeps the values bounded
    with no constants (over 40,000 steps, between about 0.1 and 1e15 across seeds), so any engine with
    ``+`` and ``*`` runs the very same ops.
    """
    check_sizes(min_inputs, max_inputs, min_steps, max_steps)
    n = _count(choose, min_inputs, max_inputs)
    count = _count(choose, min_steps, max_steps)
    return (_chain if chain else _mixed)(choose, n, count)


def random_program(
    seed: int,
    *,
    min_inputs: int = 1,
    max_inputs: int = 4,
    min_steps: int = 1,
    max_steps: int = 12,
    chain: bool = False,
) -> Program:
    """Draw a program as ``draw_program`` does, with its choices from ``random.Random(seed)``: the same
    program for the same seed, run after run.
    """
    return draw_program(
        _Seeded(seed),
        min_inputs=min_inputs,
        max_inputs=max_inputs,
        min_steps=min_steps,
        max_steps=max_steps,
        chain=chain,
    )


def _program(inputs: tuple[float, ...], steps: list[tuple[Any, ...]], values: list[float]) -> Program:
    used = {i for step in steps for i in _operands(step)}
    sinks = tuple(i for i in range(len(values)) if i not in used)
    return Program(inputs, tuple(steps), sinks, max(abs(v) for v in values))


def _chain(choose: Choices, n: int, count: int) -> Program:
    inputs = tuple(choose.real(0.5, 1.0) for _ in range(n))
    values = list(inputs)
    steps: list[tuple[Any, ...]] = []
    for _ in range(count):
        prev = len(values) - 1
        if choose.coin():
            step: tuple[Any, ...] = ("bin", "*", prev, choose.integer(0, n - 1))
        else:
            step = ("bin", "+", prev, choose.integer(0, prev))
        values.append(_step(step, values, on_values=False))
        steps.append(step)
    return _program(inputs, steps, values)


def _mixed(choose: Choices, n: int, count: int) -> Program:
    inputs = tuple(choose.real(-2.0, 2.0) for _ in range(n))
    values: list[float] = list(inputs)  # each node's value at the drawn inputs, found with the float path
    steps: list[tuple[Any, ...]] = []
    available = list(range(n))  # the nodes later steps may use: all with |value| <= 4

    def emit(step: tuple[Any, ...]) -> int:
        values.append(_step(step, values, on_values=False))
        steps.append(step)
        i = len(values) - 1
        if abs(values[i]) > 4.0:  # scale back down, exactly, by a power of two; only that is reused
            scale = 2.0 ** -math.ceil(math.log2(abs(values[i]) / 4.0))
            values.append(values[i] * scale)
            steps.append(("rconst", "*", i, scale) if choose.coin() else ("lconst", "*", scale, i))
            i += 1
        available.append(i)
        return i

    def node() -> int:
        return choose.choice(available)

    def bounded(i: int, limit: float) -> int:
        """Return i itself if its |value| is at most limit, else tanh of it."""
        return i if abs(values[i]) <= limit else emit(("unary", "tanh", i))

    def guarded(i: int) -> int:
        """Make pool[i] * pool[i] + c with c > 0: a divisor, or an argument of log or sqrt, far from 0."""
        square = emit(("bin", "*", i, i))
        return emit(("rconst", "+", square, choose.choice([0.25, 1.0])))

    def items(min_size: int) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for _ in range(choose.integer(min_size, 4)):
            if choose.integer(0, 3) == 0:
                out.append(("const", choose.choice(_CONSTANTS)))
            else:
                out.append(("node", node()))
        return out

    def has_node(parts: list[tuple[str, Any]]) -> bool:
        return any(part[0] == "node" for part in parts)

    for _ in range(count):
        kind = choose.choice(_KINDS)
        if kind in ("bin", "same"):
            op = choose.choice(["+", "-", "*", "/", "**"])
            i = node()
            j = i if kind == "same" else node()  # "same": one node as both operands, e.g. a * a
            if op == "/":
                emit(("bin", "/", i, guarded(j)))
            elif op == "**":
                emit(("bin", "**", guarded(i), bounded(j, 2.0)))  # a positive base
            else:
                emit(("bin", op, i, j))
        elif kind == "rconst":
            emit(("rconst", choose.choice(["+", "-", "*", "/"]), node(), choose.choice(_CONSTANTS)))
        elif kind == "lconst":
            op = choose.choice(["+", "-", "*", "/", "**"])
            if op == "/":
                emit(("lconst", "/", choose.choice(_CONSTANTS), guarded(node())))
            elif op == "**":
                emit(("lconst", "**", choose.choice([0.5, 1.5, 2.0]), bounded(node(), 2.0)))
            else:
                emit(("lconst", op, choose.choice(_CONSTANTS), node()))
        elif kind == "unary":
            emit(("unary", choose.choice(_FREE_UNARY), node()))
        elif kind == "exp":
            emit(("unary", "exp", bounded(node(), 3.0)))
        elif kind == "logsqrt":
            emit(("unary", choose.choice(["log", "sqrt"]), guarded(node())))
        elif kind == "pow":
            exponent = choose.choice([2, 3, -1.0, 0.5, -1.5])
            i = node() if isinstance(exponent, int) else guarded(node())  # base > 0 for these
            emit(("rconst", "**", i, exponent))
        elif kind == "sum":
            parts = items(1)
            if not has_node(parts):
                parts.append(("node", node()))
            emit(("sum", tuple(parts)))
        else:  # dot: either side may hold constants, in any position
            ws = items(1)
            xs = [("node", node()) if choose.coin() else ("const", choose.choice(_CONSTANTS)) for _ in ws]
            if not has_node(ws + xs):
                xs[0] = ("node", node())
            emit(("dot", tuple(ws), tuple(xs)))

    return _program(inputs, steps, values)
