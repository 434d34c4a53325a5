"""Datasets for classification, as plain lists (no numpy): (X, y) with X a list of points.

Small seeded ones are drawn here: the same seed gives the same points on every platform
(``random.Random``); ``seed=None`` draws a fresh one. A real one ships with the package: the handwritten
digits. Labels are class indices 0, 1, ...; for the hinge loss map them to -1/1 with ``2 * y - 1``.
"""

from __future__ import annotations

import gzip
import math
import numbers
import random
from collections.abc import Sequence
from importlib import resources
from typing import Any

__all__ = [
    "Dataset",
    "four_samples",
    "load_digits",
    "make_moons",
    "make_spiral",
    "make_xor",
    "one_hot",
    "train_test_split",
]

#: ``(X, y)``: the points, each a list of coordinates, and their class indices.
Dataset = tuple[list[list[float]], list[int]]


def _check(n: int, noise: float) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0.0 <= noise < math.inf:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")


def _shuffled(rng: random.Random, X: list[list[float]], y: list[int]) -> Dataset:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = None) -> Dataset:
    """Make two interleaving half circles (class 0 on top, class 1 below), with Gaussian noise of std
    ``noise``."""
    _check(n, noise)
    rng = random.Random(seed)
    n_top = n // 2
    X: list[list[float]] = []
    y: list[int] = []
    for label, count in ((0, n_top), (1, n - n_top)):
        for i in range(count):
            angle = math.pi * i / (count - 1) if count > 1 else 0.0
            if label == 0:
                x0, x1 = math.cos(angle), math.sin(angle)
            else:
                x0, x1 = 1.0 - math.cos(angle), 0.5 - math.sin(angle)
            X.append([x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)])
            y.append(label)
    return _shuffled(rng, X, y)


def make_spiral(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int | None = None) -> Dataset:
    """Make ``classes`` arms spiralling out from the origin, ``n`` points in all; ``noise`` jitters the
    angle."""
    _check(n, noise)
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f"classes must be an integer >= 2, got {classes!r}")
    rng = random.Random(seed)
    X: list[list[float]] = []
    y: list[int] = []
    for label in range(classes):
        count = n // classes + (label < n % classes)
        for i in range(count):
            r = i / max(count - 1, 1)
            angle = 4.0 * (label + r) + rng.gauss(0.0, noise)
            X.append([r * math.sin(angle), r * math.cos(angle)])
            y.append(label)
    return _shuffled(rng, X, y)


def make_xor(n: int = 200, noise: float = 0.0, seed: int | None = None) -> Dataset:
    """Make points uniform in [-1, 1]^2, class 1 where the signs differ; ``noise`` jitters the points."""
    _check(n, noise)
    rng = random.Random(seed)
    X: list[list[float]] = []
    y: list[int] = []
    for _ in range(n):
        a, b = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        y.append(int((a > 0) != (b > 0)))
        X.append([a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] if noise else [a, b])
    return X, y


def four_samples() -> Dataset:
    """Return the classic backprop tutorial's dataset: XOR of the first two inputs; the third is always 1."""
    return [[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]], [0, 1, 1, 0]


def load_digits() -> Dataset:
    """Load the 1,797 handwritten digits of UCI's *Optical Recognition of Handwritten Digits* test set (CC BY
    4.0; see DIGITS.md beside this module): each a list of 64 pixels, 8 rows of 8, scaled from the
    counts 0 to 16 to [0, 1]; and its digit, 0 to 9. The same images as scikit-learn's ``load_digits()``."""
    raw = gzip.decompress(resources.files(__package__).joinpath("digits.bin.gz").read_bytes())
    records = [raw[i : i + 65] for i in range(0, len(raw), 65)]
    return [[p / 16.0 for p in r[:64]] for r in records], [r[64] for r in records]


def train_test_split(
    X: Sequence[Any], y: Sequence[Any], test_size: float = 0.25, seed: int | None = None
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Return ``X_train, X_test, y_train, y_test``: the samples shuffled with ``seed`` and the last
    ``test_size`` of them (a fraction, rounded up) held out, as scikit-learn's function of this name."""
    if len(X) != len(y):
        raise ValueError(f"X and y must be as long as each other, got {len(X)} and {len(y)}")
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) or not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size!r}")
    n_test = math.ceil(test_size * len(X))
    if not 0 < n_test < len(X):
        raise ValueError(f"test_size={test_size} of {len(X)} samples leaves no test or no training sample")
    order = list(range(len(X)))
    random.Random(seed).shuffle(order)
    train, test = order[: len(X) - n_test], order[len(X) - n_test :]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


def one_hot(y: Sequence[int], classes: int) -> list[list[float]]:
    """Return each class index as a row of ``classes`` numbers, 1.0 at the index and 0.0 elsewhere: class
    probabilities for ``cross_entropy``. Indices may be NumPy integers (an array of them)."""
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 1:
        raise ValueError(f"one_hot() takes a positive number of classes, got {classes!r}")
    indices = []
    for t in y:
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or not 0 <= t < classes:
            raise ValueError(f"one_hot() takes class indices in [0, {classes}), got {t!r}")
        indices.append(int(t))
    return [[1.0 if k == t else 0.0 for k in range(classes)] for t in indices]
