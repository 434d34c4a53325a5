"""Ops of your own: ``define_op`` declares a primitive that the engine applies as it does the table's."""

from __future__ import annotations

import functools
import inspect
import keyword
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from . import ops
from .engine import Value, apply
from .ops import Op

__all__ = ["define_op"]


def define_op(
    name: str,
    forward: Callable[..., tuple[float, ...]] | None = None,
    derivatives: Sequence[Callable[..., Any]] | None = None,
    domain: str = "",
    *,
    rule: Callable[..., tuple[Any, ...]] | None = None,
) -> Callable[..., Any]:
    """Declare a new primitive and get a function that applies it to Values and numbers.

    Either ``rule``, written as the table's are (its arguments, then ``m=FLOATS``; it then works
    everywhere a built-in op does), or ``forward`` on floats, giving ``(result, d result/d each argument)``,
    and optionally ``derivatives``, one ``(out, *args) -> d out/d arg`` per argument as Values, without
    which ``backward(create_graph=True)`` says what is missing.
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"define_op: the name must be a Python identifier, got {name!r}")
    if any(op.name == name for op in ops.TABLE):
        raise ValueError(f"define_op: {name!r} is a built-in op's name; pick another")
    if (forward is None) == (rule is None):
        raise TypeError(f"define_op({name!r}): give either forward (and derivatives) or rule")
    if rule is not None:
        if not callable(rule):
            raise TypeError(f"define_op({name!r}): rule must be callable, got {type(rule).__name__}")
        if derivatives is not None:
            raise TypeError(f"define_op({name!r}): a rule gives its derivatives itself; drop derivatives=")
        op = ops.primitive(name, rule, domain=domain, register=False)
        return functools.partial(apply, op)
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {type(forward).__name__}")
    arity = _forward_arity(name, forward) if derivatives is None else len(derivatives)
    if derivatives is not None and (arity == 0 or not all(callable(d) for d in derivatives)):
        raise TypeError(
            f"define_op({name!r}): derivatives must be one callable per argument, got {derivatives!r}"
        )
    op = Op(name, _checked_forward(name, forward, arity), _given(name, derivatives), arity, domain)
    return functools.partial(apply, op)


def _forward_arity(name: str, forward: Callable[..., Any]) -> int:
    """Return how many arguments forward takes: its positional parameters (no *args: an op has a fixed
    arity)."""
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
    """Return forward, with its result checked: a clear error if it is not (result, one derivative per
    argument)."""

    def checked(*xs: float) -> tuple[float, ...]:
        out = forward(*xs)
        real = isinstance(out, tuple) and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in out
        )
        if not real or len(out) != arity + 1:
            raise TypeError(
                f"{name}'s forward must return (result, {arity} local derivative{'s' * (arity != 1)}) as "
                f"real numbers, got {out!r}"
            )
        return tuple(map(float, out))

    return checked


def _given(name: str, derivatives: Sequence[Callable[..., Any]] | None) -> Callable[..., tuple[Any, ...]]:
    """Build an Op's derivatives from a user's list of them, one per argument."""

    def given(values: Any, node: Value, *args: Any) -> tuple[Any, ...]:
        if derivatives is None:
            raise NotImplementedError(
                f"backward(create_graph=True) needs {name}'s derivatives as Values: "
                "pass derivatives= (or a rule) to define_op"
            )
        return tuple(d(node, *args) for d in derivatives)

    return given
