"""The ``autograd-lite`` command (also ``python -m autograd_lite``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from .data import make_moons
from .engine import Value
from .losses import hinge, l2_penalty
from .nn import MLP
from .optim import SGD
from .plots import decision_boundary, require_matplotlib
from .train import fit, sign_accuracy


def demo(out: Path) -> None:
    """Train micrograd's demo network on the moons, then write its loss curves and decision boundary."""
    require_matplotlib("autograd-lite demo")  # fail before training, not after
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
        compile=True,  # recorded once, replayed each epoch: the same steps as eager, faster
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
        fig.savefig(out / name, dpi=100)
        print(f"wrote {out / name}: {what}")


def neuron() -> None:
    """A worked example: a neuron's forward pass, then its gradients by backpropagation."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = Value.dot([w1, w2], [x1, x2]) + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    print("A neuron: o = tanh(w1*x1 + w2*x2 + b)")
    print(f"  forward:  n = {n.data:.6f}   o = {o.data:.6f}")
    o.backward()
    print("  backward: d o / d each input (chain rule through tanh, then the dot product)")
    for v in (x1, x2, w1, w2, b):
        print(f"    {v.label:>2}.grad = {v.grad: .6f}")
    dn = 1 - o.data**2
    print(f"  by hand: do/dn = 1 - o**2 = {dn:.6f}; do/dw1 = x1 * do/dn = {x1.data * dn:.6f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograd-lite", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="train a network and draw it", description=demo.__doc__)
    demo_parser.add_argument(
        "--out", type=Path, default=Path("demo-output"), help="where to write the pictures"
    )
    commands.add_parser("neuron", help="a neuron's backpropagation, by hand", description=neuron.__doc__)
    args = parser.parse_args(argv)
    if args.command == "neuron":
        neuron()
        return 0
    try:
        demo(args.out)
    except (ImportError, OSError) as e:  # matplotlib missing, or the output directory not writable
        parser.exit(1, f"autograd-lite demo: {e}\n")
    return 0
