"""gradcheck and gradgradcheck: analytic derivatives against central finite differences, as in PyTorch.

Each input moves by ``eps * max(1, |x|)``, so the step keeps its size relative to the input. Differences
at twice the step tell a smooth f from the points where it is not differentiable: at a kink (relu at 0)
the slope between neighbouring points is one value on each side, and any analytic value between the
two one-sided derivatives is a valid choice (relu'(0) = 0 is PyTorch's), which passes with a warning.
A jump, or an f too steep or too irregular to resolve at this step, cannot be checked there: that is a
failure, never a pass. Only the inputs f depends on are moved, and for a graph of ops only the nodes
downstream of the moved input are computed again, so the cost grows with the number of inputs, not
with its square.
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

from ..core.engine import Value
from ..core.modes import MATH_ERRORS, no_grad, raise_as
from ..core.node import topological_order, tracing
from ..core.ops import Op

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
    def uncheckable(self) -> bool:
        """Whether finite differences cannot resolve f here (a jump, or f too steep or irregular)."""
        return self.not_differentiable.startswith("cannot check here")

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
        wrong = [row.name for row in self.rows if not row.ok and not row.uncheckable]
        uncheckable = [row.name for row in self.rows if row.uncheckable]
        failures = [f"wrong: {', '.join(wrong)}"] * bool(wrong) + [
            f"cannot check: {', '.join(uncheckable)}"
        ] * bool(uncheckable)
        verdict = f"failed, {'; '.join(failures)}" if failures else "passed"
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
            note = "" if row.ok else "  <- cannot check" if row.uncheckable else "  <- wrong"
            if row.uncheckable:
                note += f"  ({row.not_differentiable})"
            elif row.not_differentiable:
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
    """Return the table gradcheck (order 1) or gradgradcheck (order 2) checks, passing or not."""
    if order not in (1, 2):
        raise ValueError(f"order is 1 (gradcheck) or 2 (gradgradcheck), got {order!r}")
    if not (0 < eps < math.inf and 0 <= atol < math.inf and 0 <= rtol < math.inf):  # NaN fails too
        raise ValueError(
            f"eps must be positive and atol, rtol not negative, all finite, got {eps=}, {atol=}, {rtol=}"
        )
    xs, names = _point(inputs)
    if not xs:
        raise ValueError("a derivative check needs at least one input to move, got none")
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

    def row(self, name: str, analytic: float, g: Callable[[float], float], h: float) -> Row:
        """Check analytic against the derivative of g, a function of the step by which one input moves."""
        atol, rtol = self.atol, self.rtol

        def close(a: float, b: float) -> bool:
            return a == b or abs(a - b) <= atol + rtol * abs(b)

        z, m1, p1, m2, p2 = (g(k * h) for k in (0, -1, 1, -2, 2))  # nearest first, for the error
        central = (p1 - m1) / (2 * h)
        # Slopes between neighbouring points: for a smooth g they change at a steady rate (h * g'' per
        # step); across a kink at the point they are one value on the left and another on the right.
        slopes = [(b - a) / h for a, b in itertools.pairwise((m2, m1, z, p1, p2))]
        steps = [b - a for a, b in itertools.pairwise(slopes)]
        spread = max(steps) - min(steps)
        if spread <= atol + rtol * max(map(abs, slopes)) or spread <= max(map(abs, steps)) / 2:
            return Row(name, analytic, central, close(analytic, central))
        if all(close(analytic, slope) for slope in slopes):  # irregular only within the tolerance: rounding
            return Row(name, analytic, central, True)
        left, right = slopes[0], slopes[-1]
        slack = atol + rtol * max(abs(left), abs(right))  # a one-sided slope is the derivative to O(h)

        def between(x: float) -> bool:
            return min(left, right) - slack <= x <= max(left, right) + slack

        if close(slopes[1], left) and close(slopes[2], right):  # a kink at the point
            ok = close(analytic, central) or between(analytic)
            return Row(name, analytic, central, ok, f"one-sided derivatives {left:.8g} and {right:.8g}")
        if not close(left, right):  # a kink within a step of the point: f is differentiable here
            if close(slopes[1], left) and between(slopes[2]):  # the kink is on the right: the left slope
                return Row(name, analytic, left, close(analytic, left))
            if close(slopes[2], right) and between(slopes[1]):
                return Row(name, analytic, right, close(analytic, right))
        wide = (p2 - m2) / (4 * h)  # across a jump, half the central difference
        kind = "a jump, or f too steep" if close(2 * wide, central) else "f too irregular"
        return Row(name, analytic, central, False, f"cannot check here: {kind} to resolve at step {h:.3g}")

    def gradient(self, xs: list[float], create_graph: bool = False) -> list[Row]:
        leaves = [Value(x) for x in xs]
        out = self.output(leaves)
        with _grads_kept(out, leaves):
            out.backward(create_graph=create_graph)
        analytic = [float(leaf.grad) for leaf in leaves]
        replay = _Replay.record(self, xs)
        rows = []
        for i, name in enumerate(self.names):
            if not replay.depends_on(i):  # f does not read this input: both derivatives are 0
                rows.append(Row(f"df/d{name}", analytic[i], 0.0, analytic[i] == 0.0))
                continue
            g = functools.partial(replay.moved_value, i)
            rows.append(self.row(f"df/d{name}", analytic[i], g, _step(self.eps, xs[i])))
        return rows

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
            self.row(
                f"d2f/d{a} d{b}",
                analytic[i][j],
                functools.partial(_entry, columns[j], i),
                _step(self.eps, xs[j]),
            )
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


def _step(eps: float, x: float) -> float:
    """Return how far an input moves: eps, relative to the input's magnitude beyond 1."""
    return eps * max(1.0, abs(x))


