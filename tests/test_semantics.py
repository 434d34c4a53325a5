"""The engine's behaviours, one test each, against closed forms, torch (float64) and micrograd."""

from __future__ import annotations

import gc
import itertools
import math
import numbers
import random
import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import micrograd.engine
import pytest
from hypothesis import given, settings
from oracle import records
from oracle.points import HESSIAN_AT, three_variables

from autograd_lite import Value, detect_anomaly, grad, hessian, is_grad_enabled, no_grad, value_and_grad
from autograd_lite.core.node import topological_order
from autograd_lite.testing.graphs import Program
from autograd_lite.testing.strategies import programs

NAN, INF = math.nan, math.inf


# ---- accumulation
def test_leaves_accumulate_across_backward_calls_and_interior_nodes_restart() -> None:
    a = Value(3.0)
    b = a + a
    c = b * b  # c = 4 a**2: dc/da = 8 a = 24, dc/db = 2 b = 12
    c.backward()
    c.backward()
    assert a.grad == 48.0  # the leaf adds both passes
    assert b.grad == 12.0  # the interior node holds this pass only
    assert c.grad == 1.0
    assert a.grad == records("points", "twice_backward")  # torch's leaf after two backward passes


def failing(a: Value, b: Value, error: BaseException) -> Value:
    """a * b + a, with a node made by hand (micrograd's way) whose backward closure raises error."""
    out = Value(a.data * b.data, (a, b), "*")

    def fail() -> None:
        raise error

    out._backward = fail
    return out + a  # backward adds to a first, then reaches the closure


@pytest.mark.parametrize("error", [RuntimeError("the closure failed"), KeyboardInterrupt()])
def test_a_backward_that_fails_leaves_every_leaf_grad_as_it_was(error: BaseException) -> None:
    a, b, fresh = Value(2.0), Value(3.0), Value(5.0)
    (a * b).backward()
    (a * b).backward()  # a.grad 6.0, b.grad 4.0 from earlier passes; fresh.grad 0.0
    with pytest.raises(type(error)):
        (failing(a, b, error) * fresh).backward()
    assert (a.grad, b.grad, fresh.grad) == (6.0, 4.0, 0.0)


def test_a_backward_that_anomaly_mode_stops_leaves_every_leaf_grad_as_it_was() -> None:
    a, b = Value(1.0), Value(3.0)
    (a * b).backward()  # a.grad 3.0, b.grad 1.0
    with detect_anomaly(), pytest.raises(FloatingPointError, match="made a non-finite gradient"):
        (a * 1e10 + b).backward(1e300)  # b gets 1e300, then a 1e10 * 1e300: inf, where anomaly mode stops
    assert (a.grad, b.grad) == (3.0, 1.0)


def test_a_node_used_twice_in_one_op_sums_both_contributions() -> None:
    cases: list[tuple[Callable[[Value], Value], float]] = [
        (lambda x: x * x, 2 * 3.0),
        (lambda x: x + x, 2.0),
        (lambda x: x - x, 0.0),
        (lambda x: x / x, 0.0),
        (lambda x: x**x, 3.0**3.0 * (math.log(3.0) + 1.0)),
        (lambda x: Value.sum([x, x, x]), 3.0),
        (lambda x: Value.dot([x, x], [x, 2.0]), 2 * 3.0 + 2.0),
    ]
    for f, expected in cases:
        x = Value(3.0)
        f(x).backward()
        assert x.grad == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_a_diamond_graph_sums_the_contributions_of_both_paths() -> None:
    x = Value(0.7)
    top, bottom = x.sin(), x.exp()
    out = top * bottom  # x -> sin -> out and x -> exp -> out
    out.backward()
    assert x.grad == pytest.approx(math.cos(0.7) * math.exp(0.7) + math.sin(0.7) * math.exp(0.7), rel=1e-14)
    assert top.grad == pytest.approx(math.exp(0.7), rel=1e-14)
    assert bottom.grad == pytest.approx(math.sin(0.7), rel=1e-14)


