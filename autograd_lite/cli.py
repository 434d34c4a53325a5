"""The ``autograd-lite`` command (also ``python -m autograd_lite``)."""

from __future__ import annotations

import argparse
import keyword
import math
import sys
from collections.abc import Sequence

from .engine import Value, detect_anomaly
from .expr import BUILTINS, MAX_LENGTH, Expression, parse
from .testing import gradient_report

OK, CHECK_FAILED, BAD_INPUT = 0, 1, 2
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError, FloatingPointError)


def demo() -> None:
    """A worked example: a neuron's forward pass, then its gradients by backpropagation."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = Value.dot([w1, w2], [x1, x2]) + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    print("A neuron: o = tanh(w1*x1 + w2*x2 + b)")
    print(f"  forward:  n = {n.data:.6f}   o = {o.data:.6f}")
    o.backward()
    print("  backward: d o / d each input (chain rule through tanh, then the dot product)")
    for v in (x1, x2, w1, w2, b):
        print(f"    {v.label:>2}.grad = {v.grad: .6f}")
    dn = 1 - o.data**2
    print(f"  by hand: do/dn = 1 - o**2 = {dn:.6f}; do/dw1 = x1 * do/dn = {x1.data * dn:.6f}")


class BadInput(Exception):
    """Input the command refuses: the message is the one line it prints."""


def gradcheck(expression: Expression) -> int:
    """Print each partial derivative, analytic against central differences; 1 if one does not match."""
    root = _evaluate(expression)
    try:
        report = gradient_report(expression, expression.inputs, order=1, eps=1e-6, atol=1e-5, rtol=1e-3)
    except _MATH_ERRORS as e:
        raise BadInput(str(e)) from None
    print(f"{expression} = {root.data!r}")
    print(report)
    return OK if report.ok else CHECK_FAILED


def _evaluate(expression: Expression) -> Value:
    """The expression's graph at its point, after backward; a non-finite value or gradient is bad input."""
    with detect_anomaly():
        try:
            root = expression(*expression.inputs)
            if not isinstance(root, Value):
                raise BadInput("the expression uses no variable: there is nothing to differentiate")
            root.backward()
        except _MATH_ERRORS as e:
            raise BadInput(str(e)) from None
    return root


def _variables(specs: Sequence[str]) -> dict[str, float]:
    variables: dict[str, float] = {}
    for spec in specs:
        name, equals, text = spec.partition("=")
        name = name.strip()
        if not equals:
            raise BadInput(f"--var {spec!r}: write NAME=VALUE, as in --var x=1.5")
        if not name.isidentifier() or keyword.iskeyword(name) or name in BUILTINS:
            raise BadInput(f"--var {spec!r}: {name!r} is not a usable name (an identifier, not an op's name)")
        if name in variables:
            raise BadInput(f"--var {spec!r}: {name} is given twice")
        try:
            x = float(text)
        except ValueError:
            raise BadInput(f"--var {spec!r}: {text!r} is not a number") from None
        if not math.isfinite(x):
            raise BadInput(f"--var {spec!r}: the value must be finite")
        variables[name] = x
    return variables


def _expression(args: argparse.Namespace) -> Expression:
    text: str = args.expression
    if text == "-":
        try:
            text = sys.stdin.read(MAX_LENGTH + 1).rstrip("\n")
        except UnicodeDecodeError as e:
            raise BadInput(f"the expression on standard input is not UTF-8 text: {e.reason}") from None
    try:
        return parse(text, _variables(args.var))
    except ValueError as e:
        raise BadInput(str(e)) from None


def _add_expression(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression",
        metavar="EXPR",
        help="an expression such as 'tanh(w1*x1 + w2*x2 + b)', or - to read it from standard input",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable and its value, as in --var x=1.5 (repeat for each variable)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="autograd-lite",
        description=__doc__,
        epilog="Exit status: 0 ok, 1 a gradient check failed, 2 bad input.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the worked example", description=demo.__doc__)
    checking = commands.add_parser(
        "gradcheck",
        help="check an expression's gradient against finite differences",
        description=f"{gradcheck.__doc__} Expressions use numbers, the variables, + - * / **, and the ops "
        f"{', '.join(name for name, fn in BUILTINS.items() if not fn.precedence)}.",
    )
    _add_expression(checking)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo()
        return OK
    try:
        return gradcheck(_expression(args))
    except BadInput as e:
        print(f"autograd-lite: error: {e}", file=sys.stderr)
        return BAD_INPUT
