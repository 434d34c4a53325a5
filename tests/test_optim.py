"""SGD, Adam and AdamW step for step against torch.optim in float64, over every option: the parameters after
each step against those the committed oracle holds from torch."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from oracle import records
from oracle.learning import BAD_OPTIONS, RUNS, START, STEPS, Run, objective, scheduled_lr

from autograd_lite import Value
from autograd_lite.learning import optim
from autograd_lite.optim import SGD, Adam, AdamW, Optimizer


def our_run(run: Run) -> list[list[float]]:
    """The parameters after each of our steps."""
    ps = [Value(x) for x in START]
    opt = getattr(optim, run.optimizer)(ps, **run.options)
    seen = []
    for step in range(STEPS):
        if run.schedule:
            opt.lr = scheduled_lr(step)
        opt.zero_grad()
        objective(ps, lambda p: p.sin()).backward()
        opt.step()
        seen.append([p.data for p in ps])
    return seen


@pytest.mark.parametrize("run", RUNS, ids=str)
def test_each_optimizer_matches_torch_step_for_step(run: Run) -> None:
    """Every option of each (Nesterov, dampening, weight decay, AMSGrad, maximize, both forms of torch.lerp),
    the defaults, and a rate changed between steps as a torch param_group's."""
    theirs = records("optimizers", str(run))
    assert len(theirs) == STEPS
    for step, (ours, want) in enumerate(zip(our_run(run), theirs)):
        for p, t in zip(ours, want, strict=True):
            assert math.isclose(p, t, rel_tol=1e-12, abs_tol=1e-14), (step, p, t)


@pytest.mark.parametrize("run", BAD_OPTIONS, ids=str)
def test_bad_options_raise_torchs_error_message(run: Run) -> None:
    with pytest.raises(ValueError) as ours:
        getattr(optim, run.optimizer)([Value(0.0)], **run.options)
    assert str(ours.value) == records("refusals", str(run))


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_betas_must_be_a_pair_where_torch_fails_with_an_index_error(cls: Any) -> None:
    with pytest.raises(ValueError, match=r"^betas must be a pair \(beta1, beta2\), got \(0\.9,\)$"):
        cls([Value(0.0)], betas=(0.9,))


def test_an_empty_parameter_list_is_an_error() -> None:
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        SGD([], lr=0.1)


def test_a_parameter_that_is_not_a_value_is_named_in_the_error() -> None:
    with pytest.raises(TypeError, match=r"parameter 1 is float: 2\.0"):
        Adam([Value(1.0), 2.0])  # type: ignore[list-item]


