"""fit(): the training loop (forward, loss, backward, update), its progress bar, and its History.

History keeps what the tutorials watch for: the loss and accuracy per epoch, each layer's gradient
norm (vanishing gradients) and each ReLU layer's fraction of dead units (network paralysis).
"""

from __future__ import annotations

import itertools
import math
import random
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from ..core.compile import Compiled, Tape
from ..core.compile import compile as compile_step
from ..core.engine import Value, no_grad
from .lr_scheduler import LRScheduler, ReduceLROnPlateau
from .models import MLP
from .optim import Optimizer
from .plots import require_matplotlib

__all__ = [
    "Accuracy",
    "History",
    "Loss",
    "Output",
    "Score",
    "argmax_accuracy",
    "fit",
    "sign_accuracy",
    "threshold_accuracy",
]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Output = Value | list[Value]  #: What the model gives for one sample.
Loss = Callable[[list[Output], list[Any]], Value]  #: (outputs, targets) of a batch -> the loss.
Score = float | Value | list[float] | list[Value]  #: A sample's output(s), as numbers or Values.
Accuracy = Callable[[Score, Any], bool]  #: (output, target) of one sample -> whether it is correct.


# ---- accuracy rules: fit() gives them each sample's output as a float (or a list of floats) ---------------
def sign_accuracy(output: Score, target: Any) -> bool:
    """A score's sign is the class: for the hinge loss (targets -1/1) and logits (targets 0/1)."""
    return bool((_one(output) > 0) == (target > 0))


def threshold_accuracy(output: Score, target: Any) -> bool:
    """A probability above 1/2 is class 1: for sigmoid outputs (targets 0/1)."""
    return bool((_one(output) > 0.5) == (target > 0.5))


def argmax_accuracy(output: Score, target: Any) -> bool:
    """The largest output is the class: for multi-class logits (targets class indices, or rows of class
    probabilities such as one-hot rows, whose largest is the class)."""
    outs = [float(o) for o in output] if isinstance(output, list) else [float(output)]
    if isinstance(target, Sequence):
        target = max(range(len(target)), key=lambda k: float(target[k]))
    return bool(max(range(len(outs)), key=outs.__getitem__) == target)


def _one(output: Score) -> float:
    if isinstance(output, list):
        if len(output) != 1:
            raise ValueError(f"this accuracy rule reads one output per sample, got {len(output)}")
        output = output[0]
    return float(output)


# ---- history ---------------------------------------------------------------------------------------------
@dataclass
class History:
    """Per epoch: mean loss, accuracy (empty without an accuracy rule), and per layer the gradient norm
    (averaged over the epoch's steps) and the fraction of ReLU units that gave 0 for every sample of
    the epoch (dead: they pass no gradient back; None for a layer without ReLU).
    """

    #: The mean loss over the samples, per epoch.
    loss: list[float] = field(default_factory=list)
    #: The fraction of the samples classified right, per epoch (empty without an accuracy rule).
    accuracy: list[float] = field(default_factory=list)
    #: Per epoch, each layer's gradient norm, averaged over the epoch's steps.
    grad_norms: list[list[float]] = field(default_factory=list)
    #: Per epoch, each layer's fraction of dead ReLU units (None for a layer without ReLU).
    dead_relus: list[list[float | None]] = field(default_factory=list)
    #: How long each epoch took, in seconds (with ``compiled=True``, an epoch that records the step's graph
    #: takes longer: the first, for target rows).
    seconds: list[float] = field(default_factory=list)
    #: The learning rate of each epoch (a scheduler may change it between epochs).
    lr: list[float] = field(default_factory=list)
    #: With ``validation``: the loss on the held-out samples after each epoch.
    val_loss: list[float] = field(default_factory=list)
    #: With ``validation`` and an accuracy rule: the fraction of held-out samples right after each epoch.
    val_accuracy: list[float] = field(default_factory=list)
    #: With ``early_stopping``: the epoch after which training stopped (None if it ran every epoch).
    stopped_epoch: int | None = None
    #: With ``early_stopping``: the epoch whose weights the model was given back (the best on validation).
    best_epoch: int | None = None

    def plot(self) -> Figure:
        """Loss, accuracy (if measured) and each layer's gradient norm by epoch, as a matplotlib Figure."""
        panels = 3 if self.accuracy else 2
        fig = require_matplotlib("History.plot()")(figsize=(4.0 * panels, 3.2))
        axes = fig.subplots(1, panels)
        epochs = range(1, len(self.loss) + 1)
        axes[0].plot(epochs, self.loss, label="training")
        axes[0].set(title="loss", xlabel="epoch", ylabel="mean loss")
        if self.accuracy:
            axes[1].plot(epochs, self.accuracy, label="training")
            axes[1].set(title="accuracy", xlabel="epoch", ylabel="fraction right", ylim=(0, 1.05))
        if self.val_loss:  # beside the training curves, and the kept epoch marked
            axes[0].plot(epochs, self.val_loss, label="validation")
            if self.val_accuracy:
                axes[1].plot(epochs, self.val_accuracy, label="validation")
            for ax in axes[: panels - 1]:
                if self.best_epoch is not None:
                    ax.axvline(self.best_epoch, color="gray", linestyle=":", label="weights kept")
                ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), ncol=3, fontsize="small")
        for i, norms in enumerate(zip(*self.grad_norms)):
            axes[-1].plot(epochs, norms, label=f"layer {i}")
        axes[-1].set(
            title="gradient norm per layer", xlabel="epoch", ylabel="norm of the gradient", yscale="log"
        )
        # outside the panel, in as many columns as it takes: the lines are never covered, however many layers
        layers = len(self.grad_norms[0]) if self.grad_norms else 0
        axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=1 + layers // 8, fontsize="small")
        fig.tight_layout()
        return fig


