"""fit() in each batch mode against the textbook loop, its History, progress bar and pictures; the demo."""

from __future__ import annotations

import io
import math
import pickle
import random
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from autograd_lite import Value
from autograd_lite.core.compile import Compiled
from autograd_lite.core.node import Node
from autograd_lite.data import make_moons, one_hot
from autograd_lite.learning import train
from autograd_lite.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    l2_penalty,
    mse,
)
from autograd_lite.nn import MLP, Layer, Module
from autograd_lite.optim import SGD, Adam, AdamW
from autograd_lite.plots import confusion_matrix, decision_boundary
from autograd_lite.tools import cli
from autograd_lite.train import argmax_accuracy, fit, sign_accuracy, threshold_accuracy

X, LABELS = make_moons(24, noise=0.1, seed=2)
Y = [2 * t - 1 for t in LABELS]


def textbook_loop(model: MLP, batch_size: int | None, epochs: int, seed: int) -> list[float]:
    """Forward, loss, backward, update, written out; the batches in the order fit() promises. Epoch losses."""
    opt = Adam(model.parameters(), lr=0.01)
    rng = random.Random(seed)
    order = list(range(len(X)))
    losses = []
    for _ in range(epochs):
        if batch_size is not None:
            rng.shuffle(order)
        size = batch_size or len(X)
        total = 0.0
        for start in range(0, len(X), size):
            batch = order[start : start + size]
            loss = hinge([model([*X[i]]) for i in batch], [Y[i] for i in batch])
            for p in model.parameters():
                p.grad = 0.0
            loss.backward()
            opt.step()
            total += loss.data * len(batch)
        losses.append(total / len(X))
    return losses


@pytest.mark.parametrize(
    "batch_size", [None, 1, 5, 24], ids=["full-batch", "online", "mini-batch", "one-batch"]
)
def test_fit_takes_the_same_steps_as_the_textbook_loop(batch_size: int | None) -> None:
    ours, theirs = MLP(2, [6, 1], seed=0), MLP(2, [6, 1], seed=0)
    history = fit(
        ours,
        X,
        Y,
        loss=hinge,
        optimizer=Adam(ours.parameters(), lr=0.01),
        epochs=4,
        batch_size=batch_size,
        seed=11,
        progress=False,
    )
    assert history.loss == textbook_loop(theirs, batch_size, epochs=4, seed=11)
    assert ours.state_dict() == theirs.state_dict()


OPTIMIZERS = {
    "adam": lambda ps: Adam(ps, lr=0.01),
    "momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),  # keeps a buffer from the first step's grads
}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [None, 1, 5], ids=["full-batch", "online", "mini-batch"])
def test_fit_compiled_takes_the_eager_runs_steps_and_diagnostics(
    batch_size: int | None, optimizer: str
) -> None:
    """The replay adds gradient contributions in another order: equal to 1e-12, not to the bit."""
    runs = []
    for compiled in (False, True):
        model = MLP(2, [6, 6, 1], seed=0)
        history = fit(
            model,
            X,
            Y,
            loss=lambda outs, ts, model=model: hinge(outs, ts) + l2_penalty(model.parameters(), 1e-3),
            optimizer=OPTIMIZERS[optimizer](model.parameters()),
            epochs=6,
            batch_size=batch_size,
            accuracy=sign_accuracy,
            seed=11,
            progress=False,
            compiled=compiled,
        )
        runs.append((history, list(model.state_dict().values())))
    (eager, eager_weights), (compiled, compiled_weights) = runs
    assert compiled.accuracy == eager.accuracy and compiled.dead_relus == eager.dead_relus
    for got, want in [
        (compiled.loss, eager.loss),
        (compiled_weights, eager_weights),
        *zip(compiled.grad_norms, eager.grad_norms),
    ]:
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("batch_size", [None, 4], ids=["full-batch", "mini-batch"])
def test_fit_compiled_takes_targets_as_numbers_so_cross_entropy_compiles_too(batch_size: int | None) -> None:
    """cross_entropy picks a logit by its class index: with static targets, each set of them has a tape."""
    runs = []
    for compiled in (False, True):
        model = MLP(2, [4, 2], seed=0)
        history = fit(
            model,
            X,
            LABELS,
            loss=cross_entropy,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=3,
            batch_size=batch_size,
            seed=2,
            progress=False,
            compiled=compiled,
        )
        runs.append((history.loss, list(model.state_dict().values())))
    (eager_loss, eager_weights), (loss, weights) = runs
    assert loss == pytest.approx(eager_loss, rel=1e-12) and weights == pytest.approx(eager_weights, rel=1e-12)


@pytest.fixture
def compiled_steps(monkeypatch: pytest.MonkeyPatch) -> list[Compiled]:
    """The compiled steps fit() makes, as it makes them: their tapes say what was recorded, and how each
    replays."""
    made: list[Compiled] = []
    original = train.compile_step

    def spy(*args: Any, **kwargs: Any) -> Compiled:
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(train, "compile_step", spy)
    return made


