"""fit(): the training loop (forward, loss, backward, update), its progress bar, and its History.

History keeps what the tutorials watch for: the loss and accuracy per epoch, each layer's gradient
norm (vanishing gradients) and each ReLU layer's fraction of dead units (network paralysis).
"""

from __future__ import annotations

import functools
import math
import random
import sys
import time
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from ..core import held
from ..core.compile import Compiled
from ..core.compile import compile as compile_step
from ..core.engine import Value
from ..core.modes import no_grad
from .lr_scheduler import LRScheduler, ReduceLROnPlateau
from .models import MLP, Module
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
    """Take a score's sign as the class: for the hinge loss (targets -1/1) and logits (targets 0/1)."""
    return bool((_one(output) > 0) == (target > 0))


def threshold_accuracy(output: Score, target: Any) -> bool:
    """Take a probability above 1/2 as class 1: for sigmoid outputs (targets 0/1)."""
    return bool((_one(output) > 0.5) == (target > 0.5))


def argmax_accuracy(output: Score, target: Any) -> bool:
    """Take the largest output as the class: for multi-class logits (targets class indices, or rows of class
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
        """Plot loss, accuracy (if measured) and each layer's gradient norm by epoch, as a matplotlib
        Figure."""
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
    model: Module,
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
    X_train, y_train = _listed(X), _listed(y)
    held_out = _check(model, X_train, y_train, epochs, batch_size, validation, early_stopping)
    if scheduler is not None and scheduler.optimizer is not optimizer:
        raise ValueError("the scheduler must schedule the optimizer given to fit()")
    rng = random.Random(seed)
    order = list(range(len(X_train)))
    history = History()
    step = _Step(model, loss, optimizer, X_train, y_train, compiled, outputs=accuracy is not None)
    keeper = _Keeper(early_stopping, model.parameters())
    bar, finish = _progress_bar(epochs, progress and _interactive())
    try:
        for _ in bar:
            began = time.perf_counter()
            if batch_size is not None:
                rng.shuffle(order)
            _epoch(step, order, batch_size or len(order), y_train, accuracy, history)
            history.lr.append(optimizer.lr)
            if held_out is not None:
                step.validate(held_out, accuracy, history)
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(history.val_loss[-1] if held_out is not None else history.loss[-1])
            elif scheduler is not None:
                scheduler.step()
            history.seconds.append(time.perf_counter() - began)
            bar.set_postfix(_postfix(history), refresh=False)
            if keeper.stops(history):
                break
    finally:
        finish()
    keeper.restore()
    return history


def _check(
    model: Any,
    X: list[Any],
    y: list[Any],
    epochs: Any,
    batch_size: Any,
    validation: tuple[Collection[Sequence[float]], Collection[Any]] | None,
    early_stopping: Any,
) -> tuple[list[Any], list[Any]] | None:
    """Refuse what fit() cannot train on, saying what and why; return the validation samples, if any."""
    if not (callable(model) and callable(getattr(model, "parameters", None))):
        raise TypeError(
            f"fit() trains a model: a Module, or anything with parameters() that is called on an input; got "
            f"{type(model).__name__}"
        )
    if len(X) != len(y) or not X:
        raise ValueError(f"fit() needs as many targets as inputs (at least one), got {len(X)} and {len(y)}")
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
    return held_out


def _epoch(
    step: _Step, order: list[int], size: int, y: list[Any], accuracy: Accuracy | None, history: History
) -> None:
    """Take one step per batch of ``size`` samples, in ``order``; add the epoch's loss, accuracy,
    gradient norms and dead ReLUs to the history."""
    total_loss, correct, steps = 0.0, 0, 0
    norms = [0.0] * len(step.groups)
    alive: list[list[bool]] = [[] for _ in step.groups]
    for start in range(0, len(order), size):
        batch = order[start : start + size]
        targets = [y[i] for i in batch]
        value, outputs, fired, step_norms = step.take(batch, targets)
        norms = [n + m for n, m in zip(norms, step_norms)]
        total_loss += value * len(batch)
        steps += 1
        if accuracy is not None:
            correct += sum(accuracy(o, t) for o, t in zip(outputs, targets))
        alive = [[a or f for a, f in zip(was, now)] if was else now for was, now in zip(alive, fired)]
    history.loss.append(total_loss / len(order))
    history.grad_norms.append([n / steps for n in norms])
    history.dead_relus.append([1 - sum(a) / len(a) if r else None for a, r in zip(alive, step.relu)])
    if accuracy is not None:
        history.accuracy.append(correct / len(order))


def _postfix(history: History) -> dict[str, str]:
    """Return what the progress bar shows after an epoch: its loss, and accuracy and validation loss if
    kept."""
    postfix = {"loss": f"{history.loss[-1]:.4g}"}
    if history.accuracy:
        postfix["accuracy"] = f"{history.accuracy[-1]:.1%}"
    if history.val_loss:
        postfix["val_loss"] = f"{history.val_loss[-1]:.4g}"
    return postfix


class _Keeper:
    """Early stopping: the weights of the best epoch on the validation loss, kept until the loss has not
    improved for ``patience`` epochs; then training stops and the model gets them back."""

    def __init__(self, patience: int | None, params: list[Value]) -> None:
        self.patience, self.params = patience, params
        self.best: list[float] = []

    def stops(self, history: History) -> bool:
        """Note the epoch just ended; return whether training stops after it."""
        if self.patience is None:
            return False
        epoch = len(history.val_loss)
        if history.best_epoch is None or history.val_loss[-1] < history.val_loss[history.best_epoch - 1]:
            history.best_epoch, self.best = epoch, [p.data for p in self.params]
        elif epoch - history.best_epoch >= self.patience:
            history.stopped_epoch = epoch
            return True
        return False

    def restore(self) -> None:
        """Give the model back the best epoch's weights (if early stopping kept any)."""
        for p, x in zip(self.params, self.best):
            p.data = x


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


