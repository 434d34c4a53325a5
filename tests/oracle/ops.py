"""Every op and operator of Value beside PyTorch's expression for it, with a domain per argument: the cases
that test_oracle_torch.py checks (value, first and second derivatives), and torch's side of each check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from autograd_lite import Value
from autograd_lite.core.engine import apply
from autograd_lite.core.ops import BCE, HINGE

from . import torch
from .domains import Domain, Integers, Points, Reals, either

F = torch.nn.functional if torch else None

ANY = Reals(-5, 5)
POSITIVE = Reals(0, 5, open_lo=True)  # down to the smallest subnormal: one side of a kink
NEGATIVE = Reals(-5, 0, open_hi=True)
NONZERO = either(Reals(0.1, 5), Reals(-5, -0.1))  # divisors and bases raised to negative powers
BASE = Reals(0.1, 5)  # a positive base with a real exponent
EXPONENT = Reals(-3, 3)
# torch's d/dx(x ** y) is where(y == 0, 0, y * x ** (y - 1)): at y == 0 its derivative in y is lost (0, not
# 1/x), so torch is only an oracle for the second derivatives away from y == 0; that point has its own case.
VALUE_EXPONENT = either(Reals(-3, 0, open_hi=True), Reals(0, 3, open_lo=True))
INTEGER = Integers(-3, 4)
ALPHA = Reals(0, 2)  # leaky_relu's slope and elu's scale
BETA = Reals(-3, 3)  # swish
PROBABILITY = Reals(0.01, 0.99)  # bce's p, away from 0 and 1 where its loss is infinite for some targets
UNIT = Reals(0, 1)  # bce's target
SIGN = Points((-1.0, 1.0))  # hinge's target


@dataclass(frozen=True)
class Case:
    """An op: our expression, torch's, a domain per Value argument and per number argument (passed last)."""

    name: str
    ours: Callable[..., Value] | None  # None where the test builds ours (USER_OPS)
    theirs: Callable[..., Any]
    args: tuple[Domain, ...]
    consts: tuple[Domain, ...] = ()
    order: int = 2  # how many orders of derivatives torch is the oracle for here
    hessian_below_zero: bool = False  # the second derivatives taken just below x = 0 (at a kink)

    def __str__(self) -> str:
        return self.name


def op(
    name: str,
    ours: Callable[..., Any],
    theirs: Callable[..., Any] | None = None,
    args: Sequence[Domain] = (ANY,),
    consts: Sequence[Domain] = (),
) -> Case:
    """A table row; without ``theirs`` the same expression (operators only) runs on Values and on tensors."""
    return Case(name, ours, theirs or ours, tuple(args), tuple(consts))


def logaddexp0(x: Any) -> Any:
    """softplus without F.softplus's threshold (it returns x itself above x = 20)."""
    return torch.logaddexp(x, torch.zeros_like(x))


def elu_with_tensor_alpha(x: Any, a: Any) -> Any:
    return torch.where(x > 0, x, a * torch.expm1(x))


# The ops computed with exp(x) - 1 below 0: near 0 each is held to torch's (expm1) with no absolute floor.
EXP_MINUS_ONE = [
    op("elu(c)", lambda x, a: x.elu(a), lambda x, a: F.elu(x, a), consts=[ALPHA]),
    op("elu()", lambda x: x.elu(), lambda x: F.elu(x)),
    op("elu(a)", lambda x, a: x.elu(a), elu_with_tensor_alpha, args=[ANY, ALPHA]),
    op("selu", lambda x: x.selu(), lambda x: F.selu(x)),
]
# Ops with a kink at 0: each is checked on both sides (x > 0, x < 0) in CASES, and at exactly 0 in KINKS.
KINKED = [
    op("relu", lambda x: x.relu(), lambda x: torch.relu(x)),
    op("abs", abs, lambda x: torch.abs(x)),
    op("leaky_relu(c)", lambda x, a: x.leaky_relu(a), lambda x, a: F.leaky_relu(x, a), consts=[ALPHA]),
    op("leaky_relu()", lambda x: x.leaky_relu(), lambda x: F.leaky_relu(x)),
    op(
        "leaky_relu(a)",
        lambda x, a: x.leaky_relu(a),
        lambda x, a: torch.where(x > 0, x, a * x),
        args=[ANY, ALPHA],
    ),
    *EXP_MINUS_ONE,
]
EXPM1 = op("expm1", lambda x: x.expm1(), lambda x: torch.expm1(x), args=[Reals(-30, 30)])


def at_x(case: Case, where: str, domain: Domain) -> Case:
    """The case with its first argument (x) drawn from domain."""
    return replace(case, name=f"{case.name}[{where}]", args=(domain, *case.args[1:]))


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


def torch_logsumexp(*xs: Any) -> Any:
    """torch.logsumexp of tensors and numbers, in the order given."""
    return torch.logsumexp(torch.stack([torch.as_tensor(x, dtype=torch.float64) for x in xs]), 0)


