"""SGD, Adam and AdamW with torch.optim's arguments, defaults and update rules, one float at a time.

Given the same gradients they produce the same parameters as torch.optim in float64 (the tests
check it): each update below does torch's arithmetic in torch's order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..core.engine import Value

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]


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
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        self.lr = lr  # may be changed between steps (a learning-rate schedule)

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, since the next backward pass adds to it."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once, from its ``.grad``, by the optimizer's rule."""
        raise NotImplementedError


def _grads(params: list[Value], maximize: bool) -> list[float]:
    """The gradients as floats (a Value gradient from create_graph gives its data), negated to maximize."""
    grads = [float(p.grad) for p in params]
    return [-g for g in grads] if maximize else grads


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and weight decay."""

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
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.momentum, self.dampening, self.weight_decay = momentum, dampening, weight_decay
        self.nesterov, self.maximize = nesterov, maximize
        self.momentum_buffers: list[float] | None = None  # one per parameter after the first step

    def step(self) -> None:
        lr, momentum, dampening, decay = self.lr, self.momentum, self.dampening, self.weight_decay
        grads = _grads(self.params, self.maximize)
        if decay != 0:
            grads = [g + decay * p.data for g, p in zip(grads, self.params)]
        if momentum != 0:
            if self.momentum_buffers is None:
                bufs = list(grads)
            else:
                bufs = [b * momentum + (1 - dampening) * g for b, g in zip(self.momentum_buffers, grads)]
            self.momentum_buffers = bufs
            grads = [g + momentum * b for g, b in zip(grads, bufs)] if self.nesterov else bufs
        for p, g in zip(self.params, grads):
            p.data += -lr * g


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and its square, bias-corrected.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient (L2), or with
    ``decoupled_weight_decay=True`` shrinks the parameter directly (that is AdamW).
    """

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
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        self.betas, self.eps, self.weight_decay, self.amsgrad = betas, eps, weight_decay, amsgrad
        self.maximize, self.decoupled_weight_decay = maximize, decoupled_weight_decay
        n = len(self.params)
        self.steps = 0
        self.exp_avg = [0.0] * n
        self.exp_avg_sq = [0.0] * n
        self.max_exp_avg_sq = [0.0] * n  # used with amsgrad

    def step(self) -> None:
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        self.steps += 1
        step_size = lr / (1 - beta1**self.steps)
        bias_correction2_sqrt = (1 - beta2**self.steps) ** 0.5
        grads = _grads(self.params, self.maximize)
        m, v, v_max = self.exp_avg, self.exp_avg_sq, self.max_exp_avg_sq
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if decay != 0:
                if self.decoupled_weight_decay:
                    p.data *= 1 - lr * decay
                else:
                    g = g + decay * p.data
            m[i] = _lerp(m[i], g, 1 - beta1)
            v[i] = v[i] * beta2 + (1 - beta2) * g * g
            if self.amsgrad:
                v_max[i] = max(v_max[i], v[i])
                denom = math.sqrt(v_max[i]) / bias_correction2_sqrt + eps
            else:
                denom = math.sqrt(v[i]) / bias_correction2_sqrt + eps
            p.data += -step_size * m[i] / denom


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


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), in the form torch.lerp uses for this weight."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)
