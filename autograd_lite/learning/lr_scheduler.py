"""Learning-rate schedules with torch.optim.lr_scheduler's names, arguments and numbers.

A scheduler changes its optimizer's ``lr`` once per ``step()``, which a training loop calls once per
epoch, after the optimizer's steps (``fit(..., scheduler=...)`` does). Each computes the next rate
from the current one as PyTorch does (most multiply the current rate by a factor), so that the rates
agree with PyTorch's in float64 to the last bit, step for step. micrograd's demo schedule,
``1.0 - 0.9 * k / 100``, is ``LambdaLR(optimizer, lambda k: 1.0 - 0.9 * k / 100)``.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Literal

from .optim import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
]


class LRScheduler:
    """Sets its optimizer's ``lr`` at each ``step()``: the base of the schedules below.

    ``last_epoch=-1`` starts the schedule from the optimizer's current ``lr`` (kept as its
    ``initial_lr``); another value resumes it, which needs the optimizer's ``initial_lr``. Making a
    scheduler takes its first step, to epoch 0, which sets the rate, as in PyTorch: to resume a saved
    run, make the optimizer and the scheduler, then load the optimizer's state, then the scheduler's.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            if optimizer.initial_lr is None:
                optimizer.initial_lr = optimizer.lr
        elif optimizer.initial_lr is None:
            raise KeyError(
                f"resuming a schedule at last_epoch={last_epoch} needs the optimizer's initial_lr, which "
                "a scheduler sets; load the optimizer's state_dict first"
            )
        self.base_lrs: list[float] = [optimizer.initial_lr]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._initial = True  # the step that making the scheduler takes
        self.step()
        self._initial = False

    def step(self) -> None:
        """Move to the next epoch and set the optimizer's ``lr`` for it."""
        self._step_count += 1
        self.last_epoch += 1
        lr = self._next_lr(self.optimizer.lr)
        self.optimizer.lr = lr
        self._last_lr = [lr]

    def get_last_lr(self) -> list[float]:
        """Return the rate the last ``step()`` set, in a list (one per parameter group in PyTorch; there is
        one)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Return everything the scheduler holds but its optimizer (and LambdaLR's functions), as numbers and
        lists (JSON keeps them), for ``load_state_dict``; save the optimizer's ``state_dict()`` beside it."""
        state = {k: v for k, v in vars(self).items() if k not in ("optimizer", "lr_lambdas")}
        if "milestones" in state:  # a Counter's keys would come back from JSON as strings
            state["milestones"] = sorted(state["milestones"].elements())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take the state ``state_dict()`` gave; the schedule goes on from it. A state of another kind
        of scheduler, or a value the constructor would refuse, is refused naming the key, and nothing
        changes."""
        name = f"{type(self).__name__}.load_state_dict()"
        expected = set(self.state_dict())
        if not isinstance(state, dict) or set(state) != expected:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{name} needs the keys {sorted(expected)}, got {got}")
        loaded = {}
        for key, value in state.items():
            try:
                loaded[key] = _CHECKS[key](key, value)
            except (TypeError, ValueError) as e:
                raise ValueError(f"{name}: {e}") from None
        vars(self).update(loaded)

    def _next_lr(self, lr: float) -> float:
        """Return the rate for ``self.last_epoch``, from the current one."""
        raise NotImplementedError


class LambdaLR(LRScheduler):
    """The initial rate times ``lr_lambda(epoch)``."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float], last_epoch: int = -1) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a function of the epoch, got {lr_lambda!r}")
        self.lr_lambdas = [lr_lambda]
        super().__init__(optimizer, last_epoch)

    def _next_lr(self, lr: float) -> float:
        return self.base_lrs[0] * self.lr_lambdas[0](self.last_epoch)


class StepLR(LRScheduler):
    """The rate times ``gamma`` every ``step_size`` epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size, self.gamma = _positive_int("step_size", step_size), _rate("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _next_lr(self, lr: float) -> float:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lr
        return lr * self.gamma


class MultiStepLR(LRScheduler):
    """The rate times ``gamma`` at each epoch in ``milestones`` (``gamma ** n`` at one listed n times)."""

    def __init__(
        self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.milestones = _milestones("milestones", milestones)
        self.gamma = _rate("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _next_lr(self, lr: float) -> float:
        if self.last_epoch not in self.milestones:
            return lr
        return lr * self.gamma ** self.milestones[self.last_epoch]


class ExponentialLR(LRScheduler):
    """The rate times ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _rate("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _next_lr(self, lr: float) -> float:
        return lr if self._initial else lr * self.gamma


class LinearLR(LRScheduler):
    """The initial rate times a factor going linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then the rate it reached (a warm-up, with the defaults)."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = _start_factor("start_factor", start_factor)
        self.end_factor = _end_factor("end_factor", end_factor)
        self.total_iters = _positive_int("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def _next_lr(self, lr: float) -> float:
        if self.last_epoch == 0:
            return lr * self.start_factor
        if self._initial or self.last_epoch > self.total_iters:
            return lr
        change = self.end_factor - self.start_factor
        return lr * (1.0 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change))


class CosineAnnealingLR(LRScheduler):
    """The rate following half a cosine from the initial rate down to ``eta_min`` over ``T_max`` epochs
    (and back up over the next ``T_max``), each step from the last as in PyTorch."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max, self.eta_min = _positive_int("T_max", T_max), _rate("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def _next_lr(self, lr: float) -> float:
        base, low, period, t = self.base_lrs[0], self.eta_min, self.T_max, self.last_epoch
        if self._initial:
            return lr
        if self._step_count == 1 and t > 0:  # resumed: the closed form
            return low + (base - low) * (1 + math.cos(t * math.pi / period)) / 2
        if (t - 1 - period) % (2 * period) == 0:  # the bottom: start back up
            return lr + (base - low) * (1 - math.cos(math.pi / period)) / 2
        return (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period)) * (
            lr - low
        ) + low


