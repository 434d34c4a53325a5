"""SGD, Adam and AdamW with torch.optim's arguments, defaults and update rules.

Given the same gradients they produce the same parameters as torch.optim in float64 (the tests
check it): each rule below does torch's arithmetic in torch's order, element by element. A rule runs on
NumPy arrays of every parameter at once where NumPy is in use (the same bits as on floats), else on each
float in turn; ``update()`` applies it to arrays the caller holds, as a compiled training loop does.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

from ..core import held
from ..core.engine import Value

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]

#: What a step's rule's ``m`` is on one float: its elementary functions, and ``let(name, x)``, which names
#: a quantity the rule computes (the stepper writes it out; on numbers it is x).
FLOATS = SimpleNamespace(sqrt=math.sqrt, maximum=max, let=lambda name, x: x)
#: A step's rule: ``(data, grad, *state, m=FLOATS) -> (data, *state)``, element by element; as an op's
#: rule, its elementary functions come from ``m`` (floats, NumPy's for arrays, or the stepper's formulas).
Rule = Callable[..., tuple[Any, ...]]


def _numpy() -> Any:
    """Return NumPy, if the process has imported it (the rule then runs on all parameters at once). Imported
    for this alone it would cost eager training more than it saves: each full garbage collection then
    has NumPy's objects to visit too (about 5% of a step of MLP(2, [16, 16, 1]) on 100 points)."""
    return sys.modules.get("numpy")


