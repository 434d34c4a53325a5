"""Random expression graphs, differentiated by the engine and checked against finite differences.

A graph is a program of ``autograd_lite.testing.graphs``, drawn by hypothesis through
``strategies.programs()``: a few inputs, then steps that each make one node from earlier nodes (shared,
and the same node can be both operands of one op) and Python number constants. The same program is run
twice: on ``Value``s (the engine under test) and on plain floats with ``math`` (the oracle, through
central finite differences). The drawing keeps the graph well-conditioned (see ``draw_program``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, grad, hessian
from autograd_lite.testing.graphs import Program
from autograd_lite.testing.strategies import programs


def as_function(program: Program) -> Callable[..., Value]:
    """The program as f(*inputs) -> root Value, for grad and hessian."""
    return lambda *xs: program.run(xs, on_values=True)[0]


# ---- oracles
def central_difference(f: Callable[[list[float]], float], xs: Sequence[float], k: int, h: float) -> float:
    plus, minus = list(xs), list(xs)
    plus[k] += h
    minus[k] -= h
    return (f(plus) - f(minus)) / (2.0 * h)


def float_root(program: Program) -> Callable[[list[float]], float]:
    return lambda xs: float(program.run(xs, on_values=False)[0])


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
    root, _ = program.run(leaves, on_values=True)
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
    root, pool = program.run(leaves, on_values=True)
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
