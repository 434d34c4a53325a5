"""Loss functions on Values, averaged over a batch as torch.nn.functional does (reduction='mean').

Predictions and targets are a number or Value, or (nested) sequences of them, flattened alike: a
model's outputs for a batch (one Value per sample, or a list per sample) go in as they come.
``cross_entropy`` instead takes one row of logits per sample and a class index for each.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from ..core.engine import Operand, Value, apply
from ..core.ops import BCE, HINGE

__all__ = [
    "Nested",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "l2_penalty",
    "mse",
    "sse",
]

Nested = Operand | Sequence[Any]  #: A number or Value, or sequences of them, to any depth.


def _flatten(loss: str, x: Nested) -> list[Operand]:
    if isinstance(x, (Value, float, numbers.Real)):
        return [x]
    if isinstance(x, Sequence) and not isinstance(x, (str, bytes)):
        return [leaf for item in x for leaf in _flatten(loss, item)]
    raise TypeError(f"{loss}() takes numbers, Values, or sequences of them; got {type(x).__name__}: {x!r}")


def _pairs(loss: str, predictions: Nested, targets: Nested) -> tuple[list[Value], list[Operand]]:
    """Return the predictions (as Values) and targets, flattened and checked to match."""
    ps, ts = _flatten(loss, predictions), _flatten(loss, targets)
    if len(ps) != len(ts) or not ps:
        raise ValueError(
            f"{loss}() needs as many targets as predictions (at least one), got {len(ps)} and {len(ts)}"
        )
    return [p if isinstance(p, Value) else Value(p) for p in ps], ts


def mse(predictions: Nested, targets: Nested) -> Value:
    """Return the mean squared error: mean((p - t)^2)."""
    ps, ts = _pairs("mse", predictions, targets)
    d = [p - t for p, t in zip(ps, ts)]
    return Value.dot(d, d) / len(d)


def sse(predictions: Nested, targets: Nested) -> Value:
    """Return the sum of squared errors, the tutorials' loss: sum((p - t)^2)."""
    ps, ts = _pairs("sse", predictions, targets)
    d = [p - t for p, t in zip(ps, ts)]
    return Value.dot(d, d)


def binary_cross_entropy(probabilities: Nested, targets: Nested) -> Value:
    """Return mean(-(t log p + (1 - t) log(1 - p))) for p and t in [0, 1]: one node a pair (the op ``bce``),
    a log left out where its weight is 0, so a confident right answer costs 0. A target may be a Value
    (a compiled function's input). A p of 0 where t > 0, or of 1 where t < 1, gives an infinite loss and
    is refused; binary_cross_entropy_with_logits takes the scores before the sigmoid and stays finite.
    """
    ps, ts = _pairs("binary_cross_entropy", probabilities, targets)
    return Value.sum([apply(BCE, p, t) for p, t in zip(ps, ts)]) / len(ps)


def binary_cross_entropy_with_logits(logits: Nested, targets: Nested) -> Value:
    """Return binary_cross_entropy(sigmoid(x), t) computed stably as mean(softplus(x) - t x)."""
    xs, ts = _pairs("binary_cross_entropy_with_logits", logits, targets)
    return Value.sum([x.softplus() - x * t for x, t in zip(xs, ts)]) / len(xs)


def cross_entropy(logits: Sequence[Any], target: Any) -> Value:
    """Return -log softmax(logits)[target], that is logsumexp(logits) - logits[target]; for a batch, the mean.

    A target is a class index, or class probabilities, one per logit (numbers or Values, such as a
    one-hot row), as in PyTorch: then the loss is -sum(p * log softmax(logits)). Probabilities can be a
    compiled function's inputs, where an index must be a static argument (see ``compile``).
    """
    rows: list[Any] = [logits]
    targets: list[Any] = [target]
    if len(logits) > 0 and isinstance(logits[0], Sequence):
        if not isinstance(target, Sequence):
            raise ValueError(
                "cross_entropy(): a batch of rows needs one class index per row (a list), "
                f"got {len(logits)} rows and the one index {target!r}"
            )
        rows, targets = list(logits), list(target)
    if len(rows) != len(targets) or not rows:
        raise ValueError(
            "cross_entropy() needs one target per row of logits (at least one), "
            f"got {len(rows)} and {len(targets)}"
        )
    losses = []
    for row, t in zip(rows, targets):
        if not isinstance(row, Sequence) or not row:
            raise ValueError(f"cross_entropy() takes a sequence of logits per sample, got {row!r}")
        zs = [z if isinstance(z, Value) else Value(z) for z in row]
        log_sum_exp = Value.logsumexp(zs)  # one node, shifted by the largest logit whenever it is computed
        if isinstance(t, Sequence):
            if len(t) != len(row) or not all(isinstance(p, (Value, numbers.Real)) for p in t):
                wanted = f"{len(row)} numbers, one per logit"
                raise ValueError(f"cross_entropy() class probabilities must be {wanted}, got {t!r}")
            losses.append(log_sum_exp * Value.sum(t) - Value.dot(t, zs))
        elif isinstance(t, numbers.Integral) and not isinstance(t, bool) and 0 <= int(t) < len(row):
            losses.append(log_sum_exp - zs[int(t)])
        else:
            raise ValueError(
                f"cross_entropy() target must be a class index in [0, {len(row)}) or {len(row)} class "
                f"probabilities, got {t!r}"
            )
    return Value.sum(losses) / len(losses)


def hinge(scores: Nested, targets: Nested) -> Value:
    """Return micrograd's max-margin loss for targets -1 or 1: mean(relu(1 - t s)), one node a pair (the op
    ``hinge``), which checks its target each time it is computed: a number, or a Value (a compiled
    function's input)."""
    ss, ts = _pairs("hinge", scores, targets)
    return Value.sum([apply(HINGE, s, t) for s, t in zip(ss, ts)]) / len(ss)


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """Return alpha * sum(p^2), the weight penalty micrograd's demo adds to its loss (with alpha = 1e-4)."""
    ps = list(parameters)
    return alpha * Value.dot(ps, ps)