class Optimizer:
    """Holds the parameters to update; ``step()`` moves them along their ``.grad``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"optimizer parameters must be Values; parameter {i} is {type(p).__name__}: {p!r}"
                )
        if not (_is_number(lr) and lr >= 0.0):
            raise ValueError(f"Invalid learning rate: {lr!r}")
        self.lr = lr  # may be changed between steps (a learning-rate schedule)
        #: The lr a schedule started from: a scheduler sets it, and resumes from it.
        self.initial_lr: float | None = None

    #: The names of the per-parameter state (lists or arrays in ``params``' order).
    STATE: tuple[str, ...] = ()
    #: How formulas write each state (``m`` for Adam's running average): the names its rule gives to ``let``.
    SYMBOLS: ClassVar[Mapping[str, str]] = {}

    def state_dict(self) -> dict[str, Any]:
        """Return the settings and the state, as plain numbers (per-parameter state as lists in ``params``'
        order), to save and give ``load_state_dict`` later; the parameters' data is the model's to save."""
        out = {k: v for k, v in vars(self).items() if k != "params" and k not in self.STATE}
        for name in self.STATE:
            value = getattr(self, name)
            out[name] = None if value is None else [float(x) for x in value]
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take what ``state_dict()`` gave (for the same parameters, in the same order): the next step
        is the one the saved optimizer would have taken. State that does not fit is refused, naming the
        key, and nothing changes: the settings pass the constructor's checks, the per-parameter state
        holds one finite number per parameter (the averages of squares none below 0)."""
        name = f"{type(self).__name__}.load_state_dict()"
        expected = set(self.state_dict())
        if not isinstance(state, dict) or set(state) != expected:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{name} needs the keys {sorted(expected)}, got {got}")
        counts = {"steps", "initial_lr"}
        settings = {k: v for k, v in state.items() if k not in self.STATE and k not in counts}
        accepted = inspect.signature(type(self)).parameters
        try:
            fresh = type(self)(self.params, **{k: v for k, v in settings.items() if k in accepted})
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}: {e}") from None
        for k, v in settings.items():  # what the constructor fixes (AdamW's decoupled decay)
            if k not in accepted and v != getattr(fresh, k):
                raise ValueError(f"{name}: {k} is {getattr(fresh, k)!r} for {type(self).__name__}, got {v!r}")
        loaded = {k: v for k, v in settings.items() if k in accepted}
        if "steps" in state:
            steps = state["steps"]
            if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
                raise ValueError(f"{name}: steps must be a whole number of steps taken, got {steps!r}")
            loaded["steps"] = steps
        initial = state["initial_lr"]
        if initial is not None and not (_is_number(initial) and 0.0 <= initial < math.inf):
            raise ValueError(
                f"{name}: initial_lr must be None or a finite rate of at least 0, got {initial!r}"
            )
        loaded["initial_lr"] = initial
        for k in self.STATE:
            loaded[k] = self._loaded_state(name, k, state[k])
        vars(self).update(loaded)

    def _loaded_state(self, name: str, key: str, value: Any) -> list[float] | None:
        """Return a per-parameter state as saved, checked: one finite number per parameter."""
        if value is None and key == "momentum_buffers":  # before the first step
            return None
        n = len(self.params)
        if not isinstance(value, list | tuple) or len(value) != n:
            got = f"{len(value)} numbers" if isinstance(value, list | tuple) else repr(value)
            raise ValueError(f"{name}: {key} must hold one number per parameter ({n}), got {got}")
        for i, x in enumerate(value):
            if not (_is_number(x) and math.isfinite(x)) or (key.endswith("_sq") and x < 0.0):
                kind = "a finite number of at least 0" if key.endswith("_sq") else "a finite number"
                raise ValueError(f"{name}: {key}[{i}] must be {kind}, got {x!r}")
        return [float(x) for x in value]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, since the next backward pass adds to it."""
        rows = held.rows_for(self, self.params)
        if rows is not None:  # held in arrays by a compiled step: zeroed there
            rows.zero_grads()
            return
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once, from its ``.grad``, by the optimizer's rule."""
        np = _numpy()
        rows = held.rows_for(self, self.params)
        if rows is not None:  # held in arrays by a compiled step: stepped there, the Values read later
            rows.set_data(self._apply(rows.data(), rows.grads(), rows.np))
            return
        grads = [float(p.grad) for p in self.params]  # a Value grad (from create_graph): its data
        data = [p.data for p in self.params]
        if np is None:
            data = self._apply(data, grads, None)
        else:
            data = self._apply(np.array(data), np.array(grads), np).tolist()
        for p, d in zip(self.params, data):
            p.data = d

    def update(self, data: Any, grads: Any) -> None:
        """Take one step on NumPy arrays of the parameters' data and grads (in ``params``' order), in place:
        the parameters' Values are not read or written."""
        data[...] = self._apply(data, grads, _numpy())

    def _apply(self, data: Any, grads: Any, np: Any) -> Any:
        """Run the step's rule on arrays (``np``), or float by float (``np`` None); return the new data. The
        state is kept as the rule runs on it: arrays, or lists of floats."""
        rule, names = self.rule()
        state = [_as(self, name, np) for name in names]
        if np is not None:  # the grads copied: a rule may keep them (SGD's first momentum buffer)
            data, *state = rule(data, grads.copy(), *state, m=_arrays(np))
        else:
            rows = [rule(d, g, *(s[i] for s in state)) for i, (d, g) in enumerate(zip(data, grads))]
            data = [row[0] for row in rows]
            state = [[row[k] for row in rows] for k in range(1, len(names) + 1)]
        for name, value in zip(names, state):  # the new state, set only once the whole step is computed
            setattr(self, name, value)
        self._took_step()
        return data

    def rule(self) -> tuple[Rule, list[str]]:
        """Return the rule the next step applies to each parameter (this step's numbers bound into it)
        and the names of the per-parameter state it updates, without taking the step."""
        raise NotImplementedError

    def _took_step(self) -> None:
        """Count a step taken (Adam's bias corrections depend on how many)."""


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and weight decay."""

    STATE = ("momentum_buffers",)
    SYMBOLS: ClassVar[Mapping[str, str]] = {"momentum_buffers": "buf"}

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if not (_is_number(momentum) and momentum >= 0.0):
            raise ValueError(f"Invalid momentum value: {momentum!r}")
        if not (_is_number(dampening) and math.isfinite(dampening)):
            raise ValueError(f"Invalid dampening value: {dampening!r}")
        if not (_is_number(weight_decay) and weight_decay >= 0.0):
            raise ValueError(f"Invalid weight_decay value: {weight_decay!r}")
        _flags(nesterov=nesterov, maximize=maximize)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.momentum, self.dampening, self.weight_decay = momentum, dampening, weight_decay
        self.nesterov, self.maximize = nesterov, maximize
        self.momentum_buffers: Any = None  # one per parameter after the first step

    def rule(self) -> tuple[Rule, list[str]]:
        lr, momentum, dampening, decay = self.lr, self.momentum, self.dampening, self.weight_decay
        maximize, nesterov, first = self.maximize, self.nesterov, self.momentum_buffers is None

        def rule(p: Any, g: Any, *buf: Any, m: Any = FLOATS) -> tuple[Any, ...]:
            g = -g if maximize else g
            if decay != 0:
                g = g + decay * p
            if momentum == 0:
                return (p - lr * g,)  # the bits of torch's p.add(g, alpha=-lr)
            b = m.let("buf", g if first else buf[0] * momentum + (1 - dampening) * g)
            g = g + momentum * b if nesterov else b
            return p - lr * g, b

        return rule, [] if momentum == 0 else ["momentum_buffers"]


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and its square, bias-corrected.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient (L2), or with
    ``decoupled_weight_decay=True`` shrinks the parameter directly (that is AdamW).
    """

    STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    SYMBOLS: ClassVar[Mapping[str, str]] = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "v_max"}

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if not (_is_number(eps) and eps >= 0.0):
            raise ValueError(f"Invalid epsilon value: {eps!r}")
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if not (_is_number(beta) and 0.0 <= beta < 1.0):
                raise ValueError(f"Invalid beta parameter at index {i}: {beta!r}")
        if not (_is_number(weight_decay) and weight_decay >= 0.0):
            raise ValueError(f"Invalid weight_decay value: {weight_decay!r}")
        _flags(amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        self.betas, self.eps, self.weight_decay, self.amsgrad = betas, eps, weight_decay, amsgrad
        self.maximize, self.decoupled_weight_decay = maximize, decoupled_weight_decay
        n = len(self.params)
        self.steps = 0
        #: Each parameter's running average of its gradient (a list, or an array once NumPy steps it).
        self.exp_avg: Any = [0.0] * n
        #: Each parameter's running average of its squared gradient.
        self.exp_avg_sq: Any = [0.0] * n
        #: With amsgrad, the largest ``exp_avg_sq`` each parameter has had.
        self.max_exp_avg_sq: Any = [0.0] * n

    def rule(self) -> tuple[Rule, list[str]]:
        lr, eps, decay, amsgrad = self.lr, self.eps, self.weight_decay, self.amsgrad
        decoupled, maximize = self.decoupled_weight_decay, self.maximize
        beta1, beta2 = self.betas
        t = self.steps + 1  # this step's number
        step_size = lr / (1 - beta1**t)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5

        def rule(p: Any, g: Any, avg: Any, avg_sq: Any, max_sq: Any, m: Any = FLOATS) -> tuple[Any, ...]:
            g = -g if maximize else g
            if decay != 0:
                if decoupled:
                    p = p * (1 - lr * decay)
                else:
                    g = g + decay * p
            avg = m.let("m", _lerp(avg, g, 1 - beta1))
            avg_sq = m.let("v", avg_sq * beta2 + (1 - beta2) * g * g)
            if amsgrad:
                max_sq = m.let("v_max", m.maximum(max_sq, avg_sq))
                denom = m.sqrt(max_sq) / bias_correction2_sqrt + eps
            else:
                denom = m.sqrt(avg_sq) / bias_correction2_sqrt + eps
            return p - step_size * avg / denom, avg, avg_sq, max_sq

        return rule, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]

    def _took_step(self) -> None:
        self.steps += 1


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), torch.optim.AdamW's defaults."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True
        )


