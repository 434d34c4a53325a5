"""The expression language: what it accepts and computes, how it prints, and that anything else is refused
with one clear error (fuzzed with random text and random Python syntax trees).
"""

from __future__ import annotations

import ast
import math
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import records
from oracle.points import NEURON

from autograd_lite import Value, define_op
from autograd_lite.testing.strategies import expressions
from autograd_lite.tools.language import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse


def test_a_neuron_expression_gives_torchs_value_and_gradients() -> None:
    e = parse("tanh(w1*x1 + w2*x2 + b)", NEURON)
    leaves = e.inputs
    out = e(*leaves)
    out.backward()
    want = records("points", "neuron")
    assert out.data == pytest.approx(want["value"], rel=1e-15)
    assert [leaf.label for leaf in leaves] == list(want["grads"])
    for leaf in leaves:
        assert leaf.grad == pytest.approx(want["grads"][leaf.label], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("text", "printed", "value"),
    [
        ("-x ** 2", "-x ** 2", -2.25),  # ** binds tighter than unary minus, as in Python
        ("(-x) ** 2", "(-x) ** 2", 2.25),
        ("x ** 2 ** 3", "x ** 8", 1.5**8),  # constants fold, right to left
        ("(x ** 2) ** 3", "(x ** 2) ** 3", 1.5**6),
        ("x - (x - 2)", "x - (x - 2)", 2.0),
        ("2 * 3 * x", "6 * x", 9.0),
        ("x * -3", "x * -3", -4.5),
        ("2 ** -x", "2 ** -x", 2**-1.5),
        ("-2.5 ** x", "-2.5 ** x", -(2.5**1.5)),
        ("(-2.5) * x", "-2.5 * x", -3.75),
        ("+x", "x", 1.5),
        ("leaky_relu(-x)", "leaky_relu(-x)", -0.015),  # alpha's default, as Value.leaky_relu has it
        (
            "elu(-x, 0.5) + swish(x)",
            "elu(-x, 0.5) + swish(x)",
            0.5 * math.expm1(-1.5) + 1.5 / (1 + math.exp(-1.5)),
        ),
        ("abs(-x) / 1e-05", "abs(-x) / 1e-05", 150000.0),
        ("tanh(0) + x", "0 + x", 1.5),
        ("\n( x\n*\n2 )", "x * 2", 3.0),
    ],
)
def test_expressions_compute_as_python_would_and_print_back_to_equivalent_text(text, printed, value) -> None:
    e = parse(text, {"x": 1.5})
    assert str(e) == printed
    assert e(*e.inputs).data == pytest.approx(value, rel=1e-15)
    again = parse(str(e), {"x": 1.5})
    assert str(again) == printed and again(1.5) == e(1.5)


def test_user_defined_ops_can_be_called_by_name() -> None:
    cube = define_op("cube", lambda x: (x**3, 3 * x**2))
    e = parse("cube(x) + cube(2)", {"x": 1.5}, ops=[cube])
    assert str(e) == "cube(x) + 8"
    out = e(*e.inputs)
    assert out.data == 1.5**3 + 8
    with pytest.raises(ExpressionError, match="'cube' is not an op"):
        parse("cube(x)", {"x": 1.5})


@settings(max_examples=300, deadline=None)
@given(expressions(variables=["x", "y"], max_depth=4))
def test_printed_expressions_parse_back_to_the_same_computation(e) -> None:
    again = parse(str(e), dict(zip(e.variables, e.point)))
    assert str(again) == str(e)
    assert again(*again.inputs).data == e(*e.inputs).data