def test_fit_compiled_takes_one_hot_targets_as_inputs_one_recording_per_batch_size(
    compiled_steps: list[Compiled],
) -> None:
    """One-hot rows give the class-index losses and accuracies, and every batch of a size one tape."""
    runs = []
    for targets, compiled in ((LABELS, False), (one_hot(LABELS, 2), True)):
        model = MLP(2, [4, 2], seed=0)
        history = fit(
            model,
            X,
            targets,
            loss=cross_entropy,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=3,
            batch_size=5,
            seed=2,
            progress=False,
            accuracy=argmax_accuracy,
            compiled=compiled,
        )
        runs.append((history.loss, history.accuracy, list(model.state_dict().values())))
    (eager_loss, eager_accuracy, eager_weights), (loss, accuracy, weights) = runs
    assert accuracy == eager_accuracy
    assert loss == pytest.approx(eager_loss, rel=1e-12) and weights == pytest.approx(eager_weights, rel=1e-12)
    sizes = {min(5, len(X) - start) for start in range(0, len(X), 5)}
    assert len(compiled_steps[0].tapes) == len(sizes)


#: How a compiled fit replays, and the hidden layers that make it replay so: without NumPy, on the Values;
#: with NumPy, on arrays, by the pure-Python replay of each tape (a network too small for NumPy to pay) or
#: by NumPy's. The pure-Python replay is exact; NumPy's adds in another order.
REPLAYS = {
    "no NumPy": (False, [4], "python"),
    "arrays, pure-Python replay": (True, [4], "python"),
    "arrays, NumPy replay": (True, [6, 6], "numpy"),
}
#: Each loss with its targets, outputs and output activation, and an optimizer: every loss and optimizer.
LOSSES: dict[str, tuple[train.Loss, list[Any], int, str | None, Callable[[list[Value]], Any]]] = {
    "hinge, SGD with momentum": (hinge, Y, 1, None, lambda ps: SGD(ps, lr=0.05, momentum=0.9)),
    "mse, Adam": (mse, Y, 1, None, lambda ps: Adam(ps, lr=0.01)),
    "bce with logits, AdamW": (
        binary_cross_entropy_with_logits, LABELS, 1, None, lambda ps: AdamW(ps, lr=0.05, weight_decay=0.1)
    ),
    "bce, Nesterov and weight decay": (
        binary_cross_entropy, LABELS, 1, "sigmoid",
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    ),
    "cross_entropy, AMSGrad": (cross_entropy, LABELS, 2, None, lambda ps: Adam(ps, lr=0.01, amsgrad=True)),
}  # fmt: skip


def compiled_and_eager(
    replay: str,
    loss: str,
    monkeypatch: pytest.MonkeyPatch,
    targets: list[Any] | None = None,
    trained: Callable[[MLP], list[Value]] = MLP.parameters,
) -> list[tuple[list[float], list[float], list[float]]]:
    """Each epoch's loss, the final parameters and their grads, of fit(compiled=True) replaying as named,
    then of eager fit, in shuffled mini-batches of 3: of two classes, most sequences of targets repeat."""
    numpy, hidden, _ = REPLAYS[replay]
    if not numpy:
        monkeypatch.setitem(sys.modules, "numpy", None)  # as if it were not installed
    fn, classes, outputs, output_activation, optimizer = LOSSES[loss]
    runs = []
    for compiled in (True, False):
        model = MLP(2, [*hidden, outputs], output_activation=output_activation, seed=0)
        history = fit(model, X, classes if targets is None else targets, loss=fn,
                      optimizer=optimizer(trained(model)), epochs=5, batch_size=3, seed=0, progress=False,
                      compiled=compiled)  # fmt: skip
        params = model.parameters()
        runs.append((history.loss, [p.data for p in params], [float(p.grad) for p in params]))
    return runs


def assert_replayed(replay: str, compiled_steps: list[Compiled]) -> None:
    """The compiled fit ran as named: on arrays or not, and recorded tapes that replay as named."""
    numpy, _, backend = REPLAYS[replay]
    (step,) = compiled_steps
    assert step.backend == ("numpy" if numpy else "python")  # whether the loop ran on arrays
    assert step.tapes and {tape.backend for tape in step.tapes.values()} == {backend}


def assert_equal(replay: str, compiled: Any, eager: Any) -> None:
    """Equal to the bit by the pure-Python replay; with NumPy's, to rounding."""
    if REPLAYS[replay][2] == "python":
        assert compiled == eager
    else:
        for got, want in zip(compiled, eager):
            assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("replay", "loss"), [(replay, loss) for loss in LOSSES for replay in REPLAYS])
