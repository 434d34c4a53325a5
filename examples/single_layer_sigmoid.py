"""One sigmoid neuron, 10,000 iterations at learning rate 0.1: what a single layer can and cannot learn.

On the tutorial's four samples [x1, x2, 1] it learns "the output is x1" (a straight line separates
the classes) and generalises to the new input [1, 0, 0]. Asked for x1 XOR x2 instead, it cannot: no
line separates those classes, and every prediction settles at 0.5. The hidden layer of
two_layer_sigmoid.py is what fixes that.
Run: python examples/single_layer_sigmoid.py
"""

from __future__ import annotations

from autograd_lite.data import four_samples
from autograd_lite.losses import sse
from autograd_lite.nn import MLP
from autograd_lite.optim import SGD
from autograd_lite.train import fit


def train(targets: list[int]) -> MLP:
    X, _ = four_samples()
    model = MLP(3, [1], output_activation="sigmoid", bias=False, seed=1)
    fit(model, X, targets, loss=sse, optimizer=SGD(model.parameters(), lr=0.1), epochs=10_000)
    return model


def predict(model: MLP, x: list[float]) -> float:
    return model(x).data


def main() -> dict[str, list[float]]:
    X, xor = four_samples()
    first = [int(x[0]) for x in X]
    learned, stuck = train(first), train(xor)
    results = {
        "first input": [predict(learned, x) for x in X],
        "new input [1, 0, 0]": [predict(learned, [1.0, 0.0, 0.0])],
        "xor": [predict(stuck, x) for x in X],
    }
    print(f"target = x1,  targets {first}: predictions {[round(p, 4) for p in results['first input']]}")
    print(f"  and for the unseen input [1, 0, 0]: {results['new input [1, 0, 0]'][0]:.4f}")
    print(f"target = XOR, targets {xor}: predictions {[round(p, 4) for p in results['xor']]}")
    return results


if __name__ == "__main__":
    main()