def test_backward_seed_scales_every_gradient() -> None:
    x, w = Value(2.0), Value(-1.5)
    y = x**3 + x * w
    y.backward(grad=2.0)
    assert x.grad == 2.0 * (3 * 2.0**2 + -1.5)
    assert w.grad == 2.0 * 2.0
    assert y.grad == 2.0


def test_backward_on_a_leaf_adds_the_seed_to_its_own_grad() -> None:
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0
    x.backward(grad=Fraction(5, 2))
    assert x.grad == 3.5
    with pytest.raises(TypeError, match=r"backward\(\) takes a real number, got str"):
        x.backward(grad="1")  # type: ignore[arg-type]


# ---- no_grad
def test_no_grad_results_have_no_parents_and_backward_leaves_inputs_at_zero() -> None:
    x, w = Value(2.0), Value(3.0)
    with no_grad():
        results = [x * w, x.sin(), 2.0 - x, 1.0 / x, x**2, Value.sum([x, w]), Value.dot([x, w], [w, 1.0])]
    expected = [6.0, math.sin(2.0), 0.0, 0.5, 4.0, 5.0, 9.0]
    for y, data in zip(results, expected):
        assert y.data == data
        assert y.parents == ()
        assert y.op == ""
        y.backward()
        assert y.grad == 1.0
    assert x.grad == 0.0
    assert w.grad == 0.0


def test_is_grad_enabled_is_false_inside_no_grad_only() -> None:
    assert is_grad_enabled() is True
    with no_grad():
        assert is_grad_enabled() is False
        with no_grad():
            assert is_grad_enabled() is False
        assert is_grad_enabled() is False
    assert is_grad_enabled() is True
    with pytest.raises(RuntimeError), no_grad():  # restored when the block raises, too
        raise RuntimeError
    assert is_grad_enabled() is True
    assert (Value(1.0) * 2.0).parents != ()


def test_no_grad_works_as_a_decorator() -> None:
    @no_grad()
    def double(v: Value) -> tuple[Value, bool]:
        return v * 2.0, is_grad_enabled()

    x = Value(4.0)
    y, enabled = double(x)
    assert enabled is False
    assert y.data == 8.0
    assert y.parents == ()
    assert is_grad_enabled() is True
    assert (x * 2.0).parents == (x,)