def torch_bce(p: Any, t: Any) -> Any:
    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p))


def logsumexp_case(n: int, domain: Domain = ANY, where: str = "") -> Case:
    return op(f"logsumexp{n}{where}", lambda *a: Value.logsumexp(a), torch_logsumexp, args=[domain] * n)


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
    op("x**0.5", lambda x: x**0.5, args=[Reals(1e-3, 100)]),
    op("c**x", lambda x, c: c**x, consts=[BASE]),
    op("2.0**x", lambda x: 2.0**x),
    op("2**x", lambda x: 2**x),
    op("-x", lambda x: -x),
    # ---- elementary functions ------------------------------------------------------------------------
    op("exp", lambda x: x.exp(), lambda x: torch.exp(x), args=[Reals(-30, 30)]),
    EXPM1,
    op("log", lambda x: x.log(), lambda x: torch.log(x), args=[Reals(1e-3, 100)]),
    op("sqrt", lambda x: x.sqrt(), lambda x: torch.sqrt(x), args=[Reals(1e-3, 100)]),
    op("sin", lambda x: x.sin(), lambda x: torch.sin(x), args=[Reals(-10, 10)]),
    op("cos", lambda x: x.cos(), lambda x: torch.cos(x), args=[Reals(-10, 10)]),
    op("tan", lambda x: x.tan(), lambda x: torch.tan(x), args=[Reals(-1.5, 1.5)]),
    op("atan", lambda x: x.atan(), lambda x: torch.atan(x), args=[Reals(-50, 50)]),
    op("sinh", lambda x: x.sinh(), lambda x: torch.sinh(x), args=[Reals(-20, 20)]),
    op("cosh", lambda x: x.cosh(), lambda x: torch.cosh(x), args=[Reals(-20, 20)]),
    # ---- smooth activations --------------------------------------------------------------------------
    op("tanh", lambda x: x.tanh(), lambda x: torch.tanh(x), args=[Reals(-20, 20)]),
    op("sigmoid", lambda x: x.sigmoid(), lambda x: torch.sigmoid(x), args=[Reals(-30, 30)]),
    op("softplus", lambda x: x.softplus(), logaddexp0, args=[Reals(-30, 30)]),
    op("swish(c)", lambda x, b: x.swish(b), lambda x, b: x * torch.sigmoid(b * x), consts=[BETA]),
    op("swish()", lambda x: x.swish(), lambda x: x * torch.sigmoid(x)),
    op("swish(b)", lambda x, b: x.swish(b), lambda x, b: x * torch.sigmoid(b * x), args=[ANY, BETA]),
    op("mish", lambda x: x.mish(), lambda x: F.mish(x), args=[Reals(-15, 15)]),
    op("gelu", lambda x: x.gelu(), lambda x: F.gelu(x, approximate="tanh"), args=[Reals(-10, 10)]),
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
    logsumexp_case(1), logsumexp_case(3),
    logsumexp_case(3, Reals(-800, 800), "[far apart, exps beyond a float]"),
    op("logsumexp(values and numbers)", lambda x, y, c, d: Value.logsumexp([c, x, d, y]),
       lambda x, y, c, d: torch_logsumexp(c, x, d, y), args=[ANY, ANY], consts=[ANY, ANY]),
    # ---- the loss term bce(p, t) of binary_cross_entropy: a target that is a Value, or a number -----------
    # (F.binary_cross_entropy divides by p(1 - p) clamped at 1e-12: its second derivative is 1e-10 off)
    op("bce(p, t)", lambda p, t: apply(BCE, p, t), torch_bce, args=[PROBABILITY, UNIT]),
    op("bce(p, c)", lambda p, c: apply(BCE, p, c), torch_bce, args=[PROBABILITY], consts=[UNIT]),
    # ---- hinge(s, t) of losses.hinge: relu(1 - s t) for a target of -1 or 1, a Value or a number ----------
    op("hinge(s, t)", lambda s, t: apply(HINGE, s, t), lambda s, t: torch.relu(1 - s * t), args=[ANY, SIGN]),
    op("hinge(s, c)", lambda s, c: apply(HINGE, s, c), lambda s, c: torch.relu(1 - s * c), consts=[SIGN]),
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
    op("logsumexp([x, y, x])", lambda x, y: Value.logsumexp([x, y, x]), lambda x, y: torch_logsumexp(x, y, x),
       args=[ANY, ANY]),
]
# fmt: on

# The same ops at exactly 0 (and -0.0), where torch's convention is the one to follow. The second derivative
# at the kink is undefined; ours takes the x < 0 branch, so torch's is taken just below 0.
KINKS = [replace(at_x(case, "x=0", Points((0.0, -0.0))), hessian_below_zero=True) for case in KINKED]