HOSTILE = [
    ('__import__("os").system("id")', "1:1", "attribute access (.system): not allowed"),
    ("().__class__.__bases__", "1:1", "attribute access (.__bases__): not allowed"),
    ("x.__dict__", "1:1", "attribute access (.__dict__): not allowed"),
    ("(lambda: 1)()", "1:2", "lambda: not allowed"),
    ("[x for x in y]", "1:1", "comprehensions: not allowed"),
    ('"a"*10**9', "1:1", "strings are not allowed: 'a'"),
    (
        "(" * 100_000 + "x" + ")" * 100_000,
        "1:1",
        "the expression is longer than 2,000 characters",
    ),
    ("(" * 150 + "x" + ")" * 150, "1:101", "brackets nest more than 100 deep"),
    ("-" * 1500 + "x", "1:102", "the expression nests more than 100 operations deep"),  # inside 101 of them
    ("9**9**9**9", "1:4", "9 ** 387420489 overflows a float"),
    ("x" * 10_000_000, "1:1", "the expression is longer than 2,000 characters"),
    ("1" + "0" * 400, "1:1", "is too large for a float"),
    ("1e400", "1:1", "the number 1e400 is too large for a float"),
    ("tanh(x=1)", "1:6", "tanh() takes positional arguments only"),
    ("tanh(*x)", "1:6", "unpacking: not allowed"),
    ("tanh(**x)", "1:6", "tanh() takes positional arguments only"),
    ("x(1)", "1:1", "'x' is a variable; the ops are abs, exp, expm1, log"),
    ("exp", "1:1", "exp is an op: call it, as in exp(x)"),
    ("os", "1:1", "unknown name 'os' (the variables are: x)"),
    ("exp(1000)", "1:1", "exp(1000) overflows a float"),
    ("log(-1) + x", "1:1", "log(-1.0) is outside the op's domain (defined for x > 0)"),
    ("x + 1/0", "1:5", "1 / 0 divides by zero"),
    ("x * (-8) ** 0.5", "1:5", "(-8) ** 0.5 is not a real number"),
    ("x % 2", "1:1", "the operator '%' is not allowed"),
    ("x if x else 1", "1:1", "conditional expressions: not allowed"),
    ("True", "1:1", "True is not a real number"),
    ("x +", "1:1", "syntax error"),
    ("  x + os", "1:7", "unknown name 'os'"),  # leading blanks are allowed, and counted in the position
    ("1(2)", "1:1", "only ops can be called"),  # Python only warns here; the error is one line
    ("x\x00", "1:1", "syntax error"),
    ("tanh(x, x)", "1:1", "tanh() takes 1 argument, got 2"),
    ("x + breakpoint()", "1:5", "'breakpoint' is not an op"),
]


