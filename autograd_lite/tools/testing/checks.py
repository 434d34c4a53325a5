"""gradcheck and gradgradcheck: analytic derivatives against central finite differences, as in PyTorch.

Differences at twice the step find the points where f is not differentiable: at a jump the difference
quotient grows as the step shrinks, and at a kink (relu at 0) the slope between neighbouring points
changes once, where for a smooth f it changes at a steady rate. A jump has no
derivative to check, and at a kink any value between the one-sided derivatives is a valid choice
(relu'(0) = 0 is PyTorch's): both pass, with a warning that says so.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ...core.engine import MATH_ERRORS, Value, no_grad, raise_as, topological_order

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3  # torch.autograd.gradcheck's defaults


class GradcheckError(RuntimeError):
    """A derivative does not match finite differences; ``report`` holds the full table."""

    def __init__(self, report: Report) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass(frozen=True)
class Row:
    """One derivative: analytic, numeric (central difference), and why it is undefined here, if it is."""

    name: str  #: Which derivative: "df/dx", "d2f/dx dy".
    analytic: float  #: The derivative that backward computed.
    numeric: float  #: The central difference.
    #: Whether it passes: the two agree within the tolerance, or f is not differentiable here and the
    #: analytic value is a valid choice.
    ok: bool
    #: Why f has no derivative here, if it has none: "one-sided derivatives -1 and 1"; else ''.
    not_differentiable: str = ""

    @property
    def abs_error(self) -> float:
        """``abs(analytic - numeric)``."""
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        """``abs_error / abs(numeric)`` (0 if both are 0, infinite if numeric alone is 0)."""
        if self.numeric:
            return self.abs_error / abs(self.numeric)
        return math.inf if self.abs_error else 0.0


@dataclass(frozen=True)
class Report:
    """Every derivative checked at one point, printable as a table that marks the wrong ones."""

    what: str  #: "gradcheck" or "gradgradcheck".
    at: str  #: The point: "x=1.5, y=-0.3".
    rows: tuple[Row, ...]  #: One per derivative checked: the gradient, then (gradgradcheck) the Hessian.
    tolerance: str  #: The eps, atol and rtol used, as text.

    @property
    def ok(self) -> bool:
        """Whether every derivative passed."""
        return all(row.ok for row in self.rows)

    def __str__(self) -> str:
        wrong = [row.name for row in self.rows if not row.ok]
        verdict = f"failed, wrong: {', '.join(wrong)}" if wrong else "passed"
        width = max(len("derivative"), *(len(row.name) for row in self.rows))
        widths = (width, 16, 16, 12, 12)
        header = ("derivative", "analytic", "numeric", "abs error", "rel error")
        lines = [f"{self.what} at {self.at} {verdict} ({self.tolerance})"]
        lines.append("  ".join(f"{h:>{w}}" for h, w in zip(header, widths)))
        for row in self.rows:
            cells = (
                row.name,
                *(f"{x:.8g}" for x in (row.analytic, row.numeric, row.abs_error, row.rel_error)),
            )
            note = "" if row.ok else "  <- wrong"
            if row.not_differentiable:
                note += f"  (not differentiable: {row.not_differentiable})"
            lines.append("  ".join(f"{c:>{w}}" for c, w in zip(cells, widths)) + note)
        return "\n".join(lines)


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float | Value],
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    raise_exception: bool = True,
) -> bool:
    """Check f's gradient at inputs against central differences: True, or GradcheckError with the table.

    f takes one Value per input and returns a Value. With raise_exception=False a failure returns False.
    """
    return _verdict(gradient_report(f, inputs, order=1, eps=eps, atol=atol, rtol=rtol), raise_exception)


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float | Value],
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    raise_exception: bool = True,
) -> bool:
    """Check the derivatives ``backward(create_graph=True)`` builds: the gradient, and the second derivatives
    against central differences of the (float) gradient. True, or GradcheckError with the table.
    """
    return _verdict(gradient_report(f, inputs, order=2, eps=eps, atol=atol, rtol=rtol), raise_exception)


def _verdict(report: Report, raise_exception: bool) -> bool:
    for row in report.rows:
        if row.ok and row.not_differentiable:
            warnings.warn(
                f"{report.what}: at {report.at} f is not differentiable ({row.name}: "
                f"{row.not_differentiable}), so the analytic {row.analytic:.8g} passes",
                RuntimeWarning,
                stacklevel=3,
            )
    if report.ok or not raise_exception:
        return report.ok
    raise GradcheckError(report)


def gradient_report(
    f: Callable[..., Any],
    inputs: Sequence[float | Value],
    *,
    order: int = 1,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
) -> Report:
    """The table gradcheck (order 1) or gradgradcheck (order 2) checks, passing or not."""
    if order not in (1, 2):
        raise ValueError(f"order is 1 (gradcheck) or 2 (gradgradcheck), got {order!r}")
    if not (0 < eps < math.inf and 0 <= atol < math.inf and 0 <= rtol < math.inf):  # NaN fails too
        raise ValueError(
            f"eps must be positive and atol, rtol not negative, all finite, got {eps=}, {atol=}, {rtol=}"
        )
    xs, names = _point(inputs)
    at = ", ".join(f"{name}={x!r}" for name, x in zip(names, xs))
    check = _Checker(f, names, at, eps, atol, rtol)
    rows = check.gradient(xs, create_graph=order == 2) + (check.hessian(xs) if order == 2 else [])
    what = "gradcheck" if order == 1 else "gradgradcheck"
    return Report(what, at, tuple(rows), f"eps={eps:g}, atol={atol:g}, rtol={rtol:g}")


def _point(inputs: Sequence[float | Value]) -> tuple[list[float], list[str]]:
    if isinstance(inputs, (Value, int, float)) or not isinstance(inputs, Sequence):
        raise TypeError(f"inputs must be a sequence of numbers or Values, got {inputs!r}")
    xs, names = [], []
    for i, a in enumerate(inputs):
        x = a.data if isinstance(a, Value) else float(a)
        name = a.label if isinstance(a, Value) and a.label else f"x{i}"
        if not math.isfinite(x):
            raise ValueError(f"derivatives are checked at finite points, got {name}={x!r}")
        xs.append(x)
        names.append(name)
    return xs, names


@dataclass(frozen=True)
class _Checker:
    f: Callable[..., Any]
    names: list[str]
    at: str
    eps: float
    atol: float
    rtol: float

    def output(self, leaves: list[Value]) -> Value:
        try:
            out = self.f(*leaves)
        except MATH_ERRORS as e:
            here = ", ".join(f"{n}={v.data!r}" for n, v in zip(self.names, leaves))
            problem = "at the inputs" if here == self.at else f"near them (eps={self.eps:g}), at {here}"
            raise_as(e, f"f is not defined {problem}, so its derivative cannot be checked at {self.at}: {e}")
        if not isinstance(out, Value):
            raise TypeError(f"f must return a Value, got {type(out).__name__}: {out!r}")
        return out

    def value(self, xs: list[float]) -> float:
        with no_grad():
            return self.output([Value(x) for x in xs]).data

    def float_gradient(self, xs: list[float]) -> list[float]:
        leaves = [Value(x) for x in xs]
        out = self.output(leaves)
        with _grads_kept(out, leaves):
            out.backward()
        return [float(leaf.grad) for leaf in leaves]

    def row(self, name: str, analytic: float, g: Callable[[float], float]) -> Row:
        """Check analytic against the derivative of g, a function of the step by which one input moves."""
        h, atol, rtol = self.eps, self.atol, self.rtol

        def close(a: float, b: float) -> bool:
            return a == b or abs(a - b) <= atol + rtol * abs(b)

        z, m1, p1, m2, p2 = (g(k * h) for k in (0, -1, 1, -2, 2))  # nearest first, for the error
        central = (p1 - m1) / (2 * h)
        wide = (p2 - m2) / (4 * h)  # for a smooth g, central to O(h^2); across a jump, half of it
        if not close(wide, central) and close(2 * wide, central):
            return Row(name, analytic, central, True, "the difference quotient grows as eps shrinks (a jump)")
        # Slopes between neighbouring points: for a smooth g they change at a steady rate (h * g'' per
        # step); across a kink they step once by the change of slope, and stay put on either side.
        slopes = [(b - a) / h for a, b in itertools.pairwise((m2, m1, z, p1, p2))]
        steps = [b - a for a, b in itertools.pairwise(slopes)]
        spread = max(steps) - min(steps)
        if spread <= atol + rtol * max(map(abs, slopes)) or spread <= max(map(abs, steps)) / 2:
            return Row(name, analytic, central, close(analytic, central))
        left, right = slopes[0], slopes[-1]
        slack = atol + rtol * max(abs(left), abs(right))
        between = close(analytic, central) or min(left, right) - slack <= analytic <= max(left, right) + slack
        return Row(name, analytic, central, between, f"one-sided derivatives {left:.8g} and {right:.8g}")

    def gradient(self, xs: list[float], create_graph: bool = False) -> list[Row]:
        leaves = [Value(x) for x in xs]
        out = self.output(leaves)
        with _grads_kept(out, leaves):
            out.backward(create_graph=create_graph)
        analytic = [float(leaf.grad) for leaf in leaves]
        return [
            self.row(f"df/d{name}", analytic[i], functools.partial(self.moved_value, xs, i))
            for i, name in enumerate(self.names)
        ]

    def hessian(self, xs: list[float]) -> list[Row]:
        leaves = [Value(x) for x in xs]
        out = self.output(leaves)
        analytic = []
        with _grads_kept(out, leaves):
            out.backward(create_graph=True)
            firsts = [leaf.grad for leaf in leaves]
            for first in firsts:
                for leaf in leaves:
                    leaf.grad = 0.0
                if isinstance(first, Value):  # a number: this first derivative is a constant
                    first.backward()
                analytic.append([float(leaf.grad) for leaf in leaves])
        # the gradient with input j moved by a step, computed once per step for all the rows of column j
        columns = [functools.cache(functools.partial(self.moved_gradient, xs, j)) for j in range(len(xs))]
        return [
            self.row(f"d2f/d{a} d{b}", analytic[i][j], functools.partial(_entry, columns[j], i))
            for i, a in enumerate(self.names)
            for j, b in enumerate(self.names)
        ]

    def moved_value(self, xs: list[float], i: int, step: float) -> float:
        return self.value(_moved(xs, i, step))

    def moved_gradient(self, xs: list[float], j: int, step: float) -> list[float]:
        return self.float_gradient(_moved(xs, j, step))


@contextmanager
def _grads_kept(out: Value, inputs: list[Value]) -> Iterator[None]:
    """Give back their grads to the leaves f closes over (its parameters, say): backward adds to them."""
    given = set(inputs)
    held = [(v, v.grad) for v in topological_order(out) if not v.parents and v not in given]
    try:
        yield
    finally:
        for leaf, grad in held:
            leaf.grad = grad


def _moved(xs: list[float], i: int, step: float) -> list[float]:
    moved = list(xs)
    moved[i] += step
    return moved


def _entry(column: Callable[[float], list[float]], i: int, step: float) -> float:
    return column(step)[i]
