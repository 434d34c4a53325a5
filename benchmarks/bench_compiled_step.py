"""The same training step compiled, in both replays, and in PyTorch: scalar and batched."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from bench_training_step import TRAIN_ALPHA, TRAIN_LR, TRAIN_POINTS
from harness import (
    Check,
    Section,
    markdown,
    ms,
    step_time,
    times,
)
from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]
from micrograd.nn import MLP as MicrogradMLP  # type: ignore[import-untyped]

import autograd_lite
from autograd_lite import Value as LiteValue
from autograd_lite.core.compile import Backend
from autograd_lite.data import make_moons
from autograd_lite.losses import hinge, l2_penalty
from autograd_lite.nn import MLP as LiteMLP
from autograd_lite.optim import SGD

# ---- 5. the same training step compiled, and in PyTorch ---------------------------------------------------
COMPILED_STEPS = 200  # consecutive steps in a run: a compiled step takes about a millisecond


def bench_compiled_training_step() -> Section:
    import torch

    torch.set_default_dtype(torch.float64)
    X, labels = make_moons(TRAIN_POINTS, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]

    def lite_step(compiled: bool, backend: Backend = "numpy") -> Callable[[], float]:
        random.seed(1337)  # the weights micrograd's demo starts from, as in bench_training_step
        model = LiteMLP(2, [16, 16, 1])
        optimizer = SGD(model.parameters(), lr=TRAIN_LR)

        def loss(xs: list[list[Any]], ys: list[Any]) -> LiteValue:
            return hinge([model(x) for x in xs], ys) + l2_penalty(model.parameters(), TRAIN_ALPHA)

        replay = autograd_lite.compile(loss, backend=backend, static_argnums=1)  # targets as numbers

        def step() -> float:
            optimizer.zero_grad()
            if compiled:
                value = replay(X, y)
            else:
                root = loss(X, y)
                root.backward()
                value = root.data
            optimizer.step()
            return value

        return step

    random.seed(1337)
    start = [
        [[p.data for p in n.w] + [n.b.data] for n in layer.neurons]
        for layer in LiteMLP(2, [16, 16, 1]).layers
    ]

    def torch_scalar_step() -> Callable[[], float]:
        """The same scalar graph in PyTorch: every weight a 0-d tensor, every neuron a sum of products."""
        layers = [[[torch.tensor(v, requires_grad=True) for v in n] for n in layer] for layer in start]
        params = [p for layer in layers for n in layer for p in n]
        inputs = [[torch.tensor(v) for v in x] for x in X]

        def step() -> float:
            losses = []
            for x, t in zip(inputs, y):
                h = x
                for depth, layer in enumerate(layers):
                    h = [n[-1] + sum(w * v for w, v in zip(n[:-1], h)) for n in layer]
                    h = [torch.relu(v) for v in h] if depth < len(layers) - 1 else h
                losses.append(torch.relu(1 - t * h[0]))
            value = sum(losses) / len(losses) + TRAIN_ALPHA * sum(p * p for p in params)
            for p in params:
                p.grad = None
            value.backward()
            with torch.no_grad():
                for p in params:
                    p -= TRAIN_LR * p.grad
            return float(value.detach())

        return step

    def torch_batched_step() -> Callable[[], float]:
        """PyTorch as it is meant to be used: Linear layers on a (100, 2) batch."""
        model = torch.nn.Sequential(
            torch.nn.Linear(2, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, 1),
        )
        with torch.no_grad():
            for linear, layer in zip(model[::2], start):
                linear.weight.copy_(torch.tensor([n[:-1] for n in layer]))
                linear.bias.copy_(torch.tensor([n[-1] for n in layer]))
        inputs, targets = torch.tensor(X), torch.tensor(y, dtype=torch.float64)
        optimizer = torch.optim.SGD(model.parameters(), lr=TRAIN_LR)

        def step() -> float:
            scores = model(inputs).squeeze(1)
            penalty = sum((p * p).sum() for p in model.parameters())
            value = torch.relu(1 - targets * scores).mean() + TRAIN_ALPHA * penalty
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            return float(value.detach())

        return step

    random.seed(1337)
    micro = MicrogradMLP(2, [16, 16, 1])

    def micro_step() -> float:  # micrograd's demo notebook, as in bench_training_step
        scores = list(map(micro, [list(map(MicrogradValue, x)) for x in X]))
        losses = [(1 + -t * s).relu() for t, s in zip(y, scores)]
        value = sum(losses) * (1.0 / len(losses)) + TRAIN_ALPHA * sum(p * p for p in micro.parameters())
        micro.zero_grad()
        value.backward()
        for p in micro.parameters():
            p.data -= TRAIN_LR * p.grad
        return float(value.data)

    runs = {  # each: the step, how many consecutive steps make a run, and how many runs (best taken)
        "micrograd (its demo's loop)": (micro_step, 3, 1),
        "autograd-lite, eager": (lite_step(compiled=False), 10, 3),
        "autograd-lite, compiled (pure-Python replay)": (lite_step(compiled=True, backend="python"), 20, 3),
        "autograd-lite, compiled (NumPy replay)": (lite_step(compiled=True), COMPILED_STEPS, 3),
        "PyTorch, the same scalar graph (0-d tensors)": (torch_scalar_step(), 3, 3),
        "PyTorch, batched (`nn.Linear` on a 100 x 2 tensor)": (torch_batched_step(), COMPILED_STEPS, 3),
    }
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small model: one thread is PyTorch's fastest here, and ours uses one
    try:
        timed = {name: step_time(step, steps, runs_) for name, (step, steps, runs_) in runs.items()}
    finally:
        torch.set_num_threads(threads)
    micro_time, first_loss = timed["micrograd (its demo's loop)"]
    compiled = timed["autograd-lite, compiled (NumPy replay)"][0]
    batched = timed["PyTorch, batched (`nn.Linear` on a 100 x 2 tensor)"][0]
    header = ["one training step", "time", "micrograd / this", "this / PyTorch batched"]
    cells = [header] + [
        [name, ms(t) if t >= 0.01 else f"{t * 1e3:.3f} ms", times(micro_time / t), times(t / batched)]
        for name, (t, _) in timed.items()
    ]
    s = Section()
    s.tables.append(markdown(cells))
    s.checks.append(
        Check(
            "compiled training step speed",
            micro_time / compiled >= 100.0,
            f"micrograd / autograd-lite compiled = {micro_time / compiled:.0f}x (target: at least 100x)",
        )
    )
    s.checks.append(
        Check(
            "compiled training step against PyTorch batched",
            compiled / batched <= 1.0,
            f"autograd-lite compiled / PyTorch batched = {compiled / batched:.2f}x (target: at most 1x)",
        )
    )
    agree = all(math.isclose(first, first_loss, rel_tol=1e-12) for _, first in timed.values())
    s.checks.append(
        Check(
            "compiled training step sanity",
            agree,
            "first-step losses: " + ", ".join(f"{first!r}" for _, first in timed.values()),
        )
    )
    s.notes.append(
        "Compiled training step: the step of `bench_training_step` (same data, weights, loss and update) "
        "run six ways. Compiled: `autograd_lite.compile` records the loss's graph on the first call and "
        "replays it; each step includes `zero_grad` and the SGD update in Python. PyTorch runs in float64 "
        "on one thread, `torch.optim.SGD` for the batched model. Each time is per "
        "step over a run of consecutive steps with the garbage collector on, as in a training loop "
        f"({COMPILED_STEPS} steps for the NumPy replay and PyTorch batched), the best of three runs."
    )
    return s
