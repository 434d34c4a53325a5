"""Every op and operator of Value against PyTorch float64 autograd: value, gradient and second derivatives.

One table, ``CASES``, maps each op to our expression, torch's and a strategy per argument. Each case is
checked on hypothesis-drawn inputs: the value, the first derivatives from ``backward()`` (floats) and from
``backward(create_graph=True)`` (Values), and the second derivatives got by running backward again on each
first derivative, against ``torch.autograd.grad(..., create_graph=True)`` applied twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, detect_anomaly, grad, hessian
from autograd_lite.core.engine import topological_order
from autograd_lite.core.ops import TABLE

REL_TOL = 1e-12
# An absolute floor: a result near 0 reached by cancellation (sin near pi, x - y with x ~ y, or 1 - t * t in
# tanh's second derivative at large |x|) carries rounding error of ~1e-16 on both sides, relative to nothing.
ABS_TOL = 1e-12

Strategy = st.SearchStrategy[Any]


def reals(lo: float, hi: float, *, open_lo: bool = False, open_hi: bool = False) -> Strategy:
    return st.floats(lo, hi, exclude_min=open_lo, exclude_max=open_hi)


ANY = reals(-5, 5)
POSITIVE = reals(0, 5, open_lo=True)  # down to the smallest subnormal: one side of a kink
NEGATIVE = reals(-5, 0, open_hi=True)
NONZERO = reals(0.1, 5) | reals(-5, -0.1)  # divisors and bases raised to negative powers
BASE = reals(0.1, 5)  # a positive base with a real exponent
EXPONENT = reals(-3, 3)
# torch's d/dx(x ** y) is where(y == 0, 0, y * x ** (y - 1)): at y == 0 its derivative in y is lost (0, not
# 1/x), so torch is only an oracle for the second derivatives away from y == 0; that point has its own test.
VALUE_EXPONENT = EXPONENT.filter(lambda y: y != 0)
INTEGER = st.integers(-3, 4)
ALPHA = reals(0, 2)  # leaky_relu's slope and elu's scale
BETA = reals(-3, 3)  # swish


@dataclass(frozen=True)
class Case:
    """An op: our expression, torch's, a strategy per Value argument and per number argument (passed last)."""

    name: str
    ours: Callable[..., Value]
    theirs: Callable[..., torch.Tensor]
    args: tuple[Strategy, ...]
    consts: tuple[Strategy, ...] = ()

    def __str__(self) -> str:
        return self.name


def op(
    name: str,
    ours: Callable[..., Any],
    theirs: Callable[..., Any] | None = None,
    args: Sequence[Strategy] = (ANY,),
    consts: Sequence[Strategy] = (),
) -> Case:
    """A table row; without ``theirs`` the same expression (operators only) runs on Values and on tensors."""
    return Case(name, ours, theirs or ours, tuple(args), tuple(consts))


def logaddexp0(x: torch.Tensor) -> torch.Tensor:
    """softplus without F.softplus's threshold (it returns x itself above x = 20)."""
    return torch.logaddexp(x, torch.zeros_like(x))


def elu_with_tensor_alpha(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, a * torch.expm1(x))


# Ops with a kink at 0: each is checked on both sides (x > 0, x < 0) in CASES, and at exactly 0 in KINKS.
KINKED = [
    op("relu", lambda x: x.relu(), torch.relu),
    op("abs", abs, torch.abs),
    op("leaky_relu(c)", lambda x, a: x.leaky_relu(a), F.leaky_relu, consts=[ALPHA]),
    op("leaky_relu()", lambda x: x.leaky_relu(), F.leaky_relu),
    op(
        "leaky_relu(a)",
        lambda x, a: x.leaky_relu(a),
        lambda x, a: torch.where(x > 0, x, a * x),
        args=[ANY, ALPHA],
    ),
    op("elu(c)", lambda x, a: x.elu(a), F.elu, consts=[ALPHA]),
    op("elu()", lambda x: x.elu(), F.elu),
    op("elu(a)", lambda x, a: x.elu(a), elu_with_tensor_alpha, args=[ANY, ALPHA]),
    op("selu", lambda x: x.selu(), F.selu),
]


