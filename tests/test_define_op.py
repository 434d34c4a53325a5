"""User-defined ops: declared with define_op, applied by the same Op and engine.apply as built-in ops."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracle import records
from oracle.ops import USER_OPS, Derivatives, torch_derivatives

from autograd_lite import Value, define_op, detect_anomaly, hessian
from autograd_lite.core import ops as table

cube = define_op("cube", lambda x: (x**3, 3 * x**2), [lambda out, x: 3 * x**2], domain="all reals")
hypot = define_op(
    "hypot",
    lambda x, y: (math.hypot(x, y), x / math.hypot(x, y), y / math.hypot(x, y)),
    [lambda out, x, y: x / out, lambda out, x, y: y / out],
    domain="(x, y) != (0, 0)",
)
floats_only = define_op("floats_only", lambda x: (x**3, 3 * x**2))  # no derivatives as Values


def graph(a: Value, b: Value) -> Value:
    """USER_OPS: the user ops in a graph."""
    return hypot(cube(a) * b, b + 2.5)


def assert_matches(x: float, y: float, theirs: Derivatives) -> None:
    """graph's value, gradient (backward) and hessian (the functional one) at x, y against torch's."""
    leaves = [Value(x), Value(y)]
    out = graph(*leaves)
    out.backward()
    got = [out.data, [leaf.grad for leaf in leaves], hessian(graph)(x, y)]
    assert_all_close(got, [theirs.value, theirs.grads, theirs.hessian])


def assert_all_close(got: object, want: object) -> None:
    if isinstance(got, (list, tuple)):
        assert isinstance(want, (list, tuple)) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_all_close(g, w)
    else:
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12), (got, want)


def test_user_ops_in_a_graph_match_the_values_gradients_and_hessians_torch_gave() -> None:
    for ((x, y), _), theirs in records("user ops", USER_OPS.name):
        assert_matches(x, y, Derivatives(*theirs))


@pytest.mark.usefixtures("torch_live")
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_user_ops_in_a_graph_match_torch_on_fresh_inputs(data: st.DataObject) -> None:
    x, y = (data.draw(domain.strategy()) for domain in USER_OPS.args)
    assume(x**3 * y != 0 or y + 2.5 != 0)  # hypot(0, 0) is outside its domain (x**3 underflows to 0 too)
    assert_matches(x, y, torch_derivatives(USER_OPS, [x, y], []))


def test_a_user_op_declared_by_a_table_entrys_rule_gives_the_same_node_as_the_builtin() -> None:
    my_tanh = define_op("my_tanh", rule=table.TANH.rule)
    a, b = Value(0.3), Value(0.3)
    mine, builtin = my_tanh(a), b.tanh()
    assert (mine.data, mine.parents[0] is a, mine.local_grads) == (builtin.data, True, builtin.local_grads)
    assert mine.op == "my_tanh"
    mine.backward(create_graph=True)
    builtin.backward(create_graph=True)
    first_a, first_b = a.grad, b.grad
    a.grad = b.grad = 0.0
    first_a.backward()
    first_b.backward()
    t = math.tanh(0.3)
    assert a.grad == b.grad
    assert math.isclose(a.grad, -2 * t * (1 - t * t), rel_tol=1e-12)  # tanh''(x)


def test_on_numbers_a_user_op_gives_a_float_and_builds_no_node() -> None:
    assert cube(2) == 8.0 and type(cube(2)) is float
    assert hypot(3.0, 4.0) == 5.0


def test_numbers_after_the_values_are_folded_into_the_node_as_with_builtins() -> None:
    x = Value(3.0)
    h = hypot(x, 4.0)
    assert h.parents == (x,) and h.constants == (4.0,) and h.local_grads == (0.6,)
    h.backward()
    assert x.grad == 0.6


def test_user_op_node_records_its_name_for_pictures_and_the_stepper() -> None:
    x = Value(1.5, label="x")
    y = cube(x)
    assert (y.op, y.parents, y.local_grads) == ("cube", (x,), (6.75,))


def test_create_graph_needs_derivatives_as_values_and_says_so() -> None:
    x = Value(1.5)
    y = floats_only(x)
    y.backward()
    assert x.grad == 6.75  # first derivatives need only the float forward
    with pytest.raises(
        NotImplementedError, match=r"needs floats_only's derivatives as Values: pass derivatives="
    ):
        floats_only(Value(1.5)).backward(create_graph=True)


def test_a_forward_raising_a_math_error_gives_the_engines_domain_error() -> None:
    safe_log = define_op("safe_log", lambda x: (math.log(x), 1 / x), domain="x > 0")
    with pytest.raises(
        ValueError,
        match=r"^safe_log\(a=-1.0\) is outside the op's domain \(defined for x > 0\): math domain error$",
    ):
        safe_log(Value(-1.0, label="a"))


def test_a_forward_returning_the_wrong_shape_is_a_clear_error() -> None:
    no_derivative = define_op("no_derivative", lambda x: x * 2)
    with pytest.raises(
        TypeError,
        match=r"no_derivative's forward must return \(result, 1 local derivative\) as real numbers, got 2.0",
    ):
        no_derivative(Value(1.0))
    too_few = define_op("too_few", lambda x, y: (x * y, y))
    with pytest.raises(TypeError, match=r"too_few's forward must return \(result, 2 local derivatives\)"):
        too_few(Value(1.0), 2.0)


def test_calling_with_the_wrong_number_of_arguments_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="cube takes 1 argument, got 2"):
        cube(Value(1.0), 2.0)


@pytest.mark.parametrize(
    ("name", "forward", "derivatives", "error", "message"),
    [
        ("1x", lambda x: (x, 1.0), None, ValueError, "must be a Python identifier, got '1x'"),
        ("lambda", lambda x: (x, 1.0), None, ValueError, "must be a Python identifier, got 'lambda'"),
        ("f", 3.0, None, TypeError, "forward must be callable, got float"),
        ("f", lambda *xs: (sum(xs), 1.0), None, TypeError, "fixed number of positional arguments"),
        ("f", lambda x: (x, 1.0), [3.0], TypeError, "derivatives must be one callable per argument"),
        ("f", lambda x: (x, 1.0), [], TypeError, "derivatives must be one callable per argument"),
    ],
)
def test_bad_definitions_are_refused_with_the_reason(name, forward, derivatives, error, message) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        define_op(name, forward, derivatives)


def test_detect_anomaly_names_a_user_op() -> None:
    blows_up = define_op("blows_up", lambda x: (math.inf, 1.0))
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"detect_anomaly: blows_up\(1.0\)"):
        blows_up(Value(1.0))


def test_user_ops_appear_by_name_in_pictures_and_in_the_stepper() -> None:
    from autograd_lite.viz import draw, step_through

    x = Value(1.5, label="x")
    y = cube(x) * 2
    assert "label=cube" in draw(y).source
    stepper = step_through(y)
    (cube_step,) = [s for s in stepper.steps if s.node.op == "cube"]
    assert (cube_step.parent, cube_step.local, cube_step.upstream) == (x, 6.75, 2.0)
    assert x.grad == 13.5


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_compile_replays_user_ops_as_the_eager_engine_runs_them(backend: str) -> None:
    from autograd_lite import compile

    w_eager, w_compiled = Value(0.5), Value(0.5)
    step = compile(lambda x: hypot(cube(w_compiled * x), 1.5).tanh(), backend=backend)
    for x in (2.0, -1.25, 0.75):
        eager = hypot(cube(w_eager * x), 1.5).tanh()
        eager.backward()
        assert step(x) == pytest.approx(eager.data, rel=1e-15)
        assert w_compiled.grad == pytest.approx(w_eager.grad, rel=1e-12)


class OutOfRange(ValueError):
    """A user's error class whose constructor takes more than a message."""

    def __init__(self, name: str, x: float) -> None:
        super().__init__(f"{name} out of range: {x}")