class ReduceLROnPlateau(LRScheduler):
    """The rate times ``factor`` once a metric (the validation loss, with ``mode="min"``) has not
    improved for more than ``patience`` epochs; ``step(metric)`` takes the epoch's value. An improvement
    beats the best by more than ``threshold`` (relative, or absolute with ``threshold_mode="abs"``);
    after a cut, ``cooldown`` epochs pass before counting again; the rate stays above ``min_lr``, and a
    cut smaller than ``eps`` is not made."""

    def __init__(
        self,
        optimizer: Optimizer,
        mode: Literal["min", "max"] = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.mode, self.factor = _CHECKS["mode"]("mode", mode), _factor("factor", factor)
        self.patience, self.cooldown = _count("patience", patience), _count("cooldown", cooldown)
        self.threshold = _rate("threshold", threshold)
        self.threshold_mode = _CHECKS["threshold_mode"]("threshold_mode", threshold_mode)
        self.min_lr, self.eps = _rate("min_lr", min_lr), _rate("eps", eps)
        self.last_epoch = 0
        self._last_lr = [optimizer.lr]
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: float) -> None:  # type: ignore[override]  # takes the epoch's metric
        """Take one epoch's metric: count it as an improvement or not, and cut the rate on a plateau."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in a cooldown do not count
        if self.num_bad_epochs > self.patience:
            old = float(self.optimizer.lr)
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.optimizer.lr = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [self.optimizer.lr]

    def _is_better(self, value: float) -> bool:
        if self.mode == "min":
            return value < (
                self.best * (1.0 - self.threshold)
                if self.threshold_mode == "rel"
                else self.best - self.threshold
            )
        return value > (
            self.best * (self.threshold + 1.0) if self.threshold_mode == "rel" else self.best + self.threshold
        )


# ---- what a setting or a saved state may hold: one check per key, for the constructors and the loads ----
def _whole(name: str, value: Any, least: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        kind = "a positive integer" if least == 1 else f"an integer of at least {least}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return value


def _positive_int(name: str, value: Any) -> int:
    return _whole(name, value, 1)


def _count(name: str, value: Any) -> int:
    return _whole(name, value, 0)


def _real(name: str, value: Any, low: float, high: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return float(value)


def _rate(name: str, value: Any) -> float:
    return _real(name, value, 0.0, sys.float_info.max, "a finite number of at least 0")


def _factor(name: str, value: Any) -> float:
    factor = _real(name, value, 0.0, math.inf, "a number of at least 0")
    if factor >= 1.0:
        raise ValueError(f"Factor should be < 1.0, got {value!r}")  # PyTorch's words
    return factor


def _start_factor(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value <= 1.0:
        raise ValueError(
            "Starting multiplicative factor expected to be greater than 0 and less or equal to 1, "
            f"got {value!r}"
        )
    return float(value)


def _end_factor(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"Ending multiplicative factor expected to be between 0 and 1, got {value!r}")
    return float(value)


def _rates(name: str, value: Any) -> list[float]:
    if not isinstance(value, list) or len(value) != 1:
        raise ValueError(f"{name} must be a list of one rate (one parameter group), got {value!r}")
    return [_rate(f"{name}[0]", value[0])]


def _milestones(name: str, value: Any) -> Counter[int]:
    """Count the epochs, each listed once per cut it makes (a Counter, as states saved before held, is taken
    too)."""
    epochs = list(value.elements()) if isinstance(value, Counter) else value
    if isinstance(epochs, str | dict) or not isinstance(epochs, Iterable):
        raise ValueError(f"{name} must be a list of epochs, got {value!r}")
    return Counter(_count(f"{name} epoch", epoch) for epoch in epochs)


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in allowed:
            words = name.replace("_", " ")
            raise ValueError(f"{words} {value!r} is unknown: {' or '.join(map(repr, allowed))}")
        return str(value)

    return check


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _best(name: str, value: Any) -> float:
    return _real(name, value, -math.inf, math.inf, "a number (not NaN)")


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "base_lrs": _rates,
    "_last_lr": _rates,
    "last_epoch": lambda name, value: _whole(name, value, -1),
    "_step_count": _count,
    "_initial": _flag,
    "step_size": _positive_int,
    "T_max": _positive_int,
    "total_iters": _positive_int,
    "gamma": _rate,
    "eta_min": _rate,
    "milestones": _milestones,
    "start_factor": _start_factor,
    "end_factor": _end_factor,
    "mode": _choice("min", "max"),
    "threshold_mode": _choice("rel", "abs"),
    "factor": _factor,
    "patience": _count,
    "cooldown": _count,
    "threshold": _rate,
    "min_lr": _rate,
    "eps": _rate,
    "best": _best,
    "cooldown_counter": _count,
    "num_bad_epochs": _count,
}