def at_x(case: Case, where: str, strategy: Strategy) -> Case:
    """The case with its first argument (x) drawn from strategy."""
    return replace(case, name=f"{case.name}[{where}]", args=(strategy, *case.args[1:]))


def dot_cases(n: int) -> list[Case]:
    def dot(*a: Any) -> Any:
        return Value.dot(a[:n], a[n:])

    def reference(*a: Any) -> Any:
        return sum(w * x for w, x in zip(a[:n], a[n:]))

    return [
        op(f"dot{n}(values, values)", dot, reference, args=[ANY] * (2 * n)),
        op(f"dot{n}(values, floats)", dot, reference, args=[ANY] * n, consts=[ANY] * n),
    ]


def sum_case(n: int) -> Case:
    return op(f"sum{n}", lambda *a: Value.sum(a), lambda *a: sum(a), args=[ANY] * n)


# fmt: off
CASES: list[Case] = [
    # ---- operators: Value with Value, Value with a number, number with Value --------------------------
    op("x+y", lambda x, y: x + y, args=[ANY, ANY]),
    op("x+c", lambda x, c: x + c, consts=[ANY]),
    op("c+x", lambda x, c: c + x, consts=[ANY]),
    op("x-y", lambda x, y: x - y, args=[ANY, ANY]),
    op("x-c", lambda x, c: x - c, consts=[ANY]),
    op("c-x", lambda x, c: c - x, consts=[ANY]),
    op("x*y", lambda x, y: x * y, args=[ANY, ANY]),
    op("x*c", lambda x, c: x * c, consts=[ANY]),
    op("c*x", lambda x, c: c * x, consts=[ANY]),
    op("x/y", lambda x, y: x / y, args=[ANY, NONZERO]),
    op("x/c", lambda x, c: x / c, consts=[NONZERO]),
    op("c/x", lambda x, c: c / x, args=[NONZERO], consts=[ANY]),
    op("x**y", lambda x, y: x**y, args=[BASE, VALUE_EXPONENT]),
    op("x**c", lambda x, c: x**c, args=[BASE], consts=[EXPONENT]),
    op("x**k (int k, either sign of x)", lambda x, k: x**k, args=[NONZERO], consts=[INTEGER]),
    op("x**3", lambda x: x**3),
    op("x**0.5", lambda x: x**0.5, args=[reals(1e-3, 100)]),
    op("c**x", lambda x, c: c**x, consts=[BASE]),
    op("2.0**x", lambda x: 2.0**x),
    op("2**x", lambda x: 2**x),
    op("-x", lambda x: -x),
    # ---- elementary functions ------------------------------------------------------------------------
    op("exp", lambda x: x.exp(), torch.exp, args=[reals(-30, 30)]),
    op("log", lambda x: x.log(), torch.log, args=[reals(1e-3, 100)]),
    op("sqrt", lambda x: x.sqrt(), torch.sqrt, args=[reals(1e-3, 100)]),
    op("sin", lambda x: x.sin(), torch.sin, args=[reals(-10, 10)]),
    op("cos", lambda x: x.cos(), torch.cos, args=[reals(-10, 10)]),
    op("tan", lambda x: x.tan(), torch.tan, args=[reals(-1.5, 1.5)]),
    op("atan", lambda x: x.atan(), torch.atan, args=[reals(-50, 50)]),
    op("sinh", lambda x: x.sinh(), torch.sinh, args=[reals(-20, 20)]),
    op("cosh", lambda x: x.cosh(), torch.cosh, args=[reals(-20, 20)]),
    # ---- smooth activations --------------------------------------------------------------------------
    op("tanh", lambda x: x.tanh(), torch.tanh, args=[reals(-20, 20)]),
    op("sigmoid", lambda x: x.sigmoid(), torch.sigmoid, args=[reals(-30, 30)]),
    op("softplus", lambda x: x.softplus(), logaddexp0, args=[reals(-30, 30)]),
    op("swish(c)", lambda x, b: x.swish(b), lambda x, b: x * torch.sigmoid(b * x), consts=[BETA]),
    op("swish()", lambda x: x.swish(), lambda x: x * torch.sigmoid(x)),
    op("swish(b)", lambda x, b: x.swish(b), lambda x, b: x * torch.sigmoid(b * x), args=[ANY, BETA]),
    op("mish", lambda x: x.mish(), F.mish, args=[reals(-15, 15)]),
    op("gelu", lambda x: x.gelu(), lambda x: F.gelu(x, approximate="tanh"), args=[reals(-10, 10)]),
    # ---- activations with a kink at 0, one side at a time ---------------------------------------------
    *(at_x(case, "x>0", POSITIVE) for case in KINKED),
    *(at_x(case, "x<0", NEGATIVE) for case in KINKED),
    # ---- n-ary: one node for a sum or a dot product --------------------------------------------------
    sum_case(1), sum_case(2), sum_case(5),
    op("sum(values and numbers)", lambda x, y, c, d: Value.sum([c, x, d, y]),
       lambda x, y, c, d: c + x + d + y, args=[ANY, ANY], consts=[ANY, ANY]),
    *dot_cases(1), *dot_cases(3),
    op("dot(numbers among the weights)", lambda x0, x1, w1, c: Value.dot([c, w1], [x0, x1]),
       lambda x0, x1, w1, c: c * x0 + w1 * x1, args=[ANY, ANY, ANY], consts=[ANY]),
    # ---- one Value in several argument slots: gradients accumulate ------------------------------------
    op("x*x", lambda x: x * x),
    op("x-x", lambda x: x - x),
    op("x/x", lambda x: x / x, args=[NONZERO]),
    op("x**x", lambda x: x**x, args=[BASE]),
    op("x.swish(x)", lambda x: x.swish(x), lambda x: x * torch.sigmoid(x * x)),
    op("x.elu(x)", lambda x: x.elu(x), lambda x: elu_with_tensor_alpha(x, x), args=[NONZERO]),
    op("sum([x, y, x])", lambda x, y: Value.sum([x, y, x]), lambda x, y: x + y + x, args=[ANY, ANY]),
    op("dot([x, y], [y, x])", lambda x, y: Value.dot([x, y], [y, x]), lambda x, y: x * y + y * x,
       args=[ANY, ANY]),
]
# fmt: on

