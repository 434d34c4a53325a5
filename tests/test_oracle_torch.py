"""Every op and operator of Value against PyTorch float64 autograd: value, gradient and second derivatives.

The cases (tests/oracle/ops.py) pair each op with torch's expression and a domain per argument. On every
Python each case is checked against the numbers torch gave on the seeded inputs of the committed oracle
(tests/oracle/torch.json); where torch is installed, also against torch itself on hypothesis-drawn inputs.
The checks: the value, the first derivatives from ``backward()`` (floats) and from
``backward(create_graph=True)`` (Values), and the second derivatives got by running backward again on each
first derivative, against ``torch.autograd.grad(..., create_graph=True)`` applied twice; in normal mode and
in detect_anomaly mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import records
from oracle.domains import Draw, Points, hypothesis_draw
from oracle.ops import (
    CASES,
    KINKS,
    POWERS_AT_ZERO,
    TABLES,
    Case,
    Derivatives,
    torch_derivatives,
)

from autograd_lite import Value, detect_anomaly, grad, hessian
from autograd_lite.core.node import topological_order
from autograd_lite.core.ops import TABLE

REL_TOL = 1e-12
# An absolute floor: a result near 0 reached by cancellation (sin near pi, x - y with x ~ y, or 1 - t * t in
# tanh's second derivative at large |x|) carries rounding error of ~1e-16 on both sides, relative to nothing.
ABS_TOL = 1e-12


# ---- the two sides of the comparison ------------------------------------------------------------------
def our_derivatives(
    case: Case, values: Sequence[float], consts: Sequence[float], *, create_graph: bool
) -> Derivatives:
    """With create_graph, also the second derivatives: backward once more from each first derivative."""
    leaves = [Value(v) for v in values]
    out = case.ours(*leaves, *consts)
    assert isinstance(out, Value)
    out.backward(create_graph=create_graph)
    firsts = [leaf.grad for leaf in leaves]
    hessian = []
    if create_graph:
        assert all(isinstance(g, Value) for g in firsts), f"create_graph gave non-Value grads: {firsts}"
        for first in firsts:
            for leaf in leaves:
                leaf.grad = 0.0
            first.backward()
            hessian.append([leaf.grad for leaf in leaves])
    else:
        assert all(type(g) is float for g in firsts), f"backward() gave non-float grads: {firsts}"
    return Derivatives(out.data, [float(g) for g in firsts], hessian)


def assert_close(ours: float, theirs: float, what: str, abs_tol: float = ABS_TOL) -> None:
    same = ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    assert same or math.isclose(ours, theirs, rel_tol=REL_TOL, abs_tol=abs_tol), (
        f"{what}: ours {ours!r}, torch {theirs!r}"
    )


Mode = Callable[[], AbstractContextManager[Any]]
ENGINE_MODES: list[Mode] = [nullcontext, detect_anomaly]


def both_ways(
    case: Case, values: Sequence[float], consts: Sequence[float], modes: list[Mode] = ENGINE_MODES
) -> list[tuple[str, Derivatives, Derivatives]]:
    """Ours from backward() and from backward(create_graph=True), in normal mode and in detect_anomaly mode
    (which sends every op through apply() instead of the fast paths in _unary and _binary, and backward()
    through its checked loop); each with a label naming the case, the inputs and the mode."""
    found = []
    for mode in modes:
        with mode():
            floats = our_derivatives(case, values, consts, create_graph=False)
            graph = our_derivatives(case, values, consts, create_graph=True)
        found.append((f"{case} at {list(values)}, {list(consts)} ({mode.__name__})", floats, graph))
    return found


def assert_matches(
    case: Case,
    values: Sequence[float],
    consts: Sequence[float],
    theirs: Derivatives,
    abs_tol: float = ABS_TOL,
) -> None:
    """Value, first derivatives from both backward modes, and second derivatives, against torch's."""
    for where, floats, graph in both_ways(case, values, consts):
        assert_close(floats.value, theirs.value, f"{where}: value", abs_tol)
        assert_close(graph.value, theirs.value, f"{where}: value (create_graph build)", abs_tol)
        for i, want in enumerate(theirs.grads):
            assert_close(floats.grads[i], want, f"{where}: d out/d arg{i}, backward()", abs_tol)
            assert_close(
                graph.grads[i], want, f"{where}: d out/d arg{i}, backward(create_graph=True)", abs_tol
            )
        for i, row in enumerate(theirs.hessian):
            for j, want in enumerate(row):
                assert_close(graph.hessian[i][j], want, f"{where}: d2 out/d arg{i} d arg{j}", abs_tol)


def assert_matches_relatively(
    case: Case, values: Sequence[float], consts: Sequence[float], theirs: Derivatives
) -> None:
    """As assert_matches, with no absolute floor: near 0, where exp(x) - 1 loses all but a few bits."""
    assert_matches(case, values, consts, theirs, abs_tol=0.0)


