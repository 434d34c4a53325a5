"""Random expression graphs, differentiated by the engine and checked against finite differences.

A graph is drawn as a small program: a few inputs, then steps that each make one node from earlier
nodes (by index into a pool, so nodes are shared and the same node can be both operands of one op)
and Python number constants. The same program is run twice: on ``Value``s (the engine under test)
and on plain floats with ``math`` (the oracle, through central finite differences).

The values every node takes are known while the program is drawn, so the drawing keeps the graph
well-conditioned: divisors are ``b * b + c`` with ``c > 0``, ``log`` and ``sqrt`` only see such
guarded nodes, ``exp`` and a node used as an exponent only see bounded nodes, and a node whose value
grows past 4 is scaled back down by an exact power of two.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, grad, hessian

# ---- the program: steps over a pool of nodes
#
# A step is a tuple whose first item names its kind:
#   ("bin", op, i, j)         pool[i] op pool[j]        op in + - * / **
#   ("rconst", op, i, c)      pool[i] op c              op in + - * / **
#   ("lconst", op, c, i)      c op pool[i]              op in + - * / **
#   ("unary", name, i)        pool[i].name()
#   ("sum", items)            Value.sum(items)          each item ("node", i) or ("const", c)
#   ("dot", ws, xs)           Value.dot(ws, xs)         same items

BINARY: dict[str, Callable[[Any, Any], Any]] = {
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


# name -> (on a Value, on a float). The float side is written from the textbook definitions, not from
# the engine's ops, so it is an independent oracle.
UNARY: dict[str, tuple[Callable[[Value], Value], Callable[[float], float]]] = {
    "tanh": (Value.tanh, math.tanh),
    "sigmoid": (Value.sigmoid, _sigmoid),
    "sin": (Value.sin, math.sin),
    "cos": (Value.cos, math.cos),
    "exp": (Value.exp, math.exp),
    "log": (Value.log, math.log),
    "sqrt": (Value.sqrt, math.sqrt),
    "softplus": (Value.softplus, _softplus),
    "neg": (operator.neg, operator.neg),
}
# ops that take any bounded input; exp, log and sqrt are drawn by their own guarded branches
FREE_UNARY = ["tanh", "sigmoid", "sin", "cos", "softplus", "neg"]


@dataclass(frozen=True)
class Program:
    inputs: tuple[float, ...]
    steps: tuple[tuple[Any, ...], ...]
    sinks: tuple[int, ...]  # pool indices used by no step: the root sums them, so every node matters
    magnitude: float  # the largest |value| of any node at the drawn inputs

    @property
    def size(self) -> int:
        return len(self.inputs) + len(self.steps) + 1


def _item(pool: Sequence[Any], item: tuple[str, Any]) -> Any:
    return pool[item[1]] if item[0] == "node" else item[1]


def _step(step: tuple[Any, ...], pool: Sequence[Any], on_values: bool) -> Any:
    kind = step[0]
    if kind == "bin":
        return BINARY[step[1]](pool[step[2]], pool[step[3]])
    if kind == "rconst":
        return BINARY[step[1]](pool[step[2]], step[3])
    if kind == "lconst":
        return BINARY[step[1]](step[2], pool[step[3]])
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
    raise AssertionError(f"unknown step {step!r}")


def run(program: Program, inputs: Sequence[Any], on_values: bool) -> tuple[Any, list[Any]]:
    """The program's root and its whole pool, on Values (on_values) or on floats."""
    pool = list(inputs)
    for step in program.steps:
        pool.append(_step(step, pool, on_values))
    sinks = [pool[i] for i in program.sinks]
    root = Value.sum(sinks) if on_values else sum(sinks)
    return root, pool


def as_function(program: Program) -> Callable[..., Value]:
    """The program as f(*inputs) -> root Value, for grad and hessian."""
    return lambda *xs: run(program, xs, on_values=True)[0]


# ---- drawing programs
CONSTANTS = st.sampled_from([0.5, 1.5, 2.0, 3.0, -0.75, -2.5])  # nonzero, so each can be a divisor


