"""Each loss against torch.nn.functional in float64: value and gradient, on the committed oracle's inputs
(every Python) and on hypothesis-drawn ones (where torch is installed)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import records
from oracle.domains import hypothesis_draw
from oracle.learning import LOSSES, Loss, torch_loss
from oracle.points import BATCH, HINGE_TS, HINGE_W, HINGE_XS, ONE_SAMPLE

from autograd_lite import Value, compile
from autograd_lite.core.node import topological_order
from autograd_lite.data import one_hot
from autograd_lite.losses import binary_cross_entropy, cross_entropy, hinge, mse, sse
from autograd_lite.nn import MLP
from autograd_lite.optim import SGD
from autograd_lite.train import fit

BACKENDS = ["python", "numpy"]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-13)


def assert_matches(loss: Loss, xs: list[float], rest: Any, theirs: tuple[float, list[float]]) -> None:
    """Our loss of a Value per number and torch's agree on the value and on the gradient in each number."""
    vs = [Value(x) for x in xs]
    out = loss.ours(vs, rest)
    out.backward()
    value, grads = theirs
    assert close(out.data, value), (loss.name, xs, rest, out.data, value)
    assert len(grads) == len(vs)
    for v, g in zip(vs, grads):
        assert close(v.grad, g), (loss.name, xs, rest, v.grad, g)


@pytest.mark.parametrize("loss", LOSSES, ids=str)
def test_each_loss_matches_the_numbers_torch_gave_on_the_oracles_inputs(loss: Loss) -> None:
    for (xs, rest), theirs in records("losses", loss.name):
        assert_matches(loss, xs, rest, theirs)


@pytest.mark.usefixtures("torch_live")
@settings(deadline=None)
@given(data=st.data())
def test_every_loss_matches_torch_on_fresh_inputs(data: st.DataObject) -> None:
    """Each example draws inputs for every loss: 1 to 8 predictions, rows of up to 5 classes, logits up to
    300 (cross_entropy stays finite), hard and soft labels."""
    draw = hypothesis_draw(data)
    for loss in LOSSES:
        xs, rest = loss.draw(draw)
        assert_matches(loss, xs, rest, torch_loss(loss, xs, rest))


def test_cross_entropy_of_one_sample_takes_a_class_index() -> None:
    logits, index = ONE_SAMPLE
    vs = [Value(x) for x in logits]
    out = cross_entropy(vs, index)
    out.backward()
    theirs = records("points", "cross_entropy_of_one_sample")
    assert close(out.data, theirs["value"])
    assert [v.grad for v in vs] == pytest.approx(theirs["grads"], rel=1e-12, abs=1e-13)


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


