"""SGD, Adam and AdamW step for step against torch.optim in float64, over every option."""

from __future__ import annotations

import itertools
import math
import random
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import torch

from autograd_lite import Value
from autograd_lite.learning import optim
from autograd_lite.optim import SGD, Adam, AdamW, Optimizer

STEPS = 60
START = [0.9, -1.3, 0.25, 2.0, -0.4, 1.1, -2.2]
SCALES = [1.0, 0.3, 2.5, -0.7, 1.8, 0.05, -1.2]


def objective(ps: list[Any], sin: Callable[[Any], Any]) -> Any:
    """A smooth loss with a different curvature per parameter, written once for both engines."""
    total: Any = 0.0
    for p, c in zip(ps, SCALES):
        total = total + c * sin(p) + 0.1 * c * c * p * p
    return total


def run_both(ours: Callable[[list[Value]], Optimizer], theirs: Callable[[list[torch.Tensor]], Any]) -> None:
    """Take STEPS steps with each optimizer on the same objective; the parameters agree after every step."""
    ps = [Value(x) for x in START]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt, topt = ours(ps), theirs(ts)
    for step in range(STEPS):
        opt.zero_grad()
        objective(ps, lambda p: p.sin()).backward()
        opt.step()
        topt.zero_grad()
        objective(ts, torch.sin).backward()
        topt.step()
        for p, t in zip(ps, ts):
            assert math.isclose(p.data, t.item(), rel_tol=1e-12, abs_tol=1e-14), (step, p.data, t.item())


SGD_OPTIONS = [
    dict(lr=lr, momentum=m, dampening=d, weight_decay=wd, nesterov=n, maximize=mx)
    for lr, m, d, wd, n, mx in itertools.product(
        [0.05], [0.0, 0.9], [0.0, 0.3], [0.0, 0.05], [False, True], [False, True]
    )
    if not (n and (m == 0 or d != 0))  # torch's rule: Nesterov needs momentum and no dampening
]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_matches_torch_step_for_step(options: dict[str, Any]) -> None:
    run_both(lambda ps: SGD(ps, **options), lambda ts: torch.optim.SGD(ts, **options))


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


@pytest.mark.parametrize(
    "ours, theirs", [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)], ids=["Adam", "AdamW"]
)
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_adam_and_adamw_match_torch_step_for_step(ours: Any, theirs: Any, options: dict[str, Any]) -> None:
    run_both(lambda ps: ours(ps, **options), lambda ts: theirs(ts, **options))


@pytest.mark.parametrize(
    "ours, theirs", [(SGD, torch.optim.SGD), (Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)]
)
def test_defaults_match_torch(ours: Any, theirs: Any) -> None:
    run_both(lambda ps: ours(ps), lambda ts: theirs(ts))


def test_changing_lr_between_steps_acts_like_torch_param_groups() -> None:
    def schedule(opt: Any, step: int) -> None:
        lr = 0.1 * (1.0 - 0.9 * step / STEPS)  # micrograd's demo schedule
        if isinstance(opt, Optimizer):
            opt.lr = lr
        else:
            opt.param_groups[0]["lr"] = lr

    ps = [Value(x) for x in START]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt, topt = SGD(ps, lr=0.1, momentum=0.5), torch.optim.SGD(ts, lr=0.1, momentum=0.5)
    for step in range(STEPS):
        schedule(opt, step)
        schedule(topt, step)
        opt.zero_grad()
        objective(ps, lambda p: p.sin()).backward()
        opt.step()
        topt.zero_grad()
        objective(ts, torch.sin).backward()
        topt.step()
    for p, t in zip(ps, ts):
        assert math.isclose(p.data, t.item(), rel_tol=1e-12)


BAD_OPTIONS = [
    (SGD, dict(lr=-0.1)),
    (SGD, dict(momentum=-0.5)),
    (SGD, dict(weight_decay=-1.0)),
    (SGD, dict(nesterov=True)),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1)),
    (Adam, dict(lr=-1.0)),
    (Adam, dict(eps=-1e-8)),
    (Adam, dict(betas=(1.0, 0.999))),
    (Adam, dict(betas=(0.9, -0.1))),
    (Adam, dict(weight_decay=-0.1)),
    (AdamW, dict(betas=(0.9, 1.5))),
]


@pytest.mark.parametrize("cls, options", BAD_OPTIONS, ids=lambda x: str(x))
def test_bad_options_raise_torchs_error_message(cls: Any, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, cls.__name__)([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError) as ours:
        cls([Value(0.0)], **options)
    assert str(ours.value) == str(theirs.value)


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
