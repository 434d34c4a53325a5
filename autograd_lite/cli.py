"""The ``autograd-lite`` command (also ``python -m autograd_lite``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .engine import Value


def demo() -> None:
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
    commands.add_parser("demo", help="run the worked example", description=demo.__doc__)
    parser.parse_args(argv)
    demo()
    return 0