def assert_first_derivatives_match(
    case: Case, values: Sequence[float], consts: Sequence[float], theirs: Derivatives
) -> None:
    """sqrt'(0) = inf, d(0 ** y)/dx = y * 0 ** (y - 1) (inf for y < 1), d(0 ** y)/dy = 0, as in torch
    (detect_anomaly would stop at the infinite gradient)."""
    for where, floats, graph in both_ways(case, values, consts, [nullcontext]):
        for ours in (floats, graph):
            assert_close(ours.value, theirs.value, f"{where}: value")
            for i, want in enumerate(theirs.grads):
                assert_close(ours.grads[i], want, f"{where}: d out/d arg{i}")


def assert_matches_where_defined(
    case: Case, values: Sequence[float], consts: Sequence[float], theirs: Derivatives
) -> None:
    """x ** y for x < 0 and y a Value holding an integer: d/dy is NaN, as torch's; d/dx and d2/dx2 match
    (detect_anomaly would stop at the NaN)."""
    for where, floats, graph in both_ways(case, values, consts, [nullcontext]):
        for ours in (floats, graph):
            assert_close(ours.value, theirs.value, f"{where}: value")
            assert_close(ours.grads[0], theirs.grads[0], f"{where}: d/dx")
            assert math.isnan(ours.grads[1]) and math.isnan(theirs.grads[1]), f"{where}: d/dy"
        assert_close(graph.hessian[0][0], theirs.hessian[0][0], f"{where}: d2/dx2")


def assert_symmetric_at_power_zero(
    case: Case, values: Sequence[float], consts: Sequence[float], theirs: Derivatives
) -> None:
    """At y == 0 both mixed partials of x ** y are 1/x; torch's masked pow backward gives 0 for one."""
    x = values[0]
    for where, _, ours in both_ways(case, values, consts):
        assert_close(ours.value, 1.0, f"{where}: value")
        assert_close(ours.grads[0], theirs.grads[0], f"{where}: d/dx")
        assert_close(ours.grads[1], theirs.grads[1], f"{where}: d/dy")
        assert_close(ours.hessian[0][0], theirs.hessian[0][0], f"{where}: d2/dx2")
        assert_close(ours.hessian[1][1], theirs.hessian[1][1], f"{where}: d2/dy2")
        assert_close(ours.hessian[1][0], theirs.hessian[1][0], f"{where}: d/dx (d/dy)")  # torch's is right
        assert_close(ours.hessian[0][1], 1.0 / x, f"{where}: d/dy (d/dx)")


# How each table of cases is checked. In "kinks" (relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = alpha,
# elu'(0) = alpha, selu'(0) = scale * alpha, as torch) torch's second derivatives are the ones just below 0:
# ours take the x < 0 branch there, as the first derivatives of leaky_relu, elu and selu do. (Torch's own at
# exactly 0 agree for relu, abs and leaky_relu, but its elu double backward masks with x < 0 where its first
# derivative uses x <= 0, so it gives 0 there rather than alpha.)
Check = Callable[[Case, Sequence[float], Sequence[float], Derivatives], None]
CHECKS: dict[str, Check] = {
    "ops": assert_matches,
    "kinks": assert_matches,
    "edges": assert_first_derivatives_match,
    "negative bases": assert_matches_where_defined,
    "power zero": assert_symmetric_at_power_zero,
    "near zero": assert_matches_relatively,
}


# ---- the tests ------------------------------------------------------------------------------------------
def ops_in(root: Value) -> set[str]:
    """The names of the ops in root's graph."""
    return {v.op for v in topological_order(root)} - {""}


def test_every_op_of_the_table_has_a_case_here() -> None:
    covered = set()
    for case in [*CASES, *KINKS]:
        args = [d.values[0] if isinstance(d, Points) else 0.5 for d in case.args + case.consts]  # in domain
        covered |= ops_in(case.ours(*[Value(x) for x in args[: len(case.args)]], *args[len(case.args) :]))
    assert covered == {op.name for op in TABLE}


@pytest.mark.parametrize(
    ("table", "case"),
    [
        pytest.param(table, case, id=f"{table}: {case}")
        for table, (cases, _) in TABLES.items()
        for case in cases
    ],
)
def test_each_op_matches_the_numbers_torch_gave_on_the_oracles_inputs(table: str, case: Case) -> None:
    for (values, consts), theirs in records(table, case.name):
        CHECKS[table](case, values, consts, Derivatives(*theirs))


def draw_inputs(draw: Draw, case: Case) -> tuple[list[float], list[float]]:
    return [draw(domain) for domain in case.args], [draw(domain) for domain in case.consts]


