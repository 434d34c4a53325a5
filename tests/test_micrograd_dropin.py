"""micrograd's idioms, run on both engines: the lecture's backprop by hand, an op written with a closure,
a subclass adding an op. Each runs the same code on micrograd's Value and on ours and compares the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import micrograd.engine
import numpy as np
import pytest
from oracle import records
from oracle.points import SIGMOID_AT

from autograd_lite import Value, compile
from autograd_lite.nn import MLP, Layer, Neuron
from autograd_lite.viz import step_through

ENGINES = {"micrograd": micrograd.engine.Value, "autograd-lite": Value}


def lecture_by_hand(V: Any) -> dict[str, float]:
    """The lecture's neuron and its backward pass run node by node, with micrograd's ops (relu for tanh)."""
    x1, x2, w1, w2, b = V(2.0), V(0.0), V(-3.0), V(1.0), V(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    half = n * 0.5
    o = half.relu()
    o.grad = 1.0
    for node in (o, half, n, x1w1x2w2, x2w2, x1w1):
        node._backward()
    return {k: float(v.grad) for k, v in dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n).items()}


def test_the_lectures_backprop_by_hand_gives_micrographs_grads() -> None:
    assert lecture_by_hand(Value) == lecture_by_hand(micrograd.engine.Value)


def test_the_lectures_tanh_neuron_by_hand_gives_backwards_grads() -> None:
    def neuron() -> tuple[list[Value], Value, list[Value]]:
        x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
        w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
        b = Value(6.8813735870195432, label="b")
        x1w1, x2w2 = x1 * w1, x2 * w2
        x1w1x2w2 = x1w1 + x2w2
        n = x1w1x2w2 + b
        o = n.tanh()
        return [x1, x2, w1, w2, b], o, [o, n, b, x1w1x2w2, x2w2, x1w1, x1, w1]

    leaves, o, nodes = neuron()
    o.grad = 1.0
    for node in nodes:
        node._backward()  # a leaf's does nothing
    by_hand = [v.grad for v in leaves]
    leaves, o, _ = neuron()
    o.backward()
    assert by_hand == [v.grad for v in leaves]
    assert by_hand[2] == pytest.approx(1.0) and by_hand[0] == pytest.approx(-1.5)  # the lecture's numbers


def sigmoid(V: Any, x: Any) -> Any:
    """An op written micrograd's way: a node made by hand, with a closure for its backward."""
    t = 1 / (1 + math.exp(-x.data))
    out = V(t, (x,), "sigmoid")

    def _backward() -> None:
        x.grad += t * (1 - t) * out.grad

    out._backward = _backward
    return out


def with_hand_made_sigmoid(V: Any) -> list[float]:
    a, b = (V(x) for x in SIGMOID_AT)
    h = sigmoid(V, a * b + 0.5)
    out = sigmoid(V, h * a) * b + h
    out.backward()
    return [float(out.data), float(a.grad), float(b.grad)]


def test_a_hand_written_op_with_a_closure_gives_micrographs_result() -> None:
    assert with_hand_made_sigmoid(Value) == pytest.approx(
        with_hand_made_sigmoid(micrograd.engine.Value), rel=1e-15
    )


def subclass_with_an_op(base: Any) -> list[float]:
    class Extended(base):  # type: ignore[misc, valid-type]
        def __init__(self, data: float, _children: Any = (), _op: str = "") -> None:
            super().__init__(data, _children, _op)

        def cube(self) -> Any:
            out = Extended(self.data**3, (self,), "cube")

            def _backward() -> None:
                self.grad += 3 * self.data**2 * out.grad

            out._backward = _backward
            return out

    x = Extended(1.5)
    y = Extended(-0.5)
    c = x.cube()  # an Extended; ops between Values give the base class, in micrograd too
    z = c * y + x * c.cube()
    z.backward()
    return [float(z.data), float(x.grad), float(y.grad)]


def test_a_subclass_adding_an_op_gives_micrographs_result() -> None:
    assert subclass_with_an_op(Value) == pytest.approx(subclass_with_an_op(micrograd.engine.Value), rel=1e-15)


