"""The losses, optimizers and learning-rate schedules beside torch's: the cases of test_losses.py,
test_optim.py and test_lr_scheduler.py, and torch's side of each.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd_lite import Value
from autograd_lite.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    l2_penalty,
    mse,
    sse,
)

from . import torch
from .domains import Domain, Draw, Integers, Points, Reals, either

F = torch.nn.functional if torch else None


# ---- losses ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Loss:
    """A loss: how its inputs are drawn, as (the numbers it is differentiated in, the rest: targets, shapes),
    and our loss and torch's of a Value per number (a float64 tensor of them) and the rest."""

    name: str
    draw: Callable[[Draw], tuple[list[float], Any]]
    ours: Callable[[list[Value], Any], Value]
    theirs: Callable[[Any, Any], Any]

    def __str__(self) -> str:
        return self.name


FLOATS = Reals(-8.0, 8.0)
UNIT = Reals(1e-6, 1 - 1e-6)
LABELS = either(Points((0.0, 1.0)), Reals(0.0, 1.0))  # hard labels and soft ones


def pairs(elements: Domain, targets: Domain) -> Callable[[Draw], tuple[list[float], list[Any]]]:
    """1 to 8 numbers and as many targets."""

    def draw(d: Draw) -> tuple[list[float], list[Any]]:
        n = d(Integers(1, 8))
        return [d(elements) for _ in range(n)], [d(targets) for _ in range(n)]

    return draw


def tensor(xs: Any) -> Any:
    return torch.tensor(xs, dtype=torch.float64)


def class_indexes(d: Draw) -> tuple[list[float], tuple[int, list[int]]]:
    """1 to 6 rows of 1 to 5 logits, large ones too, with a class index per row."""
    classes, rows = d(Integers(1, 5)), d(Integers(1, 6))
    logits = [d(Reals(-300.0, 300.0)) for _ in range(rows * classes)]
    return logits, (classes, [d(Integers(0, classes - 1)) for _ in range(rows)])


def rows_of(xs: list[Any], classes: int) -> list[list[Any]]:
    return [xs[i : i + classes] for i in range(0, len(xs), classes)]


def class_probabilities(d: Draw) -> tuple[list[float], tuple[int, int]]:
    """1 to 4 rows of 1 to 5 logits, then as many class weights in [0, 1] (they need not sum to 1): both
    are differentiated."""
    classes, n = d(Integers(1, 5)), d(Integers(1, 4))
    logits = [d(Reals(-30.0, 30.0)) for _ in range(n * classes)]
    return logits + [d(Reals(0.0, 1.0)) for _ in range(n * classes)], (classes, n)


def cross_entropy_of_probabilities(vs: list[Any], shape: tuple[int, int]) -> Value:
    classes, n = shape
    rows, probs = rows_of(vs[: n * classes], classes), rows_of(vs[n * classes :], classes)
    return cross_entropy(rows, probs) if n > 1 else cross_entropy(rows[0], probs[0])


def torch_cross_entropy_of_probabilities(t: Any, shape: tuple[int, int]) -> Any:
    classes, n = shape
    logits, probs = t[: n * classes].reshape(n, classes), t[n * classes :].reshape(n, classes)
    return F.cross_entropy(logits, probs) if n > 1 else F.cross_entropy(logits[0], probs[0])


def l2_inputs(d: Draw) -> tuple[list[float], float]:
    n = d(Integers(1, 10))
    return [d(FLOATS) for _ in range(n)], d(Reals(0.0, 1.0))