def test_no_grad_in_one_thread_does_not_affect_another_running_at_the_same_time() -> None:
    inside, done = threading.Barrier(2, timeout=10), threading.Barrier(2, timeout=10)
    seen: dict[str, Any] = {}

    def quiet() -> None:  # holds no_grad open while the other thread works
        x = Value(2.0)
        with no_grad():
            inside.wait()
            seen["quiet enabled"] = is_grad_enabled()
            seen["quiet parents"] = (x * x).parents
            done.wait()

    def busy() -> None:
        x = Value(2.0)
        inside.wait()  # the other thread is inside no_grad now, until both reach `done`
        seen["busy enabled"] = is_grad_enabled()
        y = x * x
        seen["busy parents"] = y.parents
        y.backward()
        seen["busy grad"] = x.grad
        done.wait()

    threads = [threading.Thread(target=quiet), threading.Thread(target=busy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen["quiet enabled"] is False
    assert seen["quiet parents"] == ()
    assert seen["busy enabled"] is True
    assert len(seen["busy parents"]) == 2
    assert seen["busy grad"] == 4.0
    assert is_grad_enabled() is True  # the main thread too


# ---- detach
def test_detach_keeps_the_data_has_no_parents_and_stops_the_gradient() -> None:
    x = Value(3.0)
    y = x * x
    d = y.detach()
    assert d is not y
    assert d.data == y.data == 9.0
    assert d.parents == ()
    z = d * x  # as a function of x: 9 * x, so dz/dx = 9 (27 were the gradient to flow through d)
    z.backward()
    assert x.grad == 9.0
    assert d.grad == 3.0
    assert y.grad == 0.0


# ---- higher order and the functional API
def second_derivative(f: Callable[[Value], Value], at: float) -> tuple[Value, float]:
    x = Value(at)
    f(x).backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value)
    x.grad = 0.0  # else the second pass adds to the first gradient, as in torch
    first.backward()
    return first, x.grad


def test_create_graph_makes_the_gradient_a_value_whose_derivative_is_the_second_derivative() -> None:
    first, second = second_derivative(lambda x: x**3, 2.0)
    assert first.data == 12.0  # 3 x**2
    assert second == 12.0  # 6 x
    first, second = second_derivative(Value.sin, 0.7)
    assert first.data == pytest.approx(math.cos(0.7), rel=1e-14)
    assert second == pytest.approx(-math.sin(0.7), rel=1e-14)
    first, second = second_derivative(lambda x: 1.0 / x + x.tanh(), 0.5)
    t = math.tanh(0.5)
    assert first.data == pytest.approx(-1 / 0.25 + (1 - t * t), rel=1e-14)
    assert second == pytest.approx(2 / 0.125 - 2 * t * (1 - t * t), rel=1e-14)


def test_third_derivative_by_repeating_create_graph() -> None:
    for f, at, expected in [
        (lambda x: x**3, 2.0, 6.0),
        (Value.sin, 0.7, -math.cos(0.7)),
        (Value.exp, 0.3, None),
    ]:
        x = Value(at)
        f(x).backward(create_graph=True)
        for _ in range(2):
            g = x.grad
            assert isinstance(g, Value)
            x.grad = 0.0
            g.backward(create_graph=True)
        third = x.grad.data
        assert third == pytest.approx(math.exp(at) if expected is None else expected, rel=1e-14)


def test_grad_and_value_and_grad_with_int_tuple_and_negative_argnums() -> None:
    def f(x: Value, y: Value, z: Value) -> Value:
        return x * y.sin() + z**2

    x, y, z = 1.5, 0.4, -2.0
    df = (math.sin(y), x * math.cos(y), 2 * z)
    assert grad(f)(x, y, z) == pytest.approx(df[0], rel=1e-14)
    assert grad(f, argnums=1)(x, y, z) == pytest.approx(df[1], rel=1e-14)
    assert grad(f, argnums=-1)(x, y, z) == df[2]
    assert grad(f, argnums=(0, 2))(x, y, z) == pytest.approx((df[0], df[2]), rel=1e-14)
    assert grad(f, argnums=(-3, -2))(x, y, z) == pytest.approx((df[0], df[1]), rel=1e-14)
    value, gradient = value_and_grad(f, argnums=(2, 0))(x, y, z)
    assert value == pytest.approx(x * math.sin(y) + z**2, rel=1e-14)
    assert gradient == pytest.approx((df[2], df[0]), rel=1e-14)
    value, gradient = value_and_grad(f, argnums=-2)(x, y, z)
    assert isinstance(gradient, float)
    assert gradient == pytest.approx(df[1], rel=1e-14)
    with pytest.raises(IndexError, match="argnums 3 is out of range for 3"):
        grad(f, argnums=3)(x, y, z)


def test_hessian_is_a_nested_list_matching_torch() -> None:
    ours = hessian(three_variables)(*HESSIAN_AT)
    theirs = records("points", "three_variable_hessian")  # torch.autograd.functional.hessian's
    assert isinstance(ours, list)
    assert all(isinstance(row, list) and len(row) == 3 for row in ours)
    for i in range(3):
        for j in range(3):
            assert ours[i][j] == pytest.approx(theirs[i][j], rel=1e-13, abs=1e-13)


def test_hessian_of_a_dot_product_and_a_sum() -> None:
    assert hessian(lambda a, b: Value.dot([a, b], [a, b]))(1.0, 2.0) == [[2.0, 0.0], [0.0, 2.0]]
    assert hessian(lambda a, b: Value.sum([a * b, a, 3.0]))(1.0, 2.0) == [[0.0, 1.0], [1.0, 0.0]]


# ---- deep graphs
def test_a_million_op_chain_goes_forward_backward_and_away_without_recursion() -> None:
    c, d, n = 1.0000001, 1e-7, 500_000
    x = Value(0.5)
    v = x
    for _ in range(n):  # 2n = 1,000,000 ops: v -> v * c + d
        v = v * c
        v = v + d
    v.backward()
    assert x.grad == pytest.approx(c**n, rel=1e-9)
    assert v.data == pytest.approx(0.5 * c**n + d * (c**n - 1) / (c - 1), rel=1e-9)
    del v  # freeing the chain must not recurse node by node either
    gc.collect()
    assert x.grad == pytest.approx(c**n, rel=1e-9)


# ---- Python protocol
def test_orderings_act_on_data_and_return_bool() -> None:
    two, three = Value(2.0), Value(3.0)
    results = {
        "v < v": two < three,
        "v <= v": two <= Value(2.0),
        "v > number": three > 2,
        "v >= number": three >= 3.0,
        "number < v": 1.5 < two,  # noqa: SIM300 (the reflected operator is the point)
        "number >= v": 3 >= three,  # noqa: SIM300
    }
    assert results == dict.fromkeys(results, True)
    assert all(type(r) is bool for r in results.values())
    falses = [two > three, two >= three, three < two, three <= two, 2.5 <= two]  # noqa: SIM300
    assert falses == [False] * len(falses)
    assert all(type(r) is bool for r in falses)


def test_equality_and_hash_are_identity_as_in_micrograd() -> None:
    """== and hash agree (equal Values hash equal), as micrograd's Value, which defines neither."""
    from micrograd.engine import Value as MicrogradValue

    ours, theirs = (
        [Value(0.0), Value(0.0), Value(2.0)],
        [MicrogradValue(0.0), MicrogradValue(0.0), MicrogradValue(2.0)],
    )
    for i in range(3):
        for j in range(3):
            assert (ours[i] == ours[j]) == (theirs[i] == theirs[j]) == (i == j)
            assert (ours[i] != ours[j]) == (i != j)
            if ours[i] == ours[j]:
                assert hash(ours[i]) == hash(ours[j])
    assert ours[1] not in [ours[0]] and Value(2.0) != 2.0
    assert len({*ours, *ours}) == 3
    table = {ours[0]: "a", ours[1]: "b"}
    assert (len(table), table[ours[0]], table[ours[1]]) == (2, "a", "b")
    bias, weight = Value(0.0), Value(0.0)  # equal data, different parameters
    assert [weight, bias].index(bias) == 1


def test_float_of_a_value_is_its_data() -> None:
    assert float(Value(2.5)) == 2.5
    assert type(float(Value(2))) is float
    assert math.sqrt(Value(16.0)) == 4.0  # any float() consumer


def test_abs_and_unary_minus_and_plus() -> None:
    for at, value, slope in [(-3.0, 3.0, -1.0), (2.0, 2.0, 1.0), (0.0, 0.0, 0.0)]:
        x = Value(at)
        y = abs(x)
        y.backward()
        assert (y.data, x.grad) == (value, slope)  # at 0 the slope is 0, as torch's sign(0)
    x = Value(2.5)
    y = -x
    y.backward()
    assert (y.data, x.grad) == (-2.5, -1.0)
    assert +x is x


def test_repr_shows_data_grad_and_label() -> None:
    assert repr(Value(3.0)) == "Value(data=3.0, grad=0.0)"
    x = Value(-1.5, label="x")
    (x * x).backward()
    assert repr(x) == "Value(data=-1.5, grad=-3.0, label='x')"


# ---- what Value() accepts
class RegisteredReal:
    """A scalar type that is a number only by registration with numbers.Real, as numpy's scalars are.

    (numpy itself is not installed with this project: torch's CPU wheel does not depend on it.)
    """

    def __init__(self, x: float) -> None:
        self.x = x

    def __float__(self) -> float:
        return float(self.x)


numbers.Real.register(RegisteredReal)


def test_value_accepts_real_numbers_of_any_type_as_floats() -> None:
    for data, expected in [
        (3, 3.0),
        (-2.5, -2.5),
        (True, 1.0),
        (False, 0.0),
        (Fraction(1, 3), 1 / 3),
        (RegisteredReal(0.25), 0.25),
        (2**80, 2.0**80),
    ]:
        v = Value(data)  # type: ignore[arg-type]
        assert type(v.data) is float
        assert v.data == expected


@pytest.mark.parametrize(
    ("data", "type_name"),
    [("1.0", "str"), (1j, "complex"), (None, "NoneType"), ([1.0], "list"), (Value(1.0), "Value")],
)
def test_value_rejects_non_real_data_naming_its_type(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"Value\(\) takes a real number, got {type_name}\b"):
        Value(data)  # type: ignore[arg-type]


# ---- errors
@pytest.mark.parametrize(
    ("compute", "error", "pattern"),
    [
        (
            lambda: Value(-1.0).log(),
            ValueError,
            r"log\(-1\.0\) is outside the op's domain \(defined for x > 0\)",
        ),
        (
            lambda: Value(0.0).log(),
            ValueError,
            r"log\(0\.0\) is outside the op's domain \(defined for x > 0\)",
        ),
        (
            lambda: Value(-4.0).sqrt(),
            ValueError,
            r"sqrt\(-4\.0\) is outside the op's domain \(defined for x >= 0\)",
        ),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"/\(1\.0, 0\.0\) divides by zero"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"r/\(0\.0, 1\.0\) divides by zero"),
        (
            lambda: Value(-8.0) ** (1 / 3),
            ValueError,
            r"\*\*\(-8\.0, 0\.333+\) is outside the op's domain.*negative",
        ),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"\*\*\(0\.0, -1\.0\) divides by zero"),
        (
            lambda: Value(1000.0).exp(),
            OverflowError,
            r"exp\(1000\.0\) overflows a float \(defined for x <= 709",
        ),
        (lambda: Value(10.0) ** 400, OverflowError, r"\*\*\(10\.0, 400\.0\) overflows a float"),
    ],
    ids=[
        "log-negative",
        "log-zero",
        "sqrt-negative",
        "div-zero",
        "rdiv-zero",
        "pow-root",
        "pow-zero",
        "exp",
        "pow",
    ],
)
def test_math_errors_name_the_op_and_the_offending_value(
    compute: Callable[[], Value], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        compute()


def test_adding_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'Value' and 'str'"):
        Value(1.0) + "a"  # type: ignore[operator]


def test_nan_and_inf_inputs_propagate_as_nan_instead_of_raising() -> None:
    assert math.isnan(Value(NAN).log().data)
    assert math.isnan(Value(INF).sin().data)
    assert math.isnan(Value(-INF).log().data)
    x = Value(INF)
    y = x.sin()
    y.backward()
    assert math.isnan(x.grad)


# ---- detect_anomaly
def test_detect_anomaly_raises_at_the_first_non_finite_result_naming_op_inputs_and_labels() -> None:
    with detect_anomaly():
        a = Value(NAN, label="a")
        with pytest.raises(FloatingPointError, match=r"log\(a=nan\) gave a non-finite result"):
            a.log()
        big, ten = Value(1e308, label="big"), Value(10.0, label="ten")
        with pytest.raises(
            FloatingPointError, match=r"\*\(big=1e\+308, ten=10\.0\) gave a non-finite result"
        ):
            big * ten


def test_detect_anomaly_raises_at_a_non_finite_local_gradient() -> None:
    with detect_anomaly():
        z = Value(0.0, label="z")
        with pytest.raises(FloatingPointError, match=r"sqrt\(z=0\.0\) gave a non-finite local gradient"):
            z.sqrt()  # sqrt(0) = 0 is fine, its derivative is not


def chain_of_large_locals() -> tuple[Value, Value]:
    x = Value(1e-200, label="x")
    y = x * 1e200  # 1.0, local gradient 1e200
    y.label = "y"
    z = y * 1e200  # 1e200, local gradient 1e200: dz/dx = 1e400 overflows though every value is finite
    z.label = "z"
    return x, z


def test_detect_anomaly_catches_an_overflowing_gradient_in_backward() -> None:
    with detect_anomaly():
        _, z = chain_of_large_locals()
        with pytest.raises(
            FloatingPointError,
            match=r"backward through \* made a non-finite gradient for its input x=1e-200: "
            r"local gradient 1e\+200 \* upstream gradient 1e\+200 \(node y=1\.0\)",
        ):
            z.backward()


def test_detect_anomaly_is_off_outside_the_block() -> None:
    with detect_anomaly():
        assert Value(4.0).sqrt().data == 2.0
    x, z = chain_of_large_locals()
    z.backward()
    assert x.grad == INF
    assert Value(0.0).sqrt().data == 0.0
    assert math.isnan(Value(NAN).log().data)


def test_detect_anomaly_leaves_finite_results_unchanged() -> None:
    def run() -> tuple[float, float, float]:
        x, w = Value(0.3), Value(-1.2)
        y = (x * w).tanh() + 2.0 / (w * w + 1.0) - x.exp() + Value.dot([x, w], [w, 3.0])
        y.backward()
        return y.data, x.grad, w.grad

    plain = run()
    with detect_anomaly():
        checked = run()
    assert checked == plain


# ---- micrograd compatibility
def micrograd_readme(V: Any) -> tuple[float, float, float]:
    """The example from karpathy/micrograd's README, with Value passed in."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data, a.grad, b.grad


def test_micrograd_readme_example_gives_micrograds_numbers() -> None:
    ours = micrograd_readme(Value)
    theirs = micrograd_readme(micrograd.engine.Value)
    assert ours == pytest.approx(theirs, rel=1e-9)
    assert [round(x, 4) for x in ours] == [24.7041, 138.8338, 645.5773]


def mlp(V: Any, sizes: list[int]) -> tuple[Callable[[list[Any]], Any], list[Any]]:
    """A multilayer perceptron in micrograd's nn.py style: ReLU hidden layers, a linear output."""
    layers = []
    for i, (nin, nout) in enumerate(itertools.pairwise(sizes)):
        neurons = [([V(random.uniform(-1, 1)) for _ in range(nin)], V(0)) for _ in range(nout)]
        layers.append((neurons, i != len(sizes) - 2))

    def forward(x: list[Any]) -> Any:
        for neurons, nonlin in layers:
            acts = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in neurons]
            x = [a.relu() for a in acts] if nonlin else acts
        return x[0] if len(x) == 1 else x

    params = [p for neurons, _ in layers for w, b in neurons for p in [*w, b]]
    return forward, params


