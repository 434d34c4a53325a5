"""The op table: every primitive, written once as a rule that gives its result and its derivatives.

A rule takes the op's arguments and a namespace ``m`` of elementary functions (``m.exp``, ``m.tanh``,
``m.where``, ...) and returns ``(result, d result/d arg0, d result/d arg1, ...)``. The engine runs it
on three kinds of numbers, and so gets every form of the op from the one rule:
- on floats, with ``m`` = ``FLOATS`` (math): when a node is built, its local derivatives memoized;
- on Values, with the engine's namespace of ops: the derivatives as graphs, for ``create_graph=True``;
- on NumPy arrays, with ``array_math(numpy)``: compile()'s replay, one call per group of nodes.
Branches are written with ``m.where`` and both sides are evaluated, so each side must be finite
everywhere (``m.exp(m.where(x > 0, 0.0, x))``, not ``m.exp(x)``, where x may be large).

Constant (number) arguments always come after the Value arguments, so reflected operators
(``2 - x``, ``2 / x``, ``2 ** x``) are ops of their own. Each entry also says how the op is called
(``method``), drawn (``shown``) and, for an activation, which PyTorch module computes it.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, SimpleNamespace
from typing import Any, NamedTuple, Protocol, cast

inf, nan = math.inf, math.nan
MINUS = "\u2212"  # the typographic minus sign, for pictures
TIMES = "\u00d7"  # the multiplication sign, for equations


class Activation(NamedTuple):
    """The PyTorch module that computes an activation, with the arguments that make it ours."""

    torch: str  #: The module's name in ``torch.nn``.
    arguments: Mapping[str, Any] = MappingProxyType(
        {}
    )  #: Its arguments: the attributes that must match ours.


@dataclass(frozen=True, eq=False)
class Op:
    """A primitive operation: its forms on floats, on Values and on arrays, and how it is called and drawn."""

    name: str  #: How pictures, step tables, error messages and expressions name the op.
    forward: Callable[..., tuple[float, ...]]  #: Floats in, ``(result, d result/d each argument)`` out.
    #: ``(values, node, *args) -> (d node/d each argument)`` as Values, ``values`` being the engine's
    #: namespace of ops: what ``backward(create_graph=True)`` builds.
    derivatives: Callable[..., tuple[Any, ...]]
    arity: int | None  #: How many arguments it takes; None for any number (sum, dot, logsumexp).
    domain: str = ""  #: Where the op is defined, quoted in the error for an input outside it.
    #: ``(arrays, *arrays) -> (result, *locals)`` with ``arrays = array_math(numpy)``, for compile();
    #: None to replay the op element by element with ``forward``.
    vector: Callable[..., tuple[Any, ...]] | None = None
    rule: Callable[..., tuple[Any, ...]] | None = None  #: The rule the forms come from, if the op has one.
    method: bool = False  #: Whether Value has a method of its name (``x.tanh()``); not for operators.
    params: tuple[tuple[str, float], ...] = ()  #: The method's number arguments, with their defaults.
    doc: str = ""  #: One line on what it computes, for the method's docstring.
    symbol: str = ""  #: How a picture shows it ('' for its name).
    shown: str = ""  #: How a picture shows it with one number folded in, ``{}`` for the number.
    #: How equations write it between its arguments (before its one, for a minus), with the typographic
    #: minus and times signs; '' for an op written as a call. A reflected op (``r-``) puts its number first.
    infix: str = ""
    #: How tightly that binds, for brackets: 2 for a sum or difference, 3 for a product or quotient, 4 for
    #: a unary minus, 5 for a power.
    precedence: int = 0
    activation: Activation | None = None  #: For an nn activation, its PyTorch counterpart.

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


TABLE: list[Op] = []  #: Every built-in op, in the order of this file.
# Ops called otherwise than by a method of their name: -x, abs(x), Value.sum, .dot, .logsumexp, and the
# loss terms that losses.binary_cross_entropy and losses.hinge apply.
_NO_METHOD = {"neg", "abs", "sum", "dot", "logsumexp", "bce", "hinge"}


def primitive(
    name: str,
    rule: Callable[..., tuple[Any, ...]],
    *,
    domain: str = "",
    fast: Callable[..., tuple[float, ...]] | None = None,
    register: bool = True,
    **how: Any,
) -> Op:
    """Make an Op whose every form comes from ``rule`` (its arguments, then ``m=`` a namespace).

    ``fast``: a hand-written float forward for a hot op, tested against the rule. ``how``: Op's fields
    for calling and drawing it (params, doc, symbol, shown, activation). An op named as an identifier
    that is not an operator's (``neg``, ``abs``), a static method's (``sum``, ``dot``, ``logsumexp``) or a
    loss's (``bce``, ``hinge``) gets a Value method of its name.
    """
    arity = _rule_arity(name, rule)

    def derivatives(values: Any, node: Any, *args: Any) -> tuple[Any, ...]:
        return tuple(rule(*args, m=values)[1:])

    def vector(arrays: Any, *xs: Any) -> tuple[Any, ...]:
        return tuple(rule(*xs, m=arrays))

    method = register and name.isidentifier() and name not in _NO_METHOD
    op = Op(name, fast or rule, derivatives, arity, domain, vector, rule, method, **how)
    if register:
        TABLE.append(op)
    return op


def _rule_arity(name: str, rule: Callable[..., Any]) -> int | None:
    """Return the number of arguments before ``m``; None if they are ``*args``."""
    parameters = list(inspect.signature(rule).parameters.values())
    if not parameters or parameters[-1].name != "m" or parameters[-1].default is inspect.Parameter.empty:
        raise TypeError(f"{name}: a rule takes the op's arguments, then m=FLOATS, got {rule}")
    kinds = [p.kind for p in parameters[:-1]]
    if kinds == [inspect.Parameter.VAR_POSITIONAL]:
        return None
    if any(k is not inspect.Parameter.POSITIONAL_OR_KEYWORD for k in kinds):
        raise TypeError(f"{name}: a rule's arguments are positional, or one *args")
    return len(kinds)


# ---- the namespace on floats: math, and the pieces written once for all three kinds of numbers -----------
def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _power(x: float, y: float) -> float:
    """Return x ** y as the op: a negative base needs an integer exponent (Python would give a complex)."""
    if x < 0 and not float(y).is_integer():
        raise ValueError("a negative base needs an integer exponent")
    return float(x**y)


def _ieee_power(x: float, y: float) -> float:
    """Return x ** y for a derivative: infinite (not an exception) where it blows up, as in IEEE
    arithmetic."""
    try:
        return float(x**y)
    except (ZeroDivisionError, OverflowError):
        odd = float(y).is_integer() and int(y) % 2 == 1
        return -inf if (x < 0 and odd) else inf


def _dot(ws: Any, xs: Any) -> Any:
    return sum(map(operator.mul, ws, xs))


def _logsumexp(xs: Sequence[float]) -> float:
    """Return log(sum(exp(x))), shifted by the largest x so that no exp overflows; inf or -inf with no finite
    shift."""
    top = max(xs)
    if not math.isfinite(top):  # some x is inf, every x is -inf, or a NaN came first
        return nan if any(x != x for x in xs) else top
    return top + math.log(sum(math.exp(x - top) for x in xs))


def _within(x: float, lo: float, hi: float) -> float:
    """Return x, if lo <= x <= hi: a rule's check of its domain, which is the op's domain error outside it."""
    if lo <= x <= hi:
        return x
    raise ValueError(f"{x!r} is outside [{lo}, {hi}]")


class Math(Protocol):
    """What a rule's ``m`` gives: the elementary functions, on one kind of number each. Four namespaces
    give them (``test_table.py`` checks each has every one): ``FLOATS``, ``array_math(numpy)`` for the
    compiled replay, ``engine.VALUES`` (each function its op, so derivatives are graphs) and the
    stepper's formulas (numbers that carry their text)."""

    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    expm1: Callable[[Any], Any]
    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    tan: Callable[[Any], Any]
    atan: Callable[[Any], Any]
    sinh: Callable[[Any], Any]
    cosh: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]
    softplus: Callable[[Any], Any]
    pow: Callable[[Any, Any], Any]  #: x ** y as the op computes it: an error for a negative base's fraction.
    ieee_pow: Callable[[Any, Any], Any]  #: x ** y for a derivative: infinite where it blows up.
    reciprocal: Callable[[Any], Any]  #: 1 / x, infinite (with x's sign) at zero.
    where: Callable[[Any, Any, Any], Any]  #: where(condition, a, b): a where it holds, else b.
    is_zero: Callable[[Any], Any]  #: Whether x is the number 0 (a Value never is: it keeps its graph).
    sign: Callable[[Any], Any]  #: -1, 0 or 1.
    sum: Callable[..., Any]  #: The sum of a sequence.
    dot: Callable[[Any, Any], Any]  #: The sum of products of two sequences.
    logsumexp: Callable[[Any], Any]  #: log(sum(exp(x))) of a sequence, without overflow.
    within: Callable[[Any, float, float], Any]  #: x, checked to lie in [lo, hi]: a rule's domain.