LOSSES = [
    Loss("mse", pairs(FLOATS, FLOATS), mse, lambda t, ts: F.mse_loss(t, tensor(ts))),
    Loss("sse", pairs(FLOATS, FLOATS), sse, lambda t, ts: F.mse_loss(t, tensor(ts), reduction="sum")),
    Loss(
        "binary_cross_entropy",
        pairs(UNIT, LABELS),
        binary_cross_entropy,
        lambda t, ts: F.binary_cross_entropy(t, tensor(ts)),
    ),
    Loss(
        "binary_cross_entropy_with_logits (large logits too)",
        pairs(Reals(-60.0, 60.0), LABELS),
        binary_cross_entropy_with_logits,
        lambda t, ts: F.binary_cross_entropy_with_logits(t, tensor(ts)),
    ),
    Loss(
        "cross_entropy (class indexes, large logits too)",
        class_indexes,
        lambda vs, rest: cross_entropy(rows_of(vs, rest[0]), rest[1]),
        lambda t, rest: F.cross_entropy(t.reshape(len(rest[1]), rest[0]), torch.tensor(rest[1])),
    ),
    Loss(
        "cross_entropy (class probabilities)",
        class_probabilities,
        cross_entropy_of_probabilities,
        torch_cross_entropy_of_probabilities,
    ),
    Loss(
        "hinge (micrograd's max-margin loss)",
        pairs(FLOATS, Points((-1.0, 1.0))),
        hinge,
        lambda t, ts: F.relu(1 - tensor(ts) * t).mean(),
    ),
    Loss("l2_penalty", l2_inputs, l2_penalty, lambda t, alpha: alpha * (t * t).sum()),
]
LOSS_DRAWS = 8  # the seeded inputs per loss in the oracle file


def torch_loss(loss: Loss, xs: list[float], rest: Any) -> tuple[float, list[float]]:
    """torch's loss and its gradient in each number."""
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    out = loss.theirs(t, rest)
    out.backward()
    return out.item(), t.grad.tolist()


# ---- optimizers -----------------------------------------------------------------------------------------
STEPS = 20  # the oracle file holds every parameter after every step of every run: 250 KB at 20 steps
START = [0.9, -1.3, 0.25, 2.0, -0.4, 1.1, -2.2]
SCALES = [1.0, 0.3, 2.5, -0.7, 1.8, 0.05, -1.2]


def objective(ps: list[Any], sin: Callable[[Any], Any]) -> Any:
    """A smooth loss with a different curvature per parameter, written once for both engines."""
    total: Any = 0.0
    for p, c in zip(ps, SCALES):
        total = total + c * sin(p) + 0.1 * c * c * p * p
    return total


def option_names(options: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items())


SGD_OPTIONS = [
    dict(lr=lr, momentum=m, dampening=d, weight_decay=wd, nesterov=n, maximize=mx)
    for lr, m, d, wd, n, mx in itertools.product(
        [0.05], [0.0, 0.9], [0.0, 0.3], [0.0, 0.05], [False, True], [False, True]
    )
    if not (n and (m == 0 or d != 0))  # torch's rule: Nesterov needs momentum and no dampening
]
ADAM_OPTIONS = [
    dict(lr=0.02, betas=b, eps=e, weight_decay=wd, amsgrad=a, maximize=mx)
    for b, e, wd, a, mx in itertools.product(
        [(0.9, 0.999), (0.4, 0.6)],  # 1 - beta1 on both sides of 0.5: torch.lerp's two forms
        [1e-8, 1e-2],
        [0.0, 0.1],
        [False, True],
        [False, True],
    )
]


@dataclass(frozen=True)
class Run:
    """STEPS steps of an optimizer (named as in torch.optim) on the objective, from START."""

    optimizer: str
    options: dict[str, Any]
    schedule: bool = False  # the rate set before each step, as micrograd's demo does

    def __str__(self) -> str:
        scheduled = ", lr set each step" if self.schedule else ""
        return f"{self.optimizer}({option_names(self.options)}){scheduled}"


def scheduled_lr(step: int) -> float:
    return 0.1 * (1.0 - 0.9 * step / STEPS)  # micrograd's demo schedule


RUNS = [
    *(Run("SGD", options) for options in SGD_OPTIONS),
    *(Run(name, options) for name in ("Adam", "AdamW") for options in ADAM_OPTIONS),
    *(Run(name, {}) for name in ("SGD", "Adam", "AdamW")),  # the defaults
    Run("SGD", dict(lr=0.1, momentum=0.5), schedule=True),
]

