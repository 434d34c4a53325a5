"""The README's training loop, compiled: ``optimizer.zero_grad(); step(X, y); optimizer.step()``.

With NumPy the parameters are held in arrays from step to step (``core.held``); the oracle is the
same loop run eagerly: every parameter's data and grad, read after every step, are eager's (to the
NumPy replay's rounding), a weight written by hand between steps is seen by the next step, and the
parameters are plain Values again once the loop's compiled step and optimizer are gone.
"""

from __future__ import annotations

import copy
import gc
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from autograd_lite import Value, compile
from autograd_lite.data import make_moons
from autograd_lite.losses import hinge, l2_penalty
from autograd_lite.nn import MLP
from autograd_lite.optim import SGD, Adam, Optimizer

X, LABELS = make_moons(40, noise=0.1, seed=3)
Y = [2.0 * t - 1.0 for t in LABELS]
OPTIMIZERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "SGD with momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: Adam(ps, lr=0.02),
}


def loss_of(model: MLP) -> Callable[[Any, Any], Value]:
    def loss(xs: Any, ys: Any) -> Value:
        return hinge([model(x) for x in xs], ys) + l2_penalty(model.parameters(), 1e-4)

    return loss


def close(got: list[float], want: list[float]) -> bool:
    return got == pytest.approx(want, rel=1e-12, abs=1e-14)


def run_loop(
    compiled: bool, optimizer_of: Callable[[list[Value]], Optimizer], steps: int = 12, by_hand: int = 6
) -> list[tuple[float, list[float], list[float]]]:
    """Each step's loss, then every parameter's data and grad read after it; at step ``by_hand`` a
    weight is set by hand and a grad zeroed by hand."""
    model = MLP(2, [8, 8, 1], seed=1)
    optimizer = optimizer_of(model.parameters())
    loss = loss_of(model)
    step = compile(loss, static_argnums=1, backend="numpy")
    seen = []
    for k in range(steps):
        optimizer.zero_grad()
        if compiled:
            value = step(X, Y)
        else:
            root = loss([[Value(a) for a in x] for x in X], Y)
            root.backward()
            value = root.data
        optimizer.step()
        params = model.parameters()
        seen.append((value, [p.data for p in params], [p.grad for p in params]))
        if k == by_hand:
            params[0].data += 0.25
            params[3].grad = 0.0
    return seen


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_compiled_loop_leaves_every_parameter_where_the_eager_loop_does_after_every_step(
    name: str,
) -> None:
    compiled, eager = run_loop(True, OPTIMIZERS[name]), run_loop(False, OPTIMIZERS[name])
    for k, ((value, data, grads), (want, want_data, want_grads)) in enumerate(zip(compiled, eager)):
        assert value == pytest.approx(want, rel=1e-12), k
        assert close(data, want_data) and close(grads, want_grads), k


def test_held_parameters_read_write_pickle_and_copy_as_values_and_are_let_go_with_the_loop() -> None:
    model = MLP(2, [4, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    step = compile(loss_of(model), static_argnums=1, backend="numpy")
    for _ in range(3):
        optimizer.zero_grad()
        step(X, Y)
        optimizer.step()
    w = model.parameters()[0]
    assert type(w).__name__ == "HeldValue" and isinstance(w, Value)
    now = model.state_dict()
    restored = pickle.loads(pickle.dumps(model))
    assert restored.state_dict() == now and type(restored.parameters()[0]) is Value
    assert copy.deepcopy(model).state_dict() == now
    assert copy.copy(w).data == w.data and type(copy.copy(w)) is Value
    optimizer.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    step(X, Y)
    optimizer.step()
    last = model.state_dict()
    del step, optimizer
    gc.collect()
    assert all(type(p) is Value for p in model.parameters())  # plain again, with the last numbers
    assert model.state_dict() == last


def test_a_grad_that_became_a_value_is_kept_and_the_next_step_holds_the_parameters_again() -> None:
    w = Value(0.5)
    step = compile(lambda xs: Value.sum([(w * x).tanh() for x in xs]), backend="numpy")
    step([1.0, 2.0])
    y = w * w
    y.backward(create_graph=True)  # w.grad: 1st step's grad + 2w, a Value
    assert isinstance(w.grad, Value)
    grad = w.grad.data
    step([1.0, 2.0])  # on the Values: the sum keeps its graph, as eagerly
    assert isinstance(w.grad, Value)
    assert w.grad.data == pytest.approx(
        grad + sum(x * (1 - Value(0.5 * x).tanh().data ** 2) for x in [1.0, 2.0])
    )


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_arrays_given_to_a_compiled_step_are_read_as_the_nested_lists_of_their_shape(backend: str) -> None:
    import numpy as np

    model = MLP(2, [4, 1], seed=0)
    step = compile(lambda xs, ys: hinge([model(x) for x in xs], ys), backend=backend)
    as_lists = step(X[:8], Y[:8])
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert step(np.array(X[:8]), np.array(Y[:8])) == as_lists  # its own tape, the same numbers
    assert [p.grad for p in model.parameters()] == grads
    assert len(step.tapes) == 2
    with pytest.raises(TypeError, match=r"takes arrays of real numbers, got one of <U1"):
        step(np.array([["a", "b"]]), np.array([1.0]))
