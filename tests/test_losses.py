"""Each loss against torch.nn.functional in float64: value and gradient, on hypothesis-drawn inputs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, compile
from autograd_lite.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    l2_penalty,
    mse,
    sse,
)

floats = st.floats(-8.0, 8.0, allow_nan=False)
unit = st.floats(1e-6, 1 - 1e-6)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-13)


def compare(
    ours: Callable[[list[Value]], Value], theirs: Callable[[torch.Tensor], torch.Tensor], xs: list[float]
) -> None:
    """ours(Values) and theirs(tensor) agree on the value and on the gradient for each input."""
    vs = [Value(x) for x in xs]
    out = ours(vs)
    out.backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tout = theirs(t)
    tout.backward()
    assert t.grad is not None
    assert close(out.data, tout.item()), (out.data, tout.item())
    for v, g in zip(vs, t.grad.tolist()):
        assert close(v.grad, g), (v.grad, g)


def pairs(elements: st.SearchStrategy[float], targets: st.SearchStrategy[Any]) -> Any:
    return st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(elements, min_size=n, max_size=n), st.lists(targets, min_size=n, max_size=n)
        )
    )


@given(pairs(floats, floats))
def test_mse_matches_torch(case: tuple[list[float], list[float]]) -> None:
    xs, ts = case
    compare(lambda v: mse(v, ts), lambda t: F.mse_loss(t, torch.tensor(ts, dtype=torch.float64)), xs)


@given(pairs(floats, floats))
def test_sse_matches_torch(case: tuple[list[float], list[float]]) -> None:
    xs, ts = case
    compare(
        lambda v: sse(v, ts),
        lambda t: F.mse_loss(t, torch.tensor(ts, dtype=torch.float64), reduction="sum"),
        xs,
    )


@given(pairs(unit, st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))))
def test_binary_cross_entropy_matches_torch(case: tuple[list[float], list[float]]) -> None:
    xs, ts = case
    compare(
        lambda v: binary_cross_entropy(v, ts),
        lambda t: F.binary_cross_entropy(t, torch.tensor(ts, dtype=torch.float64)),
        xs,
    )


@given(pairs(st.floats(-60.0, 60.0), st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))))
def test_binary_cross_entropy_with_logits_matches_torch_even_for_large_logits(
    case: tuple[list[float], list[float]],
) -> None:
    xs, ts = case
    compare(
        lambda v: binary_cross_entropy_with_logits(v, ts),
        lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(ts, dtype=torch.float64)),
        xs,
    )


@settings(deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda classes: st.tuples(
            st.lists(
                st.lists(st.floats(-300.0, 300.0), min_size=classes, max_size=classes), min_size=1, max_size=6
            ),
            st.lists(st.integers(0, classes - 1), min_size=6, max_size=6),
        )
    )
)
def test_cross_entropy_matches_torch_and_stays_finite_for_large_logits(
    case: tuple[list[list[float]], list[int]],
) -> None:
    rows, targets = case
    targets = targets[: len(rows)]
    classes = len(rows[0])
    flat = [x for row in rows for x in row]

    def ours(vs: list[Value]) -> Value:
        return cross_entropy([vs[i : i + classes] for i in range(0, len(vs), classes)], targets)

    compare(ours, lambda t: F.cross_entropy(t.reshape(len(rows), classes), torch.tensor(targets)), flat)


def test_cross_entropy_of_one_sample_takes_a_class_index() -> None:
    compare(
        lambda v: cross_entropy(v, 2),
        lambda t: F.cross_entropy(t, torch.tensor(2)),
        [0.5, -1.0, 2.0, 0.1],
    )


@settings(deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda classes: st.lists(
            st.tuples(
                st.lists(st.floats(-30.0, 30.0), min_size=classes, max_size=classes),
                st.lists(st.floats(0.0, 1.0), min_size=classes, max_size=classes),
            ),
            min_size=1,
            max_size=4,
        )
    )
)
def test_cross_entropy_with_class_probabilities_matches_torch_in_the_logits_and_the_probabilities(
    case: list[tuple[list[float], list[float]]],
) -> None:
    """As torch's, for any weights (they need not sum to 1), with the weights differentiated too."""
    classes, n = len(case[0][0]), len(case)
    flat = [x for logits, _ in case for x in logits] + [p for _, probs in case for p in probs]

    def ours(vs: list[Value]) -> Value:
        rows = [vs[i : i + classes] for i in range(0, n * classes, classes)]
        probs = [vs[n * classes + i : n * classes + i + classes] for i in range(0, n * classes, classes)]
        return cross_entropy(rows, probs) if n > 1 else cross_entropy(rows[0], probs[0])

    def theirs(t: torch.Tensor) -> torch.Tensor:
        logits, probs = t[: n * classes].reshape(n, classes), t[n * classes :].reshape(n, classes)
        return F.cross_entropy(logits, probs) if n > 1 else F.cross_entropy(logits[0], probs[0])

    compare(ours, theirs, flat)


