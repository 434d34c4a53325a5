"""The op table is the one place an op is written: every consumer reads every entry, generated from TABLE.

Each test here runs over the whole table, so an op added to it is checked by all of them at once: its
hand-fused float forward (if any) against its rule, its Value method, its name in the expression language,
the strategies, nn's activations and PyTorch modules, the pictures, the stepper, and the command line.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import records
from oracle.points import SOFTSIGN_AT

from autograd_lite import Value, compile, define_op
from autograd_lite.core import engine
from autograd_lite.core.engine import apply
from autograd_lite.core.modes import MATH_ERRORS
from autograd_lite.core.node import math_error, topological_order
from autograd_lite.core.ops import BCE, FLOATS, HINGE, TABLE, Math, Op, array_math
from autograd_lite.nn import ACTIVATIONS, MLP, TORCH_ACTIVATIONS
from autograd_lite.testing.expressions import BUILTINS
from autograd_lite.testing.strategies import ALL_OPS
from autograd_lite.tools.language import parse
from autograd_lite.viz import draw, step_through

NAMED = [op for op in TABLE if op.method]  # the ops with a Value method: tanh, leaky_relu, ...
TINY = math.ulp(0.0)  # the smallest subnormal
EDGES = [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 30.0, -30.0, 1e300, -1e300, math.inf, -math.inf, math.nan]


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("op", [op for op in TABLE if op.forward is not op.rule], ids=repr)
@settings(max_examples=200, deadline=None)
@given(x=st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(EDGES))
def test_a_hand_fused_float_forward_is_its_rule_to_the_bit(op: Op, x: float) -> None:
    assert op.rule is not None and op.arity == 1
    fast, ruled = op.forward(x), op.rule(x, m=FLOATS)
    assert all(map(same, fast, ruled)) and [math.copysign(1, v) for v in fast] == [
        math.copysign(1, v) for v in ruled
    ], (fast, ruled)


def declared_methods() -> dict[str, tuple[list[str], str]]:
    """The methods Value's class body declares for editors and type checkers, read from the source: each
    one's parameters after self, and its docstring (a def's, or the string after an assignment)."""
    source = Path(engine.__file__).read_text()
    body = next(
        n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef) and n.name == "Value"
    ).body
    found = {}
    for k, node in enumerate(body):
        if isinstance(node, ast.FunctionDef):
            found[node.name] = ([a.arg for a in node.args.args[1:]], ast.get_docstring(node) or "")
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            after = body[k + 1] if k + 1 < len(body) else None
            doc = (
                after.value.value
                if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                else ""
            )
            found[node.targets[0].id] = ([], str(doc))
    return found


def test_every_named_op_is_a_value_method_an_expression_name_and_a_strategy_op() -> None:
    declared = declared_methods()
    for op in NAMED:
        assert op.name in declared, (  # declared in the class, where editors and mypy see it
            f"Value has no method {op.name}: add `{op.name} = _unary(ops.{op.name.upper()})` and the entry's "
            f'doc ("""{op.doc}.""") to the class in engine.py, or a def for an op with a number'
        )
        params, doc = declared[op.name]
        assert doc == f"{op.doc}." and params == [name for name, _ in op.params], op.name
        signature = inspect.signature(getattr(Value, op.name))
        assert [(p.name, p.default) for p in list(signature.parameters.values())[1:]] == list(op.params)
        assert getattr(Value(0.3), op.name)().primitive is op  # and it applies its own op
        assert op.name in BUILTINS and op.name in ALL_OPS
    # and no other op of the table has a method, but the three that take many values (static methods)
    table = {op.name for op in TABLE} - {"sum", "dot", "logsumexp"}
    assert {name for name in declared if name in table} == {op.name for op in NAMED}


def test_every_namespace_a_rule_runs_on_gives_every_elementary_function_of_math() -> None:
    import numpy as np

    from autograd_lite.core.engine import VALUES
    from autograd_lite.tools.viz.formula import local_formulas

    members = {name for name in Math.__annotations__}
    assert {"exp", "where", "within", "logsumexp"} <= members
    spaces = {"floats": FLOATS, "arrays": array_math(np), "values": VALUES}
    for kind, space in spaces.items():
        missing = members - set(vars(space))
        assert not missing, f"{kind} lacks {sorted(missing)}"
    # the formulas' namespace: every rule of the table runs on it (a missing function would raise)
    x, y = Value(0.4, label="x"), Value(1.3, label="y")
    for op in NAMED:
        node = getattr(x, op.name)()
        assert len(local_formulas(node, {x: "x", node: "n"}, ".4g")) == 1, op.name
    power = x**y
    assert local_formulas(power, {x: "x", y: "y", power: "n"}, ".4g")[1] is not None


def test_a_type_checker_sees_every_op_method_and_refuses_a_misspelt_one_or_a_wrong_argument(
    tmp_path: Path,
) -> None:
    from mypy import api

    program = tmp_path / "uses.py"
    program.write_text(
        "from autograd_lite import Value\n"
        "x = Value(1.0)\n"
        "y = x.tanh() + x.leaky_relu(0.1) + x.swish(beta=x) + x.gelu()\n"
        "reveal_type(x.sigmoid)\n"
        "x.tahn()\n"
        "x.gelu(approx=1)\n"
    )
    out, _, status = api.run(["--strict", "--no-incremental", str(program)])
    lines = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith(str(program))]
    assert lines == [
        'note: Revealed type is "def () -> autograd_lite.core.engine.Value"',
        'error: "Value" has no attribute "tahn"; maybe "tan"?  [attr-defined]',
        'error: Unexpected keyword argument "approx"  [call-arg]',
    ], out
    assert status == 1
    assert {op.name for op in TABLE if op.activation} <= set(ACTIVATIONS)
    assert {op.name for op in TABLE if op.activation} == set(TORCH_ACTIVATIONS)


@pytest.mark.parametrize("op", [op for op in NAMED if op.params], ids=repr)
def test_a_methods_number_argument_has_its_name_and_default(op: Op) -> None:
    ((name, default),) = op.params
    x = Value(-0.5)
    by_default, by_name = getattr(x, op.name)(), getattr(x, op.name)(**{name: 0.3})
    by_position = getattr(x, op.name)(0.3)
    assert by_default.constants == (default,)
    assert by_name.data == by_position.data and by_name.constants == (0.3,)
    with pytest.raises(TypeError, match=rf"{op.name}\(\): {name} must be a number or a Value, got 'a'"):
        getattr(x, op.name)("a")


@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
def test_every_activation_goes_to_torch_and_back_with_the_same_function(
    torch: ModuleType, activation: str
) -> None:
    model = MLP(2, [3, 1], activation=activation, seed=1)
    net = model.to_torch()
    x = [0.7, -1.3]
    assert net(torch.tensor(x, dtype=torch.float64)).item() == pytest.approx(model(x).data, rel=1e-12)
    back = MLP.from_torch(net)
    assert back.activation == activation and back(x).data == model(x).data


def every_op() -> tuple[Value, list[Value]]:
    """One graph with every op of the table in it, at a point inside every domain."""
    x, y = Value(0.4, label="x"), Value(-0.7, label="y")
    terms: list[Value] = [x + y, x - y, 1.5 - x, x * y, x / y, 2.0 / x, -x, x**y, 2.0**x, abs(y)]
    terms += [Value.sum([x, y, 2.0]), Value.dot([x, y], [y, 3.0]), Value.logsumexp([x, y, 2.0])]
    terms.append(apply(BCE, x, x * x))  # binary_cross_entropy's term: a probability, its target
    terms.append(apply(HINGE, y, -1.0))  # hinge's: a score, its target
    for op in NAMED:
        terms.append(getattr(x, op.name)(*[y for _ in op.params]))
    return Value.sum(terms), [x, y]


def test_the_every_op_graph_has_every_op_of_the_table() -> None:
    root, _ = every_op()
    shown = {v.op for v in topological_order(root)}
    assert shown - {""} == {op.name for op in TABLE}


def test_every_op_is_drawn_with_its_name_or_symbol_and_its_number() -> None:
    root, _ = every_op()
    source = draw(root, max_nodes=1000).source
    for v in topological_order(root):
        op = next((op for op in TABLE if op.name == v.op), None)
        if op is not None:
            numbers = [format(c, ".4g") for c in v.constants]
            text = op.shown.format(*numbers) if op.shown and len(numbers) == 1 else op.symbol or op.name
            assert re.search(f'label="?{re.escape(text)}', source), (op, text)


def test_the_stepper_writes_each_local_gradient_as_a_formula_or_a_partial_and_its_number_is_backwards() -> (
    None
):
    root, leaves = every_op()
    for i, v in enumerate(topological_order(root)):
        v.label = v.label or f"n{i}"
    stepper = step_through(root, fmt="")
    for step in stepper.steps:
        assert step.local == step.node.local_grads[step.arg]
        assert stepper.equation(step).endswith(f" = {step.contribution!r}")
    formulas = [
        stepper.equation(s).split(" += ")[1].split(f" \u00d7 {s.node.label}.grad = ")[0]
        for s in stepper.steps
    ]
    expected = {
        "tanh": "(1.0 \u2212 {n}.data\u00b2)",
        "exp": "{n}.data",
        "sigmoid": "{n}.data \u00d7 (1.0 \u2212 {n}.data)",
        "logsumexp": "exp({p}.data \u2212 {n}.data)",  # softmax
    }
    for step, formula in zip(stepper.steps, formulas):
        if step.node.op in expected:
            assert formula == expected[step.node.op].format(n=step.node.label, p=step.parent.label)
    got = [v.grad for v in leaves]
    for v in leaves:
        v.grad = 0.0
    root.backward()
    assert got == [v.grad for v in leaves]


def test_a_rule_given_to_define_op_works_like_a_builtin_everywhere() -> None:
    softsign = define_op("softsign", rule=lambda x, m=FLOATS: (x / (1.0 + abs(x)), 1.0 / (1.0 + abs(x)) ** 2))
    x = Value(SOFTSIGN_AT)
    y = softsign(x) * x
    y.backward(create_graph=True)
    first = x.grad
    want_first, want_second = records("points", "softsign_times_x")  # torch.nn.functional.softsign's
    assert first.data == pytest.approx(want_first, rel=1e-12)
    x.grad = 0.0
    first.backward()
    assert x.grad == pytest.approx(want_second, rel=1e-12)
    w = Value(1.0)
    c = compile(lambda xs: Value.sum(softsign(w * v) for v in xs), backend="numpy")
    assert c([0.5, -2.0]) == pytest.approx(softsign(0.5) + softsign(-2.0), rel=1e-15)
    assert w.grad == pytest.approx(0.5 / 1.5**2 - 2.0 / 3.0**2, rel=1e-12)


def test_define_op_refuses_a_builtin_ops_name() -> None:
    with pytest.raises(ValueError, match=r"'tanh' is a built-in op's name; pick another"):
        define_op("tanh", lambda x: (x, 1.0))


@pytest.mark.e2e
def test_the_command_line_differentiates_every_named_op_as_the_engine_does() -> None:
    text = " + ".join(f"{op.name}(x)" for op in NAMED)
    done = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "gradcheck", text, "--var", "x=0.4"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    e = parse(text, {"x": 0.4})
    (x,) = e.inputs
    out = e(x)
    out.backward()
    assert float(done.stdout.splitlines()[0].split(" = ")[1]) == pytest.approx(out.data, rel=1e-15)
    analytic = next(line.split()[1] for line in done.stdout.splitlines() if line.split()[0] == "df/dx")
    assert float(analytic) == pytest.approx(x.grad, rel=1e-7)


# Special values, and -1.0 and -2.5 for a negative base with an infinite or a fractional exponent.
SPECIAL = [0.0, -0.0, TINY, -TINY, 1.0, -1.0, -2.5, 1e300, -1e300, math.inf, -math.inf, math.nan]


def same_kind_and_close(array: float, floats: float) -> bool:
    """NaN for NaN, and an infinity or a zero with its sign, exactly; other numbers within 4 units in the
    last place, as NumPy's exp, log and pow may round differently from the C library's."""
    if math.isnan(array) or math.isnan(floats):
        return math.isnan(array) and math.isnan(floats)
    if not (math.isfinite(floats) and floats != 0.0 and math.isfinite(array) and array != 0.0):
        return array == floats and math.copysign(1.0, array) == math.copysign(1.0, floats)
    return abs(array - floats) <= 4 * math.ulp(max(abs(array), abs(floats)))


@pytest.mark.parametrize("op", TABLE, ids=repr)
def test_each_ops_array_form_gives_what_its_float_form_gives_at_special_values(op: Op) -> None:
    """The result and every local derivative, for each argument (two for an op of any arity) drawn from
    SPECIAL, as compile()'s NumPy replay computes them: where NumPy signals an overflow, a division by
    zero or an invalid operation, the replay takes the float form instead, so only what it keeps is
    compared. Against the eager engine's: NaN everywhere where the float form raises for a non-finite
    argument; where it raises for finite ones (outside the op's domain), the array form must signal."""
    import numpy

    for args in itertools.product(SPECIAL, repeat=op.arity or 2):
        try:
            want = op.forward(*args)
        except MATH_ERRORS as e:
            try:
                want = math_error(op, args, e)
            except MATH_ERRORS:
                want = (
                    None  # an error naming the op: the array form signals (below), or the replay must raise
                )
        with numpy.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            try:
                found = op.vector(array_math(numpy), *(numpy.array([a]) for a in args))
            except FloatingPointError:
                continue  # the replay runs the float form here
        got = [float(numpy.asarray(r).reshape(-1)[0]) for r in found]
        assert want is not None, f"{op.name}{args}: the float form raises, the array form gives {got}"
        assert all(map(same_kind_and_close, got, want)), f"{op.name}{args}: arrays {got}, floats {list(want)}"


def test_the_three_namespaces_a_rule_runs_on_offer_the_same_functions() -> None:
    import numpy

    from autograd_lite.core.engine import VALUES

    names = set(vars(FLOATS))
    assert names == set(vars(array_math(numpy))) and names <= set(vars(VALUES))
