"""One training step of micrograd's demo network, eager, against micrograd's own loop."""

from __future__ import annotations

import math
import random

from harness import (
    Check,
    Row,
    Section,
    ms,
    step_time,
    times,
)
from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]
from micrograd.nn import MLP as MicrogradMLP  # type: ignore[import-untyped]

from autograd_lite.data import make_moons
from autograd_lite.losses import hinge, l2_penalty
from autograd_lite.nn import MLP as LiteMLP
from autograd_lite.optim import SGD

# ---- 4. one training step of micrograd's demo network ------------------------------------------------
TRAIN_POINTS = 100
TRAIN_ALPHA = 1e-4  # micrograd's demo: L2 penalty weight
TRAIN_LR = 0.1


def bench_training_step() -> Section:
    X, labels = make_moons(TRAIN_POINTS, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    random.seed(1337)  # both MLPs draw their weights from the global random, in the same order
    lite = LiteMLP(2, [16, 16, 1])
    random.seed(1337)
    micro = MicrogradMLP(2, [16, 16, 1])
    same_start = [p.data for p in lite.parameters()] == [p.data for p in micro.parameters()]
    optimizer = SGD(lite.parameters(), lr=TRAIN_LR)

    def step_lite() -> float:
        loss = hinge([lite(x) for x in X], y) + l2_penalty(lite.parameters(), TRAIN_ALPHA)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.data

    def step_micro() -> float:  # micrograd's demo notebook, as written there
        inputs = [list(map(MicrogradValue, xrow)) for xrow in X]
        scores = list(map(micro, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = TRAIN_ALPHA * sum(p * p for p in micro.parameters())
        total_loss = data_loss + reg_loss
        micro.zero_grad()
        total_loss.backward()
        for p in micro.parameters():
            p.data -= TRAIN_LR * p.grad
        return float(total_loss.data)

    lite_time, lite_loss = step_time(step_lite, 10)
    micro_time, micro_loss = step_time(step_micro, 3, runs=1)
    ratio = micro_time / lite_time
    s = Section()
    s.rows.append(
        Row(
            f"training step, `MLP(2, [16, 16, 1])`, {TRAIN_POINTS} moons points, hinge + L2",
            ms(lite_time),
            ms(micro_time),
            times(ratio),
        )
    )
    s.checks.append(
        Check(
            "training step speed",
            ratio >= 13.0,
            f"micrograd / autograd-lite training step = {ratio:.2f}x (target: at least 13x)",
        )
    )
    agree = same_start and math.isclose(lite_loss, micro_loss, rel_tol=1e-12)
    s.checks.append(
        Check(
            "training step sanity",
            agree,
            f"same starting weights: {same_start}; first-step loss {lite_loss!r} vs micrograd {micro_loss!r}",
        )
    )
    s.notes.append(
        f"Training step: forward over {TRAIN_POINTS} moons points (seed 0, noise 0.1), hinge loss + "
        f"{TRAIN_ALPHA} * L2, backward, SGD update at lr {TRAIN_LR}, on `MLP(2, [16, 16, 1])` with the same "
        "starting weights (`random.seed(1337)`). autograd-lite: `hinge`, `l2_penalty` and `optim.SGD`, a "
        "neuron being one dot node; micrograd: the loop of its demo notebook, its own `MLP`. Time per step "
        "over a run of consecutive steps with the garbage collector on (10 steps, best of 3 runs; micrograd: "
        "one run of 3)."
    )
    return s