# fmt: off
#: The elementary functions on floats: what a rule's ``m`` is when the engine builds a node.
FLOATS: Math = cast(Math, SimpleNamespace(
    exp=math.exp, log=math.log, sqrt=math.sqrt, expm1=math.expm1,
    sin=math.sin, cos=math.cos, tan=math.tan, atan=math.atan,
    sinh=math.sinh, cosh=math.cosh, tanh=math.tanh,
    sigmoid=_sigmoid, softplus=_softplus,
    pow=_power, ieee_pow=_ieee_power,
    reciprocal=lambda x: 1.0 / x if x else math.copysign(inf, x),
    where=lambda c, a, b: a if c else b,
    is_zero=lambda x: x == 0,
    sign=lambda x: (x > 0) - (x < 0) + 0.0,
    sum=sum, dot=_dot, logsumexp=_logsumexp, within=_within,
))
# fmt: on


@functools.cache
def array_math(np: Any) -> Math:
    """Return the elementary functions on NumPy arrays, element by element: ``m`` for compile()'s replay."""

    def sigmoid(x: Any) -> Any:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def power(x: Any, y: Any) -> Any:
        """Return x ** y, refused as the float form refuses it: a negative base needs an integer exponent.
        NumPy signals for (-1) ** 0.5 but takes (-1) ** inf as 1 and (-inf) ** -2.5 as 0; so the replay, which
        takes the float form where NumPy signals, is told here."""
        if ((x < 0) & ~(np.isfinite(y) & (y == np.floor(y)))).any():
            raise FloatingPointError("a negative base needs an integer exponent")
        return np.power(x, y)

    def logsumexp(xs: Sequence[Any]) -> Any:
        top = functools.reduce(np.maximum, xs)  # NaN if any x is NaN
        finite = np.isfinite(top)
        shift = np.where(finite, top, 0.0)
        total = sum(np.exp(np.where(finite, x - shift, 0.0)) for x in xs)
        return np.where(finite, shift + np.log(total), top)

    def within(x: Any, lo: float, hi: float) -> Any:
        if not ((x >= lo) & (x <= hi)).all():  # the float form names the value, or makes NaN of a NaN
            raise FloatingPointError(f"outside [{lo}, {hi}]")
        return x

    # fmt: off
    return cast(Math, SimpleNamespace(
        exp=np.exp, log=np.log, sqrt=np.sqrt, expm1=np.expm1,
        sin=np.sin, cos=np.cos, tan=np.tan, atan=np.arctan,
        sinh=np.sinh, cosh=np.cosh, tanh=np.tanh,
        sigmoid=sigmoid, softplus=lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
        pow=power, ieee_pow=np.power, reciprocal=np.reciprocal,
        where=np.where, is_zero=lambda x: x == 0, sign=lambda x: (x > 0) * 1.0 - (x < 0),  # 0 at NaN, as floats
        sum=sum, dot=_dot, logsumexp=logsumexp, within=within,
    ))
    # fmt: on


