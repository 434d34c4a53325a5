"""The ``autograd-lite`` command (also ``python -m autograd_lite``)."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.engine import Value
from ..core.modes import MATH_ERRORS, detect_anomaly
from ..testing import gradient_report
from ..testing.expressions import BUILTINS, Expression, usable_name
from .demo import CannotRun, demo, neuron
from .language import MAX_LENGTH, parse

#: The exit statuses: all is well; a gradient check failed; bad input, or a dependency missing.
OK, CHECK_FAILED, BAD_INPUT = 0, 1, 2
_MATH_ERRORS = (*MATH_ERRORS, FloatingPointError)  # and detect_anomaly's


class BadInput(Exception):
    """Input the command refuses: the message is the one line it prints."""


def gradcheck(expression: Expression, args: argparse.Namespace) -> int:
    """Print each partial derivative, analytic and by central differences; exit 1 if one does not match."""
    root = _evaluate(expression)
    try:
        report = gradient_report(expression, expression.inputs)
    except _MATH_ERRORS as e:
        raise BadInput(str(e)) from None
    print(f"{expression} = {root.data!r}")
    print(report)
    return OK if report.ok else CHECK_FAILED


def draw(expression: Expression, args: argparse.Namespace) -> int:
    """Write a picture of the expression's graph after backward: every value's data and grad, every op."""
    viz = _viz(drawing=True)
    root = _evaluate(expression)
    _write(lambda: viz.draw(root, **_limit(args)).save(args.output), args.output)
    return OK


def steps(expression: Expression, args: argparse.Namespace) -> int:
    """Print backward's chain-rule steps as a table, or write the page that steps through them (-o)."""
    viz = _viz(drawing=args.output is not None)  # the table needs no graphviz
    _evaluate(expression)  # checks the point; the stepper runs backward on a graph of its own
    stepper = viz.step_through(expression(*expression.inputs), **_limit(args))
    if args.output is None:  # a table: any size
        print(stepper)
    else:
        _write(lambda: stepper.save(args.output), args.output)
    return OK


def _limit(args: argparse.Namespace) -> dict[str, int]:
    """Return viz's max_nodes if --max-nodes was given (viz has the default: it is imported only to draw)."""
    return {} if args.max_nodes is None else {"max_nodes": args.max_nodes}


