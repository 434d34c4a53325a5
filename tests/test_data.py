"""The datasets: their published shapes, their labels, and their seeds."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from importlib import resources
from typing import Any

import pytest

from autograd_lite.data import (
    four_samples,
    load_digits,
    make_moons,
    make_spiral,
    make_xor,
    one_hot,
    train_test_split,
)


@pytest.mark.parametrize("make", [make_moons, make_spiral, make_xor])
def test_the_same_seed_gives_the_same_points_and_another_seed_others(make: Any) -> None:
    assert make(60, seed=3) == make(60, seed=3)
    assert make(60, seed=3) != make(60, seed=4)
    X, y = make(61, seed=0)
    assert len(X) == len(y) == 61


def test_moons_without_noise_lie_on_two_half_circles() -> None:
    X, y = make_moons(101, noise=0.0, seed=0)
    assert Counter(y) == {0: 50, 1: 51}
    for (a, b), label in zip(X, y):
        if label == 0:  # the upper half of the unit circle
            assert math.isclose(a * a + b * b, 1.0) and b >= -1e-12
        else:  # the lower half of the unit circle around (1, 0.5)
            assert math.isclose((a - 1) ** 2 + (b - 0.5) ** 2, 1.0) and b <= 0.5 + 1e-12


def test_moons_noise_is_gaussian_with_the_given_spread() -> None:
    clean, _ = make_moons(2000, noise=0.0, seed=1)
    noisy, _ = make_moons(2000, noise=0.2, seed=1)
    radii = sorted(min(abs(math.hypot(a, b) - 1), abs(math.hypot(a - 1, b - 0.5) - 1)) for a, b in noisy)
    assert 0.05 < radii[len(radii) // 2] < 0.2  # noise of std 0.2 moves the median point ~0.1 off its arc
    assert max(min(abs(math.hypot(a, b) - 1), abs(math.hypot(a - 1, b - 0.5) - 1)) for a, b in clean) < 1e-12


def test_spiral_arms_have_equal_shares_and_radii_from_zero_to_one() -> None:
    X, y = make_spiral(300, classes=3, noise=0.0, seed=0)
    assert Counter(y) == {0: 100, 1: 100, 2: 100}
    radii = [math.hypot(a, b) for a, b in X]
    assert min(radii) == 0.0 and math.isclose(max(radii), 1.0)


def test_xor_labels_are_whether_the_signs_differ() -> None:
    X, y = make_xor(200, seed=0)
    assert y == [int((a > 0) != (b > 0)) for a, b in X]
    assert 60 < sum(y) < 140


def test_four_samples_is_the_classic_tutorials_dataset() -> None:
    X, y = four_samples()
    assert X == [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
    assert y == [0, 1, 1, 0]
    X[0][0] = 5.0
    assert four_samples()[0][0][0] == 0  # a fresh copy each call


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_moons(0), "n must be a positive integer, got 0"),
        (lambda: make_xor(10, noise=-1.0), "noise must be a finite number >= 0, got -1.0"),
        (lambda: make_moons(10, noise=math.inf), "noise must be a finite number >= 0, got inf"),
        (lambda: make_spiral(10, noise=math.nan), "noise must be a finite number >= 0, got nan"),
        (lambda: make_spiral(10, classes=1), "classes must be an integer >= 2, got 1"),
    ],
)
def test_bad_arguments_get_an_error_naming_them(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_the_digits_are_ucis_test_set_as_published() -> None:
    X, y = load_digits()
    assert len(X) == len(y) == 1797 and {len(x) for x in X} == {64}
    # The class counts of the test set in UCI's description of the data (optdigits.names).
    assert Counter(y) == {0: 178, 1: 182, 2: 177, 3: 183, 4: 181, 5: 182, 6: 181, 7: 179, 8: 174, 9: 180}
    # The first image, a 0, as scikit-learn's documentation prints it (digits.images[0]), scaled by 1/16.
    first = [
        [0, 0, 5, 13, 9, 1, 0, 0],
        [0, 0, 13, 15, 10, 15, 5, 0],
        [0, 3, 15, 2, 0, 11, 8, 0],
        [0, 4, 12, 0, 0, 8, 8, 0],
        [0, 5, 8, 0, 0, 9, 8, 0],
        [0, 4, 11, 0, 1, 12, 7, 0],
        [0, 2, 14, 5, 10, 12, 0, 0],
        [0, 0, 6, 13, 10, 0, 0, 0],
    ]
    assert X[0] == [v / 16 for row in first for v in row] and y[:10] == list(range(10))
    assert all(0.0 <= v <= 1.0 and (16 * v).is_integer() for x in X for v in x)
    shipped = resources.files("autograd_lite.learning").joinpath("digits.bin.gz").read_bytes()
    assert hashlib.sha256(shipped).hexdigest().startswith("b508b4f324a79151")  # the file as committed


def test_train_test_split_holds_out_the_fraction_rounded_up_and_keeps_pairs_together() -> None:
    X = [[float(i), float(-i)] for i in range(11)]
    y = list(range(11))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=1)
    assert (len(X_train), len(X_test)) == (8, 3)  # ceil(0.2 * 11), as scikit-learn's
    assert all(x[0] == t for x, t in zip(X_train + X_test, y_train + y_test))
    assert sorted(y_train + y_test) == y
    assert train_test_split(X, y, test_size=0.2, seed=1) == (X_train, X_test, y_train, y_test)
    assert train_test_split(X, y, test_size=0.2, seed=2) != (X_train, X_test, y_train, y_test)
    assert len(train_test_split(X, y)[1]) == 3  # the default, a quarter


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([[0.0]] * 3, [0, 1]), "as long as each other, got 3 and 2"),
        (([[0.0]] * 3, [0] * 3, 1.0), "test_size must be a fraction between 0 and 1, got 1.0"),
        (([[0.0]] * 3, [0] * 3, 0.9), "test_size=0.9 of 3 samples leaves no test or no training sample"),
        (([[0.0]] * 3, [0] * 3, "0.5"), "test_size must be a fraction between 0 and 1, got '0.5'"),
    ],
)
def test_train_test_split_refuses_bad_arguments_naming_them(args: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        train_test_split(*args)


def test_one_hot_rows_mark_each_class_and_refuse_an_index_out_of_range() -> None:
    assert one_hot([2, 0], 3) == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match=r"one_hot\(\) takes class indices in \[0, 3\), got 3"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"one_hot\(\) takes a positive number of classes, got 0"):
        one_hot([0], 0)


def test_one_hot_takes_numpy_integers_as_class_indices() -> None:
    import numpy as np

    rows = one_hot(np.array([0, 2]), 3)
    assert rows == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]] and all(type(v) is float for r in rows for v in r)