@st.composite
def programs(draw: st.DrawFn, max_inputs: int = 4, max_steps: int = 12) -> Program:
    n = draw(st.integers(1, max_inputs))
    inputs = tuple(draw(st.floats(-2.0, 2.0)) for _ in range(n))
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
            steps.append(("rconst", "*", i, scale) if draw(st.booleans()) else ("lconst", "*", scale, i))
            i += 1
        available.append(i)
        return i

    def node() -> int:
        return draw(st.sampled_from(available))

    def bounded(i: int, limit: float) -> int:
        """i itself if its |value| is at most limit, else tanh of it."""
        return i if abs(values[i]) <= limit else emit(("unary", "tanh", i))

    def guarded(i: int) -> int:
        """pool[i] * pool[i] + c with c > 0: a divisor, or an argument of log or sqrt, far from 0."""
        square = emit(("bin", "*", i, i))
        return emit(("rconst", "+", square, draw(st.sampled_from([0.25, 1.0]))))

    def items(min_size: int) -> list[tuple[str, Any]]:
        out = []
        for _ in range(draw(st.integers(min_size, 4))):
            if draw(st.integers(0, 3)) == 0:
                out.append(("const", draw(CONSTANTS)))
            else:
                out.append(("node", node()))
        return out

    def has_node(parts: list[tuple[str, Any]]) -> bool:
        return any(part[0] == "node" for part in parts)

    kinds = ["bin", "same", "rconst", "lconst", "unary", "exp", "logsqrt", "pow", "sum", "dot"]
    for _ in range(draw(st.integers(1, max_steps))):
        kind = draw(st.sampled_from(kinds))
        if kind in ("bin", "same"):
            op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
            i = node()
            j = i if kind == "same" else node()  # "same": one node as both operands, e.g. a * a
            if op == "/":
                emit(("bin", "/", i, guarded(j)))
            elif op == "**":
                emit(("bin", "**", guarded(i), bounded(j, 2.0)))  # a positive base
            else:
                emit(("bin", op, i, j))
        elif kind == "rconst":
            emit(("rconst", draw(st.sampled_from(["+", "-", "*", "/"])), node(), draw(CONSTANTS)))
        elif kind == "lconst":
            op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
            if op == "/":
                emit(("lconst", "/", draw(CONSTANTS), guarded(node())))
            elif op == "**":
                emit(("lconst", "**", draw(st.sampled_from([0.5, 1.5, 2.0])), bounded(node(), 2.0)))
            else:
                emit(("lconst", op, draw(CONSTANTS), node()))
        elif kind == "unary":
            emit(("unary", draw(st.sampled_from(FREE_UNARY)), node()))
        elif kind == "exp":
            emit(("unary", "exp", bounded(node(), 3.0)))
        elif kind == "logsqrt":
            emit(("unary", draw(st.sampled_from(["log", "sqrt"])), guarded(node())))
        elif kind == "pow":
            exponent = draw(st.sampled_from([2, 3, -1.0, 0.5, -1.5]))
            i = node() if isinstance(exponent, int) else guarded(node())  # base > 0 for these
            emit(("rconst", "**", i, exponent))
        elif kind == "sum":
            parts = items(1)
            if not has_node(parts):
                parts.append(("node", node()))
            emit(("sum", parts))
        else:  # dot: either side may hold constants, in any position
            ws = items(1)
            xs = [("node", node()) if draw(st.booleans()) else ("const", draw(CONSTANTS)) for _ in ws]
            if not has_node(ws + xs):
                xs[0] = ("node", node())
            emit(("dot", ws, xs))

    used = {i for step in steps for i in _operands(step)}
    sinks = tuple(i for i in range(len(values)) if i not in used)
    return Program(inputs, tuple(steps), sinks, max(abs(v) for v in values))


def _operands(step: tuple[Any, ...]) -> list[int]:
    kind = step[0]
    if kind == "bin":
        return [step[2], step[3]]
    if kind == "rconst":
        return [step[2]]
    if kind in ("lconst", "unary"):
        return [step[-1]]
    return [i for part in step[1:] for what, i in part if what == "node"]


# ---- oracles
def central_difference(f: Callable[[list[float]], float], xs: Sequence[float], k: int, h: float) -> float:
    plus, minus = list(xs), list(xs)
    plus[k] += h
    minus[k] -= h
    return (f(plus) - f(minus)) / (2.0 * h)


def float_root(program: Program) -> Callable[[list[float]], float]:
    return lambda xs: float(run(program, xs, on_values=False)[0])


H = 1e-6
# Tolerance for a gradient against a central difference with step H. The difference has two errors:
# truncation, h**2 / 6 * f''' ~ 1e-13 here (every node is bounded, so f''' is moderate), and rounding,
# about (number of nodes) * eps * (largest |node|) / h ~ 1e-8 at most for these graphs. So 1e-5 relative,
# five orders above the truncation error, plus an absolute floor for gradients that are themselves
# near 0 (where rounding dominates): 10x the rounding bound, scaled by the graph's size and magnitude
# (over many thousands of drawn graphs the worst error seen was under 0.4x that bound).
RTOL = 1e-5