# The same ops at exactly 0 (and -0.0), where torch's convention is the one to follow.
KINKS = [at_x(case, "x=0", st.sampled_from([0.0, -0.0])) for case in KINKED]


# ---- the two sides of the comparison ------------------------------------------------------------------
@dataclass
class Derivatives:
    value: float
    grads: list[float]
    hessian: list[list[float]]  # hessian[i][j] = d/d arg j (d out/d arg i)


def torch_derivatives(case: Case, values: Sequence[float], consts: Sequence[float]) -> Derivatives:
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out = case.theirs(*leaves, *consts)
    firsts = torch.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    hessian = []
    for first in firsts:
        if first is None or not first.requires_grad:  # a constant first derivative
            hessian.append([0.0] * len(leaves))
            continue
        row = torch.autograd.grad(first, leaves, retain_graph=True, allow_unused=True)
        hessian.append([0.0 if h is None else h.item() for h in row])
    grads = [0.0 if g is None else g.item() for g in firsts]
    return Derivatives(out.item(), grads, hessian)


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


def assert_close(ours: float, theirs: float, what: str) -> None:
    same = ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    assert same or math.isclose(ours, theirs, rel_tol=REL_TOL, abs_tol=ABS_TOL), (
        f"{what}: ours {ours!r}, torch {theirs!r}"
    )