#: A training step's results: the loss, each sample's output (if wanted), for each layer whether each of
#: its units was positive for some sample (ReLU layers; else empty), and each layer's gradient norm.
Stepped = tuple[float, list[Any], list[list[bool]], list[float]]


class _Step:
    """fit's training step on a batch: forward, loss, backward and the optimizer's update, eager or by a
    compiled step (``compile``, recorded once per model, loss and kind of targets, across fit calls), and
    what History keeps of it. An MLP's diagnostics are per layer; another model's gradient norm is one."""

    def __init__(
        self, model: Any, loss: Loss, optimizer: Optimizer, X: list[Any], y: list[Any], compiled: bool,
        outputs: bool,
    ) -> None:  # fmt: skip
        self.model, self.loss, self.optimizer, self.X, self.y = model, loss, optimizer, X, y
        self.layered = isinstance(model, MLP)
        layers = model.layers if self.layered else [model]
        #: Each layer's parameters (the whole model's, for a model without layers), with its owner.
        self.groups = [(layer, layer.parameters()) for layer in layers]
        self.relu = [self.layered and layer.activation == "relu" for layer in layers]
        self.widths = [len(layer.neurons) for layer in layers] if self.layered else None
        self.outputs = outputs  # whether a step gives each sample's output (for an accuracy)
        self.target_rows = _rows(y)
        self.compiled = compiled
        self.repeats = _Repeats()
        self.np = self.step_for(self.target_rows).np if compiled else None
        #: The inputs, and target rows, as arrays that batches are cut from (None where they stay lists).
        self.X_array, self.y_array = self._arrays(X, y)
        self.validation: tuple[Any, Any, Any] | None = None  # the held-out samples, and their arrays

    def step_for(self, target_rows: bool) -> Compiled:
        """Return the compiled step for targets that are rows (the replay's inputs) or numbers (static
        arguments)."""
        steps = _COMPILED.setdefault(self.model, {})
        key = (id(self.loss), target_rows)
        if key not in steps or steps[key][0]() is not self.loss:  # (an id is reused once its loss is gone)
            loss = _weak(self.loss)  # held weakly, as the model: the cache keeps neither alive
            forward = functools.partial(_forward_of, weakref.ref(self.model), loss, self.layered)
            steps[key] = (loss, compile_step(forward, static_argnums=() if target_rows else 1))
        return steps[key][1]

    def take(self, batch: list[int], targets: list[Any]) -> Stepped:
        """Take one step on these samples: replayed if compiled (for number targets, once their sequence is
        recorded: see ``_Repeats``), else eager."""
        self.optimizer.zero_grad()
        if self.compiled and (self.target_rows or self.repeats.replay(targets)):
            xs = [self.X[i] for i in batch] if self.X_array is None else self.X_array[batch]
            ts = targets if self.y_array is None else self.y_array[batch]
            out = self.step_for(self.target_rows).flat_outputs(xs, ts)
        else:
            nodes = _flat_forward(self.model, self.loss, self.layered, [self.X[i] for i in batch], targets)
            nodes[0].backward()
            out = [v.data for v in nodes]
        norms = [self._norm(owner, params) for owner, params in self.groups]
        self.optimizer.step()
        value, units = self._split(out, len(batch))
        fired = [self._fired(units, k) if relu else [] for k, relu in enumerate(self.relu)]
        return value, self._last(units) if self.outputs else [], fired, norms

    def validate(
        self, held_out: tuple[list[Any], list[Any]], accuracy: Accuracy | None, history: History
    ) -> None:
        """Write the loss (and accuracy) on the held-out samples with the weights as they are into history:
        the compiled step's forward if training is compiled, else eagerly with no graph."""
        X_val, y_val = held_out
        if self.compiled:
            if self.validation is None or self.validation[0] is not held_out:  # made once, for every epoch
                self.validation = (held_out, *self._arrays(X_val, y_val))
            _, X_array, y_array = self.validation
            xs = X_val if X_array is None else X_array
            ts = y_val if y_array is None else y_array
            out = self.step_for(_rows(y_val)).flat_outputs(xs, ts, backward=False)
        else:
            with no_grad():
                out = [v.data for v in _flat_forward(self.model, self.loss, self.layered, X_val, y_val)]
        value, units = self._split(out, len(X_val))
        history.val_loss.append(value)
        if accuracy is not None:
            scores = self._last(units)
            history.val_accuracy.append(sum(accuracy(o, t) for o, t in zip(scores, y_val)) / len(y_val))

    def _arrays(self, X: list[Any], y: list[Any]) -> tuple[Any, Any]:
        """Return X, and y if its targets are rows, as arrays for the NumPy replay (None for each that stays a
        list: without NumPy, or rows of unequal length)."""
        if self.np is None:
            return None, None
        try:
            return self.np.array(X, dtype=float), self.np.array(y, dtype=float) if _rows(y) else None
        except ValueError:
            return None, None

    def _norm(self, owner: Any, params: list[Value]) -> float:
        rows = held.rows_for(owner, params)
        if rows is None:
            return math.hypot(*(float(p.grad) for p in params))
        np, grads = rows.np, rows.grads()  # held in arrays by the compiled step: read there
        top = float(np.abs(grads).max())
        if top == 0.0 or not math.isfinite(top):
            return top if top == top else math.nan
        scaled = grads / top  # the squares of the largest grads would overflow
        return top * math.sqrt(float(scaled @ scaled))

    def _split(self, out: Any, n: int) -> tuple[float, Any]:
        """Split the output into the loss, and each sample's outputs of every layer in a row: an array
        (n, units), or lists."""
        if self.np is not None and hasattr(out, "reshape"):
            return float(out[0]), out[1:].reshape(n, -1)
        per = (len(out) - 1) // n
        return float(out[0]), [out[1 + i * per : 1 + (i + 1) * per] for i in range(n)]

    def _columns(self, k: int) -> slice:
        """Return where layer k's units are in a sample's row."""
        if self.widths is None:
            return slice(None)
        end = sum(self.widths[: k + 1])
        return slice(end - self.widths[k], end)

    def _fired(self, units: Any, k: int) -> list[bool]:
        """Return, for each unit of layer k, whether it was positive for some sample."""
        where = self._columns(k)
        if hasattr(units, "shape"):
            return (units[:, where] > 0).any(axis=0).tolist()  # type: ignore[no-any-return]
        return [any(x > 0 for x in column) for column in zip(*(row[where] for row in units))]

    def _last(self, units: Any) -> list[Any]:
        """Return each sample's output: the last layer's units (one number alone, or the list)."""
        rows = (
            units[:, self._columns(len(self.relu) - 1)].tolist()
            if hasattr(units, "shape")
            else [row[self._columns(len(self.relu) - 1)] for row in units]
        )
        return [row[0] if len(row) == 1 else row for row in rows]