def test_zero_grad_clears_every_gradient() -> None:
    ps = [Value(random.uniform(-1, 1)) for _ in range(5)]
    (Value.dot(ps, ps) * 3.0).backward()
    assert all(p.grad != 0.0 for p in ps)
    opt = SGD(ps, lr=0.1)
    opt.zero_grad()
    assert [p.grad for p in ps] == [0.0] * 5


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda ps: SGD(ps, lr=0.05, momentum=0.5, dampening=0.3, maximize=True),
        lambda ps: Adam(ps, lr=0.02, amsgrad=True, weight_decay=0.1),
        lambda ps: AdamW(ps, lr=0.02, betas=(0.4, 0.6), maximize=True),
    ],
    ids=["sgd-nesterov", "sgd-dampening", "adam-amsgrad", "adamw"],
)
def test_the_rule_on_arrays_on_floats_and_in_update_gives_the_same_bits(
    make: Callable[[list[Value]], Optimizer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """step() on NumPy arrays, step() float by float (no NumPy), and update() on the caller's arrays."""
    import numpy as np

    runs = []
    for way in ("arrays", "floats", "update"):
        if way == "floats":
            monkeypatch.setattr(optim, "_numpy", lambda: None)
        ps = [Value(x) for x in START]
        opt = make(ps)
        data, grads = np.array(START), np.zeros(len(START))
        for _ in range(STEPS):
            opt.zero_grad()
            objective(ps, lambda p: p.sin()).backward()
            if way == "update":  # one grads array, written over at each step, as fit() does
                grads[:] = [p.grad for p in ps]
                opt.update(data, grads)
                for p, d in zip(ps, data.tolist()):
                    p.data = d
            else:
                opt.step()
        monkeypatch.undo()
        runs.append([p.data for p in ps])
    assert runs[0] == runs[1] == runs[2]


def test_an_eager_step_does_not_import_numpy_whose_objects_would_slow_every_full_collection() -> None:
    script = (
        "import sys\n"
        "from autograd_lite import Value\n"
        "from autograd_lite.optim import Adam\n"
        "w = Value(1.0)\n"
        "opt = Adam([w])\n"
        "(w * w).backward()\n"
        "opt.step()\n"
        "print('numpy' in sys.modules, w.data)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    imported, data = done.stdout.split()
    assert imported == "False" and float(data) == pytest.approx(1.0 - 1e-3, abs=1e-8)  # Adam's first step


# ---- state that is refused changes nothing ------------------------------------------------------------
def stepped(make: Callable[[list[Value]], Optimizer]) -> Optimizer:
    """An optimizer over two parameters after two steps, so that its state holds numbers."""
    ps = [Value(0.5), Value(-1.5)]
    opt = make(ps)
    for _ in range(2):
        opt.zero_grad()
        objective(ps, lambda p: p.sin()).backward()
        opt.step()
    return opt


ADAM_STATE_REFUSED = [
    ({"lr": -1.0}, "Invalid learning rate: -1.0"),
    ({"lr": math.nan}, "Invalid learning rate: nan"),
    ({"lr": "0.1"}, "Invalid learning rate: '0.1'"),
    ({"betas": (2.0, 5.0)}, "Invalid beta parameter at index 0: 2.0"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ({"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ({"amsgrad": "yes"}, "amsgrad must be True or False, got 'yes'"),
    ({"steps": -1}, "steps must be a whole number of steps taken, got -1"),
    ({"steps": "3"}, "steps must be a whole number of steps taken, got '3'"),
    ({"initial_lr": math.inf}, "initial_lr must be None or a finite rate of at least 0, got inf"),
    ({"exp_avg": None}, r"exp_avg must hold one number per parameter \(2\), got None"),
    ({"exp_avg": [0.1, math.nan]}, r"exp_avg\[1\] must be a finite number, got nan"),
    ({"exp_avg_sq": [0.1, -0.2]}, r"exp_avg_sq\[1\] must be a finite number of at least 0, got -0.2"),
    ({"lr": 0.5, "exp_avg": [9.0, 9.0], "exp_avg_sq": ["oops", 1.0]}, r"exp_avg_sq\[0\] .* got 'oops'"),
]
SGD_STATE_REFUSED = [
    ({"momentum": -1.0}, "Invalid momentum value: -1.0"),
    ({"nesterov": True, "momentum": 0.0}, "Nesterov momentum requires a momentum and zero dampening"),
    (
        {"momentum_buffers": [1.0]},
        r"momentum_buffers must hold one number per parameter \(2\), got 1 numbers",
    ),
]


@pytest.mark.parametrize(
    ("make", "change", "message"),
    [(lambda ps: Adam(ps, lr=0.01), *case) for case in ADAM_STATE_REFUSED]
    + [(lambda ps: SGD(ps, lr=0.01, momentum=0.9), *case) for case in SGD_STATE_REFUSED],
)
def test_a_state_the_constructor_or_the_rule_would_refuse_is_refused_naming_it_and_changes_nothing(
    make: Callable[[list[Value]], Optimizer], change: dict[str, Any], message: str
) -> None:
    opt = stepped(make)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict({**before, **change})
    assert opt.state_dict() == before


def test_adamw_refuses_the_state_of_an_adam_with_coupled_decay() -> None:
    adam, adamw = stepped(lambda ps: Adam(ps, weight_decay=0.1)), stepped(lambda ps: AdamW(ps))
    before = adamw.state_dict()
    with pytest.raises(ValueError, match="decoupled_weight_decay is True for AdamW, got False"):
        adamw.load_state_dict(adam.state_dict())
    assert adamw.state_dict() == before


def test_a_state_saved_as_json_loads_and_takes_the_same_next_step() -> None:
    import json

    for make in (lambda ps: Adam(ps, lr=0.05, amsgrad=True), lambda ps: SGD(ps, lr=0.1, momentum=0.9)):
        saved, twin = stepped(make), stepped(make)
        other = make([Value(p.data) for p in twin.params])
        other.load_state_dict(json.loads(json.dumps(saved.state_dict())))
        for opt in (twin, other):
            opt.zero_grad()
            objective(opt.params, lambda p: p.sin()).backward()
            opt.step()
        assert [p.data for p in other.params] == [p.data for p in twin.params]


@pytest.mark.parametrize("numpy", [False, True], ids=["float by float", "NumPy"])
def test_a_step_interrupted_midway_changes_neither_the_state_nor_the_weights(
    numpy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C inside the rule (at its square root: the second parameter's, float by float): no step count,
    state or weight moves."""
    if not numpy:
        monkeypatch.setitem(sys.modules, "numpy", None)
    params = [Value(1.0), Value(2.0), Value(3.0)]
    optimizer = Adam(params, lr=0.1)
    for p in params:
        p.grad = 1.0
    optimizer.step()  # a first step, so that the averages are not 0
    before = (optimizer.state_dict(), [p.data for p in params])
    calls, at = 0, 1 if numpy else 2
    sqrt = optim._numpy().sqrt if numpy else math.sqrt

    def interrupted(x: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == at:
            raise KeyboardInterrupt
        return sqrt(x)

    if numpy:
        monkeypatch.setattr(sys.modules["numpy"], "sqrt", interrupted)
    else:
        monkeypatch.setattr(optim.FLOATS, "sqrt", interrupted)
    with pytest.raises(KeyboardInterrupt):
        optimizer.step()
    assert calls == at
    assert (optimizer.state_dict(), [p.data for p in params]) == before