def test_fit_compiled_takes_eagers_steps_in_eagers_batch_order_exactly_by_the_pure_python_replay(
    replay: str, loss: str, compiled_steps: list[Compiled], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch's samples in the order eager fit takes them, which the loss adds them up in."""
    compiled, eager = compiled_and_eager(replay, loss, monkeypatch)
    assert_replayed(replay, compiled_steps)
    assert_equal(replay, compiled, eager)


#: Value's data slot itself (its Node's): the spy below reads a sample while the step is recorded, where
#: reading ``.data`` is refused (it would freeze the number in the tape).
SLOT = Node.__dict__["data"]


@pytest.mark.parametrize("replay", REPLAYS)
def test_a_compiled_step_is_recorded_on_the_batches_eager_fit_takes_in_eagers_order(
    replay: str, compiled_steps: list[Compiled], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forward runs (to record the step, or to take it eagerly) on batches eager fit makes, its samples
    in eager's order, and in the order of eager's steps; the other steps replay."""
    numpy, hidden, _ = REPLAYS[replay]
    if not numpy:
        monkeypatch.setitem(sys.modules, "numpy", None)
    batches: dict[bool, list[tuple[Any, ...]]] = {}
    for compiled in (True, False):
        model = MLP(2, [*hidden, 1], seed=0)
        samples: list[tuple[float, ...]] = []  # those the model has run on since the loss last ran
        calls = batches[compiled] = []

        def spied_model(x: list[Any], forward: Any = model.layer_outputs, samples: Any = samples) -> Any:
            samples.append(tuple(SLOT.__get__(v) if isinstance(v, Value) else v for v in x))
            return forward(x)

        def spied_loss(
            outputs: list[Any], targets: list[Any], samples: Any = samples, calls: Any = calls
        ) -> Value:
            calls.append(tuple(samples))
            samples.clear()
            return hinge(outputs, targets)

        monkeypatch.setattr(model, "layer_outputs", spied_model)
        fit(model, X, Y, loss=spied_loss, optimizer=SGD(model.parameters(), lr=0.05), epochs=5, batch_size=3,
            seed=0, progress=False, compiled=compiled)  # fmt: skip
    eager = iter(batches[False])
    assert all(batch in eager for batch in batches[True])  # each is an eager batch, after the one before
    assert compiled_steps[0].tapes and len(batches[True]) < len(batches[False])


@pytest.mark.parametrize("replay", REPLAYS)
def test_shuffled_batches_whose_targets_do_not_repeat_are_stepped_eagerly_with_no_recording(
    replay: str, compiled_steps: list[Compiled], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real-valued targets: no batch has another's sequence of them, so a recording would never be
    replayed. Every step is eager: the same steps as eager fit's, to the bit, whatever the replay."""
    products = [x0 * x1 for x0, x1 in X]
    compiled, eager = compiled_and_eager(replay, "mse, Adam", monkeypatch, targets=products)
    assert compiled == eager
    assert compiled_steps[0].tapes == {}


@pytest.mark.parametrize("replay", REPLAYS)
def test_parameters_outside_the_optimizer_add_up_their_grads_step_after_step_as_eagerly(
    replay: str, compiled_steps: list[Compiled], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An optimizer of the last layer zeroes only its grads: the other layers' grads add up each step."""

    def last_layer(model: MLP) -> list[Value]:
        return model.layers[-1].parameters()

    compiled, eager = compiled_and_eager(replay, "hinge, SGD with momentum", monkeypatch, trained=last_layer)
    assert_replayed(replay, compiled_steps)
    assert max(map(abs, eager[2])) > 1.0  # the first layers' grads, added up over 40 steps
    assert_equal(replay, compiled, eager)


def test_mini_batches_are_shuffled_by_the_seed() -> None:
    def train(seed: int) -> dict[str, float]:
        model = MLP(2, [4, 1], seed=0)
        fit(
            model,
            X,
            Y,
            loss=hinge,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=2,
            batch_size=5,
            seed=seed,
            progress=False,
        )
        return model.state_dict()

    assert train(1) == train(1)
    assert train(1) != train(2)


def test_history_records_accuracy_and_per_layer_gradient_norms() -> None:
    model = MLP(2, [5, 3, 1], seed=3)
    copy = MLP(2, [5, 3, 1], seed=3)
    history = fit(
        model,
        X,
        Y,
        loss=hinge,
        optimizer=SGD(model.parameters(), lr=0.05),
        epochs=3,
        accuracy=sign_accuracy,
        progress=False,
    )
    assert len(history.loss) == len(history.accuracy) == len(history.grad_norms) == 3
    # the first epoch, full batch, by hand: accuracy before the step, and the gradient norm of each layer
    outputs = [copy([*x]) for x in X]
    assert history.accuracy[0] == sum((o.data > 0) == (t > 0) for o, t in zip(outputs, Y)) / len(Y)  # type: ignore[union-attr]
    hinge(outputs, Y).backward()
    for i, layer in enumerate(copy.layers):
        assert history.grad_norms[0][i] == pytest.approx(
            math.sqrt(sum(p.grad**2 for p in layer.parameters())), rel=1e-12
        )


def test_history_counts_the_dead_relus_of_each_layer() -> None:
    model = MLP(2, [4, 3, 1], seed=0)
    for n in model.layers[0].neurons[:2]:  # two first-layer units that never fire on these inputs
        for w in n.w:
            w.data = 0.0
        n.b.data = -1.0  # type: ignore[union-attr]
    history = fit(
        model, X, Y, loss=hinge, optimizer=SGD(model.parameters(), lr=0.0), epochs=1, progress=False
    )
    first, _, output = history.dead_relus[0]
    assert first == 0.5
    assert output is None  # the linear output layer has no ReLU


def test_accuracy_rules() -> None:
    assert sign_accuracy(Value(0.3), 1) and sign_accuracy(Value(-0.3), -1) and sign_accuracy(Value(-2.0), 0)
    assert not sign_accuracy(Value(0.3), -1)
    assert (
        threshold_accuracy(Value(0.7), 1)
        and threshold_accuracy(Value(0.2), 0)
        and not threshold_accuracy(Value(0.6), 0)
    )
    assert argmax_accuracy([Value(0.1), Value(2.0), Value(-1.0)], 1) and not argmax_accuracy(
        [Value(3.0), Value(2.0)], 1
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def short_fit(progress: bool) -> None:
    model = MLP(2, [3, 1], seed=0)
    fit(
        model,
        X,
        Y,
        loss=mse,
        optimizer=SGD(model.parameters(), lr=0.01),
        epochs=3,
        accuracy=sign_accuracy,
        progress=progress,
    )


def test_the_progress_bar_shows_on_a_terminal_with_loss_and_accuracy(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    short_fit(progress=True)
    shown = terminal.getvalue()
    assert "training: 100%" in shown and "3/3" in shown and "loss=" in shown and "accuracy=" in shown


def test_the_progress_bar_shows_in_a_jupyter_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    class ZMQInteractiveShell:  # the class name Jupyter's kernel gives its shell
        pass

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert train._interactive()
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert not train._interactive()  # pytest's stderr is not a terminal


def test_the_progress_bar_stays_off_when_asked_or_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    short_fit(progress=False)
    assert terminal.getvalue() == ""
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    short_fit(progress=True)
    assert pipe.getvalue() == ""


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_size=0), "batch_size must be a positive integer or None, got 0"),
        (dict(batch_size=True), "batch_size must be a positive integer or None, got True"),  # not online
        (dict(epochs=-1), "epochs must be a non-negative integer, got -1"),
        (dict(epochs=True), "epochs must be a non-negative integer, got True"),
        (dict(y=[1, -1]), "fit\\(\\) needs as many targets as inputs \\(at least one\\), got 24 and 2"),
    ],
)
def test_bad_arguments_get_an_error_naming_them(kwargs: dict[str, Any], message: str) -> None:
    model = MLP(2, [3, 1], seed=0)
    args: dict[str, Any] = dict(y=Y, loss=hinge, optimizer=SGD(model.parameters()), epochs=1, progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        fit(model, X, **args)


def test_fit_names_what_is_not_a_model() -> None:
    with pytest.raises(
        TypeError, match=r"fit\(\) trains a model: a Module, or anything with parameters\(\) .* got list"
    ):
        fit([Value(1.0)], X, Y, loss=hinge, optimizer=SGD([Value(1.0)]), epochs=1, progress=False)  # type: ignore[arg-type]


class SwishNet(Module):
    """The tutorials' network written as a class: a hidden layer whose swish has a learned beta."""

    def __init__(self) -> None:
        self.hidden = Layer(2, 6, nonlin=False, rng=random.Random(3))
        self.beta = Value(1.0, label="beta")
        self.out = Layer(6, 1, nonlin=False, rng=random.Random(4))

    def __call__(self, x: list[Any]) -> Value:
        h = [v.swish(self.beta) for v in self.hidden.forward(x)]
        return self.out(h)  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        return [*self.hidden.parameters(), self.beta, *self.out.parameters()]


@pytest.mark.parametrize("replay", REPLAYS)
def test_fit_trains_a_hand_written_module_compiled_as_eagerly(
    replay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any Module (parameters(), and called on an input): one gradient norm for the whole model."""
    numpy, _, _ = REPLAYS[replay]
    if not numpy:
        monkeypatch.setitem(sys.modules, "numpy", None)
    runs = []
    for compiled in (True, False):
        model = SwishNet()
        optimizer = Adam(model.parameters(), lr=0.02)
        history = fit(model, X, Y, loss=hinge, optimizer=optimizer, epochs=6, batch_size=8,
                      accuracy=sign_accuracy, seed=1, progress=False, compiled=compiled,
                      validation=(X[:6], Y[:6]))  # fmt: skip
        runs.append((history, [p.data for p in model.parameters()]))
    (history, weights), (eager, eager_weights) = runs
    assert weights == pytest.approx(eager_weights, rel=1e-10, abs=1e-12)
    assert model.beta.data != 1.0  # learned
    assert history.loss == pytest.approx(eager.loss, rel=1e-10) and history.accuracy == eager.accuracy
    assert history.val_loss == pytest.approx(eager.val_loss, rel=1e-10)
    assert [len(norms) for norms in history.grad_norms] == [1] * 6 and history.dead_relus == [[None]] * 6
    assert [n for (n,) in history.grad_norms] == pytest.approx([n for (n,) in eager.grad_norms], rel=1e-10)


def test_a_second_fit_of_the_same_model_records_nothing_again(compiled_steps: list[Compiled]) -> None:
    model = MLP(2, [4, 2], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        fit(model, X, one_hot(LABELS, 2), loss=cross_entropy, optimizer=optimizer, epochs=2, batch_size=8,
            progress=False, compiled=True)  # fmt: skip
    (step,) = compiled_steps
    assert len(step.tapes) == 1  # every batch of 8: 24 samples


def test_a_loss_that_does_not_return_a_value_is_named() -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="the loss function must return a Value, got float"):
        fit(model, X, Y, loss=lambda o, t: 0.0, optimizer=SGD(model.parameters()), epochs=1, progress=False)  # type: ignore[arg-type,return-value]


# ---- pictures and the demo ----------------------------------------------------------------------------
def test_a_gradient_norm_whose_squares_overflow_is_still_measured() -> None:
    model = MLP(1, [1], seed=0)
    (w,), b = model.layers[0].neurons[0].w, model.layers[0].neurons[0].b
    assert b is not None
    out = w.data * 1e100 + b.data  # d mse / dw = 2 (out - 1) 1e100, about 1e200: its square overflows
    history = fit(
        model, [[1e100]], [1.0], loss=mse, optimizer=SGD(model.parameters(), lr=0.0), epochs=1, progress=False
    )
    assert history.grad_norms == [[math.hypot(2 * (out - 1.0) * 1e100, 2 * (out - 1.0))]]
    assert 1e199 < history.grad_norms[0][0] < math.inf


def two_epochs(model: MLP) -> train.History:
    """The model trained for two epochs on the moons, quietly: a History to plot."""
    opt = SGD(model.parameters())
    return fit(model, X, Y, loss=hinge, optimizer=opt, epochs=2, accuracy=sign_accuracy, progress=False)


def test_history_plot_draws_loss_accuracy_and_gradient_norms() -> None:
    model = MLP(2, [3, 1], seed=0)
    history = two_epochs(model)
    fig = history.plot()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "gradient norm per layer"]
    assert list(fig.axes[0].lines[0].get_ydata()) == history.loss
    assert len(history.seconds) == 2 and all(0 < t < 10 for t in history.seconds)
    no_accuracy = fit(model, X, Y, loss=hinge, optimizer=SGD(model.parameters()), epochs=2, progress=False)
    assert [ax.get_title() for ax in no_accuracy.plot().axes] == ["loss", "gradient norm per layer"]


@pytest.mark.parametrize(
    ("points", "steps", "message"),
    [
        ([], 50, "decision_boundary() needs at least one point in X, got none"),
        ([[0.0, 0.0], [1.0, 1.0]], 1, "decision_boundary() needs steps >= 2 (grid points per axis), got 1"),
        (
            [[0.0, 0.0], [1.0, 1.0]],
            2.5,
            "decision_boundary() needs steps >= 2 (grid points per axis), got 2.5",
        ),
    ],
)
def test_decision_boundary_refuses_no_points_or_fewer_than_two_steps(
    points: list[list[float]], steps: Any, message: str
) -> None:
    with pytest.raises(ValueError) as e:
        decision_boundary(MLP(2, [3, 1], seed=0), points, [1] * len(points), steps=steps)
    assert str(e.value) == message


def test_decision_boundary_refuses_points_and_classes_of_different_lengths() -> None:
    with pytest.raises(ValueError) as e:
        decision_boundary(MLP(2, [3, 1], seed=0), [[0.0, 0.0], [1.0, 1.0]], [1])
    assert str(e.value) == "decision_boundary() needs one class per point, got 2 points and 1 classes"


def test_without_matplotlib_the_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(
        ImportError,
        match=r"decision_boundary\(\) draws with matplotlib, .*pip install 'autograd-lite\[plot\]'",
    ):
        decision_boundary(model, X, Y)
    assert cli.main(["demo", "--out", "unused"]) == 2  # found before any training
    assert capsys.readouterr().err.startswith(
        "autograd-lite demo: cannot run: the demo draws with matplotlib, which is not installed: "
        "pip install 'autograd-lite[plot]'"
    )


def test_the_demo_reaches_full_accuracy_on_the_moons_and_writes_its_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "Training MLP(2, [16, 16, 1]" in printed and "on 100 moons points" in printed
    assert "After 100 epochs: loss 0.01" in printed and "accuracy 100%" in printed
    for name in ["loss.png", "decision_boundary.png"]:
        path = tmp_path / "out" / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"wrote {path}" in printed
    graph = ElementTree.parse(tmp_path / "out" / "graph.svg").getroot()  # an SVG that parses as XML
    text = " ".join(t.text or "" for t in graph.iter("{http://www.w3.org/2000/svg}text"))
    for label in ["w0", "w1", "b", "x0", "x1", "out", "dot", "relu"]:
        assert label in text.split(), label
    page = (tmp_path / "out" / "backprop.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "w1.grad += x1.data" in page
    assert f"wrote {tmp_path / 'out' / 'graph.svg'}" in printed and "backprop.html" in printed


def test_the_worked_neuron_example_is_still_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["neuron"]) == 0
    assert "o = tanh(w1*x1 + w2*x2 + b)" in capsys.readouterr().out


def test_l2_penalty_in_a_fit_loss_reaches_the_weights() -> None:
    """A loss closure can add the penalty over the model's parameters, as the demo does."""
    plain, penalised = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    for model, alpha in [(plain, 0.0), (penalised, 0.5)]:
        fit(
            model,
            X,
            Y,
            loss=lambda o, t, m=model, a=alpha: hinge(o, t) + l2_penalty(m.parameters(), a),  # type: ignore[misc]
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=20,
            progress=False,
        )
    assert sum(p.data**2 for p in penalised.parameters()) < sum(p.data**2 for p in plain.parameters())


def test_every_picture_has_labelled_axes_and_legends_that_cover_no_data() -> None:
    import matplotlib

    matplotlib.use("Agg")
    model = MLP(2, [8, 8, 8, 8, 8, 8, 8, 8, 1], seed=0)  # 9 layers: 9 lines in the gradient panel
    fig = two_epochs(model).plot()
    fig.canvas.draw()
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
    panel = fig.axes[-1]
    legend = panel.get_legend()
    assert len(legend.get_texts()) == 9
    assert not legend.get_window_extent().overlaps(panel.get_window_extent())
    boundary = decision_boundary(model, X, Y)
    boundary.canvas.draw()
    (ax,) = boundary.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x_1$", "$x_2$")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "class -1 (score < 0)",
        "class 1 (score > 0)",
    ]
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())
    matrix = confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1])
    picture, colorbar = matrix.axes
    assert (picture.get_xlabel(), picture.get_ylabel(), colorbar.get_ylabel()) == (
        "predicted class",
        "true class",
        "samples",
    )
    assert picture.get_title() == "4 of 5 right (80.0%)"
    assert sorted(t.get_text() for t in picture.texts) == ["1", "1", "1", "2"]  # the counts, in the cells