def assert_matches_torch(
    case: Case,
    values: Sequence[float],
    consts: Sequence[float],
    *,
    hessian_at: Sequence[float] | None = None,
    mode: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> None:
    """Value, first derivatives from both backward modes, and second derivatives, against torch.

    hessian_at: where to evaluate torch's second derivatives, if not at ``values``.
    """
    theirs = torch_derivatives(case, values, consts)
    with mode():
        floats = our_derivatives(case, values, consts, create_graph=False)
        graph = our_derivatives(case, values, consts, create_graph=True)
    assert_close(floats.value, theirs.value, "value")
    assert_close(graph.value, theirs.value, "value (create_graph build)")
    for i, want in enumerate(theirs.grads):
        assert_close(floats.grads[i], want, f"d out/d arg{i}, backward()")
        assert_close(graph.grads[i], want, f"d out/d arg{i}, backward(create_graph=True)")
    if hessian_at is not None:
        theirs = torch_derivatives(case, hessian_at, consts)
    for i, row in enumerate(theirs.hessian):
        for j, want in enumerate(row):
            assert_close(graph.hessian[i][j], want, f"d2 out/d arg{i} d arg{j}")


def draw_inputs(data: st.DataObject, case: Case) -> tuple[tuple[float, ...], tuple[float, ...]]:
    values = data.draw(st.tuples(*case.args), label="Value arguments")
    consts = data.draw(st.tuples(*case.consts), label="number arguments")
    return values, consts


# ---- the tests ------------------------------------------------------------------------------------------
def ops_in(root: Value) -> set[str]:
    """The names of the ops in root's graph."""
    return {v.op for v in topological_order(root)} - {""}


def test_every_op_of_the_table_has_a_case_here() -> None:
    covered = set()
    for case in [*CASES, *KINKS]:
        covered |= ops_in(case.ours(*[Value(0.5) for _ in case.args], *[0.5 for _ in case.consts]))
    assert covered == {op.name for op in TABLE}


@pytest.mark.parametrize("case", CASES, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_value_gradient_and_second_derivatives_match_torch(case: Case, data: st.DataObject) -> None:
    assert_matches_torch(case, *draw_inputs(data, case))


@pytest.mark.parametrize("case", CASES, ids=str)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_ops_built_by_the_generic_apply_path_in_detect_anomaly_mode_match_torch(
    case: Case, data: st.DataObject
) -> None:
    """detect_anomaly sends every op through apply() instead of the fast paths in _unary and _binary,
    and backward() through its checked loop."""
    assert_matches_torch(case, *draw_inputs(data, case), mode=detect_anomaly)


@pytest.mark.parametrize("case", KINKS, ids=str)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_at_a_kink_the_gradient_follows_torch_and_the_second_derivative_is_the_left_hand_one(
    case: Case, data: st.DataObject
) -> None:
    """relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = alpha, elu'(0) = alpha, selu'(0) = scale * alpha, as torch.

    The second derivative at the kink is undefined; ours takes the x < 0 branch, as the first derivative of
    leaky_relu, elu and selu does, so it is checked against torch just below 0. (Torch's own at exactly 0
    agrees for relu, abs and leaky_relu, but its elu double backward masks with x < 0 where its first
    derivative uses x <= 0, so it gives 0 there rather than alpha.)
    """
    values, consts = draw_inputs(data, case)
    just_below_zero = -math.ulp(0.0)
    assert_matches_torch(case, values, consts, hessian_at=(just_below_zero, *values[1:]))


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
MODES = [pytest.param(nullcontext, id="normal"), pytest.param(detect_anomaly, id="detect_anomaly")]


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


# ---- the edges of a domain: 0 where a power or sqrt has an infinite (or conventional) derivative ----------
ZERO = st.just(0.0)
POSITIVE_POWER = reals(0, 3, open_lo=True)
EDGES = [
    op("sqrt[x=0]", lambda x: x.sqrt(), torch.sqrt, args=[ZERO]),
    op("x**0.5[x=0]", lambda x: x**0.5, args=[ZERO]),
    op("x**c[x=0,c>0]", lambda x, c: x**c, args=[ZERO], consts=[POSITIVE_POWER]),
    op("x**y[x=0,y>0]", lambda x, y: x**y, args=[ZERO, POSITIVE_POWER]),
    op("0.0**x[x>0]", lambda x: 0.0**x, args=[POSITIVE_POWER]),
]


@pytest.mark.parametrize("create_graph", [False, True], ids=["backward", "backward_create_graph"])
@pytest.mark.parametrize("case", EDGES, ids=str)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_power_and_sqrt_at_a_zero_base_give_torchs_value_and_first_derivatives(
    case: Case, create_graph: bool, data: st.DataObject
) -> None:
    """sqrt'(0) = inf, d(0 ** y)/dx = y * 0 ** (y - 1) (inf for y < 1), d(0 ** y)/dy = 0, as in torch.

    Only first derivatives: torch's second derivatives here are NaN artifacts of its masking.
    """
    values, consts = draw_inputs(data, case)
    theirs = torch_derivatives(case, values, consts)
    ours = our_derivatives(case, values, consts, create_graph=create_graph)
    assert_close(ours.value, theirs.value, "value")
    for i, want in enumerate(theirs.grads):
        assert_close(ours.grads[i], want, f"d out/d arg{i}")


@pytest.mark.parametrize(("exponent", "orders"), [(0.0, 3), (1.0, 3), (2.0, 3), (3.0, 3), (4.0, 3), (1.5, 2)])
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
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    theirs: list[float] = []
    tout = t**exponent
    for _ in range(orders):
        tout = torch.autograd.grad(tout, t, create_graph=True)[0] if tout.requires_grad else torch.zeros(())
        theirs.append(tout.item())
    assert ours == theirs


@settings(max_examples=25, deadline=None)
@given(x=NONZERO.map(lambda v: -abs(v)), y=st.integers(-3, 4).map(float))
def test_negative_base_to_an_integer_value_power_matches_torch_where_defined(x: float, y: float) -> None:
    """x ** y for x < 0 and y a Value holding an integer: d/dy is NaN, as torch's; d/dx and d2/dx2 match."""
    case = op("x**y", lambda a, b: a**b)
    theirs = torch_derivatives(case, (x, y), ())
    floats = our_derivatives(case, (x, y), (), create_graph=False)
    graph = our_derivatives(case, (x, y), (), create_graph=True)
    for ours in (floats, graph):
        assert_close(ours.value, theirs.value, "value")
        assert_close(ours.grads[0], theirs.grads[0], "d/dx")
        assert math.isnan(ours.grads[1]) and math.isnan(theirs.grads[1])
    assert_close(graph.hessian[0][0], theirs.hessian[0][0], "d2/dx2")


@pytest.mark.parametrize("x", [1e-226, -1e-300, 0.5, -3.0, 1e300])
def test_x_to_the_number_zero_has_zero_derivatives_of_every_order(x: float) -> None:
    """torch makes d(x ** 0)/dx a constant 0; ours must not turn into 0 * inf = NaN at the next order."""
    assert hessian(lambda v: v**0.0)(x) == [[0.0]]
    assert grad(lambda v: v**0)(x) == 0.0


@settings(max_examples=25, deadline=None)
@given(x=BASE)
def test_second_derivatives_of_x_to_a_value_power_at_power_zero_are_symmetric_and_exact(x: float) -> None:
    """At y == 0 both mixed partials of x ** y are 1/x; torch's masked pow backward gives 0 for one."""
    case = op("x**y", lambda a, b: a**b)
    ours = our_derivatives(case, (x, 0.0), (), create_graph=True)
    theirs = torch_derivatives(case, (x, 0.0), ())
    assert_close(ours.value, 1.0, "value")
    assert_close(ours.grads[0], theirs.grads[0], "d/dx")
    assert_close(ours.grads[1], theirs.grads[1], "d/dy")
    assert_close(ours.hessian[0][0], theirs.hessian[0][0], "d2/dx2")
    assert_close(ours.hessian[1][1], theirs.hessian[1][1], "d2/dy2")
    assert_close(ours.hessian[1][0], theirs.hessian[1][0], "d/dx (d/dy)")  # torch gets this one right
    assert_close(ours.hessian[0][1], 1.0 / x, "d/dy (d/dx)")