@pytest.mark.parametrize(
    ("text", "where", "message"), HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))]
)
def test_hostile_or_bad_text_is_refused_quickly_with_the_position(
    text: str, where: str, message: str
) -> None:
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        parse(text, {"x": 1.5})
    assert time.perf_counter() - start < 1.0
    line, column = map(int, where.split(":"))
    assert (caught.value.line, caught.value.column) == (line, column)
    assert str(caught.value).startswith(f"{where}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_positions_count_characters_on_the_line_of_the_error() -> None:
    with pytest.raises(ExpressionError, match=r"^2:7: unknown name 'y'"):
        parse("(x +\n  z + y)", {"x": 1.0, "z": 2.0})


@pytest.mark.parametrize(
    ("text", "where"),
    [("\uff58 * 2", "1:1: '\uff58' (U+FF58)"), ("x +\n  \U0001d465 + 1", "2:3: '\U0001d465' (U+1D465)")],
)
def test_names_are_ascii_so_a_lookalike_is_refused_where_it_stands(text: str, where: str) -> None:
    # Python's parser would read the fullwidth x and the mathematical italic x as x, silently
    with pytest.raises(
        ExpressionError, match=rf"^{re.escape(where)} is not ASCII: names are ASCII identifiers$"
    ):
        parse(text, {"x": 1.0})
    with pytest.raises(ValueError, match=r"cannot be a variable's name: it must be an ASCII identifier"):
        parse("1", {"\uff58": 1.0})


def test_the_limits_are_where_the_documentation_says() -> None:
    assert parse("+".join(["x"] * 50), {"x": 1.0})(1.0) == 50.0  # 49 nested additions: fine
    assert parse("-" * MAX_DEPTH + "x", {"x": 1.0})(1.0) == 1.0  # exactly 100 nested operations: fine
    with pytest.raises(ExpressionError, match=r"^1:\d+: the expression nests more than 100 operations deep"):
        parse("-" * (MAX_DEPTH + 1) + "x", {"x": 1.0})
    parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH, {"x": 1.0})
    parse(" " * (MAX_LENGTH - 1) + "x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="longer than 2,000 characters"):
        parse(" " * MAX_LENGTH + "x", {"x": 1.0})


@pytest.mark.parametrize(
    ("variables", "message"),
    [({"tanh": 1.0}, "'tanh' cannot be a variable's name"), ({"x": math.inf}, "must have a finite value")],
)
def test_bad_variables_are_refused(variables, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse("1", variables)


# ---- fuzzing: whatever the text, parse returns an Expression or raises ExpressionError ---------------------
def assert_parses_or_refuses_clearly(text: str) -> None:
    try:
        e = parse(text, {"x": 1.5, "y": -0.5})
    except ExpressionError as error:
        assert re.match(r"^\d+:\d+: \S", str(error)) and "\n" not in str(error), str(error)
        assert error.line >= 1 and error.column >= 1
    else:  # evaluating it may leave an op's domain: the engine's one-line error, which the command reports
        try:
            out = e(*e.inputs)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            message = str(error)
            assert "\n" not in message
            assert "outside the op's domain" in message or "overflows" in message or "divides" in message
        else:
            assert isinstance(out, (Value, float))


TOKENS = st.sampled_from(
    ["x", "y", "z", "1", "0", "2.5", "1e308", "1e-320", "(", ")", "[", "]", ",", "+", "-", "*", "/", "**",
     "%", ".", " ", "\n", "'", '"', "lambda", ":", "=", "tanh", "exp", "log", "sqrt", "relu", "leaky_relu",
     "__class__", "__import__", "not", "if", "else", "for", "in", "@", "~", "j", "_", "é", "\\", "#", "\x00",
     "0x1f", "1_000"]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_fuzz_token_soup_gives_an_expression_or_one_clear_error(text: str) -> None:
    assert_parses_or_refuses_clearly(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_arbitrary_unicode_gives_an_expression_or_one_clear_error(text: str) -> None:
    assert_parses_or_refuses_clearly(text)


def syntax_trees() -> st.SearchStrategy[ast.expr]:
    """Random Python expression trees: the allowed node kinds mixed with forbidden ones."""
    leaves = st.one_of(
        st.builds(
            ast.Name, st.sampled_from(["x", "y", "z", "tanh", "exp", "os", "__import__"]), st.just(ast.Load())
        ),
        st.builds(ast.Constant, st.floats(allow_nan=True) | st.integers(-(10**30), 10**30) | st.booleans()),
        st.builds(ast.Constant, st.text(max_size=3) | st.just(None) | st.complex_numbers(max_magnitude=2)),
    )
    binary = st.sampled_from([ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.FloorDiv, ast.BitOr])
    unary = st.sampled_from([ast.USub, ast.UAdd, ast.Not, ast.Invert])
    names = st.sampled_from(["tanh", "exp", "log", "leaky_relu", "print", "x"])

    def extend(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
        return st.one_of(
            st.builds(ast.BinOp, children, binary.map(lambda op: op()), children),
            st.builds(ast.UnaryOp, unary.map(lambda op: op()), children),
            st.builds(ast.Call, st.builds(ast.Name, names, st.just(ast.Load())),
                      st.lists(children, max_size=3),
                      st.lists(st.builds(ast.keyword, st.just("alpha"), children), max_size=1)),
            st.builds(ast.Call, children, st.lists(children, max_size=2), st.just([])),
            st.builds(ast.Attribute, children, st.sampled_from(["__class__", "real"]), st.just(ast.Load())),
            st.builds(ast.Subscript, children, children, st.just(ast.Load())),
            st.builds(ast.Tuple, st.lists(children, max_size=2), st.just(ast.Load())),
            st.builds(ast.Compare, children, st.just([ast.Lt()]), st.lists(children, min_size=1, max_size=1)),
        )  # fmt: skip

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=1000, deadline=None)
@given(syntax_trees())
def test_fuzz_random_syntax_trees_give_an_expression_or_one_clear_error(tree: ast.expr) -> None:
    try:
        text = ast.unparse(tree)
    except (ValueError, TypeError, AttributeError):  # not every random tree is printable Python
        return
    assert_parses_or_refuses_clearly(text)
