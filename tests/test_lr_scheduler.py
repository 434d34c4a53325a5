"""The learning-rate schedules give torch.optim.lr_scheduler's rates, step for step, to the bit."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest
import torch

from autograd_lite import Value
from autograd_lite.optim import SGD, Adam
from autograd_lite.optim import lr_scheduler as ours

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


def pair(lr: float = 0.1) -> tuple[SGD, torch.optim.SGD]:
    return SGD([Value(1.0)], lr=lr), torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def rates(optimizer: Any, scheduler: Any, epochs: int, metrics: list[float] | None = None) -> list[float]:
    """The rate after each epoch: the optimizer steps, then the scheduler (on the epoch's metric)."""
    seen = []
    for epoch in range(epochs):
        optimizer.step()
        scheduler.step(*([] if metrics is None else [metrics[epoch]]))
        seen.append(scheduler.get_last_lr()[0])
    return seen


@pytest.mark.parametrize("name", SCHEDULES)
def test_each_schedule_gives_torchs_rates_step_for_step(name: str) -> None:
    kind, options = SCHEDULES[name]
    mine, theirs = pair()
    a = getattr(ours, kind)(mine, **options)
    b = getattr(torch.optim.lr_scheduler, kind)(theirs, **options)
    assert a.get_last_lr() == b.get_last_lr()  # making one takes the first step
    got, want = rates(mine, a, EPOCHS), rates(theirs, b, EPOCHS)
    assert got == want  # to the bit: the same arithmetic in the same order
    assert mine.lr == theirs.param_groups[0]["lr"] and len(set(got)) > 3


# A validation loss: falling, then flat with noise below the threshold, a bump, flat again.
PLATEAUS = [1.0, 0.8, 0.7] + [0.7 * (1 + 1e-6 * (-1) ** k) for k in range(14)] + [0.9, 0.5] + [0.5] * 26


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"patience": 2, "factor": 0.5, "cooldown": 3},
        {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "min_lr": 0.02},
        {"mode": "max", "patience": 3},
    ],
    ids=["defaults", "cooldown", "abs-min_lr", "max"],
)
def test_reduce_on_plateau_cuts_the_rate_as_torchs_does(options: dict[str, Any]) -> None:
    mine, theirs = pair()
    a = ours.ReduceLROnPlateau(mine, **options)
    b = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **options)
    got, want = rates(mine, a, len(PLATEAUS), PLATEAUS), rates(theirs, b, len(PLATEAUS), PLATEAUS)
    assert got == want and len(set(got)) > 1


@pytest.mark.parametrize("name", ["step", "cosine", "linear-warmup"])
def test_a_schedule_saved_and_loaded_goes_on_as_the_one_that_ran_on(name: str) -> None:
    kind, options = SCHEDULES[name]

    def make(optimizer: SGD) -> Any:
        return getattr(ours, kind)(optimizer, **options)

    through, scheduler = pair()[0], None
    scheduler = make(through)
    whole = rates(through, scheduler, 30)
    first, scheduler = pair()[0], None
    scheduler = make(first)
    half = rates(first, scheduler, 13)
    saved = pickle.loads(pickle.dumps((first.state_dict(), scheduler.state_dict())))  # as a file would
    resumed = pair()[0]
    again = make(resumed)  # made first: making a scheduler sets the rate, which the state then replaces
    resumed.load_state_dict(saved[0])
    again.load_state_dict(saved[1])
    assert half + rates(resumed, again, 17) == whole


def test_the_micrograd_demo_schedule_is_one_lambda() -> None:
    optimizer = SGD([Value(1.0)], lr=1.0)
    scheduler = ours.LambdaLR(optimizer, lambda k: 1.0 - 0.9 * k / 100)
    seen = [optimizer.lr, *rates(optimizer, scheduler, 99)]
    assert seen == [1.0 - 0.9 * k / 100 for k in range(100)]  # micrograd's demo: its learning_rate per step


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda o: ours.StepLR(o, step_size=0), "step_size must be a positive integer, got 0"),
        (lambda o: ours.CosineAnnealingLR(o, T_max=2.5), "T_max must be a positive integer, got 2.5"),
        (lambda o: ours.LinearLR(o, start_factor=0.0), "Starting multiplicative factor .* got 0.0"),
        (lambda o: ours.LinearLR(o, end_factor=1.5), "Ending multiplicative factor .* got 1.5"),
        (lambda o: ours.ReduceLROnPlateau(o, factor=1.0), r"Factor should be < 1.0, got 1.0"),
        (lambda o: ours.ReduceLROnPlateau(o, mode="lowest"), "mode 'lowest' is unknown"),  # type: ignore[arg-type]
        (lambda o: ours.LambdaLR(o, 0.5), "lr_lambda must be a function of the epoch, got 0.5"),  # type: ignore[arg-type]
        (lambda o: ours.StepLR(o, 3, last_epoch=4), "resuming a schedule at last_epoch=4 needs"),
    ],
)
def test_bad_arguments_are_refused_naming_them(make: Callable[[SGD], Any], message: str) -> None:
    optimizer = SGD([Value(1.0)], lr=0.1)
    with pytest.raises((ValueError, TypeError, KeyError), match=message):
        make(optimizer)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        ours.ExponentialLR([], gamma=0.9)  # type: ignore[arg-type]


def test_an_optimizers_state_saved_and_loaded_takes_the_same_next_step() -> None:
    def run(steps: int, optimizer: Adam, w: Value) -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            (w * w * 3.0 - w).backward()
            optimizer.step()

    w = Value(1.5)
    through = Adam([w], lr=0.05, amsgrad=True)
    run(10, through, w)
    v = Value(1.5)
    first = Adam([v], lr=0.05, amsgrad=True)
    run(4, first, v)
    state = first.state_dict()
    u = Value(v.data)
    second = Adam([u], lr=0.05, amsgrad=True)
    second.load_state_dict(state)
    run(6, second, u)
    assert u.data == w.data
    with pytest.raises(ValueError, match="exp_avg holds 2 numbers for 1 parameters"):
        second.load_state_dict({**state, "exp_avg": [0.0, 0.0]})
    with pytest.raises(ValueError, match=r"needs the keys .*, got \['lr'\]"):
        second.load_state_dict({"lr": 0.1})
