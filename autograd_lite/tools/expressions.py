"""Expressions: the safe arithmetic language of the command line, and the graphs the test strategies draw.

Text is parsed with ``ast`` and checked node by node against a whitelist: numbers, the variables given,
``+ - * / **``, unary minus, and calls of op names with positional arguments. Nothing is evaluated as
Python: the checked tree is rebuilt as an ``Expression`` whose evaluation calls the ops. The text's size
and bracket nesting are bounded before ``ast.parse`` sees it, since the parser itself can crash on deep
nesting; numbers are floats, so powers of constants cannot build huge integers.
"""

from __future__ import annotations

import ast
import functools
import inspect
import keyword
import math
import operator
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..core import ops as table
from ..core.engine import Value, apply
from ..core.ops import Op

MAX_LENGTH = 2_000  #: The longest expression that parse() reads, in characters.
MAX_DEPTH = 100  #: How deep brackets, and the operations of the parsed tree, may nest.


class ExpressionError(ValueError):
    """Text that is not a valid expression. The message starts with the position, ``line:column``."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.line, self.column = line, column


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
    """A Value method as a function of Values and numbers: numbers alone give a number, as ops do."""
    parameters = list(inspect.signature(method).parameters.values())

    def call(x: Any, *rest: Any) -> Any:
        if isinstance(x, Value):
            return method(x, *rest)
        out = method(Value(x), *rest)
        return out if any(isinstance(r, Value) for r in rest) else out.data

    required = sum(1 for p in parameters if p.default is inspect.Parameter.empty)
    return Function(name, call, len(parameters), required)


_OPERATORS = [
    Function("+", operator.add, 2, 2, precedence=2),
    Function("-", operator.sub, 2, 2, precedence=2),
    Function("*", operator.mul, 2, 2, precedence=3),
    Function("/", operator.truediv, 2, 2, precedence=3),
    Function("neg", operator.neg, 1, 1, precedence=4),
    Function("**", operator.pow, 2, 2, precedence=5),
]


def _named() -> Iterator[Function]:
    """Every op of the table that Value has as a method (abs as __abs__), to call by name."""
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


def function(op: str | Callable[..., Any]) -> Function:
    """The Function for a built-in op's name, or for an op made by ``define_op``."""
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
        return tuple(Value(x, name) for name, x in zip(self.variables, self.point))

    def __str__(self) -> str:
        return _text(self.root)

    def __repr__(self) -> str:
        at = "".join(f", {name}={x!r}" for name, x in zip(self.variables, self.point))
        return f"Expression({str(self)!r}{at})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The same short form in IPython and in hypothesis's reports (not a dump of the fields)."""
        printer.text(repr(self))


# ---- printing: text that parses back to the same expression, with only the brackets it needs ---------------
def _number(x: float) -> str:
    """A float as written in an expression: integers without '.0'."""
    if x.is_integer() and abs(x) < 1e16 and not (x == 0 and math.copysign(1.0, x) < 0):
        return str(int(x))
    return repr(x)


def _precedence(term: Term) -> int:
    if isinstance(term, Apply) and term.fn.precedence:
        return term.fn.precedence
    if isinstance(term, float) and math.copysign(1.0, term) < 0:
        return 4  # a negative number is written with a unary minus
    return 6


def _text(term: Term, parent: int = 0) -> str:
    """term as text, in brackets if it binds less tightly than its place in the parent needs."""
    if isinstance(term, str):
        text = term
    elif not isinstance(term, Apply):
        text = _number(term)
    elif not term.fn.precedence:
        text = f"{term.fn.name}({', '.join(_text(a) for a in term.args)})"
    elif term.fn.name == "neg":
        text = f"-{_text(term.args[0], 4)}"
    else:
        (left, right), p = term.args, term.fn.precedence
        # ** groups to the right and binds tighter than a unary minus on its left: -x ** 2 is -(x ** 2)
        left_min, right_min = (p + 1, p - 1) if term.fn.name == "**" else (p, p + 1)
        text = f"{_text(left, left_min)} {term.fn.name} {_text(right, right_min)}"
    return f"({text})" if _precedence(term) < parent else text


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


def usable_name(name: object) -> bool:
    """Whether name can be a variable's: an identifier, not a keyword, not an op's name."""
    return (
        isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name) and name not in BUILTINS
    )


def parse(text: str, variables: Mapping[str, float], ops: Iterable[Callable[..., Any]] = ()) -> Expression:
    """Check text against the language and build its Expression; ExpressionError (with the position) if not.

    variables: name -> value. ops: functions made by define_op, callable by name besides the built-ins.
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression is text, got {type(text).__name__}")
    for name, x in variables.items():
        if not usable_name(name):
            raise ValueError(
                f"{name!r} cannot be a variable's name: it must be an identifier, not an op's name"
            )
        if not math.isfinite(x):
            raise ValueError(f"the variable {name} must have a finite value, got {x!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(1, 1, f"the expression is longer than {MAX_LENGTH:,} characters")
    _check_nesting(text)
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
    """The parsed tree's depth, found without recursion; the builder below recurses only under this bound."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            line, column = _position(node, text, indent)
            raise ExpressionError(line, column, f"the expression nests more than {MAX_DEPTH} operations deep")
        stack += [(child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]


def _position(node: ast.AST, text: str, indent: int) -> tuple[int, int]:
    """1-based line and column (ast's col_offset counts UTF-8 bytes; indent is what was cut off line 1)."""
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
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            raise self.error(node, _folding_error(fn, args, e)) from None
        if not isinstance(out, float) or not math.isfinite(out):
            raise self.error(node, _folding_error(fn, args, None, out))
        return out


def _callable(functions: Mapping[str, Function]) -> list[str]:
    return [name for name, fn in functions.items() if not fn.precedence]


def _folding_error(fn: Function, args: list[Term], error: Exception | None, out: object = None) -> str:
    """Why an operation on constants has no float result: it overflows, divides by zero, or is complex."""
    shown = _text(Apply(fn, tuple(args)))
    if isinstance(error, OverflowError) or (isinstance(out, float) and math.isinf(out)):
        return f"{shown} overflows a float"
    if isinstance(error, ZeroDivisionError):
        return f"{shown} divides by zero"
    if error is not None:
        return str(error)
    return f"{shown} is not a real number"