def _is_number(x: Any) -> bool:
    """Return whether x is a real number (int or float, not a bool), as a setting or a state must be; NaN is
    one too."""
    return isinstance(x, int | float) and not isinstance(x, bool)


def _flags(**flags: Any) -> None:
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be True or False, got {value!r}")


def _lerp(start: Any, end: Any, weight: float) -> Any:
    """Return start + weight * (end - start), in the form torch.lerp uses for this weight."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _arrays(np: Any) -> SimpleNamespace:
    """Return what a step's rule's ``m`` is on NumPy arrays (made at each step: a few attribute reads)."""
    return SimpleNamespace(sqrt=np.sqrt, maximum=np.maximum, let=FLOATS.let)


def _as(optimizer: Optimizer, name: str, np: Any) -> Any:
    """Return the optimizer's state of this name as the rule runs on it: an array, or a list of floats (zeros
    before the first step of a state made then: SGD's momentum buffers)."""
    state = getattr(optimizer, name)
    if state is None:
        state = [0.0] * len(optimizer.params)
    if np is not None and not isinstance(state, np.ndarray):
        return np.array(state, dtype=float)
    if np is None and not isinstance(state, list):
        state = [float(x) for x in state]
        setattr(optimizer, name, state)  # updated in place, float by float
    return state