#: Each model's compiled steps, by loss and kind of targets: a second fit() call records nothing again.
_COMPILED: weakref.WeakKeyDictionary[Any, dict[tuple[int, bool], tuple[Callable[[], Any], Compiled]]] = (
    weakref.WeakKeyDictionary()
)


def _weak(x: Any) -> Callable[[], Any]:
    """Return a weak reference to x, or (for what takes none, such as a builtin) a strong one."""
    try:
        return weakref.ref(x)
    except TypeError:
        return lambda: x


def _forward_of(
    model: Callable[[], Any], loss: Callable[[], Any], layered: bool, xs: list[Any], targets: Any
) -> list[Value]:
    """Return _flat_forward of the model and loss these references give: the compiled step's function."""
    return _flat_forward(model(), loss(), layered, xs, targets)


def _flat_forward(model: Any, loss: Loss, layered: bool, xs: list[Any], targets: Any) -> list[Value]:
    """Return the batch's loss, then each sample's outputs of every layer of an MLP (of the model, for
    another)."""
    if layered:
        traces = [model.layer_outputs(x) for x in xs]
        outputs = [_output(trace) for trace in traces]
        units = [o for trace in traces for layer in trace for o in layer]
    else:
        outputs = [model(x) for x in xs]
        units = [o for out in outputs for o in (out if isinstance(out, (list, tuple)) else [out])]
    value = loss(outputs, targets)
    if not isinstance(value, Value):
        raise TypeError(f"the loss function must return a Value, got {type(value).__name__}")
    return [value, *units]


