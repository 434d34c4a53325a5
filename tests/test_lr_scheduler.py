"""The learning-rate schedules give torch.optim.lr_scheduler's rates, step for step, to the bit: the rates
the committed oracle holds from torch."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest
from oracle import records
from oracle.learning import EPOCHS, SCHEDULED, SCHEDULES, rates

from autograd_lite import Value
from autograd_lite.optim import SGD, Adam
from autograd_lite.optim import lr_scheduler as ours


def optimizer() -> SGD:
    return SGD([Value(1.0)], lr=0.1)


@pytest.mark.parametrize("name", SCHEDULED)
def test_each_schedule_gives_torchs_rates_step_for_step(name: str) -> None:
    """Each kind of schedule, and ReduceLROnPlateau on a validation loss that falls, stays flat (with noise
    below its threshold), bumps and falls again: the first rate (making one takes the first step), the rate
    after each epoch, and the optimizer's at the end."""
    kind, options, metrics = SCHEDULED[name]
    mine = optimizer()
    scheduler = getattr(ours, kind)(mine, **options)
    want = records("schedules", name)
    assert scheduler.get_last_lr() == want["first"]
    got = rates(mine, scheduler, EPOCHS if metrics is None else len(metrics), metrics)
    assert got == want["rates"]  # to the bit: the same arithmetic in the same order
    assert mine.lr == want["lr"] and len(set(got)) > (3 if metrics is None else 1)


@pytest.mark.parametrize("name", ["step", "cosine", "linear-warmup"])
def test_a_schedule_saved_and_loaded_goes_on_as_the_one_that_ran_on(name: str) -> None:
    kind, options = SCHEDULES[name]

    def make(optimizer: SGD) -> Any:
        return getattr(ours, kind)(optimizer, **options)

    through = optimizer()
    scheduler = make(through)
    whole = rates(through, scheduler, 30)
    first = optimizer()
    scheduler = make(first)
    half = rates(first, scheduler, 13)
    saved = pickle.loads(pickle.dumps((first.state_dict(), scheduler.state_dict())))  # as a file would
    resumed = optimizer()
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
    with pytest.raises(ValueError, match=r"exp_avg must hold one number per parameter \(1\), got 2 numbers"):
        second.load_state_dict({**state, "exp_avg": [0.0, 0.0]})
    with pytest.raises(ValueError, match=r"needs the keys .*, got \['lr'\]"):
        second.load_state_dict({"lr": 0.1})


# ---- a saved state: through JSON, and refused when it does not fit ---------------------------------------
def test_a_multistep_schedule_saved_as_json_keeps_its_milestones() -> None:
    import json

    def make(opt: SGD) -> ours.MultiStepLR:
        return ours.MultiStepLR(opt, milestones=[3, 6, 6], gamma=0.5)

    through = optimizer()
    whole = rates(through, make(through), 9)
    first = optimizer()
    scheduler = make(first)
    half = rates(first, scheduler, 2)
    saved = json.loads(json.dumps([first.state_dict(), scheduler.state_dict()]))
    resumed = optimizer()
    again = make(resumed)
    resumed.load_state_dict(saved[0])
    again.load_state_dict(saved[1])
    assert half + rates(resumed, again, 7) == whole
    assert whole[-1] == 0.1 * 0.5**3  # the cut at 3, and two at 6


STEP = {"step_size": 2, "gamma": 0.5}
REFUSED = [
    ({"optimizer": "another"}, r"needs the keys .*'optimizer'"),  # would replace its optimizer
    ({"step": 3}, r"needs the keys .*'step'"),  # would hide the method
    ({"unknown": 1}, r"needs the keys .*'unknown'"),
    ({"step_size": 0}, "step_size must be a positive integer, got 0"),
    ({"gamma": float("nan")}, "gamma must be a finite number of at least 0, got nan"),
    ({"last_epoch": "3"}, "last_epoch must be an integer of at least -1, got '3'"),
    ({"base_lrs": [-0.1]}, r"base_lrs\[0\] must be a finite number of at least 0, got -0.1"),
]


@pytest.mark.parametrize(("change", "message"), REFUSED)
def test_a_state_that_does_not_fit_is_refused_naming_it_and_changes_nothing(
    change: dict[str, Any], message: str
) -> None:
    opt = optimizer()
    scheduler = ours.StepLR(opt, **STEP)
    rates(opt, scheduler, 3)
    before, lr = scheduler.state_dict(), opt.lr
    with pytest.raises(ValueError, match=message):
        scheduler.load_state_dict({**before, **change})
    assert scheduler.state_dict() == before and scheduler.optimizer is opt and opt.lr == lr


def test_another_schedulers_state_and_a_missing_key_are_refused() -> None:
    scheduler = ours.StepLR(optimizer(), **STEP)
    before = scheduler.state_dict()
    other = ours.ExponentialLR(optimizer(), gamma=0.5).state_dict()
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict\(\) needs the keys"):
        scheduler.load_state_dict(other)
    with pytest.raises(ValueError, match="needs the keys"):
        scheduler.load_state_dict({k: v for k, v in before.items() if k != "gamma"})
    assert scheduler.state_dict() == before


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("StepLR", {"step_size": 2, "gamma": float("nan")}, "gamma must be a finite number"),
        ("ExponentialLR", {"gamma": -0.5}, "gamma must be a finite number of at least 0"),
        ("MultiStepLR", {"milestones": [2, -1]}, "milestones epoch must be an integer of at least 0"),
        ("CosineAnnealingLR", {"T_max": 10, "eta_min": float("inf")}, "eta_min must be a finite number"),
        ("ReduceLROnPlateau", {"patience": -1}, "patience must be an integer of at least 0"),
    ],
)
def test_the_constructors_refuse_what_a_load_refuses(
    kind: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        getattr(ours, kind)(optimizer(), **options)
