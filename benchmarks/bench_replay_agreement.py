"""How closely the NumPy replay agrees with the eager engine: the largest differences over seeded cases.

Run alone with ``.venv/bin/python benchmarks/bench_replay_agreement.py`` (or within ``make bench``). Each
case is a network and loss, replayed on many seeded draws of weights and inputs; each draw's outputs and
gradients are compared with eager's, each number against the largest in magnitude of its kind (outputs;
gradients) in that draw, and against itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness import Check, Section, markdown

import autograd_lite
from autograd_lite import Value
from autograd_lite.core.vectorized import AGREEMENT
from autograd_lite.data import load_digits, make_moons, one_hot
from autograd_lite.losses import cross_entropy, hinge, l2_penalty, mse
from autograd_lite.nn import MLP

DRAWS = 100  # seeded draws of weights and inputs per case (a fifth of it for the moons and the digits)
#: What a case makes for a seed: the Values to differentiate, the function to compile, and its arguments.
Made = tuple[list[Value], Callable[..., Any], list[Any]]


@dataclass
class Case:
    """A network and a loss over a batch: ``make(seed)`` gives the Values to differentiate, the function
    of the batch to compile (returning the loss and each sample's outputs), and the batch: its inputs,
    then its targets (as they are, a static argument, if ``static``)."""

    name: str
    make: Callable[[int], Made]
    draws: int = DRAWS
    static: bool = False


def scaled_mlp(nin: int, sizes: list[int], activation: str, gain: float, batch: int) -> Callable[[int], Made]:
    """An MLP whose weights are ``gain`` times their usual draw (so ``gain`` 8 saturates most units), with
    a mean squared error to targets in (-1, 1), on a batch of inputs in (-2, 2)."""

    def make(seed: int) -> Made:
        model = MLP(nin, sizes, activation=activation, seed=seed)
        for p in model.parameters():
            p.data *= gain
        rng = random.Random(seed)
        xs = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(batch)]
        ts = [rng.uniform(-1, 1) for _ in range(batch)]

        def f(xs: Any, ts: Any) -> Any:
            outputs = [model(x) for x in xs]
            return mse(outputs, ts), outputs

        return model.parameters(), f, [xs, ts]

    return make


def moons(seed: int) -> Made:
    """The benchmarked training step: MLP(2, [16, 16, 1]), hinge loss and an L2 penalty on 100 moons."""
    X, labels = make_moons(100, noise=0.1, seed=seed)
    model = MLP(2, [16, 16, 1], seed=seed)

    def f(xs: Any, ys: Any) -> Any:
        outputs = [model(x) for x in xs]
        return hinge(outputs, ys) + l2_penalty(model.parameters(), 1e-4), outputs

    return model.parameters(), f, [X, [2.0 * t - 1.0 for t in labels]]


DIGITS = load_digits()


def digits(activation: str) -> Callable[[int], Made]:
    """A batch of 32 digits through MLP(64, [32, 10]), cross-entropy on one-hot targets."""

    def make(seed: int) -> Made:
        X, y = DIGITS
        rows = random.Random(seed).sample(range(len(X)), 32)
        model = MLP(64, [32, 10], activation=activation, init="he", seed=seed)

        def f(xs: Any, ts: Any) -> Any:
            outputs = [model(x) for x in xs]
            return cross_entropy(outputs, ts), outputs

        return model.parameters(), f, [[list(X[i]) for i in rows], one_hot([y[i] for i in rows], 10)]

    return make


CASES = [
    *(
        Case(f"MLP(4, [16, 16, 1]), {act}, weights x{gain:g}", scaled_mlp(4, [16, 16, 1], act, gain, 8))
        for act in ("tanh", "sigmoid")
        for gain in (1.0, 8.0)
    ),
    Case("moons step: MLP(2, [16, 16, 1]), relu, hinge + L2, 100 points", moons, DRAWS // 5, static=True),
    *(
        Case(f"digits batch: MLP(64, [32, 10]), {act}, 32 samples", digits(act), DRAWS // 5)
        for act in ("relu", "tanh")
    ),
]


def flat(x: Any) -> list[float]:
    """The numbers in x (a number, a Value, or nested lists and tuples of them), in order."""
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in flat(item)]
    return [x.data if isinstance(x, Value) else float(x)]


@dataclass
class Differences:
    """The largest differences from eager seen so far: each relative to the largest number of its kind,
    and relative to the number itself."""

    outputs: float = 0.0
    grads: float = 0.0
    outputs_own: float = 0.0
    grads_own: float = 0.0

    def add(self, got: Sequence[float], want: Sequence[float], kind: str) -> None:
        scale = max(map(abs, want))
        errors = [abs(g - w) for g, w in zip(got, want, strict=True)]
        largest = max(errors) / scale if scale else max(errors)
        own = max((e / abs(w) for e, w in zip(errors, want) if w), default=0.0)
        setattr(self, kind, max(getattr(self, kind), largest))
        setattr(self, kind + "_own", max(getattr(self, kind + "_own"), own))


def measure(case: Case) -> Differences:
    """The case's largest differences between the NumPy replay and eager, over its draws."""
    found = Differences()
    for seed in range(case.draws):
        params, f, batch = case.make(seed)
        for p in params:
            p.grad = 0.0
        xs, ts = batch
        targets = (
            ts
            if case.static
            else [[Value(t) for t in row] if isinstance(row, list) else Value(row) for row in ts]
        )
        value, outputs = f([[Value(x) for x in row] for row in xs], targets)
        value.backward()
        want, want_grads = [value.data, *flat(outputs)], [p.grad for p in params]
        for p in params:
            p.grad = 0.0
        got = flat(autograd_lite.compile(f, backend="numpy", static_argnums=1 if case.static else ())(*batch))
        found.add(got, want, "outputs")
        found.add([p.grad for p in params], want_grads, "grads")
    return found


def bench_replay_agreement() -> Section:
    header = ["NumPy replay against eager", "draws", "outputs", "(own)", "grads", "(own)"]
    cells, worst = [header], 0.0
    for case in CASES:
        d = measure(case)
        worst = max(worst, d.outputs, d.grads)
        cells.append(
            [
                case.name,
                str(case.draws),
                *(f"{x:.1e}" for x in (d.outputs, d.outputs_own, d.grads, d.grads_own)),
            ]
        )
    s = Section()
    s.tables.append(markdown(cells))
    s.checks.append(
        Check(
            "NumPy replay's agreement with eager",
            worst <= AGREEMENT,
            f"largest difference {worst:.1e} of the largest output or gradient (AGREEMENT: {AGREEMENT:g})",
        )
    )
    s.notes.append(
        "NumPy replay against eager: the largest difference over seeded draws of weights and inputs, of "
        "each output (the loss, then each sample's) and gradient, divided by the largest of its kind in "
        "the draw; '(own)' divides by the number itself. NumPy's tanh and exp differ from the C library's "
        "in the last bits, and it adds up sums and dot products in another order."
    )
    return s


if __name__ == "__main__":
    section = bench_replay_agreement()
    for table in section.tables:
        print(table)
    for note in section.notes:
        print(f"\n{note}")
    for check in section.checks:
        print(f"\n{'PASS' if check.passed else 'FAIL'} {check.name}: {check.detail}")
