"""Small seeded datasets for classification, as plain lists (no numpy): (X, y) with X a list of points.

The same seed gives the same points on every platform (``random.Random``); ``seed=None`` draws a
fresh one. Labels are class indices 0, 1, ...; for the hinge loss map them to -1/1 with ``2 * y - 1``.
"""

from __future__ import annotations

import math
import random

__all__ = ["Dataset", "four_samples", "make_moons", "make_spiral", "make_xor"]

#: ``(X, y)``: the points, each a list of coordinates, and their class indices.
Dataset = tuple[list[list[float]], list[int]]


def _check(n: int, noise: float) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not noise >= 0.0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")


def _shuffled(rng: random.Random, X: list[list[float]], y: list[int]) -> Dataset:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = None) -> Dataset:
    """Two interleaving half circles (class 0 on top, class 1 below), with Gaussian noise of std ``noise``."""
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
    """``classes`` arms spiralling out from the origin, ``n`` points in all; ``noise`` jitters the angle."""
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
    """Points uniform in [-1, 1]^2, class 1 where the signs differ; ``noise`` jitters the points."""
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
    """The classic backprop tutorial's dataset: XOR of the first two inputs; the third is always 1."""
    return [[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]], [0, 1, 1, 0]
