"""A node's local gradients as formulas (``1 - t.data**2``, with a minus sign), read off its op's rule.

The rule runs on ``Formula``s: numbers that carry the text of how they were computed. Its arguments are the
node's parents, written ``x.data``; the op applied to them again is the node itself, ``t.data``; numbers
fold as numbers, and ``where`` picks the branch the data takes, so relu's local gradient reads ``1`` or ``0``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any, cast

from ...core.engine import Value
from ...core.ops import ADD, DIV, FLOATS, MINUS, MUL, NEG, POW, SUB, TIMES, Math, Op

MAX_LENGTH = 40  #: A longer formula is shown as ∂node/∂parent instead: the numbers are what it means.
# binding strengths, for brackets: the table's, and a number's or a name's above them all
_SUM, _PRODUCT, _UNARY, _POWER = ADD.precedence, MUL.precedence, NEG.precedence, POW.precedence
_ATOM = _POWER + 1


class Formula:
    """A number and the text that computed it (numbers in it formatted with ``fmt``), for a formula."""

    def __init__(self, value: float, text: str, fmt: str, strength: int = _ATOM) -> None:
        self.value, self.text, self.fmt, self.strength = value, text, fmt, strength

    def __add__(self, other: Part) -> Part:
        return _binary(self, "+", other)

    def __radd__(self, other: Part) -> Part:
        return _binary(other, "+", self)

    def __sub__(self, other: Part) -> Part:
        return _binary(self, MINUS, other)

    def __rsub__(self, other: Part) -> Part:
        return _binary(other, MINUS, self)

    def __mul__(self, other: Part) -> Part:
        return _binary(self, TIMES, other)

    def __rmul__(self, other: Part) -> Part:
        return _binary(other, TIMES, self)

    def __truediv__(self, other: Part) -> Part:
        return _binary(self, "/", other)

    def __rtruediv__(self, other: Part) -> Part:
        return _binary(other, "/", self)

    def __pow__(self, other: Part) -> Part:
        return _binary(self, "**", other)

    def __rpow__(self, other: Part) -> Part:
        return _binary(other, "**", self)

    def __neg__(self) -> Formula:
        return Formula(-self.value, MINUS + _text(self, _UNARY, self.fmt), self.fmt, _UNARY)

    def __abs__(self) -> Formula:
        return Formula(abs(self.value), f"|{self.text}|", self.fmt)

    def __lt__(self, other: Part) -> bool:  # comparisons read the value: where() takes the data's branch
        return self.value < _value(other)

    def __le__(self, other: Part) -> bool:
        return self.value <= _value(other)

    def __gt__(self, other: Part) -> bool:
        return self.value > _value(other)

    def __ge__(self, other: Part) -> bool:
        return self.value >= _value(other)


Part = Formula | float
# Each operator as the table writes it, with its strength, and what it computes on the numbers (a power
# as a derivative's: infinite, not an error, where it blows up).
_OPERATORS: dict[str, tuple[int, Callable[[float, float], float]]] = {
    op.infix: (op.precedence, compute)
    for op, compute in (
        (ADD, operator.add),
        (SUB, operator.sub),
        (MUL, operator.mul),
        (DIV, operator.truediv),
        (POW, FLOATS.ieee_pow),
    )
}


def _value(x: Part) -> float:
    return x.value if isinstance(x, Formula) else x


def _text(x: Part, strength: int, fmt: str) -> str:
    """Return x as an operand of an operator of this strength, in brackets if it binds less tightly."""
    if isinstance(x, Formula):
        return f"({x.text})" if x.strength < strength else x.text
    text = format(x, fmt).replace("-", MINUS)
    return f"({text})" if x < 0 and strength > _SUM else text


def _binary(a: Part, symbol: str, b: Part) -> Part:
    """Return a symbol b as a Formula, simplified where that is plain: 1 * x is x, and x * x is x squared."""
    strength, compute = _OPERATORS[symbol]
    value = compute(_value(a), _value(b))
    fmt = a.fmt if isinstance(a, Formula) else b.fmt  # type: ignore[union-attr]  # one of them is a Formula
    if symbol == TIMES and (a == 1.0 or b == 1.0):
        return b if a == 1.0 else a
    if symbol == TIMES and a is b:
        return Formula(value, _text(a, _POWER + 1, fmt) + "²", fmt, _POWER)
    left = strength + 1 if symbol == "**" else strength  # ** groups to the right
    right = strength + 1 if symbol in (MINUS, "/") else strength  # a - (b - c), a / (b * c)
    return Formula(value, f"{_text(a, left, fmt)} {symbol} {_text(b, right, fmt)}", fmt, strength)


def _namespace(node: Value, args: tuple[Part, ...], name: str, fmt: str) -> Math:
    """Return the rule's ``m`` on Formulas: each function writes its call; the op on its arguments is the
    node."""

    def function(fn_name: str, float_fn: Callable[..., float]) -> Callable[..., Any]:
        def call(*xs: Part) -> Part:
            values = [_value(x) for x in xs]
            if not any(isinstance(x, Formula) for x in xs):
                return float(float_fn(*values))
            value = float(float_fn(*values))
            if sorted(map(id, xs)) == sorted(map(id, args)) and value == node.data:  # the node itself
                return Formula(value, f"{name}.data", fmt)
            if fn_name in ("pow", "ieee_pow"):
                return _binary(xs[0], "**", xs[1])
            if fn_name == "reciprocal":
                return _binary(1.0, "/", xs[0])
            return Formula(value, f"{fn_name}({', '.join(_text(x, 0, fmt) for x in xs)})", fmt)

        return call

    names = [
        k for k in vars(FLOATS) if k not in ("where", "is_zero", "sign", "sum", "dot", "logsumexp", "within")
    ]
    m = SimpleNamespace(**{k: function(k, getattr(FLOATS, k)) for k in names})
    spread = function("logsumexp", lambda *values: FLOATS.logsumexp(values))
    m.logsumexp = lambda xs: spread(*xs)  # takes a sequence, as sum does
    m.where = lambda c, a, b: a if c else b
    m.within = lambda x, lo, hi: x
    m.is_zero = lambda x: not isinstance(x, Formula) and x == 0
    m.sign = lambda x: FLOATS.sign(_value(x))
    m.sum = sum
    m.dot = lambda ws, vs: sum(w * v for w, v in zip(ws, vs))
    return cast(Math, m)


def local_formulas(node: Value, names: Mapping[Value, str], fmt: str) -> list[str | None]:
    """Return each parent's local gradient d node/d parent as a formula, or None where there is no short
    one."""
    parents = node.parents
    op = node.primitive
    if not isinstance(op, Op) or op.rule is None:  # made by hand, or by define_op without a rule
        return [None] * len(parents)
    args: tuple[Part, ...] = (*(Formula(p.data, f"{names[p]}.data", fmt) for p in parents), *node.constants)
    try:
        derivatives = op.rule(*args, m=_namespace(node, args, names[node], fmt))[1 : 1 + len(parents)]
    except (ArithmeticError, ValueError, TypeError):
        return [None] * len(parents)
    out: list[str | None] = []
    for d in derivatives:
        if isinstance(d, Formula):
            text = f"({d.text})" if d.strength < _PRODUCT else d.text
        elif isinstance(d, float) and math.isfinite(d):
            text = _text(d, _SUM, fmt)  # -1 * n.grad needs no brackets
        else:
            text = ""
        out.append(text if 0 < len(text) <= MAX_LENGTH else None)
    return out


def update_formulas(
    rule: Callable[..., tuple[Any, ...]],
    name: str,
    data: float,
    grad: float,
    state: dict[str, float],
    fmt: str,
) -> tuple[list[str], Formula]:
    """Run an optimizer's step rule on formulas, for one parameter: return each quantity the rule names
    (``m.let``) as ``symbol = formula = number``, and the parameter's new data as a formula. ``state``:
    the parameter's state before the step, by the symbols the rule writes it with, in the rule's order."""
    named: list[str] = []

    def let(symbol: str, x: Part) -> Formula:
        named.append(f"{symbol} = {_text(x, 0, fmt)} = {format(_value(x), fmt)}")
        return Formula(_value(x), symbol, fmt)

    def call(written: str, fn: Callable[..., float]) -> Callable[..., Formula]:
        def apply(*xs: Part) -> Formula:
            return Formula(fn(*map(_value, xs)), f"{written}({', '.join(_text(x, 0, fmt) for x in xs)})", fmt)

        return apply

    m = SimpleNamespace(sqrt=call("sqrt", math.sqrt), maximum=call("max", max), let=let)
    args = [Formula(data, f"{name}.data", fmt), Formula(grad, "grad", fmt)]
    args += [Formula(value, symbol, fmt) for symbol, value in state.items()]
    new = rule(*args, m=m)[0]
    return named, new if isinstance(new, Formula) else Formula(new, format(new, fmt), fmt)