class _Replay:
    """f's graph at the point, to evaluate f with one input moved: only the nodes downstream of it are
    computed again, from their ops' float forms. Without a graph of ops (f reads a Value's data, or has
    nodes made by hand), f itself is called again."""

    def __init__(
        self, check: _Checker, xs: list[float], leaves: list[Value] | None, out: Value | None
    ) -> None:
        self.check, self.xs = check, xs
        self.order = topological_order(out) if out is not None else []
        position = {id(v): k for k, v in enumerate(self.order)}
        self.values = [v.data for v in self.order]
        self.inputs = [position.get(id(leaf)) for leaf in leaves] if leaves is not None else None
        self.args = [tuple(position[id(p)] for p in v.parents) for v in self.order]
        self.cones: dict[int, list[int]] = {}  # each moved input's downstream nodes, in order
        self.users: list[list[int]] = [[] for _ in self.order]
        for k, args in enumerate(self.args):
            for a in set(args):
                self.users[a].append(k)

    @classmethod
    def record(cls, check: _Checker, xs: list[float]) -> _Replay:
        leaves = [Value(x) for x in xs]
        try:
            with tracing():  # refuses a read of a Value's data: then the graph may change with the point
                out = check.output(leaves)
        except TypeError:
            return cls(check, xs, None, None)
        if any(v.parents and not isinstance(v.primitive, Op) for v in topological_order(out)):
            return cls(check, xs, None, None)  # a node made by hand: no forward to compute it again
        return cls(check, xs, leaves, out)

    def depends_on(self, i: int) -> bool:
        return self.inputs is None or self.inputs[i] is not None

    def moved_value(self, i: int, step: float) -> float:
        if self.inputs is None:
            return self.check.value(_moved(self.xs, i, step))
        start = self.inputs[i]
        assert start is not None
        changed = {start: self.xs[i] + step}
        if start not in self.cones:
            self.cones[start] = sorted(self._downstream(start))
        for k in self.cones[start]:
            node = self.order[k]
            op = node.primitive
            assert isinstance(op, Op)
            xs = [changed.get(a, self.values[a]) for a in self.args[k]]
            try:
                changed[k] = op.forward(*xs, *node.constants)[0]
            except MATH_ERRORS:
                return self.check.value(_moved(self.xs, i, step))  # the op's own error, from f itself
        return changed.get(len(self.order) - 1, self.values[-1])

    def _downstream(self, start: int) -> set[int]:
        seen: set[int] = set()
        stack = list(self.users[start])
        while stack:
            k = stack.pop()
            if k not in seen:
                seen.add(k)
                stack += self.users[k]
        return seen


def _moved(xs: list[float], i: int, step: float) -> list[float]:
    moved = list(xs)
    moved[i] += step
    return moved


def _entry(column: Callable[[float], list[float]], i: int, step: float) -> float:
    return column(step)[i]