# ---- validation, early stopping and schedules ------------------------------------------------------------
X_VAL, LABELS_VAL = make_moons(16, noise=0.3, seed=5)
Y_VAL = [2 * t - 1 for t in LABELS_VAL]


def hinge_of(model: MLP, X: Any, Y: Any) -> float:
    return hinge([model(x) for x in X], Y).data


def test_validation_loss_and_accuracy_are_measured_after_each_epoch_on_samples_never_trained_on() -> None:
    model = MLP(2, [8, 1], seed=3)
    history = fit(model, X, Y, loss=hinge, optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
                  accuracy=sign_accuracy, validation=(X_VAL, Y_VAL), progress=False)  # fmt: skip
    twin = MLP(2, [8, 1], seed=3)
    opt = SGD(twin.parameters(), lr=0.1)
    for epoch in range(3):  # full batch: three one-epoch fits are the same steps
        fit(twin, X, Y, loss=hinge, optimizer=opt, epochs=1, progress=False)
        assert history.val_loss[epoch] == hinge_of(twin, X_VAL, Y_VAL)
        right = sum(sign_accuracy(twin(x).data, t) for x, t in zip(X_VAL, Y_VAL))  # type: ignore[union-attr]
        assert history.val_accuracy[epoch] == right / len(Y_VAL)
    assert history.stopped_epoch is None and history.best_epoch is None and len(history.lr) == 3


