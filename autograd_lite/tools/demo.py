"""The demo that ``make demo`` runs, and the worked neuron of ``autograd-lite neuron``."""

from __future__ import annotations

import io
import os
from pathlib import Path

from ..core.engine import Value
from ..core.files import write_atomic
from ..learning.data import make_moons
from ..learning.losses import hinge, l2_penalty
from ..learning.models import MLP
from ..learning.optim import SGD
from ..learning.plots import decision_boundary, require_matplotlib
from ..learning.train import fit, sign_accuracy


class CannotRun(Exception):
    """What the demo needs and does not have: every missing piece, in one message."""


def check(out: Path) -> None:
    """Raise CannotRun naming everything the demo would fail on: a missing extra, no Graphviz renderer,
    an output folder that cannot be made."""
    problems = []
    try:
        require_matplotlib("the demo")
    except ImportError as e:
        problems.append(str(e))
    try:
        from .viz.render import require_graphviz, resolve

        require_graphviz()
        resolve("auto")
    except (ImportError, RuntimeError) as e:
        problems.append(str(e))
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK | os.X_OK):
            raise PermissionError(f"cannot write into {str(out)!r}")
    except OSError as e:
        problems.append(f"the output folder {str(out)!r}: {e.strerror or e}")
    if problems:
        raise CannotRun("; ".join(problems))


def demo(out: Path) -> None:
    """Train micrograd's demo network on the moons; write its loss curves, its decision boundary, the
    graph of one of its neurons, and a page that steps through backprop on a neuron.
    """
    check(out)  # everything it needs, before it trains
    from . import viz

    X, labels = make_moons(100, noise=0.1, seed=1)
    y = [2 * t - 1 for t in labels]  # the hinge loss takes classes -1 and 1
    model = MLP(2, [16, 16, 1], seed=1337)
    print(f"Training {model} on {len(X)} moons points: hinge loss + 1e-4 * L2, SGD with momentum")
    history = fit(
        model,
        X,
        y,
        loss=lambda outputs, targets: hinge(outputs, targets) + l2_penalty(model.parameters(), 1e-4),
        optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9),
        epochs=100,
        accuracy=sign_accuracy,
        compiled=True,  # recorded once, replayed each epoch: the same steps as eager, faster
    )
    print(
        f"After {len(history.loss)} epochs: loss {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.0%}"
    )
    out.mkdir(parents=True, exist_ok=True)
    pictures = {
        "loss.png": (history.plot(), "loss, accuracy and gradient norm per layer, by epoch"),
        "decision_boundary.png": (decision_boundary(model, X, y), "the trained network's decision boundary"),
    }
    for name, (fig, what) in pictures.items():
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=100)
        write_atomic(
            out / name, png.getvalue()
        )  # as every file the package writes: whole, not through a link
        print(f"wrote {out / name}: {what}")
    first = model.layers[0].neurons[0]
    model.zero_grad()  # the picture shows this one backward pass's grads, not the last step's
    for i, w in enumerate(first.w):
        w.label = f"w{i}"
    if first.b is not None:
        first.b.label = "b"
    x = next((x for x in X if first(x).data > 0), X[0])  # a point where the neuron passes gradient back
    output = first([Value(v, label=f"x{i}") for i, v in enumerate(x)])
    output.label = "out"
    output.backward()
    viz.draw(output).save(out / "graph.svg")
    at = ", ".join(f"{v:.3f}" for v in x)
    print(f"wrote {out / 'graph.svg'}: the trained network's first hidden neuron at ({at}), after backward")
    viz.step_through(_tanh_neuron()[-1]).save(out / "backprop.html")
    print(f"wrote {out / 'backprop.html'}: backprop through o = tanh(w1*x1 + w2*x2 + b), one step at a time")


def _tanh_neuron() -> list[Value]:
    """Build the worked neuron: x1, x2, w1, w2, b, then n = w1*x1 + w2*x2 + b and o = tanh(n), labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = Value.dot([w1, w2], [x1, x2]) + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return [x1, x2, w1, w2, b, n, o]


def neuron() -> None:
    """Print a worked example: a neuron's forward pass, then its gradients by backpropagation."""
    x1, x2, w1, w2, b, n, o = _tanh_neuron()
    print("A neuron: o = tanh(w1*x1 + w2*x2 + b)")
    print(f"  forward:  n = {n.data:.6f}   o = {o.data:.6f}")
    o.backward()
    print("  backward: d o / d each input (chain rule through tanh, then the dot product)")
    for v in (x1, x2, w1, w2, b):
        print(f"    {v.label:>2}.grad = {v.grad: .6f}")
    dn = 1 - o.data**2
    print(f"  by hand: do/dn = 1 - o**2 = {dn:.6f}; do/dw1 = x1 * do/dn = {x1.data * dn:.6f}")