def test_losses_take_a_models_batch_as_it_comes() -> None:
    """One list of outputs per sample (multi-output) flattens like a 2-D tensor."""
    xs, ts = BATCH
    vs = [[Value(x) for x in row] for row in xs]
    out = mse(vs, ts)
    out.backward()
    theirs = records("points", "mse_of_a_batch")
    assert close(out.data, theirs["value"])
    assert [v.grad for row in vs for v in row] == pytest.approx(theirs["grads"], rel=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: mse([Value(1.0), Value(2.0)], [1.0]),
            r"mse\(\) needs as many targets as predictions .* got 2 and 1",
        ),
        (lambda: sse([], []), r"sse\(\) needs as many targets as predictions \(at least one\), got 0 and 0"),
        (
            lambda: hinge([Value(0.3)], [0]),
            r"^hinge\(0\.3, 0\.0\) is outside the op's domain \(defined for a target t of -1 or 1\)$",
        ),
        (
            lambda: binary_cross_entropy([Value(1.5)], [1.0]),
            r"^bce\(1\.5, 1\.0\) is outside the op's domain \(defined for p and t in \[0, 1\], p > 0 where",
        ),
        (
            lambda: binary_cross_entropy([Value(1.0)], [0.0]),
            r"^bce\(1\.0, 0\.0\) is outside .* p < 1 where t < 1; binary_cross_entropy_with_logits stays",
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
    w = Value(HINGE_W)
    loss = compile(lambda xs, ts: hinge([w * x for x in xs], ts), static_argnums=1)
    loss(HINGE_XS, HINGE_TS)
    assert w.grad == pytest.approx(records("points", "hinge_weight_grad"), rel=1e-15)
    loss([2.0, 1.0], HINGE_TS)  # the same targets: replayed
    assert len(loss.tapes) == 1
    with pytest.raises(ValueError, match=r"^hinge\(1\.5, 0\.0\) is outside the op's domain"):
        loss([1.0, 3.0], [1.0, 0.0])  # new targets: recorded again, and checked


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


def eager_and_compiled(
    f: Callable[..., Value], params: list[Value], backend: str, recorded_at: tuple[Any, ...], *inputs: Any
) -> tuple[tuple[float, list[float]], tuple[float, list[float]]]:
    """f's loss and its gradients eagerly, then from a compiled f recorded at other inputs and replayed."""
    c = compile(f, backend=backend)
    c(*recorded_at)
    for p in params:
        p.grad = 0.0
    out = f(*inputs)
    out.backward()
    eager = out.data, [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return eager, (c(*inputs), [p.grad for p in params])


def assert_replayed(backend: str, got: tuple[float, list[float]], want: tuple[float, list[float]]) -> None:
    """The pure-Python replay gives the eager numbers to the bit; the NumPy one to rounding."""
    if backend == "python":
        assert got == want
    else:
        assert [got[0], *got[1]] == pytest.approx([want[0], *want[1]], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "logits", [[-740.0, -741.0, -739.5], [720.0, 719.0, 718.0], [-800.0, -900.0, -750.0]], ids=str
)
def test_a_compiled_cross_entropy_replayed_far_from_its_recorded_logits_gives_the_eager_loss(
    backend: str, logits: list[float]
) -> None:
    """No number is read while recording: the shift by the largest logit is taken at every replay."""
    w, b = Value(1.0), Value(0.5)

    def loss(zs: list[Any], targets: list[Any]) -> Value:
        return cross_entropy([w * z + b for z in zs], targets)

    want, got = eager_and_compiled(
        loss, [w, b], backend, ([0.5, -1.0, 2.0], [0.0, 1.0, 0.0]), logits, [0.0, 1.0, 0.0]
    )
    assert all(math.isfinite(x) for x in [want[0], *want[1]])
    assert_replayed(backend, got, want)


def test_cross_entropy_is_two_nodes_per_sample_of_ten_classes() -> None:
    """logsumexp is one node: -log softmax(z)[t] is logsumexp(z) - z[t]."""
    zs = [Value(float(k)) for k in range(10)]
    out = cross_entropy([zs, zs], [3, 7])
    interior = [v for v in topological_order(out) if v.parents]
    assert len(interior) == 2 * 2 + 2  # per sample logsumexp and a difference; the batch's sum and mean


def test_fit_trains_on_pixels_up_to_255_with_cross_entropy_compiled_as_eagerly() -> None:
    """Dark rows and bright ones: logits near 0 for some samples, near 900 for others, so a batch's logits
    at replay are far from those recorded."""
    rng = random.Random(3)
    X = [[float(rng.randrange(256)) * (k % 2) for _ in range(16)] for k in range(12)]
    y = one_hot([k % 3 for k in range(12)], 3)
    runs = []
    for compiled in (False, True):
        model = MLP(16, [3], seed=0)
        optimizer = SGD(model.parameters(), lr=1e-5)
        history = fit(
            model,
            X,
            y,
            loss=cross_entropy,
            optimizer=optimizer,
            epochs=4,
            batch_size=4,
            seed=5,
            progress=False,
            compiled=compiled,
        )
        runs.append(history.loss)
    eager, replayed = runs
    assert all(math.isfinite(x) for x in eager) and eager[-1] < eager[0]
    assert replayed == pytest.approx(eager, rel=1e-12)


# Losses whose targets may be a compiled function's inputs (Values there), each with a model's last activation
# and the targets it takes: binary_cross_entropy of probabilities, hinge of scores.
WITH_TARGET_INPUTS = {
    "binary_cross_entropy": (binary_cross_entropy, "sigmoid", [0.0, 1.0, 0.25, 1.0], [1.0, 0.0, 0.5, 0.75]),
    "hinge": (hinge, None, [1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, 1.0]),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", WITH_TARGET_INPUTS)
def test_a_compiled_loss_takes_its_targets_as_inputs_and_gives_the_eager_loss_of_the_numbers(
    backend: str, name: str
) -> None:
    """The targets are Values while compile() records: the loss is built from ops, reading none of them."""
    loss, activation, recorded_targets, targets = WITH_TARGET_INPUTS[name]
    w, b = Value(0.75), Value(-0.25)

    def f(xs: list[Any], ts: list[Any]) -> Value:
        outputs = [w * x + b for x in xs]
        return loss([o.sigmoid() for o in outputs] if activation else outputs, ts)

    xs = [0.5, -1.5, 2.0, 0.1]
    want, got = eager_and_compiled(f, [w, b], backend, (xs, recorded_targets), [1.0, 0.3, -2.0, 0.7], targets)
    assert_replayed(backend, got, want)


@pytest.mark.parametrize("name", WITH_TARGET_INPUTS)
def test_fit_compiled_with_row_targets_takes_the_eager_runs_steps(name: str) -> None:
    """Targets that are rows, [[0.0], [1.0], ...], are the compiled step's inputs, not static arguments."""
    loss, activation, _, _ = WITH_TARGET_INPUTS[name]
    rng = random.Random(2)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(10)]
    low = 0.0 if loss is binary_cross_entropy else -1.0
    y = [[1.0 if x0 * x1 > 0 else low] for x0, x1 in X]
    runs = []
    for compiled in (False, True):
        model = MLP(2, [4, 1], output_activation=activation, seed=0)
        optimizer = SGD(model.parameters(), lr=0.1)
        history = fit(
            model,
            X,
            y,
            loss=loss,
            optimizer=optimizer,
            epochs=3,
            batch_size=5,
            seed=1,
            progress=False,
            compiled=compiled,
        )
        runs.append((history.loss, [p.data for p in model.parameters()]))
    (eager, eager_weights), (replayed, replayed_weights) = runs
    assert replayed == pytest.approx(eager, rel=1e-12)
    assert replayed_weights == pytest.approx(eager_weights, rel=1e-12, abs=1e-15)


def test_a_target_is_checked_alike_whether_a_number_or_a_value_and_in_a_replay() -> None:
    """bce and hinge are ops: a Value target (a compiled function's input) is checked as a number target
    is, a log with a zero weight is left out for both, and a replay checks the probability at every
    call."""
    for target in (0.0, Value(0.0)):
        with pytest.raises(ValueError, match=r"^hinge\(0\.25, 0\.0\) is outside the op's domain"):
            hinge([Value(0.25)], [target])
    for target in (1.0, Value(1.0)):
        with pytest.raises(ValueError, match=r"^bce\(1\.5, 1\.0\) is outside the op's domain"):
            binary_cross_entropy([Value(1.5)], [target])
        p = Value(1.0)
        loss = binary_cross_entropy([p], [target])
        loss.backward()
        assert (loss.data, p.grad) == (0.0, -1.0)  # -log 1, and d/dp of -log p
    w = Value(0.5)
    for backend in BACKENDS:  # recorded at p = 0.5; replayed at 1.5, outside [0, 1], where eager raises
        step = compile(lambda x, t: binary_cross_entropy([w * x], t), backend=backend, static_argnums=1)
        assert step(1.0, [1.0]) == -math.log(0.5)
        with pytest.raises(ValueError, match=r"^bce\(1\.5, 1\.0\) is outside the op's domain"):
            step(3.0, [1.0])