@pytest.mark.parametrize("compiled", [False, True])
def test_early_stopping_stops_after_patience_epochs_without_improvement_and_keeps_the_best_weights(
    compiled: bool,
) -> None:
    def train(epochs: int, **options: Any) -> tuple[MLP, train.History]:
        model = MLP(2, [16, 16, 1], seed=0)
        optimizer = SGD(model.parameters(), lr=0.3, momentum=0.9)  # fast enough to overfit 24 points
        history = fit(model, X, Y, loss=hinge, optimizer=optimizer, epochs=epochs,
                      validation=(X_VAL, Y_VAL), progress=False, **options)  # fmt: skip
        return model, history

    model, history = train(200, early_stopping=5, compiled=compiled)
    assert history.stopped_epoch is not None and history.best_epoch is not None
    assert history.stopped_epoch - history.best_epoch == 5 and len(history.val_loss) == history.stopped_epoch
    assert history.val_loss[history.best_epoch - 1] == min(history.val_loss)
    kept, _ = train(history.best_epoch)  # the same run, stopped at the best epoch: the weights it had
    assert model.state_dict() == pytest.approx(kept.state_dict(), rel=1e-12)
    assert hinge_of(model, X_VAL, Y_VAL) == pytest.approx(min(history.val_loss), rel=1e-12)


