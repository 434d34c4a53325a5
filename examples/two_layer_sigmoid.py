"""The classic backprop tutorial: a 3-4-1 sigmoid network learns XOR from four samples.

Inputs are [x1, x2, 1] (the constant third input plays the bias), the target is x1 XOR x2. Plain
gradient descent on the sum of squared errors, learning rate 1, 1500 iterations over the full set,
as in the tutorial: the predictions end near [0, 1, 1, 0].
Run: python examples/two_layer_sigmoid.py
"""

from __future__ import annotations

from autograd_lite.data import four_samples
from autograd_lite.losses import sse
from autograd_lite.nn import MLP
from autograd_lite.optim import SGD
from autograd_lite.train import fit


def main() -> list[float]:
    X, y = four_samples()
    model = MLP(3, [4, 1], activation="sigmoid", output_activation="sigmoid", bias=False, seed=0)
    fit(model, X, y, loss=sse, optimizer=SGD(model.parameters(), lr=1.0), epochs=1500)
    predictions = [model(x).data for x in X]
    for x, target, p in zip(X, y, predictions):
        print(f"input {x[:2]} target {target} prediction {p:.4f}")
    return predictions


if __name__ == "__main__":
    main()
