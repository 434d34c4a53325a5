"""Where an epoch of the README's loop goes, at one width: ``python benchmarks/profile_step.py [H]``.

MLP(64, [H, H, 10]) on the digits (45 batches of 32), cross-entropy on one-hot rows, Adam, the step
compiled with NumPy. Each part is timed around its own calls over the fastest of five epochs; "the
rest" is the epoch less the parts: the compiled call itself, cutting the batches, Python.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_lite import compile
from autograd_lite.data import load_digits, one_hot, train_test_split
from autograd_lite.losses import cross_entropy
from autograd_lite.nn import MLP
from autograd_lite.optim import Adam


def main(width: int) -> None:
    X, y = load_digits()
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, seed=0)
    inputs, targets = np.array(X_train), np.array(one_hot(y_train, 10))
    model = MLP(64, [width, width, 10], init="he", seed=0)
    optimizer = Adam(model.parameters(), lr=0.005)
    step = compile(lambda xs, ts: cross_entropy([model(x) for x in xs], ts))
    batches = [list(range(i, i + 32)) for i in range(0, len(inputs) - 31, 32)]
    step(inputs[batches[0]], targets[batches[0]])  # records the step
    optimizer.step()
    tape = next(iter(step.tapes.values()))
    spent: Counter[str] = Counter()

    def timed(part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            began = time.perf_counter()
            result = fn(*args)
            spent[part] += time.perf_counter() - began
            return result

        return run

    assert tape.plan is not None and tape.rows is not None
    for group in tape.plan.steps:
        part = (
            "matrix products (dense layers)" if type(group).__name__ == "MatMul" else "other array operations"
        )
        group.forward = timed(part, group.forward)  # type: ignore[method-assign]
        group.backward = timed(part, group.backward)  # type: ignore[method-assign]
    optimizer.step = timed("Adam's update", optimizer.step)  # type: ignore[method-assign]
    optimizer.zero_grad = timed("zero_grad, and grads into the arrays", optimizer.zero_grad)  # type: ignore[method-assign]
    tape.rows.add_grads = timed("zero_grad, and grads into the arrays", tape.rows.add_grads)  # type: ignore[method-assign]
    best, parts = float("inf"), Counter[str]()
    for _ in range(5):
        spent.clear()
        began = time.perf_counter()
        for batch in batches:
            optimizer.zero_grad()
            step(inputs[batch], targets[batch])
            optimizer.step()
        epoch = time.perf_counter() - began
        if epoch < best:
            best, parts = epoch, Counter(spent)
    parts["the rest: the call, its inputs, Python"] = best - sum(parts.values())
    print(f"H = {width}: an epoch in {best * 1e3:.1f} ms")
    for part, seconds in parts.most_common():
        print(f"{seconds * 1e3:7.1f} ms {seconds / best:5.0%}  {part}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 128)
