"""To and from PyTorch: dense layers as a ``torch.nn.Sequential`` of Linear layers and activations."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core.ops import TABLE, Activation

if TYPE_CHECKING:
    import torch

__all__ = ["TORCH_ACTIVATIONS", "Dense", "from_torch", "to_torch"]


class Dense(NamedTuple):
    """One dense layer: a weight row per neuron, the biases (or None), and the activation's name."""

    weights: list[list[float]]  #: ``weights[j][i]``: neuron j's weight on input i.
    bias: list[float] | None  #: One per neuron, or None for a layer without biases.
    activation: str  #: An activation's name, or "linear".


def to_torch(layers: Sequence[Dense]) -> torch.nn.Sequential:
    """Build an equivalent float64 ``torch.nn.Sequential`` (Linear, activation, ...) with the same weights."""
    _require_torch("to_torch()")
    import torch

    modules: list[torch.nn.Module] = []
    for layer in layers:
        # skip_init: no random initialisation, which would draw from torch's generator
        linear: torch.nn.Linear = torch.nn.utils.skip_init(  # type: ignore[no-untyped-call]
            torch.nn.Linear,
            len(layer.weights[0]),
            len(layer.weights),
            bias=layer.bias is not None,
            dtype=torch.float64,
        )
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(layer.weights, dtype=torch.float64))
            if linear.bias is not None and layer.bias is not None:
                linear.bias.copy_(torch.tensor(layer.bias, dtype=torch.float64))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(_activation_module(torch, layer.activation))
    return torch.nn.Sequential(*modules)


def from_torch(module: torch.nn.Module) -> list[Dense]:
    """Return the dense layers of a ``torch.nn.Sequential`` of Linear layers, each followed by at most one
    activation with our arguments (as ``to_torch`` gives); raise a clear error for anything else."""
    _require_torch("from_torch()")
    import torch

    names = {type(_activation_module(torch, name)): name for name in TORCH_ACTIVATIONS}
    linears: list[torch.nn.Linear] = []
    acts: list[str] = []
    for i, m in enumerate(module.children() if isinstance(module, torch.nn.Sequential) else [module]):
        if isinstance(m, torch.nn.Linear):
            linears.append(m)
            acts.append("linear")
        elif type(m) in names and linears and acts[-1] == "linear" and _torch_defaults(torch, m):
            acts[-1] = names[type(m)]
        else:
            raise ValueError(
                f"from_torch() reads a Sequential of Linear layers, each followed by at most one of "
                f"{', '.join(t.__name__ for t in names)} (default arguments); module {i} is {m!r}"
            )
    if not linears:
        raise ValueError(f"from_torch() found no Linear layer in {module!r}")
    for i in range(1, len(linears)):
        if linears[i].in_features != linears[i - 1].out_features:
            raise ValueError(
                f"Linear layer {i} takes {linears[i].in_features} inputs, "
                f"but the layer before gives {linears[i - 1].out_features}"
            )
    return [
        Dense(
            m.weight.detach().double().tolist(),
            m.bias.detach().double().tolist() if m.bias is not None else None,
            act,
        )
        for m, act in zip(linears, acts)
    ]


#: The activations that PyTorch has as modules with the same definition, with those modules and their
#: arguments (swish with beta 1 is SiLU), for ``MLP.to_torch()`` and ``MLP.from_torch()``.
#:
#: :meta hide-value:
TORCH_ACTIVATIONS: dict[str, Activation] = {op.name: op.activation for op in TABLE if op.activation}


def _require_torch(what: str) -> None:
    if importlib.util.find_spec("torch") is None:
        raise ImportError(
            f"{what} needs PyTorch, which is not installed: pip install torch "
            "(https://pytorch.org/get-started/locally/ shows the CPU-only build)"
        )


def _activation_module(torch: Any, name: str) -> Any:
    if name not in TORCH_ACTIVATIONS:
        raise ValueError(f"to_torch() has no PyTorch module for activation {name!r}")
    module, arguments = TORCH_ACTIVATIONS[name]
    return getattr(torch.nn, module)(**arguments)


def _torch_defaults(torch: Any, m: Any) -> bool:
    """Return whether a torch activation module has the arguments that make it our activation of the same
    kind."""
    ((_, arguments),) = [a for a in TORCH_ACTIVATIONS.values() if type(m) is getattr(torch.nn, a.torch)]
    return all(getattr(m, k) == v for k, v in arguments.items())
