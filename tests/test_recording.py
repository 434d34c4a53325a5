"""compile() records what f does as the eager engine does it, or refuses, naming what it cannot record.

Each case runs eagerly, the oracle, and compiled on both backends: a compiled call returns what the
eager engine returns and leaves the grads that backward() on f's first output leaves (the pure-Python
replay to the bit, the NumPy one to rounding), or the recording call raises a TypeError naming the Value
it would have frozen and the way out, and records nothing.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from autograd_lite import Value, compile, detect_anomaly, no_grad
from autograd_lite.core.engine import apply
from autograd_lite.core.modes import MATH_ERRORS
from autograd_lite.core.node import Node
from autograd_lite.core.ops import TABLE, Op
from autograd_lite.losses import cross_entropy

BACKENDS = ["python", "numpy"]
RECORDING = "while compile() records the graph"


def close(backend: str, got: Any, want: Any) -> bool:
    """got is want, structure and numbers: exactly for the Python replay, to 1e-12 for NumPy's."""
    if isinstance(want, (list, tuple)):
        return (
            type(got) is type(want)
            and len(got) == len(want)
            and all(map(close, [backend] * len(want), got, want))
        )
    if math.isnan(want):
        return math.isnan(got)
    return got == want if backend == "python" else math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


def numbers(out: Any) -> Any:
    """f's outputs with each Value as its data, lists and tuples kept."""
    if isinstance(out, (list, tuple)):
        return type(out)(numbers(item) for item in out)
    return out.data


def first_value(out: Any) -> Value | None:
    if isinstance(out, Value):
        return out
    return next((v for item in out if (v := first_value(item)) is not None), None)


def eager(f: Callable[..., Any], *inputs: float) -> Any:
    """f called as compile() calls it, eagerly: on new leaves, then backward() from its first output."""
    out = f(*[Value(x) for x in inputs])
    root = first_value(out)
    if root is not None:
        root.backward()
    return numbers(out)


def refused(c: Any, *inputs: Any) -> str:
    """The recording call's error; it records nothing."""
    with pytest.raises(TypeError) as caught:
        c(*inputs)
    assert not c.tapes
    return str(caught.value)


# ---- numbers made from a Value's data: detach(), no_grad(), copies, compiled calls ------------------------
def product_without_grad(w: Value, x: Value) -> Value:
    with no_grad():
        constant = w * x
    return x * constant


W = "Value(data=2.0, grad=0.0, label='w')"
#: f(w, x) making a number of a Value's data, and how the refusal starts.
READS: dict[str, tuple[Callable[[Value, Value], Value], str]] = {
    "detach of a node": (
        lambda w, x: (w * x) * (w * x).detach(),
        "detach() reads the data of Value(data=2.0,",
    ),
    "detach of a parameter": (lambda w, x: x * w.detach(), f"detach() reads the data of {W}"),
    "no_grad": (product_without_grad, "no_grad() makes *(w=2.0, 1.0) a constant"),
    "a copy of a node": (lambda w, x: x * copy.copy(w * x), "copying reads the data of Value(data=2.0,"),
    "a copy of a parameter": (lambda w, x: x * copy.deepcopy(w), f"copying reads the data of {W}"),
    ".data of a parameter": (lambda w, x: Value(w.data) * x + w * x, f"reading .data of {W}"),
    ".data of a node": (lambda w, x: w * x + (w * x).data, "reading .data of Value(data=2.0,"),
    ".grad of a parameter": (lambda w, x: w * x + w.grad, f"reading .grad of {W}"),
    "a node's local gradients": (lambda w, x: w * x * (w * x).local_grads[0], "local_grads reads the data"),
    "micrograd's _backward() by hand": (lambda w, x: stepped_by_hand(w * x), "_backward() reads the data"),
}


def stepped_by_hand(y: Value) -> Value:
    y.grad = 1.0
    y._backward()  # adds local * 1.0 to the parents' grads: numbers of today's data
    return y


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", READS)
def test_a_number_made_from_a_values_data_inside_f_is_refused_naming_the_value(
    backend: str, name: str
) -> None:
    f, start = READS[name]
    w = Value(2.0, label="w")
    f(w, Value(3.0)).backward()  # eagerly, the number is made again on every call
    w.grad = 0.0
    message = refused(compile(lambda x: f(w, x), backend=backend), 1.0)
    assert message.startswith(start), message
    assert RECORDING in message and "pass it in as an argument, or do not compile this function" in message
    assert w.grad == 0.0


