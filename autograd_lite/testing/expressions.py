"""Expressions: computation graphs over named variables, as terms that apply the table's ops.

The representation that the command line's language (``language.parse``) builds from text and the
test strategies draw at random, and that both print: ``Expression`` (a root term, its variables and
the point where they are evaluated), ``Apply`` (a function applied to terms) and ``Function`` (an
operator, a named op of the table, or an op made by ``define_op``).
"""

from __future__ import annotations

import functools
import inspect
import keyword
import math
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core import ops as table
from ..core.engine import Value, apply
from ..core.ops import Op

__all__ = [
    "BUILTINS",
    "Apply",
    "Expression",
    "Function",
    "Term",
    "function",
    "usable_name",
    "written",
]


@dataclass(frozen=True)
class Function:
    """Something an expression applies: an operator or a named op, with how many arguments it takes."""

    name: str  #: As written: "+", "neg" (unary minus), "tanh", a user-defined op's name.
    call: Callable[..., Any]  #: Applies it, to Values and numbers, like the op itself.
    arity: int  #: How many arguments it takes at most.
    #: How many arguments it needs (leaky_relu's alpha, elu's alpha and swish's beta have defaults).
    required: int
    precedence: int = 0  #: An operator's binding strength when printed; 0 for a call.


def _method(name: str, method: Callable[..., Value]) -> Function:
    """Wrap a Value method as a function of Values and numbers: numbers alone give a number, as ops do."""
    parameters = list(inspect.signature(method).parameters.values())

    def call(x: Any, *rest: Any) -> Any:
        if isinstance(x, Value):
            return method(x, *rest)
        out = method(Value(x), *rest)
        return out if any(isinstance(r, Value) for r in rest) else out.data

    required = sum(1 for p in parameters if p.default is inspect.Parameter.empty)
    return Function(name, call, len(parameters), required)


# The operators, as Python applies them (to floats and Values alike), with the table's binding strengths.
_OPERATORS = [
    Function(op.name, python, arity, arity, precedence=op.precedence)
    for op, python, arity in (
        (table.ADD, operator.add, 2),
        (table.SUB, operator.sub, 2),
        (table.MUL, operator.mul, 2),
        (table.DIV, operator.truediv, 2),
        (table.NEG, operator.neg, 1),
        (table.POW, operator.pow, 2),
    )
]


def _named() -> Iterator[Function]:
    """Yield every op of the table that Value has as a method (abs as __abs__), to call by name."""
    for op in table.TABLE:
        if op.name.isidentifier() and op.arity is not None:
            method = getattr(Value, op.name, None) or getattr(Value, f"__{op.name}__", None)
            if method is not None:
                yield _method(op.name, method)


#: What an expression can apply without being given it, by name: the operators, and every op of the table
#: that Value has as a method.
#:
#: :meta hide-value:
BUILTINS: dict[str, Function] = {f.name: f for f in _OPERATORS}
BUILTINS |= {f.name: f for f in _named() if f.name not in BUILTINS}  # not neg: it is unary minus


def function(op: str | Callable[..., Any]) -> Function:
    """Return the Function for a built-in op's name, or for an op made by ``define_op``."""
    if isinstance(op, str):
        if op not in BUILTINS:
            raise ValueError(f"unknown op {op!r}; the built-in ops are {', '.join(BUILTINS)}")
        return BUILTINS[op]
    if isinstance(op, functools.partial) and op.func is apply and isinstance(op.args[0], Op):
        defined: Op = op.args[0]
        arity = defined.arity if defined.arity is not None else 1
        return Function(defined.name, op, arity, arity)
    raise TypeError(f"an op is a built-in op's name or a function made by define_op, got {op!r}")


@dataclass(frozen=True, eq=False)
class Apply:
    """A function applied to terms. Compared by identity: one Apply used twice is one shared node."""

    fn: Function  #: What is applied.
    args: tuple[Term, ...]  #: What it is applied to, in order.


Term = Apply | str | float  #: A term of an expression: an application, a variable's name, or a constant.


@dataclass(frozen=True, eq=False)
class Expression:
    """A computation graph over named variables, with the point (the variables' values) to evaluate it at."""

    root: Term  #: The term whose value the expression is.
    variables: tuple[str, ...]  #: The variables' names, in the order the expression takes them.
    point: tuple[float, ...]  #: The variables' values: where ``inputs`` puts its leaves.

    def __call__(self, *args: Any) -> Any:
        """Evaluate on Values or numbers given for the variables in order; a shared term is computed once."""
        if len(args) != len(self.variables):
            raise TypeError(f"{self} takes {len(self.variables)} arguments {self.variables}, got {len(args)}")
        env = dict(zip(self.variables, args))
        done: dict[int, Any] = {}

        def evaluate(term: Term) -> Any:
            if isinstance(term, str):
                return env[term]
            if not isinstance(term, Apply):
                return term
            if id(term) not in done:
                done[id(term)] = term.fn.call(*map(evaluate, term.args))
            return done[id(term)]

        return evaluate(self.root)

    @property
    def inputs(self) -> tuple[Value, ...]:
        """New leaves at the point, labelled with the variables' names."""
        return tuple(Value(x, label=name) for name, x in zip(self.variables, self.point))

    def __str__(self) -> str:
        return written(self.root)

    def __repr__(self) -> str:
        at = "".join(f", {name}={x!r}" for name, x in zip(self.variables, self.point))
        return f"Expression({str(self)!r}{at})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the same short form in IPython and in hypothesis's reports (not a dump of the fields)."""
        printer.text(repr(self))


# ---- printing: text that parses back to the same expression, with only the brackets it needs ---------------
def _number(x: float) -> str:
    """Format a float as an expression writes it: integers without '.0'."""
    if x.is_integer() and abs(x) < 1e16 and not (x == 0 and math.copysign(1.0, x) < 0):
        return str(int(x))
    return repr(x)


def _precedence(term: Term) -> int:
    if isinstance(term, Apply) and term.fn.precedence:
        return term.fn.precedence
    if isinstance(term, float) and math.copysign(1.0, term) < 0:
        return table.NEG.precedence  # a negative number is written with a unary minus
    return table.POW.precedence + 1  # a name, a number or a call binds tightest


def written(term: Term, parent: int = 0) -> str:
    """Return term as text that parses back to it, in brackets if it binds less tightly than its place
    needs."""
    if isinstance(term, str):
        out = term
    elif not isinstance(term, Apply):
        out = _number(term)
    elif not term.fn.precedence:
        out = f"{term.fn.name}({', '.join(written(a) for a in term.args)})"
    elif term.fn.name == "neg":
        out = f"-{written(term.args[0], table.NEG.precedence)}"
    else:
        (left, right), p = term.args, term.fn.precedence
        # ** groups to the right and binds tighter than a unary minus on its left: -x ** 2 is -(x ** 2)
        left_min, right_min = (p + 1, p - 1) if term.fn.name == "**" else (p, p + 1)
        out = f"{written(left, left_min)} {term.fn.name} {written(right, right_min)}"
    return f"({out})" if _precedence(term) < parent else out


def usable_name(name: object) -> bool:
    """Return whether name can be a variable's: an ASCII identifier, not a keyword, not an op's name."""
    return (
        isinstance(name, str)
        and name.isascii()
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and name not in BUILTINS
    )