def train_one_step(V: Any) -> tuple[float, list[float], list[float], float]:
    random.seed(1234)
    forward, params = mlp(V, [3, 4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def loss() -> Any:
        return sum((forward(x) - y) ** 2 for x, y in zip(xs, ys))

    before = loss()
    for p in params:
        p.grad = 0
    before.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.data -= 0.05 * p.grad
    return before.data, grads, [p.data for p in params], loss().data


def test_micrograd_style_mlp_trains_one_step_like_micrograd() -> None:
    ours = train_one_step(Value)
    theirs = train_one_step(micrograd.engine.Value)
    loss, grads, params, loss_after = ours
    assert loss == pytest.approx(theirs[0], rel=1e-12)
    assert grads == pytest.approx(theirs[1], rel=1e-12, abs=1e-12)
    assert params == pytest.approx(theirs[2], rel=1e-12, abs=1e-12)
    assert loss_after == pytest.approx(theirs[3], rel=1e-12)
    assert sum(g != 0 for g in grads) > len(grads) // 2  # the step really moves most parameters
    assert loss_after < loss


# ---- Value.sum, Value.dot and Value.logsumexp
def test_value_sum_is_one_node_with_every_value_as_a_parent() -> None:
    xs = [Value(float(i)) for i in range(1, 6)]
    s = Value.sum(xs)
    assert s.op == "sum"
    assert s.parents == tuple(xs)
    assert s.data == 15.0
    (s * s).backward()
    assert [x.grad for x in xs] == [30.0] * 5
    mixed = Value.sum(iter([xs[0], 2.0, xs[1], Fraction(1, 2)]))  # numbers fold into the node
    assert mixed.parents == (xs[0], xs[1])
    assert mixed.data == 1.0 + 2.0 + 2.0 + 0.5
    constant = Value.sum([1.0, 2.0])
    assert (constant.data, constant.parents) == (3.0, ())


def test_value_dot_is_one_node_with_the_other_side_as_gradients() -> None:
    ws = [Value(1.0), Value(2.0), Value(3.0)]
    xs = [Value(4.0), Value(-5.0), Value(6.0)]
    d = Value.dot(ws, xs)
    assert d.op == "dot"
    assert len(d.parents) == 6
    assert set(d.parents) == {*ws, *xs}
    assert d.data == 4.0 - 10.0 + 18.0
    d.backward()
    assert [w.grad for w in ws] == [4.0, -5.0, 6.0]
    assert [x.grad for x in xs] == [1.0, 2.0, 3.0]


def test_value_dot_with_plain_number_xs_has_only_the_ws_as_parents() -> None:
    ws = [Value(1.0), Value(2.0), Value(3.0)]
    for d in (Value.dot(ws, [4.0, -5.0, 6.0]), Value.dot([4.0, -5.0, 6.0], ws)):
        assert d.parents == tuple(ws)
        assert d.data == 12.0
        for w in ws:
            w.grad = 0.0
        d.backward()
        assert [w.grad for w in ws] == [4.0, -5.0, 6.0]


def test_value_dot_rejects_sequences_of_different_lengths_naming_both() -> None:
    with pytest.raises(ValueError, match=r"equal length, got 3 and 2"):
        Value.dot([Value(1.0)] * 3, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"equal length, got 0 and 1"):
        Value.dot([], [Value(1.0)])


def test_value_logsumexp_is_one_node_with_the_numbers_after_the_values_as_constants() -> None:
    x, y = Value(1.0), Value(-2.0)
    out = Value.logsumexp(iter([3.0, x, Fraction(1, 2), y]))
    assert out.op == "logsumexp"
    assert out.parents == (x, y) and out.constants == (3.0, 0.5)
    total = math.exp(1.0) + math.exp(-2.0) + math.exp(3.0) + math.exp(0.5)
    assert out.data == pytest.approx(math.log(total), rel=1e-15)
    out.backward()
    assert [x.grad, y.grad] == pytest.approx([math.exp(1.0) / total, math.exp(-2.0) / total], rel=1e-14)
    constant = Value.logsumexp([0.0, 0.0])
    assert (constant.data, constant.parents) == (math.log(2.0), ())


def test_value_logsumexp_of_nothing_or_of_text_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^Value\.logsumexp\(\) needs at least one value, got none$"):
        Value.logsumexp([])
    with pytest.raises(TypeError, match=r"Value\.logsumexp\(\) takes a real number, got str: 'a'"):
        Value.logsumexp([Value(1.0), "a"])


@settings(max_examples=50, deadline=None)
@given(programs())
def test_the_graph_walk_orders_parents_first_reaches_everything_once_and_changes_nothing(
    program: Program,
) -> None:
    root, _ = program.run([Value(x) for x in program.inputs])
    root.backward()
    before = {id(v): v.grad for v in topological_order(root)}
    order = topological_order(root)
    assert {id(v): v.grad for v in order} == before  # no grad was touched
    assert order[-1] is root and len({id(v) for v in order}) == len(order)
    place = {id(v): i for i, v in enumerate(order)}
    for v in order:
        assert all(place[id(p)] < place[id(v)] for p in v.parents)