def test_a_scheduler_steps_once_an_epoch_and_on_a_plateau_watches_the_validation_loss() -> None:
    from autograd_lite.optim.lr_scheduler import ReduceLROnPlateau, StepLR

    model = MLP(2, [4, 1], seed=1)
    optimizer = SGD(model.parameters(), lr=0.2)
    history = fit(model, X, Y, loss=hinge, optimizer=optimizer, epochs=7,
                  scheduler=StepLR(optimizer, step_size=3, gamma=0.5), progress=False)  # fmt: skip
    assert history.lr == [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05] and optimizer.lr == 0.05
    model = MLP(2, [4, 1], seed=1)
    optimizer = SGD(model.parameters(), lr=0.2, momentum=0.9)  # the validation loss soon stops falling
    plateau = ReduceLROnPlateau(optimizer, patience=1, factor=0.5)
    history = fit(model, X, Y, loss=hinge, optimizer=optimizer, epochs=20, scheduler=plateau,
                  validation=(X_VAL, Y_VAL), progress=False)  # fmt: skip
    watcher = ReduceLROnPlateau(SGD([Value(0.0)], lr=0.2), patience=1, factor=0.5)
    for value in history.val_loss:  # the same rule on the recorded validation losses
        watcher.step(value)
    assert watcher.get_last_lr() == plateau.get_last_lr() and len(set(history.lr)) > 1


