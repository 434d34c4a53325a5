"""The command line's expression language: text checked against a whitelist and built as an Expression.

Text is parsed with ``ast`` and checked node by node against a whitelist: numbers, the variables given,
``+ - * / **``, unary minus, and calls of op names with positional arguments. Nothing is evaluated as
Python: the checked tree is rebuilt as an ``Expression`` whose evaluation calls the ops. The text's size
and bracket nesting are bounded before ``ast.parse`` sees it, since the parser itself can crash on deep
nesting; numbers are floats, so powers of constants cannot build huge integers.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..core.modes import MATH_ERRORS
from ..testing.expressions import BUILTINS, Apply, Expression, Function, Term, function, usable_name, written

MAX_LENGTH = 2_000  #: The longest expression that parse() reads, in characters.
MAX_DEPTH = 100  #: How deep brackets, and the operations of the parsed tree, may nest.


class ExpressionError(ValueError):
    """Text that is not a valid expression. The message starts with the position, ``line:column``."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.line, self.column = line, column


_SYMBOLS: dict[type[ast.AST], str] = {  # the operators refused, for the error message
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Not: "not",
    ast.Invert: "~",
}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


# ---- parsing -----------------------------------------------------------------------------------------------
_FORBIDDEN = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "strings",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


def parse(text: str, variables: Mapping[str, float], ops: Iterable[Callable[..., Any]] = ()) -> Expression:
    """Check text against the language and build its Expression; ExpressionError (with the position) if not.

    variables: name -> value. ops: functions made by define_op, callable by name besides the built-ins.
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression is text, got {type(text).__name__}")
    for name, x in variables.items():
        if not usable_name(name):
            raise ValueError(
                f"{name!r} cannot be a variable's name: it must be an ASCII identifier, not an op's name"
            )
        if not math.isfinite(x):
            raise ValueError(f"the variable {name} must have a finite value, got {x!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(1, 1, f"the expression is longer than {MAX_LENGTH:,} characters")
    _check_nesting(text)
    _check_ascii(text)
    # blanks before an expression are fine, but ast's eval mode calls them an indent
    body = text.lstrip(" \t")
    indent = len(text) - len(body)
    try:
        with warnings.catch_warnings():  # e.g. SyntaxWarning for "1(2)": the error below says it in one line
            warnings.simplefilter("ignore")
            tree = ast.parse(body, mode="eval")
    except SyntaxError as e:
        line = e.lineno or 1
        column = (e.offset or 1) + (indent if line == 1 else 0)
        raise ExpressionError(line, column, f"syntax error: {e.msg}") from None
    except (ValueError, MemoryError, RecursionError):
        raise ExpressionError(1, 1, "the expression is too complex to parse") from None
    _check_depth(tree.body, body, indent)
    functions = dict(BUILTINS)
    functions |= {fn.name: fn for fn in map(function, ops)}
    root = _Builder(body, indent, dict(variables), functions).build(tree.body)
    return Expression(root, tuple(variables), tuple(float(x) for x in variables.values()))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line ends ast counts (str.splitlines knows more)


def _check_ascii(text: str) -> None:
    """Refuse anything but ASCII, with its place: Python reads a fullwidth or a mathematical x as x,
    silently."""
    for i, char in enumerate(text):
        if not char.isascii():
            lines = _LINE_BREAK.split(text[:i])
            raise ExpressionError(
                len(lines),
                len(lines[-1]) + 1,
                f"{char!r} (U+{ord(char):04X}) is not ASCII: names are ASCII identifiers",
            )


def _check_nesting(text: str) -> None:
    depth = 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                lines = _LINE_BREAK.split(text[:i])
                raise ExpressionError(
                    len(lines), len(lines[-1]) + 1, f"brackets nest more than {MAX_DEPTH} deep"
                )
        elif char in ")]}":
            depth -= 1


def _check_depth(tree: ast.AST, text: str, indent: int) -> None:
    """Check the parsed tree's depth, found without recursion; the builder below recurses only under this
    bound."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            line, column = _position(node, text, indent)
            raise ExpressionError(line, column, f"the expression nests more than {MAX_DEPTH} operations deep")
        stack += [(child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]


def _position(node: ast.AST, text: str, indent: int) -> tuple[int, int]:
    """Return the 1-based line and column (ast's col_offset counts UTF-8 bytes; indent is what was cut off
    line 1)."""
    line = getattr(node, "lineno", 1)
    offset = getattr(node, "col_offset", 0)
    lines = _LINE_BREAK.split(text)
    source = lines[line - 1] if line <= len(lines) else ""
    return line, len(source.encode()[:offset].decode(errors="ignore")) + 1 + (indent if line == 1 else 0)


class _Builder:
    """Turns a checked ast into Terms, folding operations on constants into constants."""

    def __init__(
        self, text: str, indent: int, variables: dict[str, float], functions: dict[str, Function]
    ) -> None:
        self.text, self.indent, self.variables, self.functions = text, indent, variables, functions

    def error(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(*_position(node, self.text, self.indent), message)

    def build(self, node: ast.expr) -> Term:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return self.apply(node, BUILTINS["neg"], [operand]) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.build(node.left), self.build(node.right)
            return self.apply(node, BUILTINS[_BINARY[type(node.op)]], [left, right])
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.UnaryOp, ast.BinOp)):
            symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
            raise self.error(node, f"the operator {symbol!r} is not allowed; use + - * / **")
        what = _FORBIDDEN.get(type(node), type(node).__name__)
        if isinstance(node, ast.Attribute):
            what = f"attribute access (.{node.attr})"
        raise self.error(node, f"{what}: not allowed; only numbers, variables, + - * / ** and op calls are")

    def constant(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, str):
            raise self.error(node, f"strings are not allowed: {value[:20]!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(node, f"{value!r} is not a real number")
        try:
            x = float(value)
        except OverflowError:
            raise self.error(node, f"the number {str(value)[:20]}... is too large for a float") from None
        if not math.isfinite(x):
            raise self.error(
                node, f"the number {ast.get_source_segment(self.text, node)} is too large for a float"
            )
        return x

    def name(self, node: ast.Name) -> str:
        if node.id in self.variables:
            return node.id
        if node.id in self.functions:
            raise self.error(node, f"{node.id} is an op: call it, as in {node.id}(x)")
        given = ", ".join(self.variables) or "none"
        raise self.error(node, f"unknown name {node.id!r} (the variables are: {given})")

    def call(self, node: ast.Call) -> Term:
        if not isinstance(node.func, ast.Name):
            self.build(node.func)  # raises: only a name can be called
            raise self.error(node.func, "only ops can be called")
        name = node.func.id
        if name not in self.functions or self.functions[name].precedence:
            kind = "a variable" if name in self.variables else "not an op"
            raise self.error(
                node.func, f"{name!r} is {kind}; the ops are {', '.join(_callable(self.functions))}"
            )
        if node.keywords:
            raise self.error(node.keywords[0], f"{name}() takes positional arguments only")
        fn = self.functions[name]
        if not fn.required <= len(node.args) <= fn.arity:
            count = str(fn.arity) if fn.required == fn.arity else f"{fn.required} to {fn.arity}"
            plural = "s" * (fn.arity != 1)
            raise self.error(node, f"{name}() takes {count} argument{plural}, got {len(node.args)}")
        return self.apply(node, fn, [self.build(a) for a in node.args])

    def apply(self, node: ast.AST, fn: Function, args: list[Term]) -> Term:
        if not all(isinstance(a, float) for a in args):
            return Apply(fn, tuple(args))
        try:
            out = fn.call(*args)
        except MATH_ERRORS as e:
            raise self.error(node, _folding_error(fn, args, e)) from None
        if not isinstance(out, float) or not math.isfinite(out):
            raise self.error(node, _folding_error(fn, args, None, out))
        return out


def _callable(functions: Mapping[str, Function]) -> list[str]:
    return [name for name, fn in functions.items() if not fn.precedence]


def _folding_error(fn: Function, args: list[Term], error: Exception | None, out: object = None) -> str:
    """Return why an operation on constants has no float result: it overflows, divides by zero, or is
    complex."""
    shown = written(Apply(fn, tuple(args)))
    if isinstance(error, OverflowError) or (isinstance(out, float) and math.isinf(out)):
        return f"{shown} overflows a float"
    if isinstance(error, ZeroDivisionError):
        return f"{shown} divides by zero"
    if error is not None:
        return str(error)
    return f"{shown} is not a real number"