# The edges of a domain: 0 where a power or sqrt has an infinite (or conventional) derivative, and
# logsumexp's infinite and NaN arguments. Only first derivatives: torch's second derivatives here are NaN
# artifacts of its masking.
ZERO = Points((0.0,))
POSITIVE_POWER = Reals(0, 3, open_lo=True)
EDGES = [
    replace(case, order=1)
    for case in [
        op("sqrt[x=0]", lambda x: x.sqrt(), lambda x: torch.sqrt(x), args=[ZERO]),
        op("x**0.5[x=0]", lambda x: x**0.5, args=[ZERO]),
        op("x**c[x=0,c>0]", lambda x, c: x**c, args=[ZERO], consts=[POSITIVE_POWER]),
        op("x**y[x=0,y>0]", lambda x, y: x**y, args=[ZERO, POSITIVE_POWER]),
        op("0.0**x[x>0]", lambda x: 0.0**x, args=[POSITIVE_POWER]),
        # torch's logsumexp where no finite shift exists: -inf for all -inf, inf for any inf, NaN for any NaN
        logsumexp_case(3, Points((-math.inf,)), "[all -inf]"),
        logsumexp_case(2, Points((-math.inf, math.inf, math.nan, -1.0, 2.0)), "[infinities, NaN]"),
    ]
]

# Just around 0, where exp(x) - 1 cancels to a few bits and expm1 is exact: held to torch's relative to their
# own size, however small (the other tables allow an absolute error of 1e-12).
NEAR_ZERO = [
    at_x(EXPM1, "near 0", Reals(-1e-5, 1e-5)),
    *(at_x(case, "x<0 near 0", Reals(-1e-5, 0, open_hi=True)) for case in EXP_MINUS_ONE),
]

# x ** y for x < 0 and y a Value holding an integer: d/dy is NaN, as torch's; d/dx and d2/dx2 match.
NEGATIVE_BASE = op(
    "x**y[x<0,y an integer]",
    lambda a, b: a**b,
    args=[Reals(-5, -0.1), Points(tuple(float(k) for k in range(-3, 5)))],
)
# x ** y at y == 0: both mixed partials are 1/x; torch's masked pow backward gives 0 for one of them.
POWER_ZERO = op("x**y[y=0]", lambda a, b: a**b, args=[BASE, ZERO])

# test_define_op.py's graph of two ops declared with define_op, hypot(cube(x) * y, y + 2.5), as torch writes
# it: the test declares the ops, as a user would, and builds ours from them.
USER_OPS = Case(
    "hypot(cube(x)*y, y+2.5)", None, lambda x, y: torch.hypot(x**3 * y, y + 2.5), (Reals(-3, 3), Reals(-3, 3))
)

# The tables of the oracle file, each with how many inputs it draws past the notable ones of its domains.
TABLES: dict[str, tuple[list[Case], int]] = {
    "ops": (CASES, 6),
    "kinks": (KINKS, 2),
    "edges": (EDGES, 4),
    "negative bases": ([NEGATIVE_BASE], 10),
    "power zero": ([POWER_ZERO], 6),
    "near zero": (NEAR_ZERO, 6),
}
DRAWN = {**TABLES, "user ops": ([USER_OPS], 10)}  # every section of op cases in the oracle file

# d^k/dx^k x ** n at x = 0, each from the graph of the one before, for these n and orders k: an infinite
# derivative is a constant (no node holds an infinite value), so 1.5 stops at its second, inf.
POWERS_AT_ZERO = {0.0: 3, 1.0: 3, 2.0: 3, 3.0: 3, 4.0: 3, 1.5: 2}


@dataclass
class Derivatives:
    value: float
    grads: list[float]
    hessian: list[list[float]]  # hessian[i][j] = d/d arg j (d out/d arg i); [] where order is 1


def torch_derivatives(case: Case, values: Sequence[float], consts: Sequence[float]) -> Derivatives:
    """torch's value, gradient and (case.order permitting) second derivatives of case at values."""
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out = case.theirs(*leaves, *consts)
    firsts = torch.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    grads = [0.0 if g is None else g.item() for g in firsts]
    if case.order == 1:
        return Derivatives(out.item(), grads, [])
    if case.hessian_below_zero:
        at_the_left = replace(case, hessian_below_zero=False)
        below = torch_derivatives(at_the_left, (-math.ulp(0.0), *values[1:]), consts)
        return Derivatives(out.item(), grads, below.hessian)
    hessian = []
    for first in firsts:
        if first is None or not first.requires_grad:  # a constant first derivative
            hessian.append([0.0] * len(leaves))
            continue
        row = torch.autograd.grad(first, leaves, retain_graph=True, allow_unused=True)
        hessian.append([0.0 if h is None else h.item() for h in row])
    return Derivatives(out.item(), grads, hessian)


def torch_derivatives_at_zero(exponent: float, orders: int) -> list[float]:
    """d^k/dx^k x ** exponent at x = 0 for k = 1..orders, each by torch.autograd.grad of the one before."""
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    found: list[float] = []
    out = t**exponent
    for _ in range(orders):
        out = torch.autograd.grad(out, t, create_graph=True)[0] if out.requires_grad else torch.zeros(())
        found.append(out.item())
    return found