def test_history_plot_draws_validation_beside_training_and_marks_the_kept_epoch() -> None:
    import matplotlib

    matplotlib.use("Agg")
    model = MLP(2, [8, 1], seed=3)
    history = fit(model, X, Y, loss=hinge, optimizer=SGD(model.parameters(), lr=0.5, momentum=0.9),
                  epochs=40, accuracy=sign_accuracy, validation=(X_VAL, Y_VAL), early_stopping=3,
                  progress=False)  # fmt: skip
    fig = history.plot()
    fig.canvas.draw()
    for ax in fig.axes[:2]:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "training",
            "validation",
            "weights kept",
        ]
        assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())
    assert list(fig.axes[0].lines[1].get_ydata()) == history.val_loss


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"early_stopping": 3},
            r"early_stopping watches the validation loss: give validation=\(X_val, y_val\)",
        ),
        ({"early_stopping": 0, "validation": (X, Y)}, "early_stopping is a patience in epochs, .* got 0"),
        ({"validation": (X, Y[:3])}, r"validation must be \(X_val, y_val\), with as many targets as inputs"),
        ({"validation": ([], [])}, "validation needs at least one sample, got none"),
    ],
)
def test_bad_validation_options_are_refused_naming_them(options: dict[str, Any], message: str) -> None:
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match=message):
        fit(model, X, Y, loss=hinge, optimizer=SGD(model.parameters()), epochs=1, progress=False, **options)


@pytest.mark.parametrize("training", ["class indices", "one-hot rows"])
def test_validation_targets_may_be_rows_or_class_indices_whichever_training_takes(
    training: str, compiled_steps: list[Compiled]
) -> None:
    """Rows are a compiled step's inputs, class indices its static arguments: the validation samples are
    replayed by the step compiled for their own kind, and measured as eager fit measures them."""
    rows = {"class indices": LABELS, "one-hot rows": one_hot(LABELS, 2)}
    val_rows = {"class indices": one_hot(LABELS_VAL, 2), "one-hot rows": LABELS_VAL}  # the other kind
    runs = []
    for compiled in (True, False):
        model = MLP(2, [6, 6, 2], seed=0)
        history = fit(model, X, rows[training], loss=cross_entropy, optimizer=SGD(model.parameters(), lr=0.1),
                      epochs=3, batch_size=5, accuracy=argmax_accuracy, seed=0, progress=False,
                      validation=(X_VAL, val_rows[training]), compiled=compiled)  # fmt: skip
        runs.append((history.val_loss, history.val_accuracy))
    (loss, accuracy), (eager_loss, eager_accuracy) = runs
    assert loss == pytest.approx(eager_loss, rel=1e-12) and accuracy == eager_accuracy
    assert [step.backend for step in compiled_steps] == ["numpy", "numpy"]  # one per kind, on arrays


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("targets", ["class indices", "one-hot rows"])
def test_numpy_arrays_train_as_the_lists_they_hold(compiled: bool, targets: str) -> None:
    """X, y, the validation samples, and rows within them, as NumPy arrays: read as the same lists."""
    import numpy as np

    y, y_val = LABELS, LABELS_VAL
    if targets == "one-hot rows":
        y, y_val = one_hot(y, 2), one_hot(y_val, 2)
    given = {
        "lists": (X, y, X_VAL, y_val),
        "arrays": (np.array(X), np.array(y), np.array(X_VAL), np.array(y_val)),
        "lists of arrays": ([np.array(x) for x in X], [np.array(t) for t in y], X_VAL, y_val),
    }
    runs = []
    for inputs, outputs, inputs_val, outputs_val in given.values():
        model = MLP(2, [4, 2], seed=0)
        history = fit(model, inputs, outputs, loss=cross_entropy, optimizer=SGD(model.parameters(), lr=0.1),
                      epochs=3, batch_size=5, accuracy=argmax_accuracy, seed=0, progress=False,
                      validation=(inputs_val, outputs_val), compiled=compiled)  # fmt: skip
        runs.append((history.loss, history.accuracy, history.val_loss, model.state_dict()))
    assert runs[1] == runs[0] and runs[2] == runs[0]


