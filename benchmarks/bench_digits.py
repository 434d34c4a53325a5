"""An epoch on the handwritten digits: MLP(64, [32, 10]), cross-entropy, Adam, mini-batches of 32."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from harness import Check, Section, markdown, ms, times
from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]
from micrograd.nn import MLP as MicrogradMLP  # type: ignore[import-untyped]

from autograd_lite.data import load_digits, one_hot, train_test_split
from autograd_lite.losses import cross_entropy
from autograd_lite.nn import MLP
from autograd_lite.optim import Adam
from autograd_lite.train import fit

BATCH = 32
LR = 0.005
SEED = 0
EPOCHS = 6
MICROGRAD_BATCHES = 2  # micrograd takes seconds a batch: it is timed on these and extrapolated


def bench_digits_epoch() -> Section:
    import torch

    torch.set_default_dtype(torch.float64)
    X, y = load_digits()
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, seed=0)
    targets = one_hot(y_train, 10)
    start = MLP(64, [32, 10], activation="relu", init="he", seed=0).state_dict()

    def epochs_of_batches() -> Iterator[list[list[int]]]:
        """Each epoch's batches, as fit() cuts them: one order, shuffled again by one seeded generator."""
        order, rng = list(range(len(X_train))), random.Random(SEED)
        while True:
            rng.shuffle(order)
            yield [order[i : i + BATCH] for i in range(0, len(order), BATCH)]

    def lite() -> tuple[list[float], float]:
        """fit(compiled=True): each epoch's seconds (the first records the step), and the last loss."""
        model = MLP(64, [32, 10], activation="relu", init="he", seed=0)
        model.load_state_dict(start)
        history = fit(
            model, X_train, targets, loss=cross_entropy, optimizer=Adam(model.parameters(), lr=LR),
            epochs=EPOCHS, batch_size=BATCH, seed=SEED, progress=False, compiled=True,
        )  # fmt: skip
        return history.seconds, history.loss[0]

    def pytorch() -> tuple[list[float], float]:
        """The same epochs in PyTorch: each epoch's seconds, and the first epoch's mean loss."""
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
        seconds, first = [], 0.0
        for _, batches in zip(range(EPOCHS), epochs_of_batches()):
            began, total = time.perf_counter(), 0.0
            for batch in batches:
                index = torch.tensor(batch)
                loss = torch.nn.functional.cross_entropy(model(inputs[index]), classes[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(batch)
            seconds.append(time.perf_counter() - began)
            first = first or total / len(X_train)
        return seconds, first

    def micrograd_batches() -> float:
        """micrograd's time for the epoch, extrapolated from its first batches: its network, and the
        squared error against the one-hot rows (micrograd has no exp or log for a softmax)."""
        random.seed(0)
        model = MicrogradMLP(64, [32, 10])
        batches = next(epochs_of_batches())
        chosen = batches[:MICROGRAD_BATCHES]
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
        return (time.perf_counter() - t0) / MICROGRAD_BATCHES * len(batches)

    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ours, our_loss = lite()
        theirs, their_loss = pytorch()
    finally:
        torch.set_num_threads(torch_threads)
    micro = micrograd_batches()
    epoch, torch_epoch = min(ours[1:]), min(theirs[1:])  # after the first, which records ours
    cells = [
        ["one epoch on the digits (45 batches of 32)", "time", "this / PyTorch batched"],
        [f"micrograd (extrapolated from {MICROGRAD_BATCHES} batches)", ms(micro), times(micro / torch_epoch)],
        ["autograd-lite, `fit(compiled=True)`, Adam", ms(epoch), times(epoch / torch_epoch)],
        ["autograd-lite, its first epoch (records the step)", ms(ours[0]), times(ours[0] / torch_epoch)],
        ["PyTorch, batched (`nn.Linear`), one thread, Adam", ms(torch_epoch), "1.00x"],
    ]
    s = Section()
    s.tables.append(markdown(cells))
    s.checks.append(
        Check(
            "digits epoch against PyTorch batched",
            epoch <= torch_epoch,
            f"autograd-lite fit(compiled=True) / PyTorch batched = {epoch / torch_epoch:.2f}x per epoch "
            "(target: at most 1x)",
        )
    )
    s.checks.append(
        Check(
            "digits epoch sanity",
            abs(our_loss - their_loss) <= 1e-9 * max(1.0, abs(their_loss)),
            f"first epoch's mean loss: autograd-lite {our_loss!r}, PyTorch {their_loss!r}",
        )
    )
    s.notes.append(
        "Digits epoch: UCI's digits (`load_digits`), 1,437 training images in 45 batches of 32 shuffled as "
        "`fit()` shuffles them (the same batches for every engine), MLP(64, [32, 10]) with ReLU, "
        "cross-entropy, Adam (lr 0.005), from the same weights. Ours: `fit(compiled=True)` with one-hot "
        "targets, which keeps the parameters in arrays from step to step and also records the loss, the "
        "gradient norms and the dead ReLUs. PyTorch: float64 on one thread. Each is the fastest of epochs "
        f"2 to {EPOCHS} (`History.seconds` for ours); the first epoch, which records our step, is shown "
        "apart. micrograd has no exp or log, so its time is for its network with a squared-error loss (the "
        "loss is under 1% of the work), timed on the first batches."
    )
    return s