def test_hand_made_nodes_show_their_op_and_children_and_step_with_what_their_closure_added() -> None:
    x = Value(0.4, label="x")
    s = sigmoid(Value, x)
    s.label = "s"
    assert (s.op, s.parents, s._prev, s.local_grads) == ("sigmoid", (x,), {x}, ())
    stepper = step_through(s * 2)
    last = stepper.steps[-1]
    t = s.data
    assert (last.parent, last.contribution) == (x, pytest.approx(2 * t * (1 - t)))
    assert "x.grad += \u2202s/\u2202x" in stepper.equation(last)


def test_create_graph_refuses_a_hand_made_node_before_changing_any_grad() -> None:
    x = Value(0.4)
    x.grad = 5.0
    y = sigmoid(Value, x) * x
    with pytest.raises(TypeError, match=r"cannot differentiate the node 0\.59.* made by hand .*define_op"):
        y.backward(create_graph=True)
    assert x.grad == 5.0


def test_compile_refuses_a_hand_made_node_and_says_what_to_do() -> None:
    w = Value(0.4)
    c = compile(lambda x: sigmoid(Value, w * x))  # micrograd's way: it reads the input's .data
    with pytest.raises(TypeError, match=r"^reading \.data of Value\(data=0\.4, .* while compile\(\) records"):
        c(1.0)
    c = compile(lambda x: Value(0.5, (w * x,), "half"))
    with pytest.raises(TypeError, match=r"compile\(\) cannot replay .* made by hand .*define_op"):
        c(1.0)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Value(5.0, "x"), TypeError, r"_children must be Values .* for a label, pass label='x'"),
        (lambda: Value(1.0, label=5), TypeError, r"label must be a str, got int: 5"),  # type: ignore[arg-type]
        (lambda: Value(1.0, (2.0,)), TypeError, r"_children must be Values, got float: 2\.0"),  # type: ignore[arg-type]
        (lambda: Value(1.0, (Value(2.0),), 7), TypeError, r"_op must be a str, got int: 7"),  # type: ignore[arg-type]
    ],
)
def test_bad_constructor_arguments_are_refused_naming_them(
    make: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_closure_goes_only_to_a_node_made_by_hand() -> None:
    y = Value(2.0) * 3
    with pytest.raises(TypeError, match=r"made by an op, whose local gradients it keeps"):
        y._backward = lambda: None


def test_a_node_made_by_hand_with_no_closure_passes_nothing_back_as_in_micrograd() -> None:
    for V in ENGINES.values():
        x = V(2.0)
        y = V(3.0, (x,), "noop") * x
        y.backward()
        assert x.grad == 3.0  # only through the product


def test_nn_takes_integral_sizes_of_any_type_and_inputs_from_any_iterable() -> None:
    model = MLP(np.int64(2), list(np.array([3, 1])), seed=0)
    assert [len(layer.neurons) for layer in model.layers] == [3, 1]
    xs = [0.5, -1.0]
    assert model(x for x in xs).data == model(xs).data
    neuron, layer = Neuron(2), Layer(2, 2)
    assert neuron(iter(xs)).data == neuron(xs).data
    assert [o.data for o in layer(x for x in xs)] == [o.data for o in layer(xs)]
    with pytest.raises(ValueError, match=r"nin must be a positive integer, got 2\.5"):
        MLP(2.5, [3])  # type: ignore[arg-type]


def test_torch_agrees_with_the_hand_made_sigmoid() -> None:
    theirs = records("points", "hand_made_sigmoid")
    assert with_hand_made_sigmoid(Value)[1:] == pytest.approx(theirs, rel=1e-14)


def lectures_own_topological_sort(V: Any) -> list[float]:
    """The lecture's cell that sorts the graph by hand through _prev, then calls each _backward."""
    a, b = V(2.0), V(-3.0)
    c = a * b + a
    d = (c * c + b).relu() + c * 2
    topo: list[Any] = []
    visited: set[Any] = set()

    def build_topo(v: Any) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(d)
    d.grad = 1.0
    for node in reversed(topo):
        node._backward()
    return [float(a.grad), float(b.grad), float(d.data)]


def test_the_lectures_hand_written_sort_and_backward_loop_give_micrographs_grads() -> None:
    assert lectures_own_topological_sort(Value) == lectures_own_topological_sort(micrograd.engine.Value)
