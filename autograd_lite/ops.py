"""The op table: every primitive, its evaluation on floats and its derivatives, in one place.

Each entry gives, side by side:
- ``forward``: floats in, ``(result, d result/d arg0, d result/d arg1, ...)`` out. The engine calls it once
  when a node is built and stores the local derivatives on the node (memoized local gradients).
- ``derivatives``: one function per argument, ``(out, *args) -> d out/d arg`` written with Value
  arithmetic, used when ``backward(create_graph=True)`` builds the gradient as a graph of its own.
- ``domain``: where the op is defined, quoted in the error raised for an input outside it.
- ``vector``: the forward on NumPy arrays, one element per node, for the compiled replay
  (``autograd_lite.replay``): ``True`` if ``forward`` works on arrays as written, else a function
  ``(numpy, *arrays) -> (result, *local derivatives)``. Without it, replay calls ``forward`` per element.

Constant (number) arguments always come after the Value arguments, so reflected operators
(``2 - x``, ``2 / x``, ``2 ** x``) are ops of their own.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

inf, nan = math.inf, math.nan


@dataclass(frozen=True, eq=False)
class Op:
    """A primitive operation: evaluation with local derivatives on floats, and derivatives as Values."""

    name: str  #: How pictures, step tables and error messages name the op.
    forward: Callable[..., tuple[float, ...]]  #: Floats in, ``(result, d result/d each argument)`` out.
    derivatives: tuple[Callable[..., Any], ...]  #: Per argument, ``(out, *args) -> d out/d arg`` as Values.
    domain: str = ""  #: Where the op is defined, quoted in the error for an input outside it.
    variadic: bool = False  #: Takes any number of arguments; ``derivatives`` is then one function giving all.
    #: The forward on NumPy arrays, for compile(): a function ``(numpy, *arrays) -> (result, *locals)``,
    #: True if ``forward`` works on arrays as written, or False to replay the op element by element.
    vector: Callable[..., tuple[Any, ...]] | bool = False

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def _pow_or_inf(x: float, y: float) -> float:
    """``x ** y`` for a derivative: infinite (not an exception) where it blows up, as in IEEE arithmetic."""
    try:
        return float(x**y)
    except (ZeroDivisionError, OverflowError):
        odd = float(y).is_integer() and int(y) % 2 == 1
        return -inf if (x < 0 and odd) else inf


def _log_base_grad(out: float, base: float, exponent: float) -> float:
    """d(base ** exponent)/d exponent = out * log(base); 0 at base 0 (exponent >= 0), NaN below 0."""
    if base > 0:
        return out * math.log(base)
    return 0.0 if base == 0 and exponent >= 0 else nan


def _pow(x: float, y: float) -> tuple[float, float, float]:
    if x < 0 and not float(y).is_integer():
        raise ValueError("a negative base needs an integer exponent")
    out = x**y
    dx = 0.0 if y == 0 else y * _pow_or_inf(x, y - 1)
    return out, dx, _log_base_grad(out, x, y)


def _rpow(x: float, c: float) -> tuple[float, float, float]:
    out, dc, dx = _pow(c, x)
    return out, dx, dc


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid_op(x: float) -> tuple[float, float]:
    s = _sigmoid(x)
    return s, s * (1.0 - s)


def _tanh(x: float) -> tuple[float, float]:
    t = math.tanh(x)
    return t, 1.0 - t * t


def _sqrt(x: float) -> tuple[float, float]:
    out = math.sqrt(x)
    return out, 0.5 / out if out else inf


def _exp(x: float) -> tuple[float, float]:
    out = math.exp(x)
    return out, out


def _elu(x: float, alpha: float) -> tuple[float, float, float]:
    if x > 0:
        return x, 1.0, 0.0
    e = math.expm1(x)
    return alpha * e, alpha * math.exp(x), e


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _selu(x: float) -> tuple[float, float]:
    if x > 0:
        return SELU_SCALE * x, SELU_SCALE
    e = math.exp(x)
    return SELU_SCALE * SELU_ALPHA * (e - 1.0), SELU_SCALE * SELU_ALPHA * e


def _swish(x: float, beta: float) -> tuple[float, float, float]:
    s = _sigmoid(beta * x)
    ds = s * (1.0 - s)
    return x * s, s + beta * x * ds, x * x * ds


def _mish(x: float) -> tuple[float, float]:
    t = math.tanh(_softplus(x))
    return x * t, t + x * (1.0 - t * t) * _sigmoid(x)


def _sum(*xs: float) -> tuple[float, ...]:
    return (sum(xs), *(1.0,) * len(xs))


def _dot(*xs: float) -> tuple[float, ...]:
    n = len(xs) // 2
    ws, vs = xs[:n], xs[n:]
    return (sum(map(operator.mul, ws, vs)), *vs, *ws)


# ---- on arrays, for the compiled replay: the same results as the float forms, element by element ----------
# Where an element is outside the op's domain NumPy signals it (the replay makes that an error), and the
# replay redoes that group with the float forms, which raise the engine's own message.
def _pow_arrays(np: Any, x: Any, y: Any) -> tuple[Any, ...]:
    out = x**y
    dx = np.where(y == 0, 0.0, y * x ** (y - 1))
    positive = x > 0
    dy = np.where(positive, out * np.log(np.where(positive, x, 1.0)), np.where((x == 0) & (y >= 0), 0.0, nan))
    return out, dx, dy


def _rpow_arrays(np: Any, x: Any, c: Any) -> tuple[Any, ...]:
    out, dc, dx = _pow_arrays(np, c, x)
    return out, dx, dc


def _sigmoid_arrays(np: Any, x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_arrays(np: Any, x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _sqrt_arrays(np: Any, x: Any) -> tuple[Any, ...]:
    out = np.sqrt(x)
    return out, np.divide(0.5, out, out=np.full_like(out, inf), where=out != 0)


def _elu_arrays(np: Any, x: Any, alpha: Any) -> tuple[Any, ...]:
    positive = x > 0
    below = np.where(positive, 0.0, x)  # no expm1 of a large positive x
    e = np.expm1(below)
    return (
        np.where(positive, x, alpha * e),
        np.where(positive, 1.0, alpha * np.exp(below)),
        np.where(positive, 0.0, e),
    )


def _selu_arrays(np: Any, x: Any) -> tuple[Any, ...]:
    positive = x > 0
    e = np.exp(np.where(positive, 0.0, x))
    scaled = SELU_SCALE * SELU_ALPHA
    return np.where(positive, SELU_SCALE * x, scaled * (e - 1.0)), np.where(positive, SELU_SCALE, scaled * e)


def _swish_arrays(np: Any, x: Any, beta: Any) -> tuple[Any, ...]:
    s = _sigmoid_arrays(np, beta * x)
    ds = s * (1.0 - s)
    return x * s, s + beta * x * ds, x * x * ds


def _mish_arrays(np: Any, x: Any) -> tuple[Any, ...]:
    t = np.tanh(_softplus_arrays(np, x))
    return x * t, t + x * (1.0 - t * t) * _sigmoid_arrays(np, x)


def _tanh_arrays(np: Any, x: Any) -> tuple[Any, ...]:
    t = np.tanh(x)
    return t, 1.0 - t * t


def _sigmoid_op_arrays(np: Any, x: Any) -> tuple[Any, ...]:
    s = _sigmoid_arrays(np, x)
    return s, s * (1.0 - s)


def _exp_arrays(np: Any, x: Any) -> tuple[Any, ...]:
    out = np.exp(x)
    return out, out


# fmt: off
# ---- arithmetic ------------------------------------------------------------------------------------------
#   name         forward on floats: (result, local derivatives...)            derivatives as Values, per argument
ADD   = Op("+",   lambda x, y: (x + y, 1.0, 1.0),                          (lambda o, x, y: 1.0, lambda o, x, y: 1.0), vector=True)
SUB   = Op("-",   lambda x, y: (x - y, 1.0, -1.0),                         (lambda o, x, y: 1.0, lambda o, x, y: -1.0), vector=True)
RSUB  = Op("r-",  lambda x, c: (c - x, -1.0, 1.0),                         (lambda o, x, c: -1.0, lambda o, x, c: 1.0), vector=True)
MUL   = Op("*",   lambda x, y: (x * y, y, x),                              (lambda o, x, y: y, lambda o, x, y: x), vector=True)
DIV   = Op("/",   lambda x, y: (x / y, 1.0 / y, -(x / y) / y),             (lambda o, x, y: 1.0 / y, lambda o, x, y: -o / y),
           domain="a nonzero divisor", vector=True)
RDIV  = Op("r/",  lambda x, c: (c / x, -(c / x) / x, 1.0 / x),             (lambda o, x, c: -o / x, lambda o, x, c: 1.0 / x),
           domain="a nonzero divisor", vector=True)
NEG   = Op("neg", lambda x: (-x, -1.0),                                    (lambda o, x: -1.0,), vector=True)
POW   = Op("**",  _pow,                                                    (lambda o, x, y: _value_pow_dx(x, y),
                                                                            lambda o, x, y: _value_log_grad(o, x, y)),
           domain="a positive base, or a negative one with an integer exponent; no 0 to a negative power",
           vector=_pow_arrays)
RPOW  = Op("r**", _rpow,                                                   (lambda o, x, c: _value_log_grad(o, c, x),
                                                                            lambda o, x, c: x * c ** (x - 1)),
           domain="a positive base, or a negative one with an integer exponent; no 0 to a negative power",
           vector=_rpow_arrays)
ABS   = Op("abs", lambda x: (abs(x), (x > 0) - (x < 0) + 0.0),             (lambda o, x: float((x > 0) - (x < 0)),),
           vector=lambda np, x: (np.abs(x), (x > 0) * 1.0 - (x < 0)))

# ---- n-ary: one node for a whole sum or dot product -------------------------------------------------------
SUM   = Op("sum", _sum,                                                    (lambda o, *xs: (1.0,) * len(xs),), variadic=True,
           vector=True)
DOT   = Op("dot", _dot,                                                    (lambda o, *a: a[len(a) // 2:] + a[:len(a) // 2],),
           variadic=True, vector=True)

# ---- elementary functions --------------------------------------------------------------------------------
EXP   = Op("exp",  _exp,                                                   (lambda o, x: o,), domain="x <= 709.78", vector=_exp_arrays)
LOG   = Op("log",  lambda x: (math.log(x), 1.0 / x),                       (lambda o, x: 1.0 / x,), domain="x > 0",
           vector=lambda np, x: (np.log(x), 1.0 / x))
SQRT  = Op("sqrt", _sqrt,                                                  (lambda o, x: 0.5 / o if float(o) else inf,), domain="x >= 0",
           vector=_sqrt_arrays)
SIN   = Op("sin",  lambda x: (math.sin(x), math.cos(x)),                   (lambda o, x: x.cos(),), vector=lambda np, x: (np.sin(x), np.cos(x)))
COS   = Op("cos",  lambda x: (math.cos(x), -math.sin(x)),                  (lambda o, x: -x.sin(),), vector=lambda np, x: (np.cos(x), -np.sin(x)))

# ---- activations -----------------------------------------------------------------------------------------
TANH       = Op("tanh",       _tanh,                                       (lambda o, x: 1.0 - o * o,), vector=_tanh_arrays)
SIGMOID    = Op("sigmoid",    _sigmoid_op,                                 (lambda o, x: o * (1.0 - o),), vector=_sigmoid_op_arrays)
RELU       = Op("relu",       lambda x: (0.0 if x <= 0 else x, float(x > 0)), (lambda o, x: float(x > 0),),
                vector=lambda np, x: (np.where(x <= 0, 0.0, x), (x > 0) * 1.0))
LEAKY_RELU = Op("leaky_relu", lambda x, a: (x, 1.0, 0.0) if x > 0 else (a * x, a, x),
                                                                           (lambda o, x, a: 1.0 if x > 0 else a,
                                                                            lambda o, x, a: 0.0 if x > 0 else x),
                vector=lambda np, x, a: (np.where(x > 0, x, a * x), np.where(x > 0, 1.0, a), np.where(x > 0, 0.0, x)))
ELU        = Op("elu",        _elu,                                        (lambda o, x, a: 1.0 if x > 0 else a * x.exp(),
                                                                            lambda o, x, a: 0.0 if x > 0 else x.exp() - 1.0),
                vector=_elu_arrays)
SELU       = Op("selu",       _selu,                                       (lambda o, x: SELU_SCALE if x > 0 else SELU_SCALE * SELU_ALPHA * x.exp(),),
                vector=_selu_arrays)
SOFTPLUS   = Op("softplus",   lambda x: (_softplus(x), _sigmoid(x)),       (lambda o, x: x.sigmoid(),),
                vector=lambda np, x: (_softplus_arrays(np, x), _sigmoid_arrays(np, x)))
SWISH      = Op("swish",      _swish,                                      (lambda o, x, b: _swish_dx(x, b),
                                                                            lambda o, x, b: x * x * _dsigmoid(b * x)),
                vector=_swish_arrays)
MISH       = Op("mish",       _mish,                                       (lambda o, x: _mish_dx(x),), vector=_mish_arrays)
# fmt: on


def _value_pow_dx(x: Any, y: Any) -> Any:
    """d(x ** y)/dx as a Value: y * x ** (y - 1); a constant (0 or infinite) at x = 0 with y < 1,
    and 0 for the number 0 as exponent (not 0 * x ** -1, whose own derivative overflows for a tiny x).
    """
    if isinstance(y, float) and y == 0:
        return 0.0
    if float(x) == 0 and y < 1:  # float(): == on Values is identity
        return 0.0 if y == 0 else float(y) * _pow_or_inf(0.0, float(y) - 1)
    return y * x ** (y - 1)


def _value_log_grad(out: Any, x: Any, y: Any) -> Any:
    """d(x ** y)/dy as a Value: out * log(x), with the same conventions as the float form at x <= 0."""
    if x > 0:
        return out * (math.log(x) if isinstance(x, float) else x.log())
    return _log_base_grad(1.0, float(x), float(y))


def _dsigmoid(z: Any) -> Any:
    s = z.sigmoid()
    return s * (1.0 - s)


def _swish_dx(x: Any, beta: Any) -> Any:
    s = (beta * x).sigmoid()
    return s + beta * x * s * (1.0 - s)


def _mish_dx(x: Any) -> Any:
    t = x.softplus().tanh()
    return t + x * (1.0 - t * t) * x.sigmoid()


# ---- user-defined ops: the same Op and the same engine.apply as the table above -------------------------
def define_op(
    name: str,
    forward: Callable[..., tuple[float, ...]],
    derivatives: Sequence[Callable[..., Any]] | None = None,
    domain: str = "",
) -> Callable[..., Any]:
    """Declare a new primitive and get a function that applies it to Values and numbers.

    ``forward`` and ``derivatives`` are as in the table above; without ``derivatives`` the op works
    everywhere except ``backward(create_graph=True)``, which then says what is missing.
    """
    from .engine import apply  # engine imports this module, so apply exists by the time an op is defined

    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"define_op: the name must be a Python identifier, got {name!r}")
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {type(forward).__name__}")
    arity = _arity(name, forward) if derivatives is None else len(derivatives)
    if derivatives is None:
        derivatives = (_missing_derivative(name),) * arity
    elif arity == 0 or not all(callable(d) for d in derivatives):
        raise TypeError(
            f"define_op({name!r}): derivatives must be one callable per argument, got {derivatives!r}"
        )
    op = Op(name, _checked_forward(name, forward, arity), tuple(derivatives), domain)
    return functools.partial(apply, op)


def _arity(name: str, forward: Callable[..., Any]) -> int:
    """How many arguments forward takes: its positional parameters (no *args: an op has a fixed arity)."""
    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"define_op({name!r}): cannot read forward's parameters; pass derivatives=") from None
    kinds = [p.kind for p in parameters]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not kinds or any(k not in positional for k in kinds):
        raise TypeError(f"define_op({name!r}): forward must take a fixed number of positional arguments")
    return len(kinds)


def _checked_forward(
    name: str, forward: Callable[..., tuple[float, ...]], arity: int
) -> Callable[..., tuple[float, ...]]:
    """forward, with its result checked: a clear error if it is not (result, one derivative per argument)."""

    def checked(*xs: float) -> tuple[float, ...]:
        out = forward(*xs)
        if not isinstance(out, tuple) or len(out) != arity + 1:
            raise TypeError(
                f"{name}'s forward must return (result, {arity} local derivative{'s' * (arity != 1)}), "
                f"got {out!r}"
            )
        return tuple(map(float, out))

    return checked


def _missing_derivative(name: str) -> Callable[..., Any]:
    def missing(*args: Any) -> Any:
        raise NotImplementedError(
            f"backward(create_graph=True) needs {name}'s derivatives as Values: pass derivatives= to define_op"
        )

    return missing
