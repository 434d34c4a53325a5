"""Handwritten digits: an MLP(64, [32, 10]) trained on 8 x 8 images with cross-entropy and Adam.

UCI's 1,797 digits ship with the package (``load_digits``). A fifth is held out; the network trains on
the rest in shuffled mini-batches of 32, its step compiled (recorded once, replayed with NumPy), the
classes given as one-hot rows so that every batch replays the same recording. It reports the accuracy
on the held-out digits and draws which digits it takes for which (confusion_matrix.png).
Run: python examples/digits.py
"""

from __future__ import annotations

from pathlib import Path

from autograd_lite import no_grad
from autograd_lite.data import load_digits, one_hot, train_test_split
from autograd_lite.losses import cross_entropy
from autograd_lite.nn import MLP
from autograd_lite.optim import Adam
from autograd_lite.plots import confusion_matrix
from autograd_lite.train import argmax_accuracy, fit


def main(out: Path = Path("confusion_matrix.png")) -> float:
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    model = MLP(64, [32, 10], activation="relu", init="he", seed=0)
    history = fit(
        model,
        X_train,
        one_hot(y_train, 10),
        loss=cross_entropy,
        optimizer=Adam(model.parameters(), lr=0.005),
        epochs=20,
        batch_size=32,
        seed=0,
        accuracy=argmax_accuracy,
        compiled=True,
    )
    with no_grad():
        scores = [[o.data for o in model(x)] for x in X_test]
    predicted = [row.index(max(row)) for row in scores]
    accuracy = sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)
    print(f"{model}: training loss {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.1%}")
    print(f"held-out accuracy {accuracy:.1%} on {len(y_test)} digits")
    confusion_matrix(y_test, predicted, classes=10).savefig(out, dpi=120)
    print(f"wrote {out}")
    return accuracy


if __name__ == "__main__":
    main()