def test_a_scheduler_of_another_optimizer_is_refused() -> None:
    from autograd_lite.optim.lr_scheduler import StepLR

    model = MLP(2, [2, 1], seed=0)
    other = StepLR(SGD([Value(1.0)]), step_size=1)
    with pytest.raises(ValueError, match="the scheduler must schedule the optimizer given to fit"):
        fit(
            model,
            X,
            Y,
            loss=hinge,
            optimizer=SGD(model.parameters()),
            epochs=1,
            scheduler=other,
            progress=False,
        )


def test_a_run_saved_and_resumed_takes_the_steps_the_unbroken_run_takes() -> None:
    """Model, optimizer and schedule saved after 4 epochs (through pickle, as to a file) and loaded
    into new ones: 4 more epochs end where 8 straight epochs do."""
    from autograd_lite.optim.lr_scheduler import StepLR

    def start() -> tuple[MLP, Adam, StepLR]:
        model = MLP(2, [6, 1], seed=4)
        optimizer = Adam(model.parameters(), lr=0.05, amsgrad=True)
        return model, optimizer, StepLR(optimizer, step_size=3, gamma=0.5)

    def train(model: MLP, optimizer: Adam, scheduler: StepLR, epochs: int) -> train.History:
        return fit(model, X, Y, loss=hinge, optimizer=optimizer, epochs=epochs, scheduler=scheduler,
                   progress=False)  # fmt: skip

    model, optimizer, scheduler = start()
    straight = train(model, optimizer, scheduler, 8)
    first = start()
    before = train(*first, 4)
    saved = pickle.loads(pickle.dumps([first[0].state_dict(), first[1].state_dict(), first[2].state_dict()]))
    resumed = start()  # made, then loaded: making a scheduler sets the rate, which loading replaces
    for thing, state in zip(resumed, saved):
        thing.load_state_dict(state)
    after = train(*resumed, 4)
    assert before.loss + after.loss == straight.loss and before.lr + after.lr == straight.lr
    assert resumed[0].state_dict() == model.state_dict()


@pytest.mark.parametrize("replay", REPLAYS)
@pytest.mark.parametrize("stop", [2, 19])  # steps taken before the interrupt: in the first epoch, the third
def test_ctrl_c_during_fit_leaves_model_and_optimizer_in_step_as_an_eager_fit_interrupted_there(
    replay: str, stop: int, compiled_steps: list[Compiled], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupt (here raised by the accuracy rule after the stop-th step, as Ctrl-C could be) leaves
    the model with the weights its optimizer stepped to, and both as an eager fit leaves them."""
    numpy, hidden, _ = REPLAYS[replay]
    if not numpy:
        monkeypatch.setitem(sys.modules, "numpy", None)
    runs = []
    for compiled in (True, False):
        model = MLP(2, [*hidden, 1], seed=0)
        optimizer = Adam(model.parameters(), lr=0.05)
        batches = 0

        def accuracy(output: float, target: float) -> bool:
            nonlocal batches
            batches += 1
            if batches == 3 * stop:  # the last sample of the stop-th batch of 3
                raise KeyboardInterrupt
            return (output > 0) == (target > 0)

        with pytest.raises(KeyboardInterrupt):
            fit(model, X, Y, loss=hinge, optimizer=optimizer, epochs=5, batch_size=3, seed=0, progress=False,
                accuracy=accuracy, compiled=compiled)  # fmt: skip
        state = optimizer.state_dict()
        per_parameter = [state.pop(name) for name in ("exp_avg", "exp_avg_sq")]
        runs.append((list(model.state_dict().values()), *per_parameter, state))
    *numbers, state = runs[0]
    *eager_numbers, eager_state = runs[1]
    assert state == eager_state and state["steps"] == stop
    assert_equal(replay, numbers, eager_numbers)


def test_a_model_fitted_compiled_is_let_go_with_its_steps_and_its_weights_are_plain_values_again() -> None:
    import gc
    import weakref

    def fitted() -> tuple[weakref.ref[MLP], list[Value]]:
        model = MLP(2, [16, 16, 1], seed=0)  # large enough for the NumPy replay, which holds weights
        loss = lambda o, t: hinge(o, t) + l2_penalty(model.parameters(), 1e-4)  # it holds the model
        fit(model, X, Y, loss=loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=3, progress=False,
            compiled=True)  # fmt: skip
        assert {type(w).__name__ for w in model.parameters()} == {"HeldValue"}  # in the step's arrays
        return weakref.ref(model), model.parameters()

    gone, weights = fitted()
    gc.collect()
    assert gone() is None  # the cache of compiled steps held the model (through its loss) weakly
    assert {type(w) for w in weights} == {Value}