def atol(program: Program, h: float) -> float:
    return 10 * program.size * 2.2e-16 * max(1.0, program.magnitude) / h


def assert_close(got: float, expected: float, rtol: float, abs_tol: float, what: str) -> None:
    assert math.isclose(got, expected, rel_tol=rtol, abs_tol=abs_tol), (
        f"{what}: engine {got!r}, finite difference {expected!r}, diff {abs(got - expected):.3g}"
    )


# ---- tests
@settings(max_examples=300, deadline=None)
@given(programs())
def test_gradients_match_central_differences(program: Program) -> None:
    leaves = [Value(x) for x in program.inputs]
    root, _ = run(program, leaves, on_values=True)
    f = float_root(program)
    assert math.isclose(root.data, f(list(program.inputs)), rel_tol=1e-12, abs_tol=1e-12)
    root.backward()
    for k, leaf in enumerate(leaves):
        fd = central_difference(f, program.inputs, k, H)
        assert_close(leaf.grad, fd, RTOL, atol(program, H), f"d root / d input {k}")


@settings(max_examples=150, deadline=None)
@given(programs())
def test_backward_twice_doubles_leaf_grads_and_repeats_interior_grads(program: Program) -> None:
    leaves = [Value(x) for x in program.inputs]
    root, pool = run(program, leaves, on_values=True)
    interior = [v for v in pool[len(leaves) :] if v.parents]
    root.backward()
    first_leaves = [leaf.grad for leaf in leaves]
    first_interior = [v.grad for v in interior]
    root.backward()
    # The second pass computes the very same gradient, so each leaf must hold exactly twice the first
    # (as in PyTorch, which adds each pass's total for a leaf to its .grad).
    assert [leaf.grad for leaf in leaves] == [2.0 * g for g in first_leaves]
    # interior nodes start afresh at every backward, so they repeat the first pass exactly
    assert [v.grad for v in interior] == first_interior
    assert root.grad == 1.0


def test_backward_twice_is_exactly_double_for_a_leaf_used_twice() -> None:
    a = Value(1.0)
    root = a * 0.7 + a * 0.1  # two contributions to a.grad: 0.7 and 0.1
    root.backward()
    first = a.grad
    assert first == 0.7 + 0.1  # 0.7999999999999999
    root.backward()
    assert a.grad == 2.0 * first  # 1.5999999999999999, as torch gives


@settings(max_examples=100, deadline=None)
@given(st.floats(-2.0, 2.0), st.floats(-2.0, 2.0))
def test_backward_twice_is_exactly_double_for_single_use_leaves(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    m = a * b
    root = m.tanh() + b.sin() * m  # a reaches the root through one edge (to m), b through two
    root.backward()
    first = a.grad
    root.backward()
    assert a.grad == 2.0 * first


# Second derivatives against central differences of the engine's own first gradient (itself checked
# above). The step is larger, h = 1e-5, as the first gradient goes through more ops than f. Errors of
# the difference: rounding, ~ size * eps * magnitude / h ~ 5e-8, and truncation, h**2 / 6 * f^(4),
# which is not negligible here: f^(4) of these compositions reaches 1e3, so 2e-8. Hence the same 1e-5
# relative tolerance with an absolute floor of 1e-6 (times the magnitude), 20x above both (over many
# thousands of drawn graphs the worst error seen was 0.04x this tolerance).
H2 = 1e-5


def hessian_atol(program: Program) -> float:
    return 1e-6 * max(1.0, program.magnitude)


@settings(max_examples=80, deadline=None)
@given(programs(max_inputs=3, max_steps=8))
def test_hessian_matches_differences_of_the_gradient(program: Program) -> None:
    f = as_function(program)
    n = len(program.inputs)
    first = grad(f, argnums=tuple(range(n)))
    matrix = hessian(f)(*program.inputs)
    assert len(matrix) == n
    assert all(len(row) == n for row in matrix)
    for j in range(n):
        plus, minus = list(program.inputs), list(program.inputs)
        plus[j] += H2
        minus[j] -= H2
        column = [(p - m) / (2.0 * H2) for p, m in zip(first(*plus), first(*minus))]
        for i in range(n):
            assert_close(matrix[i][j], column[i], RTOL, hessian_atol(program), f"d2 root / d{i} d{j}")
    for i in range(n):  # mixed partials agree, so the matrix is symmetric up to rounding
        for j in range(i):
            assert math.isclose(matrix[i][j], matrix[j][i], rel_tol=1e-12, abs_tol=1e-12)
