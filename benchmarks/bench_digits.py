"""An epoch on the handwritten digits: MLP(64, [32, 10]), cross-entropy, Adam, mini-batches of 32."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from harness import Check, Section, markdown, ms, step_time, times
from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]
from micrograd.nn import MLP as MicrogradMLP  # type: ignore[import-untyped]

import autograd_lite
from autograd_lite.data import load_digits, one_hot, train_test_split
from autograd_lite.losses import cross_entropy
from autograd_lite.nn import MLP
from autograd_lite.optim import Adam

BATCH = 32
LR = 0.005
MICROGRAD_BATCHES = 2  # micrograd takes seconds a batch: it is timed on these and extrapolated


def bench_digits_epoch() -> Section:
    import torch

    torch.set_default_dtype(torch.float64)
    X, y = load_digits()
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, seed=0)
    targets = one_hot(y_train, 10)
    start = MLP(64, [32, 10], activation="relu", init="he", seed=0).state_dict()

    def batches(epoch: int) -> list[list[int]]:
        """The same shuffled batches for every engine in an epoch."""
        order = list(range(len(X_train)))
        random.Random(epoch).shuffle(order)
        return [order[i : i + BATCH] for i in range(0, len(order), BATCH)]

    def lite_epoch() -> Callable[[], float]:
        model = MLP(64, [32, 10], activation="relu", init="he", seed=0)
        model.load_state_dict(start)
        optimizer = Adam(model.parameters(), lr=LR)
        step = autograd_lite.compile(lambda xs, ts: cross_entropy([model(x) for x in xs], ts))
        epochs = iter(range(1_000_000))

        def epoch() -> float:
            value = 0.0
            for batch in batches(next(epochs)):
                optimizer.zero_grad()
                value = step([X_train[i] for i in batch], [targets[i] for i in batch])
                optimizer.step()
            return value

        return epoch

    def torch_epoch() -> Callable[[], float]:
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        with torch.no_grad():
            for linear, k in zip(model[::2], (0, 1)):
                rows = range(linear.out_features)
                weights = [
                    [start[f"layers.{k}.neurons.{j}.w.{i}"] for i in range(linear.in_features)] for j in rows
                ]
                linear.weight.copy_(torch.tensor(weights))
                linear.bias.copy_(torch.tensor([start[f"layers.{k}.neurons.{j}.b"] for j in rows]))
        inputs, classes = torch.tensor(X_train), torch.tensor(y_train)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        epochs = iter(range(1_000_000))

        def epoch() -> float:
            value = 0.0
            for batch in batches(next(epochs)):
                index = torch.tensor(batch)
                loss = torch.nn.functional.cross_entropy(model(inputs[index]), classes[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                value = float(loss.detach())
            return value

        return epoch

    def micrograd_batches() -> float:
        """micrograd's time for the epoch, extrapolated from its first batches: its network, and the
        squared error against the one-hot rows (micrograd has no exp or log for a softmax)."""
        random.seed(0)
        model = MicrogradMLP(64, [32, 10])
        chosen = batches(0)[:MICROGRAD_BATCHES]
        t0 = time.perf_counter()
        for batch in chosen:
            total: Any = 0.0
            for i in batch:
                out = model([MicrogradValue(v) for v in X_train[i]])
                total = total + sum((o - t) ** 2 for o, t in zip(out, targets[i]))
            model.zero_grad()
            total.backward()
            for p in model.parameters():
                p.data -= LR * p.grad
        return (time.perf_counter() - t0) / MICROGRAD_BATCHES * len(batches(0))

    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        lite, lite_loss = step_time(lite_epoch(), 3, 3)
        torch_time, torch_loss = step_time(torch_epoch(), 3, 3)
    finally:
        torch.set_num_threads(torch_threads)
    micro = micrograd_batches()
    cells = [
        ["one epoch on the digits (45 batches of 32)", "time", "this / PyTorch batched"],
        [f"micrograd (extrapolated from {MICROGRAD_BATCHES} batches)", ms(micro), times(micro / torch_time)],
        ["autograd-lite, compiled (NumPy replay), Adam", ms(lite), times(lite / torch_time)],
        ["PyTorch, batched (`nn.Linear`), one thread, Adam", ms(torch_time), "1.00x"],
    ]
    s = Section()
    s.tables.append(markdown(cells))
    s.checks.append(
        Check(
            "digits epoch against PyTorch batched",
            lite <= torch_time,
            f"autograd-lite compiled / PyTorch batched = {lite / torch_time:.2f}x (target: at most 1x)",
        )
    )
    s.checks.append(
        Check(
            "digits epoch sanity",
            abs(lite_loss - torch_loss) <= 1e-9 * max(1.0, abs(torch_loss)),
            f"first epoch's last loss: autograd-lite {lite_loss!r}, PyTorch {torch_loss!r}",
        )
    )
    s.notes.append(
        "Digits epoch: UCI's digits (`load_digits`), 1,437 training images in 45 shuffled batches of 32 (the "
        "same batches for every engine), MLP(64, [32, 10]) with ReLU, cross-entropy, Adam (lr 0.005), from "
        "the same weights; each time is an epoch over runs of three consecutive epochs, the best of three "
        "runs. Ours: `compile` of the loss, the classes as one-hot rows, with `zero_grad` and Adam's step in "
        "Python. PyTorch: float64 on one thread. micrograd has no exp or log, so its time is for its network "
        "with a squared-error loss (the loss is under 1% of the work), timed on the first batches."
    )
    return s