# ---- rules longer than a line ------------------------------------------------------------------------------
def _pow(x: Any, y: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    out = m.pow(x, y)
    dx = m.where(m.is_zero(y), 0.0, y * m.ieee_pow(x, y - 1.0))  # d/dx x**0 is 0, even at x = 0
    positive = x > 0  # out * log(x); at x = 0, 0 for y >= 0; NaN for a negative base
    dy = m.where(positive, out * m.log(m.where(positive, x, 1.0)), m.where((x >= 0) & (y >= 0), 0.0, nan))
    return out, dx, dy


def _rpow(x: Any, c: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    out, dc, dx = _pow(c, x, m)
    return out, dx, dc


def _elu(x: Any, a: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    positive = x > 0
    below = m.where(positive, 0.0, x)  # no exp of a large x
    e = m.expm1(below)
    return m.where(positive, x, a * e), m.where(positive, 1.0, a * m.exp(below)), m.where(positive, 0.0, e)


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _selu(x: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    positive = x > 0
    below = m.where(positive, 0.0, x)  # no exp of a large x
    scaled = SELU_SCALE * SELU_ALPHA
    return (
        m.where(positive, SELU_SCALE * x, scaled * m.expm1(below)),  # expm1: exact near 0, as PyTorch's
        m.where(positive, SELU_SCALE, scaled * m.exp(below)),
    )


def _swish(x: Any, beta: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    s = m.sigmoid(beta * x)
    ds = s * (1.0 - s)
    return x * s, s + beta * x * ds, x * x * ds


def _mish(x: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    t = m.tanh(m.softplus(x))
    return x * t, t + x * (1.0 - t * t) * m.sigmoid(x)


GELU_K = math.sqrt(2.0 / math.pi)  # gelu's tanh approximation, as PyTorch's approximate="tanh"


def _gelu(x: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    t = m.tanh(GELU_K * (x + 0.044715 * x * x * x))
    return 0.5 * x * (1.0 + t), 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_K * (
        1.0 + 3 * 0.044715 * x * x
    )


def _sum(*xs: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    return (m.sum(xs), *(1.0,) * len(xs))


def _dot_rule(*xs: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    n = len(xs) // 2
    ws, vs = xs[:n], xs[n:]
    return (m.dot(ws, vs), *vs, *ws)


def _logsumexp_rule(*xs: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    out = m.logsumexp(xs)
    return (out, *(m.exp(x - out) for x in xs))  # softmax: x - out <= 0, so no exp overflows


def _bce(p: Any, t: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    """Return -(t log p + (1 - t) log(1 - p)), a log left out where its weight is 0: p = t = 1 costs 0, not
    NaN."""
    p, t = m.within(p, 0.0, 1.0), m.within(t, 0.0, 1.0)
    p_ = m.where(m.is_zero(t), 1.0, p)  # log p, or log 1 where t = 0
    q_ = m.where(m.is_zero(1.0 - t), 1.0, 1.0 - p)
    inside = (p > 0) & (p < 1)
    r = m.where(inside, p, 0.5)  # d/dt is log(1 - p) - log p: infinite at p = 0 or 1
    dt = m.where(inside, m.log(1.0 - r) - m.log(r), m.where(p > 0, -inf, inf))
    return -(t * m.log(p_) + (1.0 - t) * m.log(q_)), (1.0 - t) / q_ - t / p_, dt


def _hinge(s: Any, t: Any, m: Math = FLOATS) -> tuple[Any, ...]:
    """Return relu(1 - s t) for a target t of -1 or 1 (t t is 1 for those alone), as micrograd's loss computes
    it."""
    m.within(t * t, 1.0, 1.0)
    margin = 1.0 - s * t
    inside = margin > 0
    return m.where(inside, margin, 0.0), m.where(inside, -t, 0.0), m.where(inside, -s, 0.0)


_NONZERO = "a nonzero divisor"
_POWER = "a positive base, or a negative one with an integer exponent; no 0 to a negative power"

# fmt: off
# ---- arithmetic: Value's operators apply these ------------------------------------------------------------
#                 name   rule: (result, d result/d each argument)
ADD  = primitive("+",   lambda x, y, m=FLOATS: (x + y, 1.0, 1.0),              doc="x + y", shown="+ {}",
                 infix="+", precedence=2)
SUB  = primitive("-",   lambda x, y, m=FLOATS: (x - y, 1.0, -1.0),             doc="x - y", shown=MINUS + " {}",
                 symbol=MINUS, infix=MINUS, precedence=2)
RSUB = primitive("r-",  lambda x, c, m=FLOATS: (c - x, -1.0, 1.0),             doc="c - x", shown="{} " + MINUS,
                 infix=MINUS, precedence=2)
MUL  = primitive("*",   lambda x, y, m=FLOATS: (x * y, y, x),                  doc="x * y", shown="* {}",
                 infix=TIMES, precedence=3)
DIV  = primitive("/",   lambda x, y, m=FLOATS: (x / y, 1.0 / y, -(x / y) / y), doc="x / y", shown="/ {}",
                 domain=_NONZERO, infix="/", precedence=3)
RDIV = primitive("r/",  lambda x, c, m=FLOATS: (c / x, -(c / x) / x, 1.0 / x), doc="c / x", shown="{} /",
                 domain=_NONZERO, infix="/", precedence=3)
NEG  = primitive("neg", lambda x, m=FLOATS: (-x, -1.0),                        doc="-x", infix=MINUS,
                 precedence=4)
POW  = primitive("**",  _pow,                                                  doc="x ** y", shown="** {}",
                 domain=_POWER, infix="**", precedence=5)
RPOW = primitive("r**", _rpow,                                                 doc="c ** x", shown="{} **",
                 domain=_POWER, infix="**", precedence=5)
ABS  = primitive("abs", lambda x, m=FLOATS: (abs(x), m.sign(x)),               doc="abs(x); slope 0 at 0")

# ---- n-ary: one node for a whole sum, dot product or log-sum-exp --------------------------------------------
SUM  = primitive("sum", _sum,                                                  doc="Value.sum(xs)",
                 shown="sum + {}")
DOT  = primitive("dot", _dot_rule,                                             doc="Value.dot(ws, xs)")
LOGSUMEXP = primitive("logsumexp", _logsumexp_rule,
                      doc="Value.logsumexp(xs): log(sum(exp(x))), shifted by the largest x at every evaluation")

BCE  = primitive("bce", _bce, doc="binary cross-entropy of a probability p for a target t",
                 domain="p and t in [0, 1], p > 0 where t > 0 and p < 1 where t < 1; "
                        "binary_cross_entropy_with_logits stays finite")

HINGE = primitive("hinge", _hinge, doc="max-margin loss of a score s for a target t of -1 or 1",
                  domain="a target t of -1 or 1")

# ---- elementary functions: Value methods of the same name ---------------------------------------------------
EXP  = primitive("exp",  lambda x, m=FLOATS: (e := m.exp(x), e),               doc="e ** x", domain="x <= 709.78")
EXPM1 = primitive("expm1", lambda x, m=FLOATS: (m.expm1(x), m.exp(x)),      doc="e ** x - 1, exact near 0",
                  domain="x <= 709.78")
LOG  = primitive("log",  lambda x, m=FLOATS: (m.log(x), 1.0 / x),              doc="natural logarithm",
                 domain="x > 0")
SQRT = primitive("sqrt", lambda x, m=FLOATS: (r := m.sqrt(x), 0.5 * m.reciprocal(r)),
                 doc="square root; infinite slope at 0", domain="x >= 0")
SIN  = primitive("sin",  lambda x, m=FLOATS: (m.sin(x), m.cos(x)),             doc="sine")
COS  = primitive("cos",  lambda x, m=FLOATS: (m.cos(x), -m.sin(x)),            doc="cosine")
TAN  = primitive("tan",  lambda x, m=FLOATS: (t := m.tan(x), 1.0 + t * t),     doc="tangent")
ATAN = primitive("atan", lambda x, m=FLOATS: (m.atan(x), 1.0 / (1.0 + x * x)), doc="arctangent")
SINH = primitive("sinh", lambda x, m=FLOATS: (m.sinh(x), m.cosh(x)),           doc="hyperbolic sine",
                 domain="|x| <= 710.47")
COSH = primitive("cosh", lambda x, m=FLOATS: (m.cosh(x), m.sinh(x)),           doc="hyperbolic cosine",
                 domain="|x| <= 710.47")

# ---- activations: Value methods, and nn's activations with their PyTorch modules ----------------------------
SIGMOID    = primitive("sigmoid",    lambda x, m=FLOATS: (s := m.sigmoid(x), s * (1.0 - s)),
                       doc="1 / (1 + exp(-x)), without overflow", activation=Activation("Sigmoid"))
TANH       = primitive("tanh",       lambda x, m=FLOATS: (t := m.tanh(x), 1.0 - t * t),
                       doc="hyperbolic tangent", activation=Activation("Tanh"))
RELU       = primitive("relu",       lambda x, m=FLOATS: (m.where(x <= 0, 0.0, x), m.where(x > 0, 1.0, 0.0)),
                       fast=lambda x: (0.0 if x <= 0 else x, float(x > 0)),  # half the rule's time
                       doc="max(x, 0); slope 0 at 0, as in PyTorch", activation=Activation("ReLU"))
LEAKY_RELU = primitive("leaky_relu", lambda x, a, m=FLOATS: (m.where(x > 0, x, a * x), m.where(x > 0, 1.0, a),
                                                             m.where(x > 0, 0.0, x)),
                       params=(("alpha", 0.01),), doc="x above 0, alpha * x below; a Value alpha is learned",
                       activation=Activation("LeakyReLU", {"negative_slope": 0.01}))
ELU        = primitive("elu",        _elu, params=(("alpha", 1.0),),
                       doc="x above 0, alpha * (exp(x) - 1) below; a Value alpha is learned",
                       activation=Activation("ELU", {"alpha": 1.0}))
SELU       = primitive("selu",       _selu, doc="scale * elu(x, alpha), SELU's constants",
                       activation=Activation("SELU"))
SWISH      = primitive("swish",      _swish, params=(("beta", 1.0),),
                       doc="x * sigmoid(beta * x); a Value beta is learned", activation=Activation("SiLU"))
MISH       = primitive("mish",       _mish, doc="x * tanh(softplus(x))", activation=Activation("Mish"))
SOFTPLUS   = primitive("softplus",   lambda x, m=FLOATS: (m.softplus(x), m.sigmoid(x)),
                       doc="log(1 + exp(x)), without overflow",
                       activation=Activation("Softplus", {"beta": 1.0, "threshold": 20.0}))
GELU       = primitive("gelu",       _gelu, doc="x * Phi(x) in tanh form, as PyTorch's approximate='tanh'",
                       activation=Activation("GELU", {"approximate": "tanh"}))
# fmt: on