@pytest.mark.usefixtures("torch_live")
@pytest.mark.parametrize("table", TABLES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_op_matches_torch_on_fresh_inputs(table: str, data: st.DataObject) -> None:
    """Each example draws inputs for every case of the table (so each case gets every example)."""
    draw = hypothesis_draw(data)
    for case in TABLES[table][0]:
        values, consts = draw_inputs(draw, case)
        CHECKS[table](case, values, consts, torch_derivatives(case, values, consts))


FOLDED = [
    pytest.param(lambda x: x * 0.5, 0.5, id="x*0.5"),
    pytest.param(lambda x: 0.5 * x, 0.5, id="0.5*x"),
    pytest.param(lambda x: x + 2.5, 2.5, id="x+2.5"),
    pytest.param(lambda x: 2.5 + x, 2.5, id="2.5+x"),
    pytest.param(lambda x: x - 2.5, 2.5, id="x-2.5"),
    pytest.param(lambda x: 2.5 - x, 2.5, id="2.5-x"),
    pytest.param(lambda x: x / 4, 4.0, id="x/4"),
    pytest.param(lambda x: 2.5 / x, 2.5, id="2.5/x"),
    pytest.param(lambda x: x**3, 3.0, id="x**3"),
    pytest.param(lambda x: 2.0**x, 2.0, id="2.0**x"),
    pytest.param(lambda x: x.leaky_relu(0.1), 0.1, id="x.leaky_relu(0.1)"),
    pytest.param(lambda x: x.elu(0.5), 0.5, id="x.elu(0.5)"),
    pytest.param(lambda x: x.swish(2.0), 2.0, id="x.swish(2.0)"),
]
MODES = [pytest.param(mode, id=mode.__name__) for mode in ENGINE_MODES]


@pytest.mark.parametrize(("build", "folded"), FOLDED)
@pytest.mark.parametrize("mode", MODES)
def test_a_number_operand_is_folded_into_the_node_as_a_constant(
    build: Callable[[Value], Value], folded: float, mode: Callable[[], AbstractContextManager[Any]]
) -> None:
    x = Value(1.5)
    with mode():
        out = build(x)
    assert len(out.parents) == 1
    assert out.parents[0] is x
    assert out.constants == (folded,)
    assert len(out.local_grads) == 1
    assert type(out.constants[0]) is float
    assert type(out.local_grads[0]) is float


@pytest.mark.parametrize("mode", MODES)
def test_x_times_a_number_is_one_node_with_that_number_as_its_local_gradient(
    mode: Callable[[], AbstractContextManager[Any]],
) -> None:
    x = Value(3.0)
    with mode():
        out = x * 0.5
    assert out.parents == (x,)
    assert out.parents[0] is x
    assert out.local_grads == (0.5,)
    assert out.data == 1.5


@pytest.mark.parametrize("mode", MODES)
def test_sum_and_dot_are_one_node_with_the_numbers_folded_in(
    mode: Callable[[], AbstractContextManager[Any]],
) -> None:
    x, y, w0, w1 = Value(1.0), Value(2.0), Value(3.0), Value(4.0)
    with mode():
        total = Value.sum([x, 1.5, y, 2.0])
        product = Value.dot([w0, w1], [1.5, -2.0])
    assert len(total.parents) == 2 and total.parents[0] is x and total.parents[1] is y
    assert total.local_grads == (1.0, 1.0)
    assert total.constants == (3.5,)
    assert len(product.parents) == 2 and product.parents[0] is w0 and product.parents[1] is w1
    assert product.local_grads == (1.5, -2.0)
    assert product.constants == (1.5, -2.0)


@pytest.mark.parametrize(("exponent", "orders"), POWERS_AT_ZERO.items())
def test_derivatives_of_x_to_a_number_at_zero_match_torch(exponent: float, orders: int) -> None:
    """d^k/dx^k x ** n at x = 0, each from the graph of the one before (x ** 2 has a second derivative 2).

    An infinite derivative is a constant (no node holds an infinite value), so 1.5 stops at its second, inf.
    """
    x = Value(0.0)
    ours: list[float] = []
    out: Any = x**exponent
    for _ in range(orders):
        x.grad = 0.0
        if isinstance(out, Value):
            out.backward(create_graph=True)
        out = x.grad
        ours.append(float(out.data if isinstance(out, Value) else out))
    assert ours == records("points", "powers_at_zero")[repr(exponent)]


@pytest.mark.parametrize("x", [1e-226, -1e-300, 0.5, -3.0, 1e300])
def test_x_to_the_number_zero_has_zero_derivatives_of_every_order(x: float) -> None:
    """torch makes d(x ** 0)/dx a constant 0; ours must not turn into 0 * inf = NaN at the next order."""
    assert hessian(lambda v: v**0.0)(x) == [[0.0]]
    assert grad(lambda v: v**0)(x) == 0.0