def _positive_int(text: str) -> int:
    """Parse --max-nodes: a whole number of at least 1."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return n


def _viz(drawing: bool) -> Any:
    """Return autograd_lite.viz; to draw, with the graphviz package (the [viz] extra), or raise bad input
    saying so."""
    from . import viz
    from .viz.render import require_graphviz

    if drawing:
        try:
            require_graphviz()
        except ImportError as e:
            raise BadInput(str(e)) from None
    return viz


def _write(save: Callable[[], Path], path: str) -> None:
    """Save (viz writes whole files or nothing) and say where; a refused or unwritable path is bad input."""
    try:
        written = save()
    except (ValueError, RuntimeError) as e:  # a file type it cannot write, or no Graphviz to render with
        raise BadInput(str(e)) from None
    except OSError as e:
        raise BadInput(f"cannot write {path}: {e.strerror or e}") from None
    print(f"wrote {_shown(written)}")


def _evaluate(expression: Expression) -> Value:
    """Build the expression's graph at its point and run backward; a non-finite value or gradient is bad
    input."""
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
        if not usable_name(name):
            raise BadInput(
                f"--var {spec!r}: {name!r} is not a usable name (an ASCII identifier, not an op's name)"
            )
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
            text = sys.stdin.read(_STDIN_LIMIT + 1)
        except UnicodeDecodeError as e:
            raise BadInput(f"the expression on standard input is not UTF-8 text: {e.reason}") from None
        if len(text) > _STDIN_LIMIT:
            raise BadInput(f"1:1: the expression is longer than {MAX_LENGTH:,} characters")
        text = text.removesuffix("\n")  # the line end of echo or a file; the language checks the length
    try:
        text.encode()
    except UnicodeEncodeError as e:  # bytes that are not UTF-8, as the command line passed them
        raise BadInput(
            f"the expression is not UTF-8 text: a byte that is not, at column {e.start + 1}"
        ) from None
    try:
        return parse(text, _variables(args.var))
    except ValueError as e:
        raise BadInput(str(e)) from None


_STDIN_LIMIT = 1 << 20  # read no more than this from standard input: the language refuses past MAX_LENGTH
_LANGUAGE = (
    "EXPR is Python arithmetic: numbers, the variables given with --var, + - * / **, unary minus, and the "
    f"ops {', '.join(name for name, fn in BUILTINS.items() if not fn.precedence)} called with positional "
    "arguments."
)
_EXIT = (
    "Exit status: 0 ok, 1 a gradient check failed or could not check, 2 bad input or a missing dependency."
)
#: A command that takes an expression: given it and the parsed arguments, it returns the exit status.
Command = Callable[[Expression, argparse.Namespace], int]
_COMMANDS: dict[str, tuple[Command, str, str | None]] = {
    # name: (function, help, the -o option's help: None for none)
    "gradcheck": (gradcheck, "check an expression's gradient against finite differences", None),
    "draw": (draw, "draw an expression's graph to a file", "the picture to write: .svg, .dot or .png"),
    "steps": (steps, "show backward's chain rule step by step", "write the stepper page here (.html)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on ``argv`` (by default the process's arguments) and return its exit status."""
    try:
        status = _run(argv)
        sys.stdout.flush()  # here, where a closed pipe or a full disk can be caught, not at exit
        return status
    except BrokenPipeError:  # the reader closed our stdout (``| head``): stop, quietly
        _drop_stdout()
        return OK
    except OSError as e:  # stdout cannot be written (a full disk, > /dev/full): one line, as bad input
        _drop_stdout()
        print(f"autograd-lite: error: cannot write to standard output: {e.strerror or e}", file=sys.stderr)
        return BAD_INPUT


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail (and print a traceback) again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _shown(text: object) -> str:
    """Return the text for the terminal: control characters (a newline, an escape, a bidi override) as
    escapes, so a path or a name cannot start a line or take over the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def _plain(text: str | None) -> str:
    """Return a docstring as --help shows it: without reST's ``double backquotes``."""
    return re.sub(r"``(.+?)``", r"\1", text or "")


def _run(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="autograd-lite", description=_plain(__doc__), epilog=_EXIT)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train a network and draw it", description=_plain(demo.__doc__)
    )
    demo_parser.add_argument(
        "--out", type=Path, default=Path("demo-output"), help="where to write the pictures"
    )
    commands.add_parser(
        "neuron", help="a neuron's backpropagation, by hand", description=_plain(neuron.__doc__)
    )
    for name, (function, summary, output) in _COMMANDS.items():
        command = commands.add_parser(
            name, help=summary, description=f"{_plain(function.__doc__)} {_LANGUAGE}", epilog=_EXIT
        )
        command.add_argument(
            "expression",
            metavar="EXPR",
            help="an expression such as 'tanh(w1*x1 + w2*x2 + b)', or - to read it from standard input",
        )
        command.add_argument(
            "--var",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a variable and its value, as in --var x=1.5 (repeat for each variable)",
        )
        if output is not None:
            command.add_argument("-o", "--output", required=name == "draw", metavar="PATH", help=output)
            command.add_argument(
                "--max-nodes",
                type=_positive_int,
                metavar="N",
                help=(
                    "draw graphs of up to N values (default 300; a larger graph is refused with its size, "
                    "and so is one whose edges pass more than 40 layers of the picture per value allowed)"
                ),
            )
    args = parser.parse_args(argv)
    if args.command == "neuron":
        neuron()
        return OK
    if args.command == "demo":
        try:
            demo(args.out)
        except CannotRun as e:  # found before training: every missing piece at once
            print(f"autograd-lite demo: cannot run: {e}", file=sys.stderr)
            return BAD_INPUT
        except (OSError, RuntimeError) as e:  # a picture that cannot be written or rendered
            print(f"autograd-lite demo: {e}", file=sys.stderr)
            return BAD_INPUT
        return OK
    try:
        return _COMMANDS[args.command][0](_expression(args), args)
    except BadInput as e:
        print(f"autograd-lite: error: {_shown(e)}", file=sys.stderr)
        return BAD_INPUT
