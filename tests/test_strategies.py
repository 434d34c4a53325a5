"""The hypothesis strategies: what they draw is well formed and checkable, and they find and shrink bugs;
and the random programs of autograd_lite.testing.graphs, drawn by hypothesis or from a seed."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import TypeVar

import pytest
from hypothesis import Phase, find, given, settings

from autograd_lite import Value, define_op
from autograd_lite.testing import gradcheck, gradgradcheck
from autograd_lite.testing.expressions import Apply, Expression, Term
from autograd_lite.testing.graphs import Program, draw_program, random_program
from autograd_lite.testing.strategies import ALL_OPS, expressions, programs, values

T = TypeVar("T")
SEARCH = settings(database=None, max_examples=2000, deadline=None)
# The same search, stopping at the first example found: for the tests that check what is drawn, not what a
# failing example shrinks to (the planted-bug tests below check shrinking). Shrinking each op's example to
# the smallest one was four fifths of these tests' time and checked nothing more.
FIRST_FOUND = settings(SEARCH, phases=[Phase.generate])


def applications(term: Term) -> Iterator[Apply]:
    """Every application in the graph, once each, however often it is used."""
    seen: set[int] = set()
    stack = [term]
    while stack:
        t = stack.pop()
        if isinstance(t, Apply) and id(t) not in seen:
            seen.add(id(t))
            yield t
            stack += t.args


def uses(term: Term) -> dict[int, int]:
    """How many times each application is an argument of another."""
    counts: dict[int, int] = {}
    for a in applications(term):
        for arg in a.args:
            if isinstance(arg, Apply):
                counts[id(arg)] = counts.get(id(arg), 0) + 1
    return counts


def height(term: Term) -> int:
    return 1 + max(map(height, term.args)) if isinstance(term, Apply) else 0


@settings(max_examples=300, deadline=None)
@given(expressions(variables=["x", "y", "z"], max_depth=4))
def test_gradcheck_and_gradgradcheck_pass_on_expressions_over_every_builtin_op(e: Expression) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the drawing keeps away from kinks: no warning either
        assert gradcheck(e, e.inputs)
        assert gradgradcheck(e, e.inputs)


@settings(max_examples=200, deadline=None)
@given(expressions(variables=["a", "b"], max_depth=3, min_value=-1.0, max_value=1.0))
def test_drawn_expressions_respect_depth_range_and_evaluate_alike_on_floats_and_values(e: Expression) -> None:
    assert e.variables == ("a", "b")
    assert all(-1.0 <= x <= 1.0 for x in e.point)
    assert height(e.root) <= 3
    on_values = e(*e.inputs)
    assert isinstance(on_values, Value)
    assert math.isfinite(on_values.data)
    assert e(*e.point) == on_values.data  # the same ops on floats


@pytest.mark.parametrize("name", ALL_OPS)
def test_every_builtin_op_is_drawn_inside_its_domain(name: str) -> None:
    e = find(
        expressions(variables=["x", "y"]),
        lambda e: any(a.fn.name == name for a in applications(e.root)),
        settings=FIRST_FOUND,
    )
    assert any(a.fn.name == name for a in applications(e.root))
    assert math.isfinite(e(*e.inputs).data)


def test_subexpressions_are_reused() -> None:
    e = find(
        expressions(variables=["x", "y"]),
        lambda e: max(uses(e.root).values(), default=0) > 1,
        settings=FIRST_FOUND,
    )
    root = e(*e.inputs)
    nodes = _nodes(root)
    shared = [n for n in nodes if n.parents and sum(p is n for m in nodes for p in m.parents) > 1]
    assert shared  # an op's node used twice, computed once: a DAG, not a tree


def _nodes(root: Value) -> list[Value]:
    out, stack, seen = [], [root], set()
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            out.append(v)
            stack += v.parents
    return out


# ---- a planted bug, found and shrunk -----------------------------------------------------------------------
bad_cube = define_op("bad_cube", lambda x: (x**3, 2 * x**2), [lambda out, x: 2 * x**2])  # d/dx x^3 is 3x^2
bad_second = define_op("bad_second", lambda x: (x**3, 3 * x**2), [lambda out, x: 3 * x**2 + 1])


def assert_small(e: Expression, culprit: str) -> None:
    """The shrunk example: the culprit on a variable, almost always alone ('bad_cube(x)'); very rarely the
    shrinker stops one op short, at a point where the culprit alone would pass (bad_cube(softplus(x)), x=0).
    """
    ops = [a.fn.name for a in applications(e.root)]
    assert culprit in ops and len(ops) <= 2, str(e)


def test_a_wrong_derivative_is_found_and_shrunk_to_the_op_on_a_variable() -> None:
    strategy = expressions(variables=["x", "y"], ops=[*ALL_OPS, bad_cube], max_depth=4)
    e = find(strategy, lambda e: not gradcheck(e, e.inputs, raise_exception=False), settings=SEARCH)
    assert_small(e, "bad_cube")


def test_a_wrong_derivative_as_values_is_found_by_gradgradcheck_and_shrunk() -> None:
    strategy = expressions(variables=["x", "y"], ops=[*ALL_OPS, bad_second], max_depth=4)
    e = find(strategy, lambda e: not gradgradcheck(e, e.inputs, raise_exception=False), settings=SEARCH)
    assert_small(e, "bad_second")


def test_in_a_given_test_the_failure_reports_the_shrunk_expression() -> None:
    @settings(database=None, max_examples=500, deadline=None)
    @given(expressions(variables=["x", "y"], ops=["+", "*", "tanh", bad_cube]))
    def check(e: Expression) -> None:
        assert gradcheck(e, e.inputs)

    with pytest.raises(Exception, match=r"wrong: df/d[xy]") as caught:
        check()
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    shrunk = re.search(r"check\(\n    e=Expression\('(.*)', x=(.*), y=(.*)\),\n\)", notes)
    assert shrunk, notes
    assert "bad_cube" in shrunk.group(1) and len(shrunk.group(1)) <= len("bad_cube(softplus(x))")


# ---- values, and arguments ---------------------------------------------------------------------------------
@given(values(-2.0, 0.5))
def test_values_are_leaves_within_the_range(v: Value) -> None:
    assert isinstance(v, Value) and v.parents == () and v.grad == 0.0
    assert -2.0 <= v.data <= 0.5


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"variables": []}, ValueError, "variables must be distinct names, at least one"),
        ({"variables": ["x", "x"]}, ValueError, "variables must be distinct names"),
        ({"variables": ["tanh"]}, ValueError, "'tanh' cannot be a variable's name"),
        ({"variables": ["lambda"]}, ValueError, "'lambda' cannot be a variable's name"),  # the CLI refuses it
        ({"ops": ["erf"]}, ValueError, "unknown op 'erf'; the built-in ops are +, -"),
        ({"ops": [math.sin]}, TypeError, "an op is a built-in op's name or a function made by define_op"),
        ({"ops": []}, ValueError, "ops must name at least one op"),
        ({"max_depth": 0}, ValueError, "max_depth must be a positive integer, got 0"),
        ({"min_value": 1.0, "max_value": 1.0}, ValueError, "min_value < max_value"),
    ],
)
def test_bad_arguments_are_refused_at_once(kwargs, error, message) -> None:
    with pytest.raises(error, match=message.replace("+", r"\+").replace("(", r"\(")):
        expressions(**kwargs)


# ---- random programs --------------------------------------------------------------------------------------
def assert_well_formed(program: Program) -> None:
    """Every step reads only earlier nodes; the sinks are exactly the unused nodes; the program runs alike on
    Values and on floats, and no node is larger than its magnitude."""
    used: set[int] = set()
    for k, step in enumerate(program.steps):
        kind = step[0]
        if kind == "bin":
            operands = [step[2], step[3]]
        elif kind in ("rconst", "lconst", "unary"):
            operands = [step[2] if kind == "rconst" else step[-1]]
        else:  # sum and dot: ("node", i) or ("const", c) items
            operands = [i for items in step[1:] for what, i in items if what == "node"]
        assert all(0 <= i < len(program.inputs) + k for i in operands), step
        used.update(operands)
    size = len(program.inputs) + len(program.steps)
    assert program.sinks == tuple(i for i in range(size) if i not in used)
    root, pool = program.run([Value(x) for x in program.inputs])
    float_root, float_pool = program.run(program.inputs, on_values=False)
    assert root.data == pytest.approx(float_root, rel=1e-12, abs=1e-12)
    assert [v.data for v in pool] == pytest.approx(float_pool, rel=1e-12, abs=1e-12)
    assert max(abs(x) for x in float_pool) == program.magnitude
    assert program.size == size + 1


@settings(max_examples=100, deadline=None)
@given(programs(min_inputs=2, max_inputs=3, min_steps=5, max_steps=8))
def test_drawn_programs_are_well_formed_and_within_their_sizes(program: Program) -> None:
    assert 2 <= len(program.inputs) <= 3 and all(-2.0 <= x <= 2.0 for x in program.inputs)
    assert len(program.steps) >= 5
    # a node past 4 is scaled down before any step uses it, so no op passes 64 (x**3, a dot of four 4 * 4)
    assert program.magnitude <= 64.0
    assert_well_formed(program)


def test_a_seed_gives_the_same_program_every_time_and_seeds_differ() -> None:
    assert random_program(3) == random_program(3)
    assert len({random_program(seed) for seed in range(20)}) == 20
    for seed in range(20):
        assert_well_formed(random_program(seed, max_steps=30))


def test_a_chain_is_one_path_of_plus_and_times_with_bounded_values() -> None:
    program = random_program(0, min_inputs=10, max_inputs=10, min_steps=2000, max_steps=2000, chain=True)
    assert len(program.inputs) == 10 and all(0.5 <= x <= 1.0 for x in program.inputs)
    assert len(program.steps) == 2000
    for k, (kind, op, prev, other) in enumerate(program.steps):
        assert (kind, prev) == ("bin", 9 + k)  # the previous node, so the graph is as deep as it is long
        if op == "*":
            assert other < 10  # an input, in [0.5, 1]
        else:
            assert op == "+" and other <= prev  # any earlier node
    assert {op for _, op, _, _ in program.steps} == {"+", "*"}
    assert program.sinks[-1] == 2009
    assert program.magnitude < 1e15
    assert_well_formed(program)


@pytest.mark.parametrize(
    "sizes",
    [{"min_inputs": 0}, {"min_steps": 3, "max_steps": 2}, {"max_inputs": 2.5}, {"min_steps": True}],
)
def test_bad_sizes_are_refused_at_once(sizes: dict[str, object]) -> None:
    message = r"min_(inputs|steps) and max_(inputs|steps) must be whole numbers, 1 <= min <= max"
    with pytest.raises(ValueError, match=message):
        programs(**sizes)
    with pytest.raises(ValueError, match=message):
        random_program(0, **sizes)


def test_any_source_of_choices_can_draw_a_program() -> None:
    class FirstOption:  # every choice the smallest: one input at -2, one step of the first kind
        def integer(self, low: int, high: int) -> int:
            return low

        def real(self, low: float, high: float) -> float:
            return low

        def choice(self, options: Sequence[T]) -> T:
            return options[0]

        def coin(self) -> bool:
            return False

    program = draw_program(FirstOption())
    assert program.inputs == (-2.0,)
    assert program.steps == (("bin", "+", 0, 0),)
    assert_well_formed(program)


@pytest.mark.e2e
def test_without_hypothesis_importing_the_strategies_says_how_to_install_it() -> None:
    code = "import sys; sys.modules['hypothesis'] = None; import autograd_lite.testing.strategies"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "ImportError: autograd_lite.testing.strategies needs hypothesis: pip install 'autograd-lite[testing]'"
    )


@pytest.mark.e2e
def test_gradcheck_and_seeded_programs_work_without_hypothesis() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "from autograd_lite import Value\nfrom autograd_lite.testing import gradcheck\n"
        "from autograd_lite.testing.graphs import random_program\n"
        "print(gradcheck(Value.tanh, [0.5]), random_program(0) == random_program(0))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout == "True True\n", run.stderr
