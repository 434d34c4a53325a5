"""A multi-class classifier: three spiral arms, softmax cross-entropy, AdamW, mini-batches.

The network gives one score (logit) per class; ``cross_entropy`` turns them into the loss of a
softmax, and the class is the largest score. Mini-batches of 20 are shuffled each epoch.
Run: python examples/multiclass_classifier.py
"""

from __future__ import annotations

from autograd_lite.data import make_spiral
from autograd_lite.losses import cross_entropy
from autograd_lite.nn import MLP
from autograd_lite.optim import AdamW
from autograd_lite.train import History, argmax_accuracy, fit


def main() -> History:
    X, y = make_spiral(60, classes=3, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 3], activation="relu", init="he", seed=0)
    history = fit(
        model,
        X,
        y,
        loss=cross_entropy,
        optimizer=AdamW(model.parameters(), lr=0.02),
        epochs=50,
        batch_size=20,
        seed=0,
        accuracy=argmax_accuracy,
    )
    print(f"{model}: loss {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.1%}")
    return history


if __name__ == "__main__":
    main()