# ---- the loop --------------------------------------------------------------------------------------------
def fit(
    model: MLP,
    X: Collection[Sequence[float]],
    y: Collection[Any],
    *,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    accuracy: Accuracy | None = None,
    seed: int | None = None,
    progress: bool = True,
    compiled: bool = False,
    validation: tuple[Collection[Sequence[float]], Collection[Any]] | None = None,
    early_stopping: int | None = None,
    scheduler: LRScheduler | None = None,
) -> History:
    """Train ``model`` on (X, y) for ``epochs`` passes and return its History.

    X and y are lists (or NumPy arrays, read as lists) of the inputs and of the targets, a number or a row
    each. ``batch_size=None`` takes one step per epoch on the whole set; any size takes one step per
    batch, the samples shuffled each epoch by ``random.Random(seed)`` (``batch_size=1`` is online training).
    The progress bar shows on a terminal or in a notebook, unless ``progress=False``. ``compiled=True``
    records the step's graph and replays it (see ``autograd_lite.compile``): the same steps, faster.
    Targets that are rows (one-hot rows of class probabilities for ``cross_entropy``, or several outputs
    to regress) are the replay's inputs: one recording per batch size. A number per target is a static
    argument: one recording per sequence of targets, in the batch's order (the order the loss adds the
    samples in, as eagerly). A sequence is recorded when it comes again, if most steps so far repeated a
    sequence (full batches, online, small batches of few classes), and replayed from then on; other steps
    are eager, so shuffled mini-batches whose targets seldom repeat (many classes, real-valued targets)
    cost about what eager steps cost. For many classes give one-hot rows (``data.one_hot``): one
    recording for every batch of a size.

    ``validation=(X_val, y_val)``: after each epoch, the loss (and accuracy) on these held-out samples,
    which training never sees, in ``History.val_loss``. ``early_stopping=N`` (with validation): stop
    once the validation loss has not improved for N epochs, and give the model back the weights of its
    best epoch (``History.best_epoch``, ``History.stopped_epoch``). ``scheduler``: a learning-rate
    schedule of ``optimizer``, stepped after each epoch; a ``ReduceLROnPlateau`` is stepped on the
    validation loss, or on the training loss without validation.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"fit() trains an MLP (its diagnostics are per layer), got {type(model).__name__}")
    X_train, y_train = _listed(X), _listed(y)
    if len(X_train) != len(y_train) or not X_train:
        raise ValueError(
            f"fit() needs as many targets as inputs (at least one), got {len(X_train)} and {len(y_train)}"
        )
    if not _count(epochs) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if batch_size is not None and (not _count(batch_size) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    held_out = None
    if validation is not None:
        if len(validation) != 2:
            raise ValueError("validation must be (X_val, y_val), with as many targets as inputs")
        held_out = (_listed(validation[0]), _listed(validation[1]))
        if len(held_out[0]) != len(held_out[1]):
            raise ValueError("validation must be (X_val, y_val), with as many targets as inputs")
        if not held_out[0]:
            raise ValueError("validation needs at least one sample, got none")
    if early_stopping is not None:
        if not _count(early_stopping) or early_stopping < 1:
            raise ValueError(
                f"early_stopping is a patience in epochs, a positive integer; got {early_stopping!r}"
            )
        if validation is None:
            raise ValueError("early_stopping watches the validation loss: give validation=(X_val, y_val) too")
    if scheduler is not None and scheduler.optimizer is not optimizer:
        raise ValueError("the scheduler must schedule the optimizer given to fit()")
    rng = random.Random(seed)
    order = list(range(len(X_train)))
    history = History()
    relu = [layer.activation == "relu" for layer in model.layers]

    def forward(xs: list[Any], targets: list[Any]) -> tuple[Value, list[list[list[Value]]]]:
        """The batch's loss, and each sample's outputs of every layer."""
        traces = [model.layer_outputs(x) for x in xs]
        value = loss([_output(trace) for trace in traces], targets)
        if not isinstance(value, Value):
            raise TypeError(f"the loss function must return a Value, got {type(value).__name__}")
        return value, traces

    by_kind: dict[bool, Compiled] = {}

    def compiled_for(target_rows: bool) -> Compiled:
        """The step compiled for targets that are rows (the replay's inputs) or numbers (static arguments),
        made when first needed: the validation targets may be of the other kind."""
        if target_rows not in by_kind:
            by_kind[target_rows] = compile_step(forward, static_argnums=() if target_rows else 1)
        return by_kind[target_rows]

    rows = _rows(y_train)
    compiled_step = compiled_for(rows) if compiled else None
    arrays = None
    if compiled_step is not None:
        arrays = _ArrayStep.make(
            compiled_for, model, optimizer, X_train, y_train, outputs=accuracy is not None
        )
    repeats = _Repeats()

    def value_step(batch: list[int], targets: list[Any], replay: bool) -> Stepped:
        """One step on the Values: eager, or replayed by the compiled step; the optimizer steps them."""
        optimizer.zero_grad()
        if compiled_step is None or not replay:
            root, graph = forward([X_train[i] for i in batch], targets)
            root.backward()
            value = root.data
            traces = [[[o.data for o in layer] for layer in trace] for trace in graph]
        else:  # forward and backward replayed: the loss and every layer's outputs come back as floats
            value, traces = compiled_step([list(X_train[i]) for i in batch], targets)
        norms = [math.hypot(*(float(p.grad) for p in layer.parameters())) for layer in model.layers]
        optimizer.step()
        fired = [[any(trace[i][j] > 0 for trace in traces) for j in range(len(layer.neurons))]
                 for i, layer in enumerate(model.layers)]  # fmt: skip
        return value, [_output(trace) for trace in traces], fired, norms

    def run_step(batch: list[int], targets: list[Any]) -> Stepped:
        """One step: replayed on the arrays if training runs there, else on the Values."""
        replay = compiled_step is not None and (rows or repeats.replay(targets))
        if arrays is None:
            return value_step(batch, targets, replay)
        if replay:
            return arrays.step(batch, targets)
        arrays.sync()  # an eager step reads and writes the Values
        try:
            return value_step(batch, targets, replay=False)
        finally:  # the arrays hold what the Values hold, however the step ends
            arrays.load()

    bar, finish = _progress_bar(epochs, progress and _interactive())
    try:
        for _ in bar:
            began = time.perf_counter()
            if batch_size is not None:
                rng.shuffle(order)
            size = batch_size or len(order)
            total_loss, correct, steps = 0.0, 0, 0
            norms = [0.0] * len(model.layers)
            alive = [[False] * len(layer.neurons) for layer in model.layers]
            for start in range(0, len(order), size):
                batch = order[start : start + size]
                targets = [y_train[i] for i in batch]
                value, outputs, fired, step_norms = run_step(batch, targets)
                norms = [n + m for n, m in zip(norms, step_norms)]
                total_loss += value * len(batch)
                steps += 1
                if accuracy is not None:
                    correct += sum(accuracy(o, t) for o, t in zip(outputs, targets))
                alive = [[a or f for a, f in zip(was, now)] for was, now in zip(alive, fired)]
            if arrays is not None:
                arrays.sync()
            history.lr.append(optimizer.lr)
            history.loss.append(total_loss / len(order))
            history.grad_norms.append([n / steps for n in norms])
            history.dead_relus.append([1 - sum(a) / len(a) if r else None for a, r in zip(alive, relu)])
            postfix = {"loss": f"{history.loss[-1]:.4g}"}
            if accuracy is not None:
                history.accuracy.append(correct / len(order))
                postfix["accuracy"] = f"{history.accuracy[-1]:.1%}"
            if held_out is not None:
                _validate(model, loss, accuracy, held_out, arrays, history)
                postfix["val_loss"] = f"{history.val_loss[-1]:.4g}"
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(history.val_loss[-1] if held_out is not None else history.loss[-1])
            elif scheduler is not None:
                scheduler.step()
            history.seconds.append(time.perf_counter() - began)
            bar.set_postfix(postfix, refresh=False)
            if early_stopping is not None:
                epoch = len(history.val_loss)
                if (
                    history.best_epoch is None
                    or history.val_loss[-1] < history.val_loss[history.best_epoch - 1]
                ):
                    history.best_epoch, best = epoch, model.state_dict()
                elif epoch - history.best_epoch >= early_stopping:
                    history.stopped_epoch = epoch
                    break
    finally:  # Ctrl-C, or an error mid-epoch: the model keeps the weights its optimizer stepped to
        if arrays is not None:
            arrays.sync()
        finish()
    if early_stopping is not None and history.best_epoch is not None:
        model.load_state_dict(best)
    return history


def _validate(
    model: MLP,
    loss: Loss,
    accuracy: Accuracy | None,
    validation: tuple[Sequence[Any], Sequence[Any]],
    arrays: _ArrayStep | None,
    history: History,
) -> None:
    """The loss (and accuracy) on the validation samples, with the model's present weights, into history:
    by the compiled step's replay if training runs on arrays, else eagerly with no graph."""
    X_val, y_val = validation
    if arrays is not None:
        value, scores = arrays.evaluate(X_val, y_val)
    else:
        with no_grad():
            outputs = [model(x) for x in X_val]
            total = loss(outputs, list(y_val))
        value = float(total.data if isinstance(total, Value) else total)
        scores = [[o.data for o in out] if isinstance(out, list) else out.data for out in outputs]
    history.val_loss.append(value)
    if accuracy is not None:
        history.val_accuracy.append(sum(accuracy(o, t) for o, t in zip(scores, y_val)) / len(y_val))


class _Repeats:
    """Whether a step on number targets (static arguments: a recording each sequence of them) replays the
    compiled step. A recording costs a few eager steps, so a sequence is recorded when it comes again while
    most steps so far have repeated one (full batches, online, small batches of few classes), and replayed
    from then on; where sequences seldom repeat (shuffled batches of many classes, or of real-valued
    targets) the steps are eager, at an eager step's cost."""

    def __init__(self) -> None:
        self.met: set[tuple[Any, ...]] = set()
        self.recorded: set[tuple[Any, ...]] = set()
        self.steps = self.repeated = 0  # the steps so far, and those whose sequence an earlier step had

    def replay(self, targets: list[Any]) -> bool:
        key = tuple(targets)
        self.steps += 1
        if key in self.met:
            self.repeated += 1
            if 2 * self.repeated >= self.steps:
                self.recorded.add(key)
        self.met.add(key)
        return key in self.recorded


#: A training step's results: the loss, each sample's output, for each layer whether each of its units
#: was positive for some sample, and each layer's gradient norm.
Stepped = tuple[float, list[Any], list[list[bool]], list[float]]


class _ArrayStep:
    """fit's compiled step on NumPy arrays: the parameters' data held in an array from step to step (the
    optimizer's ``update`` steps it), each batch cut from an array of X. The Values get the data and the
    last grads back at the end of each epoch (``sync``), and before a new batch shape is recorded; a step
    taken eagerly reads and writes them between a ``sync`` and a ``load``."""

    @staticmethod
    def make(
        compiled_for: Callable[[bool], Compiled],
        model: MLP,
        optimizer: Optimizer,
        X: Any,
        y: Any,
        outputs: bool,
    ) -> _ArrayStep | None:
        """The array step, if NumPy is installed and X (and y, for target rows) are rectangular;
        ``compiled_for(rows)`` is the step compiled for targets that are rows, or numbers."""
        np = compiled_for(_rows(y)).np
        if np is None:
            return None
        try:
            return _ArrayStep(compiled_for, model, optimizer, X, y, np, outputs)
        except ValueError:  # ragged rows
            return None

    def __init__(
        self,
        compiled_for: Callable[[bool], Compiled],
        model: MLP,
        optimizer: Optimizer,
        X: Any,
        y: Any,
        np: Any,
        outputs: bool,
    ) -> None:
        self.compiled_for, self.optimizer, self.np = compiled_for, optimizer, np
        self.X = np.array(X, dtype=float)
        self.T = np.array(y, dtype=float) if _rows(y) else None
        self.params: list[Value] = list(optimizer.params)  # then any other parameter a recording reads
        self.where = {id(p): k for k, p in enumerate(self.params)}
        self.data = np.array([p.data for p in self.params])
        self.grads = np.array([float(p.grad) for p in self.params])  # those outside the optimizer add to them
        self._hold(model.parameters())
        self.layers = [
            np.array([self.where[id(p)] for p in layer.parameters()], dtype=np.intp) for layer in model.layers
        ]
        self.widths = [len(layer.neurons) for layer in model.layers]
        self.ends = list(itertools.accumulate(self.widths))
        self.relu = [layer.activation == "relu" for layer in model.layers]
        self.outputs = outputs  # whether the step gives each sample's output (for an accuracy)
        self.tapes: dict[Any, tuple[Tape, Any]] = {}
        self.validation: tuple[Any, Any] | None = None  # the validation samples' arrays, once needed

    def _hold(self, params: Sequence[Value]) -> None:
        """Hold these parameters' data and grads in the arrays too, if they are not held yet."""
        new = [p for p in params if id(p) not in self.where]
        for p in new:
            self.where[id(p)] = len(self.params)
            self.params.append(p)
        if new:
            self.data = self.np.concatenate((self.data, [p.data for p in new]))
            self.grads = self.np.concatenate((self.grads, [float(p.grad) for p in new]))

    def step(self, batch: list[int], targets: list[Any]) -> Stepped:
        np = self.np
        outputs, sums, index = self._replay("training", self.X, self.T, np.array(batch), targets)
        n_opt = len(self.optimizer.params)
        # zero_grad() zeroes the optimizer's parameters; backward adds this pass's sums to every grad
        self.grads[:n_opt] = 0.0
        self.grads[index] += sums
        self.optimizer.update(self.data[:n_opt], self.grads[:n_opt])
        # The outputs: the loss, then each sample's outputs of every layer, first layer first.
        units = outputs[1:].reshape(len(batch), self.ends[-1])
        fired = [
            (units[:, end - width : end] > 0).any(axis=0).tolist() if relu else []
            for end, width, relu in zip(self.ends, self.widths, self.relu)
        ]
        last = units[:, self.ends[-1] - self.widths[-1] :].tolist() if self.outputs else []
        norms = [float(np.hypot.reduce(self.grads[i])) if len(i) else 0.0 for i in self.layers]
        return float(outputs[0]), [o[0] if len(o) == 1 else o for o in last], fired, norms

    def evaluate(self, X: Any, y: Sequence[Any]) -> tuple[float, list[Any]]:
        """The loss on the validation samples (X, y) and each one's output, with the parameters as they
        are: the training step's forward, replayed on all of them at once."""
        np = self.np
        if self.validation is None:
            self.validation = (np.array(X, dtype=float), np.array(y, dtype=float) if _rows(y) else None)
        X_val, T_val = self.validation
        outputs, _, _ = self._replay(
            "validation", X_val, T_val, np.arange(len(X_val)), list(y), backward=False
        )
        last = outputs[1:].reshape(len(X_val), self.ends[-1])[:, self.ends[-1] - self.widths[-1] :].tolist()
        return float(outputs[0]), [o[0] if len(o) == 1 else o for o in last]

    def _replay(
        self, part: str, X: Any, T: Any, rows: Any, targets: list[Any], backward: bool = True
    ) -> tuple[Any, Any, Any]:
        """The replay of the step's tape on these rows of X (and of T, the target rows, if any), of the
        training or the validation samples: its outputs, the parameters' grads, and where those are held.
        Target rows are the tape's inputs, a number per target a static argument."""
        key = (part, len(rows), None if T is not None else tuple(targets))
        if key not in self.tapes:
            self.sync()  # a recording reads the Values' data (as cross_entropy's shift does)
            tape = self.compiled_for(T is not None).tape([X[i].tolist() for i in rows], targets)
            self._hold(tape.params)
            self.tapes[key] = (
                tape,
                self.np.array([self.where[id(p)] for p in tape.params], dtype=self.np.intp),
            )
        tape, index = self.tapes[key]
        flat = X[rows].ravel()
        if T is not None:
            flat = self.np.concatenate((flat, T[rows].ravel()))
        outputs, sums = tape.replay(flat, self.data[index], backward)
        return self.np.asarray(outputs), sums, index

    def sync(self) -> None:
        """The arrays' data and last grads into the Values, as an eager step would leave them."""
        for p, d, g in zip(self.params, self.data.tolist(), self.grads.tolist()):
            p.data, p.grad = d, g

    def load(self) -> None:
        """The Values' data and grads into the arrays, after a step taken on the Values."""
        self.data[:] = [p.data for p in self.params]
        self.grads[:] = [float(p.grad) for p in self.params]


def _listed(samples: Collection[Any]) -> list[Any]:
    """The samples as a list of numbers or lists: a NumPy array (of the samples, or one per sample) as
    lists of Python numbers, which a loss, an accuracy rule and a static target read as they read lists."""
    return [_plain(s) for s in _plain(samples)]


def _plain(x: Any) -> Any:
    """x's lists if x is an array (NumPy's, or another with its interface: a shape, and lists out), else x."""
    return x.tolist() if hasattr(x, "shape") and callable(getattr(x, "tolist", None)) else x


def _count(n: Any) -> bool:
    """Whether n is an integer, and not a bool (True is no count of epochs or samples)."""
    return isinstance(n, int) and not isinstance(n, bool)


def _rows(targets: Sequence[Any]) -> bool:
    """Whether the targets are rows (a compiled step's inputs), not a number each (static arguments)."""
    return isinstance(targets[0], Sequence)


def _output(trace: Sequence[Any]) -> Any:
    """A sample's output from its layers' outputs: the last layer's, one value alone or the list."""
    last = trace[-1]
    return last[0] if len(last) == 1 else last


def _progress_bar(epochs: int, shown: bool) -> tuple[Any, Callable[[], None]]:
    """tqdm's bar over the epochs, and what closes it. In a notebook the bar is a widget whose text form,
    saved with the notebook and shown where widgets are not, is redrawn at the end: it says 100%, not 0%."""
    options: dict[str, Any] = {"desc": "training", "unit": "epoch", "disable": not shown}
    if shown and _in_notebook():
        from tqdm import notebook

        if issubclass(tqdm, notebook.tqdm):  # not when ipywidgets is missing: tqdm.auto writes text then
            from IPython.display import display

            bar: Any = tqdm(range(epochs), display=False, **options)
            handle = display(bar.container, display_id=True)  # type: ignore[no-untyped-call]

            def finish() -> None:
                bar.close()
                handle.update(bar.container)

            return bar, finish
    bar = tqdm(range(epochs), **options)
    return bar, bar.close


def _interactive() -> bool:
    """Whether a progress bar can be seen: stderr is a terminal, or this is a Jupyter notebook."""
    return (sys.stderr is not None and sys.stderr.isatty()) or _in_notebook()


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    ipython = getattr(shell, "get_ipython", lambda: None)()
    return type(ipython).__name__ == "ZMQInteractiveShell"
