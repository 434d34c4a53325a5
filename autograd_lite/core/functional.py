"""Function transforms in the style of JAX: grad, value_and_grad, hessian, returning plain floats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .engine import Value
from .modes import Number

Argnums = int | Sequence[int]  #: The positional arguments to differentiate by: one index, or a sequence.


def _float_grad(v: Value) -> float:
    g = v.grad
    return float(g.data if isinstance(g, Value) else g)


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., tuple[float, Any]]:
    """Wrap f so it returns (f's value, its gradient with respect to the arguments in argnums).

    The gradient is a float for an int argnums and a tuple of floats for a sequence, as in JAX.
    """
    many = not isinstance(argnums, int)
    wanted = tuple(argnums) if not isinstance(argnums, int) else (argnums,)

    def wrapped(*args: Number) -> tuple[float, Any]:
        for i in wanted:
            if not -len(args) <= i < len(args):
                raise IndexError(f"argnums {i} is out of range for {len(args)} positional arguments")
        xs = [Value(a) for a in args]  # every argument is a Value, so f may call Value methods on any
        out = f(*xs)
        if not isinstance(out, Value):
            raise TypeError(f"the function must return a Value, got {type(out).__name__}")
        out.backward()
        grads = tuple(_float_grad(xs[i]) for i in wanted)
        return out.data, grads if many else grads[0]

    return wrapped


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Wrap f so it returns its gradient with respect to the arguments in argnums (floats)."""
    both = value_and_grad(f, argnums)
    return lambda *args: both(*args)[1]


def hessian(f: Callable[..., Any]) -> Callable[..., list[list[float]]]:
    """Wrap f so it returns its matrix of second derivatives over all positional arguments."""

    def wrapped(*args: Number) -> list[list[float]]:
        xs = [Value(a) for a in args]
        out = f(*xs)
        if not isinstance(out, Value):
            raise TypeError(f"the function must return a Value, got {type(out).__name__}")
        out.backward(create_graph=True)
        firsts = [x.grad for x in xs]
        rows = []
        for first in firsts:
            for x in xs:
                x.grad = 0.0
            if isinstance(first, Value):
                first.backward()
            rows.append([_float_grad(x) for x in xs])
        return rows

    return wrapped