def test_one_hot_targets_give_the_class_index_loss_and_let_a_compiled_loss_take_them_as_inputs() -> None:
    w = [Value(0.5), Value(-1.0), Value(0.25)]

    def loss(xs: list[Any], targets: list[Any]) -> Value:
        return cross_entropy([[wk * x for wk in w] for x in xs], targets)

    xs, labels = [1.0, -2.0, 0.5], [2, 0, 1]
    one_hot = [[float(k == label) for k in range(3)] for label in labels]
    by_index = loss([Value(x) for x in xs], labels)
    by_index.backward()
    want = [v.grad for v in w]
    c = compile(loss)  # the targets are inputs, not static: one tape for every batch of classes
    for v in w:
        v.grad = 0.0
    assert c(xs, one_hot) == pytest.approx(by_index.data, rel=1e-12)
    assert [v.grad for v in w] == pytest.approx(want, rel=1e-12)
    assert c([3.0, 1.0, -1.0], [[0.0, 1.0, 0.0]] * 3) != c(xs, one_hot) and len(c.tapes) == 1


@given(pairs(floats, st.sampled_from([-1.0, 1.0])))
def test_hinge_is_micrographs_max_margin_loss(case: tuple[list[float], list[float]]) -> None:
    xs, ts = case
    compare(
        lambda v: hinge(v, ts), lambda t: F.relu(1 - torch.tensor(ts, dtype=torch.float64) * t).mean(), xs
    )


@given(st.lists(floats, min_size=1, max_size=10), st.floats(0.0, 1.0))
def test_l2_penalty_is_alpha_times_the_sum_of_squares(xs: list[float], alpha: float) -> None:
    compare(lambda v: l2_penalty(v, alpha), lambda t: alpha * (t * t).sum(), xs)


def test_losses_take_a_models_batch_as_it_comes() -> None:
    """One list of outputs per sample (multi-output) flattens like a 2-D tensor."""
    xs = [[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]]
    ts = [[0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]]
    vs = [[Value(x) for x in row] for row in xs]
    out = mse(vs, ts)
    out.backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tout = F.mse_loss(t, torch.tensor(ts, dtype=torch.float64))
    tout.backward()
    assert t.grad is not None
    assert close(out.data, tout.item())
    assert [v.grad for row in vs for v in row] == pytest.approx(t.grad.flatten().tolist(), rel=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: mse([Value(1.0), Value(2.0)], [1.0]),
            r"mse\(\) needs as many targets as predictions .* got 2 and 1",
        ),
        (lambda: sse([], []), r"sse\(\) needs as many targets as predictions \(at least one\), got 0 and 0"),
        (lambda: hinge([Value(0.3)], [0]), r"hinge\(\) takes targets -1 or 1, got 0"),
        (
            lambda: binary_cross_entropy([Value(1.5)], [1.0]),
            r"binary_cross_entropy\(\) takes probabilities and targets in \[0, 1\], got 1\.5 and 1\.0",
        ),
        (
            lambda: binary_cross_entropy([Value(1.0)], [0.0]),
            r"probability 1\.0 for target 0\.0 gives an infinite loss; binary_cross_entropy_with_logits",
        ),
        (
            lambda: cross_entropy([Value(1.0), Value(2.0)], 2),
            r"cross_entropy\(\) target must be a class index in \[0, 2\) or 2 class probabilities, got 2",
        ),
        (
            lambda: cross_entropy([[1.0, 2.0], [0.5, 0.1]], 1),
            r"^cross_entropy\(\): a batch of rows needs one class index per row \(a list\), "
            r"got 2 rows and the one index 1$",
        ),
        (
            lambda: cross_entropy([Value(1.0), Value(2.0)], [1.0]),
            r"cross_entropy\(\) class probabilities must be 2 numbers, one per logit, got \[1\.0\]",
        ),
        (
            lambda: cross_entropy([[Value(1.0)], [Value(2.0)]], [0]),
            r"cross_entropy\(\) needs one target per row of logits \(at least one\), got 2 and 1",
        ),
    ],
)
def test_bad_input_gets_an_error_naming_it(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_a_compiled_loss_gets_its_targets_as_numbers_and_checks_them_on_every_call() -> None:
    w = Value(0.5)
    loss = compile(lambda xs, ts: hinge([w * x for x in xs], ts), static_argnums=1)
    loss([1.0, 3.0], [1.0, -1.0])
    tw = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    F.relu(
        1 - torch.tensor([1.0, -1.0], dtype=torch.float64) * tw * torch.tensor([1.0, 3.0])
    ).mean().backward()
    assert w.grad == pytest.approx(tw.grad.item(), rel=1e-15)  # type: ignore[union-attr]
    loss([2.0, 1.0], [1.0, -1.0])  # the same targets: replayed
    assert len(loss.tapes) == 1
    with pytest.raises(ValueError, match=r"^hinge\(\) takes targets -1 or 1, got 0\.0$"):
        loss([1.0, 3.0], [1.0, 0.0])  # new targets: recorded again, so checked


def test_a_target_that_is_not_a_number_is_named() -> None:
    with pytest.raises(TypeError, match=r"mse\(\) takes numbers, Values, or sequences of them; got str: 'a'"):
        mse([Value(1.0)], ["a"])


def test_binary_cross_entropy_of_a_saturated_but_right_prediction_is_zero() -> None:
    """sigmoid(40) rounds to 1.0: with target 1 the loss is 0, not log(0) of the unused term."""
    p = Value(40.0).sigmoid()
    assert p.data == 1.0
    loss = binary_cross_entropy([p], [1.0])
    loss.backward()
    assert loss.data == 0.0