def _capped_square(x: float) -> tuple[float, float]:
    if x > 1.0:
        raise OutOfRange("x", x)
    return x * x, 2 * x


def test_a_users_own_error_class_from_forward_becomes_the_engines_message_with_it_as_cause() -> None:
    capped = define_op("capped", _capped_square, domain="x <= 1")
    with pytest.raises(ValueError) as caught:
        capped(Value(2.0))
    assert type(caught.value) is ValueError
    assert (
        str(caught.value)
        == "capped(2.0) is outside the op's domain (defined for x <= 1): x out of range: 2.0"
    )
    assert isinstance(caught.value.__cause__, OutOfRange)


def test_an_error_from_the_users_forward_keeps_its_message_and_is_the_cause() -> None:
    def forward(x: float) -> tuple[float, float]:
        if x > 1:
            raise ValueError(f"my_op needs x <= 1, got {x}")
        return x, 1.0

    my_op = define_op("my_op", forward)
    with pytest.raises(
        ValueError, match=r"^my_op\(a=2\.0\) is outside the op's domain: my_op needs x <= 1, got 2\.0$"
    ) as e:
        my_op(Value(2.0, label="a"))
    assert (
        isinstance(e.value.__cause__, ValueError) and str(e.value.__cause__) == "my_op needs x <= 1, got 2.0"
    )


@pytest.mark.parametrize(
    "result", [("oops", 1.0), ("1.5", "2"), (complex(1, 2), 1.0), (True, 1.0), [1.0, 2.0]]
)
def test_a_forward_returning_anything_but_real_numbers_is_an_error_naming_the_op_and_what_it_gave(
    result: object,
) -> None:
    bad = define_op("bad", lambda x: result)  # type: ignore[arg-type,return-value]
    with pytest.raises(
        TypeError, match=r"^bad's forward must return \(result, 1 local derivative\) as real numbers, got "
    ):
        bad(Value(1.0))