# Options torch refuses, each with the message ours must give too.
BAD_OPTIONS = [
    Run("SGD", dict(lr=-0.1)),
    Run("SGD", dict(momentum=-0.5)),
    Run("SGD", dict(weight_decay=-1.0)),
    Run("SGD", dict(nesterov=True)),
    Run("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    Run("Adam", dict(lr=-1.0)),
    Run("Adam", dict(eps=-1e-8)),
    Run("Adam", dict(betas=(1.0, 0.999))),
    Run("Adam", dict(betas=(0.9, -0.1))),
    Run("Adam", dict(weight_decay=-0.1)),
    Run("AdamW", dict(betas=(0.9, 1.5))),
]


def torch_run(run: Run) -> list[list[float]]:
    """The parameters after each of torch's steps."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    optimizer = getattr(torch.optim, run.optimizer)(ts, **run.options)
    seen = []
    for step in range(STEPS):
        if run.schedule:
            optimizer.param_groups[0]["lr"] = scheduled_lr(step)
        optimizer.zero_grad()
        objective(ts, torch.sin).backward()
        optimizer.step()
        seen.append([t.item() for t in ts])
    return seen


def torch_refusal(run: Run) -> str:
    """torch's message for options it refuses."""
    try:
        getattr(torch.optim, run.optimizer)([torch.zeros(1, requires_grad=True)], **run.options)
    except ValueError as e:
        return str(e)
    raise AssertionError(f"torch took {run}")


# ---- learning-rate schedules ----------------------------------------------------------------------------
EPOCHS = 45
SCHEDULES: dict[str, tuple[str, dict[str, Any]]] = {
    "step": ("StepLR", {"step_size": 7, "gamma": 0.5}),
    "multistep": ("MultiStepLR", {"milestones": [3, 10, 10, 30], "gamma": 0.3}),
    "exponential": ("ExponentialLR", {"gamma": 0.93}),
    "linear-warmup": ("LinearLR", {"start_factor": 0.1, "total_iters": 12}),
    "linear-decay": ("LinearLR", {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 30}),
    "cosine": ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),  # four half-periods in 45 epochs
    "micrograd": ("LambdaLR", {"lr_lambda": lambda k: 1.0 - 0.9 * k / 100}),  # its demo's schedule
}
# A validation loss: falling, then flat with noise below the threshold, a bump, flat again.
PLATEAUS = [1.0, 0.8, 0.7] + [0.7 * (1 + 1e-6 * (-1) ** k) for k in range(14)] + [0.9, 0.5] + [0.5] * 26
PLATEAU_OPTIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "cooldown": {"patience": 2, "factor": 0.5, "cooldown": 3},
    "abs-min_lr": {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "min_lr": 0.02},
    "max": {"mode": "max", "patience": 3},
}
# Every schedule of the oracle file: its kind, its options, and the metrics it reads (ReduceLROnPlateau's).
SCHEDULED: dict[str, tuple[str, dict[str, Any], list[float] | None]] = {
    **{name: (kind, options, None) for name, (kind, options) in SCHEDULES.items()},
    **{
        f"plateau-{name}": ("ReduceLROnPlateau", options, PLATEAUS)
        for name, options in PLATEAU_OPTIONS.items()
    },
}


def rates(optimizer: Any, scheduler: Any, epochs: int, metrics: list[float] | None = None) -> list[float]:
    """The rate after each epoch: the optimizer steps, then the scheduler (on the epoch's metric)."""
    seen = []
    for epoch in range(epochs):
        optimizer.step()
        scheduler.step(*([] if metrics is None else [metrics[epoch]]))
        seen.append(scheduler.get_last_lr()[0])
    return seen


def torch_schedule(kind: str, options: dict[str, Any], metrics: list[float] | None) -> dict[str, Any]:
    """torch's first rate (making a scheduler takes a step), its rate after each epoch, and the optimizer's
    rate at the end."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = getattr(torch.optim.lr_scheduler, kind)(optimizer, **options)
    first = scheduler.get_last_lr()
    seen = rates(optimizer, scheduler, EPOCHS if metrics is None else len(metrics), metrics)
    return {"first": first, "rates": seen, "lr": optimizer.param_groups[0]["lr"]}
