"""Single computations at fixed inputs that tests across the suite check against torch: each function here
returns torch's numbers for one of them, and its inputs are the constants the tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import torch
from .ops import POWERS_AT_ZERO, torch_derivatives_at_zero

F = torch.nn.functional if torch else None

# The lecture's neuron, tanh(w1*x1 + w2*x2 + b), and its one-input form tanh(w*x + b) (the command line's).
NEURON = {"w1": -3.0, "x1": 2.0, "w2": 1.0, "x2": 0.0, "b": 6.8813735870195432}
SMALL_NEURON = {"w": -3.0, "x": 2.0, "b": 6.8813735870195432}
SIGMOID_AT = (0.3, -1.2)  # a, b of the hand-made sigmoid expression (test_micrograd_dropin.py)
MIXED_AT = (0.3, -1.2)  # x, y of mixed() (test_gradcheck.py)
WRONG_CUBE_AT = (1.5, 0.5)  # x, y of x**3 * tanh(y) (test_gradcheck.py)
HESSIAN_AT = (0.3, 1.2, -0.5)  # x, y, z of three_variables() (test_semantics.py)
SOFTSIGN_AT = 0.8
ONE_SAMPLE = ([0.5, -1.0, 2.0, 0.1], 2)  # logits and a class index
BATCH = ([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], [[0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])  # rows, targets
HINGE_W, HINGE_XS, HINGE_TS = 0.5, [1.0, 3.0], [1.0, -1.0]
SWISH_X = [0.7, -1.3]
SWISH_WEIGHTS = [[0.6, -0.4], [-1.1, 0.3], [0.25, 0.9]]  # a layer of three swish_beta neurons, bias 0
# MLP(2, [4, 4, 1], activation="tanh") at one input and target, squared error: each layer's (weights, biases)
NETWORK_X, NETWORK_Y = [0.5, -1.5], 0.25
NETWORK_LAYERS = [
    ([[0.69, 0.52], [-0.16, -0.48], [0.02, -0.19], [0.57, -0.39]], [0.1, -0.2, 0.05, 0.3]),
    (
        [
            [-0.05, 0.17, 0.82, 0.01],
            [-0.44, 0.51, 0.24, -0.5],
            [0.82, 0.97, 0.62, 0.8],
            [-0.38, 0.46, 0.8, 0.37],
        ],
        [0.0, 0.15, -0.25, 0.4],
    ),
    ([[-0.06, -0.8, -0.13, 0.22]], [0.12]),
]


def leaves(*xs: float) -> list[Any]:
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]


def value_and_grads(f: Callable[..., Any], at: dict[str, float]) -> dict[str, Any]:
    ts = dict(zip(at, leaves(*at.values())))
    out = f(**ts)
    out.backward()
    return {"value": out.item(), "grads": {k: t.grad.item() for k, t in ts.items()}}


def neuron() -> dict[str, Any]:
    return value_and_grads(lambda w1, x1, w2, x2, b: torch.tanh(w1 * x1 + w2 * x2 + b), NEURON)


def small_neuron() -> dict[str, Any]:
    return value_and_grads(lambda w, x, b: torch.tanh(w * x + b), SMALL_NEURON)


def hand_made_sigmoid() -> list[float]:
    """The gradient of sigmoid(h * a) * b + h, h = sigmoid(a * b + 0.5), in a and b."""
    a, b = leaves(*SIGMOID_AT)
    h = torch.sigmoid(a * b + 0.5)
    (torch.sigmoid(h * a) * b + h).backward()
    return [a.grad.item(), b.grad.item()]


def cube_times_tanh() -> list[float]:
    """The gradient of x**3 * tanh(y)."""
    a, b = leaves(*WRONG_CUBE_AT)
    (a**3 * torch.tanh(b)).backward()
    return [a.grad.item(), b.grad.item()]


def hessian(f: Callable[..., Any], at: tuple[float, ...]) -> list[list[float]]:
    found = torch.autograd.functional.hessian(f, tuple(torch.tensor(x, dtype=torch.float64) for x in at))
    return [[h.item() for h in row] for row in found]


def mixed(x: Any, y: Any) -> Any:
    """A function with mixed second derivatives, written once for Values and tensors."""
    return (x * y).sin() + x.exp() * y


def three_variables(x: Any, y: Any, z: Any) -> Any:
    return x * x * y + y.sin() * z + (x * z).exp() + 1.0 / y


def mixed_hessian() -> list[list[float]]:
    return hessian(mixed, MIXED_AT)


def three_variable_hessian() -> list[list[float]]:
    return hessian(three_variables, HESSIAN_AT)


def twice_backward() -> float:
    """a.grad after two backward passes through (a + a) * (a + a) at a = 3: the leaf adds both."""
    (a,) = leaves(3.0)
    out = (a + a) * (a + a)
    out.backward(retain_graph=True)
    out.backward()
    return float(a.grad.item())


def softsign_times_x() -> list[float]:
    """The first and second derivatives of softsign(x) * x."""
    (t,) = leaves(SOFTSIGN_AT)
    (first,) = torch.autograd.grad(F.softsign(t) * t, t, create_graph=True)
    (second,) = torch.autograd.grad(first, t)
    return [first.item(), second.item()]


def powers_at_zero() -> dict[str, list[float]]:
    return {repr(n): torch_derivatives_at_zero(n, orders) for n, orders in POWERS_AT_ZERO.items()}


def cross_entropy_of_one_sample() -> dict[str, Any]:
    logits, index = ONE_SAMPLE
    t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    out = F.cross_entropy(t, torch.tensor(index))
    out.backward()
    return {"value": out.item(), "grads": t.grad.tolist()}


def mse_of_a_batch() -> dict[str, Any]:
    rows, targets = BATCH
    t = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    out = F.mse_loss(t, torch.tensor(targets, dtype=torch.float64))
    out.backward()
    return {"value": out.item(), "grads": t.grad.flatten().tolist()}


def hinge_weight_grad() -> float:
    """d/dw of hinge([w * x for x in xs], ts)."""
    (w,) = leaves(HINGE_W)
    ts, xs = (torch.tensor(v, dtype=torch.float64) for v in (HINGE_TS, HINGE_XS))
    F.relu(1 - ts * w * xs).mean().backward()
    return float(w.grad.item())


def swish_beta() -> list[list[float]]:
    """Each neuron's z * sigmoid(beta * z) at beta = 1, and its derivative in beta."""
    found = []
    for ws in SWISH_WEIGHTS:
        z = torch.tensor(sum(w * x for w, x in zip(ws, SWISH_X)), dtype=torch.float64)
        (beta,) = leaves(1.0)
        out = z * torch.sigmoid(beta * z)
        out.backward()
        found.append([out.item(), beta.grad.item()])
    return found


def network_deltas() -> list[list[float]]:
    """Each neuron's δ = dL/dz (its pre-activation's grad, kept by retain_grad), layer by layer."""
    a = torch.tensor(NETWORK_X, dtype=torch.float64)
    zs = []
    for i, (weights, biases) in enumerate(NETWORK_LAYERS):
        w = torch.tensor(weights, dtype=torch.float64, requires_grad=True)
        z = w @ a + torch.tensor(biases, dtype=torch.float64)
        z.retain_grad()
        zs.append(z)
        a = z if i == len(NETWORK_LAYERS) - 1 else torch.tanh(z)
    ((a[0] - NETWORK_Y) ** 2).backward()
    return [z.grad.tolist() for z in zs]


POINTS: dict[str, Callable[[], Any]] = {
    f.__name__: f
    for f in [
        neuron,
        small_neuron,
        hand_made_sigmoid,
        cube_times_tanh,
        mixed_hessian,
        three_variable_hessian,
        twice_backward,
        softsign_times_x,
        powers_at_zero,
        cross_entropy_of_one_sample,
        mse_of_a_batch,
        hinge_weight_grad,
        swish_beta,
        network_deltas,
    ]
}
