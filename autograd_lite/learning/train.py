"""fit(): the training loop (forward, loss, backward, update), its progress bar, and its History.

History keeps what the tutorials watch for: the loss and accuracy per epoch, each layer's gradient
norm (vanishing gradients) and each ReLU layer's fraction of dead units (network paralysis).
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from ..core.compile import compile as compile_step
from ..core.engine import Value
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

    def plot(self) -> Figure:
        """Loss, accuracy (if measured) and each layer's gradient norm by epoch, as a matplotlib Figure."""
        panels = 3 if self.accuracy else 2
        fig = require_matplotlib("History.plot()")(figsize=(4.0 * panels, 3.2))
        axes = fig.subplots(1, panels)
        epochs = range(1, len(self.loss) + 1)
        axes[0].plot(epochs, self.loss)
        axes[0].set(title="loss", xlabel="epoch", ylabel="mean loss")
        if self.accuracy:
            axes[1].plot(epochs, self.accuracy)
            axes[1].set(title="accuracy", xlabel="epoch", ylabel="fraction right", ylim=(0, 1.05))
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
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    accuracy: Accuracy | None = None,
    seed: int | None = None,
    progress: bool = True,
    compiled: bool = False,
) -> History:
    """Train ``model`` on (X, y) for ``epochs`` passes and return its History.

    ``batch_size=None`` takes one step per epoch on the whole set; any size takes one step per batch,
    the samples shuffled each epoch by ``random.Random(seed)`` (``batch_size=1`` is online training).
    The progress bar shows on a terminal or in a notebook, unless ``progress=False``. ``compiled=True``
    records the step's graph and replays it (see ``autograd_lite.compile``): the same steps, faster.
    Targets that are rows (one-hot rows of class probabilities for ``cross_entropy``, or several outputs
    to regress) are the replay's inputs: one recording per batch size. A number per target is a static
    argument: one recording per batch size and set of targets (a batch's samples are taken in the order
    of their targets, so that batches of two classes share few sets); for many classes give one-hot rows
    (``data.one_hot``), and for real-valued targets in shuffled mini-batches, stay eager.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"fit() trains an MLP (its diagnostics are per layer), got {type(model).__name__}")
    if len(X) != len(y) or not X:
        raise ValueError(f"fit() needs as many targets as inputs (at least one), got {len(X)} and {len(y)}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    rng = random.Random(seed)
    order = list(range(len(X)))
    history = History()
    relu = [layer.activation == "relu" for layer in model.layers]

    def forward(xs: list[Any], targets: list[Any]) -> tuple[Value, list[list[list[Value]]]]:
        """The batch's loss, and each sample's outputs of every layer."""
        traces = [model.layer_outputs(x) for x in xs]
        value = loss([_output(trace) for trace in traces], targets)
        if not isinstance(value, Value):
            raise TypeError(f"the loss function must return a Value, got {type(value).__name__}")
        return value, traces

    rows = isinstance(y[0], Sequence)  # targets a compiled step takes as inputs, not static arguments
    step = compile_step(forward, static_argnums=() if rows else 1) if compiled else None
    bar, finish = _progress_bar(epochs, progress and _interactive())
    for _ in bar:
        if batch_size is not None:
            rng.shuffle(order)
        size = batch_size or len(order)
        total_loss, correct, steps = 0.0, 0, 0
        norms = [0.0] * len(model.layers)
        alive = [[False] * len(layer.neurons) for layer in model.layers]
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            if step is not None and not rows:
                batch = _by_target(batch, y)
            targets = [y[i] for i in batch]
            optimizer.zero_grad()
            if step is None:
                root, graph = forward([X[i] for i in batch], targets)
                root.backward()
                value = root.data
                traces = [[[o.data for o in layer] for layer in trace] for trace in graph]
            else:  # forward and backward replayed: the loss and every layer's outputs come back as floats
                value, traces = step([list(X[i]) for i in batch], targets)
            outputs = [_output(trace) for trace in traces]
            for i, layer in enumerate(model.layers):
                norms[i] += math.hypot(*(float(p.grad) for p in layer.parameters()))  # no overflow in squares
            optimizer.step()
            total_loss += value * len(batch)
            steps += 1
            if accuracy is not None:
                correct += sum(accuracy(o, t) for o, t in zip(outputs, targets))
            for trace in traces:
                for i, outs in enumerate(trace):
                    if relu[i]:
                        alive[i] = [a or o > 0 for a, o in zip(alive[i], outs)]
        history.loss.append(total_loss / len(order))
        history.grad_norms.append([n / steps for n in norms])
        history.dead_relus.append([1 - sum(a) / len(a) if r else None for a, r in zip(alive, relu)])
        postfix = {"loss": f"{history.loss[-1]:.4g}"}
        if accuracy is not None:
            history.accuracy.append(correct / len(order))
            postfix["accuracy"] = f"{history.accuracy[-1]:.1%}"
        bar.set_postfix(postfix, refresh=False)
    finish()
    return history


def _by_target(batch: list[int], y: Sequence[Any]) -> list[int]:
    """The batch in the order of its targets (as it was, if they do not compare): the same samples."""
    try:
        return sorted(batch, key=lambda i: y[i])
    except TypeError:
        return batch


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