def _listed(samples: Collection[Any]) -> list[Any]:
    """Return the samples as a list of numbers or lists: a NumPy array (of the samples, or one per sample) as
    lists of Python numbers, which a loss, an accuracy rule and a static target read as they read lists."""
    return [_plain(s) for s in _plain(samples)]


def _plain(x: Any) -> Any:
    """Return x's lists if x is an array (NumPy's, or another with its interface: a shape, and lists out),
    else x."""
    return x.tolist() if hasattr(x, "shape") and callable(getattr(x, "tolist", None)) else x


def _count(n: Any) -> bool:
    """Return whether n is an integer, and not a bool (True is no count of epochs or samples)."""
    return isinstance(n, int) and not isinstance(n, bool)


def _rows(targets: Sequence[Any]) -> bool:
    """Return whether the targets are rows (a compiled step's inputs), not a number each (static
    arguments)."""
    return isinstance(targets[0], Sequence)


def _output(trace: Sequence[Any]) -> Any:
    """Return a sample's output from its layers' outputs: the last layer's, one value alone or the list."""
    last = trace[-1]
    return last[0] if len(last) == 1 else last


def _progress_bar(epochs: int, shown: bool) -> tuple[Any, Callable[[], None]]:
    """Return tqdm's bar over the epochs, and what closes it. In a notebook the bar is a widget whose text
    form, saved with the notebook and shown where widgets are not, is redrawn at the end: it says 100%, not
    0%."""
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
    """Return whether a progress bar can be seen: stderr is a terminal, or this is a Jupyter notebook."""
    return (sys.stderr is not None and sys.stderr.isatty()) or _in_notebook()


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    ipython = getattr(shell, "get_ipython", lambda: None)()
    return type(ipython).__name__ == "ZMQInteractiveShell"