def test_detach_inside_f_is_refused_where_the_tape_would_freeze_it_as_a_number() -> None:
    w = Value(2.0)
    f = lambda x: (w * x) * (w * x).detach()
    assert eager(f, 3.0) == 36.0 and w.grad == 18.0  # the detached factor is 6 at x = 3, with no gradient
    w.grad = 0.0
    for backend in BACKENDS:  # recorded at 1, replayed at 3, it would give 12 and a grad of 6
        assert refused(compile(f, backend=backend), 1.0).startswith(
            "detach() reads the data of Value(data=2.0,"
        )
    assert w.data == 2.0 and w.grad == 0.0


def zero_grad_then_product(w: Value, x: Value) -> Value:
    w.grad = 0.0  # as zero_grad() does: eagerly on every call, where the tape would not
    return w * x


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("f", "start"),
    [
        (zero_grad_then_product, f"writing .grad of {W}"),
        (lambda w, x: (setattr(w, "data", 3.0), w * x)[1], f"writing .data of {W}"),
    ],
)
def test_writing_a_parameters_data_or_grad_inside_f_is_refused(
    backend: str, f: Callable[[Value, Value], Value], start: str
) -> None:
    w = Value(2.0, label="w")
    message = refused(compile(lambda x: f(w, x), backend=backend), 1.0)
    assert message.startswith(start) and RECORDING in message, message
    assert w.data == 2.0 and w.grad == 0.0


def test_a_value_shows_no_number_while_recorded() -> None:
    shown: list[str] = []
    compile(lambda x: (shown.append(f"{x} {Value(2.0, label='c') * x!r}"), x * 2)[1])(3.0)
    assert shown == ["Value(<recorded by compile()>) Value(<recorded by compile()>)"]


def safe_log(x: Value) -> Value:
    try:
        return x.log()
    except ValueError:
        return x * 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_error_f_catches_is_refused_when_recorded_and_taken_eagerly_when_replayed(backend: str) -> None:
    message = refused(compile(safe_log, backend=backend), -1.0)
    assert message.startswith("f caught an error while compile() recorded it (log(-1.0) is outside"), message
    c = compile(safe_log, backend=backend)
    assert c(2.0) == math.log(2.0)  # recorded on the branch that does not raise
    assert math.copysign(1.0, c(-1.0)) == -1.0  # the replay raises there: f runs eagerly and catches it
    w = Value(1.0, label="w")
    c = compile(lambda x: w.log() * x, backend=backend)
    c(1.0)
    w.data = -1.0
    with pytest.raises(ValueError, match=r"^log\(w=-1\.0\) is outside the op's domain"):  # eager's words
        c(1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_detect_anomaly_inside_f_is_refused_where_the_tape_would_not_check(backend: str) -> None:
    def f(x: Value) -> Value:
        with detect_anomaly():
            return x * 1e308

    message = refused(compile(f, backend=backend), 1.0)
    assert message.startswith("detect_anomaly() checks *(") and RECORDING in message


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_operand_whose_reflected_method_takes_a_value_is_left_to_it_as_eagerly(backend: str) -> None:
    class Scaled:
        def __init__(self, k: float) -> None:
            self.k = k

        def __rmul__(self, v: Value) -> Value:
            return v * self.k

    assert close(backend, compile(lambda x: x * Scaled(3.0), backend=backend)(2.0), 6.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_grads_of_values_made_inside_f_are_read_there_as_eagerly(backend: str) -> None:
    def f(x: Value) -> tuple[Value, Value]:
        assert x.grad == 0.0  # an input's grad before any backward: 0 on every call, eagerly too
        y = x * x * x
        y.backward(create_graph=True)
        return x.grad * w, y  # 3 x^2 w, a Value read from x's grad

    w = Value(2.0)
    c = compile(f, backend=backend)
    assert close(backend, c(1.0), (6.0, 1.0)) and close(backend, c(2.0), (24.0, 8.0))
    assert w.grad == 3.0 + 12.0


def test_values_data_and_grad_are_plain_slots_again_after_a_recording_and_meanwhile_in_other_threads() -> (
    None
):
    slots = {name: Node.__dict__[name] for name in ("data", "grad")}
    w = Value(2.0, label="w")
    seen: list[float] = []

    def f(x: Value) -> Value:
        # another thread reads and writes Values as it likes while this one records
        thread = threading.Thread(target=lambda: seen.append(eager(lambda v: v * v, 3.0)))
        thread.start()
        thread.join()
        return w * x

    assert compile(f)(1.0) == 2.0 and seen == [9.0]
    with pytest.raises(TypeError):
        compile(lambda x: x * w.data)(1.0)
    assert {name: Node.__dict__[name] for name in slots} == slots


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_compiled_function_called_while_another_is_recorded_is_refused(backend: str) -> None:
    w = Value(2.0)
    inner = compile(lambda: w * 3, backend=backend)
    outer = compile(lambda x: x * inner(), backend=backend)  # inner's output: a number, of w's data now
    message = refused(outer, 1.0)
    assert message.startswith("compiled <lambda> is called while compile() records another function")


# ---- backward() inside f --------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_backward_inside_f_makes_numbers_and_is_refused(backend: str) -> None:
    def f(x: Value) -> Value:
        y = x.tanh()
        y.backward()
        return x * x.grad  # x.grad is a number here: the tape would keep the one of the recording call

    message = refused(compile(f, backend=backend), 0.5)
    assert message.startswith("backward() from Value(data=0.46211715726000974") and RECORDING in message
    assert "for a derivative inside f, use backward(create_graph=True)" in message


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_derivative_inside_f_replays_as_ops_and_is_refused_where_it_reads_a_sign(backend: str) -> None:
    def second(x: Value, y: Value) -> list[Value]:
        ((x * y).tanh() * x + (x / y).exp()).backward(create_graph=True)
        gx, gy = x.grad, y.grad
        x.grad = y.grad = 0.0
        gx.backward(create_graph=True)  # d/dx and d/dy of df/dx: through the first derivative's graph
        return [gx, gy, x.grad, y.grad]

    c = compile(second, backend=backend)
    for x, y in [(0.3, 1.5), (-1.2, 0.4), (2.0, -0.7)]:  # recorded at the first point
        assert close(backend, c(x, y), eager(second, x, y))
    assert len(c.tapes) == 1

    def of_abs(x: Value) -> Value:
        (abs(x) * x).backward(create_graph=True)
        return x.grad  # 2 |x|: abs's derivative, the sign of x, is read from x's data

    assert eager(of_abs, -2.0) == 4.0  # recorded at 1, the sign +1 frozen, the tape would give 0 here
    message = refused(compile(of_abs, backend=backend), 1.0)
    assert message.startswith("backward(create_graph=True) builds the derivative of abs(1.0) from its data")
    assert RECORDING in message


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_derivative_inside_f_that_reaches_a_parameter_is_refused(backend: str) -> None:
    w = Value(0.7, label="w")

    def f(x: Value) -> Value:
        y = abs(w * x) * (w * x).tanh()
        y.backward(create_graph=True)  # adds to w.grad, as a Value: the tape replays only its own backward
        return w.grad * x

    message = refused(compile(f, backend=backend), 1.0)
    assert message.startswith(
        "backward(create_graph=True) while compile() records the graph reaches Value(data=0.7, grad=0.0, "
        "label='w'), which was not made inside the recording"
    )
    assert w.grad == 0.0


def applied(op: Op, x: Value, a: Value) -> Value:
    """op at x, with a for any other argument (an exponent, a slope, a base, a divisor)."""
    args = (x,) if op.arity == 1 else (x, a) if op.arity == 2 else (x, a, a, x)  # sum, dot: any number
    out = apply(op, *args)
    assert isinstance(out, Value)
    return out


def derivatives(op: Op) -> Callable[[Value, Value], list[Value]]:
    """f(x, a): the derivatives of op at (x, a) by backward(create_graph=True), those that are Values."""

    def f(x: Value, a: Value) -> list[Value]:
        applied(op, x, a).backward(create_graph=True)
        return [g for g in (x.grad, a.grad) if isinstance(g, Value)]

    return f


# The ops whose derivatives as Values read their data (a sign, a branch on a comparison, or 1 / x against
# infinity at 0): refused while recording. Every other op's derivatives are ops, and replay.
READ_BY_DERIVATIVES = {"abs", "**", "r**", "sqrt", "relu", "leaky_relu", "elu", "selu", "bce", "hinge"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", TABLE, ids=repr)
def test_every_ops_derivative_taken_inside_f_replays_at_other_points_or_is_refused(
    backend: str, op: Op
) -> None:
    f = derivatives(op)
    points = []  # both sides of 0, where op is defined; inside [0, 1] (bce's); targets -1 and 1 (hinge's)
    for x, a in [
        (-1.1, 0.7),
        (0.8, 1.3),
        (-0.4, 0.5),
        (1.2, 0.9),
        (0.3, 0.6),
        (0.7, 0.2),
        (0.4, 1.0),
        (-0.2, -1.0),
    ]:
        try:
            points.append(((x, a), eager(f, x, a)))
        except MATH_ERRORS:
            continue
    assert len(points) >= 2
    c = compile(f, backend=backend)
    if op.name in READ_BY_DERIVATIVES:
        message = refused(c, *points[0][0])
        assert message.startswith(f"backward(create_graph=True) builds the derivative of {op.name}(")
        return
    for inputs, want in [*points, points[0]]:  # recorded at the first point, replayed at the others
        assert close(backend, c(*inputs), want), (inputs, want)
    assert len(c.tapes) == 1


# ---- nodes built outside f ----------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_node_built_outside_f_is_refused_naming_it(backend: str) -> None:
    w = Value(2.0)
    h = w * 3  # built once, with w = 2: the eager engine keeps its 6 when w changes
    h.label = "h"
    f = lambda x: h * x
    w.data = 5.0
    assert eager(f, 1.0) == 6.0 and w.grad == 3.0  # the tape would compute h again: 15
    w.grad = h.grad = 0.0
    for g in (f, lambda x: (h, h * x)):
        message = refused(compile(g, backend=backend), 1.0)
        assert message.startswith(
            "compile() cannot replay Value(data=6.0, grad=0.0, label='h') (*): it was not "
        )
        assert "built while f was recorded" in message and "build it inside f" in message
    assert w.grad == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_node_built_while_another_shape_was_recorded_is_refused(backend: str) -> None:
    w = Value(2.0)
    kept: list[Value] = []

    def f(xs: list[Value]) -> Value:
        if not kept:
            kept.append(w * 3)  # made inside f, but by the first recording only
        return Value.sum(kept[0] * x for x in xs)

    c = compile(f, backend=backend)
    assert c([1.0]) == 6.0
    with pytest.raises(TypeError, match=r"^compile\(\) cannot replay Value\(data=6\.0, grad=0\.0\) \(\*\)"):
        c([1.0, 2.0])  # a new shape: a second recording, which does not build the node again
    assert len(c.tapes) == 1


# ---- outputs of any kind and in any order ---------------------------------------------------------------
OUTPUTS: dict[str, Callable[[Value, Value, Value], Any]] = {
    "a parameter first": lambda w, v, x: (w, v * x),
    "an input first": lambda w, v, x: (x, w * x),
    "a parameter first, that the others use": lambda w, v, x: [w, w * x, v],
    "a parameter first, twice": lambda w, v, x: (w, [w, v * w * x]),
    "one node twice": lambda w, v, x: ((y := (w * x).tanh()), [y, v * y]),
    "the root after empty lists": lambda w, v, x: ([], ((), [w * v * x]), v),
    "an empty list": lambda w, v, x: [],
    "an empty tuple": lambda w, v, x: (),
    "empty lists and tuples in each other": lambda w, v, x: [[], ((), [])],
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", OUTPUTS)
def test_outputs_of_any_kind_give_eager_values_and_grads_from_the_first_output(
    backend: str, name: str
) -> None:
    runs = []
    for compiled in (False, True):
        w, v = Value(2.0), Value(-3.0)

        def f(x: Value, w: Value = w, v: Value = v) -> Any:
            return OUTPUTS[name](w, v, x)

        call = compile(f, backend=backend) if compiled else lambda x: eager(f, x)
        # grads accumulate across calls, as across backward() calls
        runs.append([(call(x), w.grad, v.grad) for x in (1.5, -0.5, 1.5)])
    assert close(backend, runs[1], runs[0]), runs


def test_a_function_of_nothing_returning_nothing_returns_it_on_every_path() -> None:
    for backend in BACKENDS:
        assert compile(lambda: [], backend=backend)() == []
    with detect_anomaly():  # run eagerly, with no output to differentiate
        assert compile(lambda x: ([], ()))(1.0) == ([], ())
    with no_grad():
        assert compile(lambda x: [[]])(1.0) == [[]]


# ---- static arguments, told apart as f tells them apart -------------------------------------------------
def eager_static(f: Callable[[Value, Any], Value], x: float, k: Any) -> float:
    """f's value eagerly, with k passed as it is (a static argument)."""
    return f(Value(x), k).data


def seen(k: Any) -> float:
    """A number f makes of how k shows (its repr), another for each of STATICS (the test checks)."""
    return float(sum((i + 1) * ord(ch) for i, ch in enumerate(repr(k))))


#: Static arguments that compare equal in pairs (or threes), each shown by f its own way.
STATICS = [
    *(1, 1.0, True, 0.0, -0.0, [1], (1,), [1.0], [0.0], [-0.0], {"a": 1, "b": 2}, {"b": 2, "a": 1}),
    *(([1, 2.0], {"a": (-0.0,)}), ([1, 2.0], {"a": (0.0,)}), frozenset({-0.0}), frozenset({0.0})),
    *(complex(0.0, -0.0), 0j),
    *(Decimal("0"), Decimal("-0"), np.float32(0.0), np.float32(-0.0)),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_static_arguments_that_compare_equal_but_differ_to_f_record_a_tape_each(backend: str) -> None:
    f = lambda x, k: x * seen(k)
    want = [eager_static(f, 2.0, k) for k in STATICS]
    assert len(set(want)) == len(STATICS)
    c = compile(f, backend=backend, static_argnums=1)
    for _ in range(2):  # recorded once per argument, then replayed
        assert [c(2.0, k) for k in STATICS] == want
    assert len(c.tapes) == len(STATICS)


def test_a_static_argument_told_apart_by_identity_alone_is_refused() -> None:
    class Settings:
        scale = 2.0

    c = compile(lambda x, s: x * s.scale, static_argnums=1)
    with pytest.raises(TypeError, match=r"is told apart by its value, and Settings is compared by identity"):
        c(1.0, Settings())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_static_zero_keeps_its_sign_and_a_nan_is_one_argument(backend: str) -> None:
    f = lambda x, s: x + math.copysign(1.0, s)
    signs = [0.0, -0.0, math.nan, -math.nan, float("nan"), -float("nan")]
    want = [eager_static(f, 1.0, s) for s in signs]
    assert want == [2.0, 0.0, 2.0, 0.0, 2.0, 0.0]
    c = compile(f, backend=backend, static_argnums=1)
    assert [c(1.0, s) for s in signs] == want
    assert len(c.tapes) == 4  # 0.0, -0.0, NaN and -NaN: a new NaN object is the same argument


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_class_index_of_the_wrong_type_is_refused_as_eagerly(backend: str) -> None:
    c = compile(lambda z0, z1, t: cross_entropy([z0, z1], t), backend=backend, static_argnums=2)
    assert c(0.5, -0.3, 1) == pytest.approx(math.log(math.exp(0.5) + math.exp(-0.3)) + 0.3, rel=1e-15)
    for index in (1.0, True):
        with pytest.raises(ValueError, match=r"target must be a class index in \[0, 2\)") as caught:
            cross_entropy([Value(0.5), Value(-0.3)], index)
        with pytest.raises(ValueError) as compiled:
            c(0.5, -0.3, index)
        assert str(compiled.value) == str(caught.value)


def test_static_arguments_keyed_alike_share_a_tape() -> None:
    c = compile(lambda x, k: x * len(k), static_argnums=1)
    for k in ([1.0, 2.0], [1.0, 2.0], [1, 2], [1, 2], ((1, 2.0), {"a": 1}), ((1, 2.0), {"a": 1})):
        c(1.0, k)
    assert len(c.tapes) == 3
