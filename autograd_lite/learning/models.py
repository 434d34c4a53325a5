"""Neurons, layers and multilayer perceptrons built on Value, in micrograd's spellings.

A neuron is one dot-product node, plus its bias, through its activation. Parameters come out in
micrograd's order (layer by layer, neuron by neuron, weights then bias) under stable dotted names,
and a model's weights go to and from JSON files (``checkpoints``) and PyTorch modules
(``torch_interop``) without losing a bit.
"""

from __future__ import annotations

import math
import operator
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..core.engine import Operand, Value
from ..core.ops import TABLE
from . import checkpoints, torch_interop

__all__ = ["ACTIVATIONS", "INITS", "MLP", "Layer", "Module", "Neuron", "Sampler"]

if TYPE_CHECKING:
    import torch

#: The activations by name, as ``MLP``, ``Layer`` and ``Neuron`` take them: linear, every op of the table
#: that is an activation (the keys of ``TORCH_ACTIVATIONS``), and swish_beta (swish with a trainable beta
#: per neuron).
#:
#: :meta hide-value:
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "linear": lambda v: v,
    **{op.name: getattr(Value, op.name) for op in TABLE if op.activation},
    "swish_beta": lambda v: v.swish(),  # swish with a trainable beta per neuron, starting at 1.0
}


def _swish(v: Value, beta: Value) -> Value:
    return v.swish(beta)


class Sampler(Protocol):
    """What initialisation draws from: the ``random`` module itself, or a ``random.Random``."""

    def uniform(self, a: float, b: float) -> float:
        """Draw a number uniformly between a and b."""

    def gauss(self, mu: float, sigma: float) -> float:
        """Draw a number from the normal distribution with mean mu and standard deviation sigma."""


#: The weight initialisations by name: uniform in [-1, 1] (micrograd's), xavier (Glorot uniform), he (for
#: ReLU) and lecun (for SELU). Each draws one weight of a neuron with nin inputs in a layer of nout neurons.
#:
#: :meta hide-value:
INITS: dict[str, Callable[[Sampler, int, int], float]] = {
    "uniform": lambda rng, nin, nout: rng.uniform(-1.0, 1.0),  # micrograd's
    "xavier": lambda rng, nin, nout: rng.uniform(-1.0, 1.0) * math.sqrt(6.0 / (nin + nout)),  # Glorot uniform
    "he": lambda rng, nin, nout: rng.gauss(0.0, math.sqrt(2.0 / nin)),  # for ReLU
    "lecun": lambda rng, nin, nout: rng.gauss(0.0, math.sqrt(1.0 / nin)),  # for SELU
}


def _choice(kind: str, name: str, table: Mapping[str, Any]) -> str:
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}")
    return name


def _count(what: str, n: object) -> int:
    """Return n as a size: any integral type (numpy's too), at least 1."""
    try:
        k = operator.index(n)  # type: ignore[arg-type]
    except TypeError:
        k = None
    if k is None or isinstance(n, bool) or k < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return k


def _inputs(x: Iterable[Operand]) -> Sequence[Operand]:
    """Return a model's input as a sequence: a list or tuple as it is, any other iterable (a generator) read
    once."""
    if isinstance(x, (list, tuple)):
        return x
    if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
        raise TypeError(f"a model takes an iterable of numbers or Values, got {type(x).__name__}: {x!r}")
    return list(x)


class Module:
    """Anything with parameters. Subclasses list them in ``named_parameters()`` (or micrograd-style in
    ``parameters()``); the rest (state_dict, save, load, zero_grad) is built on that.
    """

    def parameters(self) -> list[Value]:
        """Return the Values to train (the leaves that the optimizer updates), in micrograd's order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Return (dotted name, parameter) pairs in ``parameters()`` order."""
        if type(self).parameters is Module.parameters:
            return []
        return [(str(i), p) for i, p in enumerate(self.parameters())]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, since the next backward pass adds to it."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Return every parameter's value by name (a copy: changing it does not change the model)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from ``state``; on any mismatch raise and change nothing."""
        named = self.named_parameters()
        problems = checkpoints.mismatch(dict(named), state)
        if problems:
            raise ValueError(f"state does not fit {type(self).__name__}: {problems}")
        values = [float(state[name]) for name, _ in named]  # type: ignore[arg-type]  # checked by mismatch
        for (_, p), x in zip(named, values):
            p.data = x

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to ``path`` as JSON, atomically: the file is whole or untouched."""
        checkpoints.save(self.state_dict(), path)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Set the parameters from a file written by ``save``; on any problem raise and change nothing."""
        state = checkpoints.read(path, checkpoints.max_size([name for name, _ in self.named_parameters()]))
        try:
            self.load_state_dict(state)
        except ValueError as e:
            raise ValueError(f"{str(Path(path))!r}: {e}") from None


def _number(params: Iterable[Value], index: int) -> None:
    """Put a container's index first in its parts' default labels: a layer's neuron 2 has w[2][0] and
    b[2], and a network's layer 1 w[1][2][0]: which layer, which neuron, which input."""
    for p in params:
        head, bracket, rest = p.label.partition("[")
        p.label = f"{head}[{index}]{bracket}{rest}"


class Neuron(Module):
    """activation(w . x + b): one dot node, the bias, then the activation.

    micrograd's ``Neuron(nin, nonlin=True)`` still works: ``nonlin`` picks ReLU or linear. ``fan_out``
    (the size of the neuron's layer) is what the xavier init scales by; ``rng`` defaults to ``random``.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool | None = None,
        *,
        activation: str | None = None,
        bias: bool = True,
        init: str = "uniform",
        fan_out: int = 1,
        rng: Sampler | None = None,
    ) -> None:
        if nonlin is not None and activation is not None:
            raise TypeError("give nonlin (micrograd's spelling) or activation, not both")
        if activation is None:
            activation = "relu" if nonlin is None or nonlin else "linear"
        self.activation = _choice("activation", activation, ACTIVATIONS)
        sample = INITS[_choice("init", init, INITS)]
        draw: Sampler = random if rng is None else rng  # the global generator by default, as micrograd does
        nin = _count("nin", nin)
        self.w = [Value(sample(draw, nin, fan_out), label=f"w[{k}]") for k in range(nin)]
        self.b = Value(0.0, label="b") if bias else None
        self.beta = Value(1.0, label="beta") if activation == "swish_beta" else None
        self._act = self._activation_function()

    def _activation_function(self) -> Callable[[Value], Value]:
        return partial(_swish, beta=self.beta) if self.beta is not None else ACTIVATIONS[self.activation]

    def __getstate__(self) -> dict[str, Any]:
        """Return the neuron's state without its activation function, which is looked up again by name on
        unpickling."""
        state = dict(vars(self))
        del state["_act"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._act = self._activation_function()

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether the neuron has an activation at all."""
        return self.activation != "linear"

    def __call__(self, x: Iterable[Operand]) -> Value:
        x = _inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f"a neuron with {len(self.w)} inputs got {len(x)}: {x!r}")
        out = Value.dot(self.w, x)
        if self.b is not None:
            out = out + self.b
        return self._act(out)

    def parameters(self) -> list[Value]:
        return self.w + [p for p in (self.b, self.beta) if p is not None]

    def named_parameters(self) -> list[tuple[str, Value]]:
        named = [(f"w.{i}", w) for i, w in enumerate(self.w)]
        return named + [(n, p) for n, p in (("b", self.b), ("beta", self.beta)) if p is not None]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r}, bias={self.b is not None})"


class Layer(Module):
    """nout neurons on the same inputs; called, a list of outputs (one Value if nout is 1, as micrograd)."""

    def __init__(
        self,
        nin: int,
        nout: int,
        nonlin: bool | None = None,
        *,
        activation: str | None = None,
        bias: bool = True,
        init: str = "uniform",
        rng: Sampler | None = None,
    ) -> None:
        nout = _count("nout", nout)
        self.neurons = [
            Neuron(nin, nonlin, activation=activation, bias=bias, init=init, fan_out=nout, rng=rng)
            for _ in range(nout)
        ]
        for j, neuron in enumerate(self.neurons):
            _number(neuron.parameters(), j)

    @property
    def activation(self) -> str:
        """The activation of the layer's neurons, by name."""
        return self.neurons[0].activation

    def forward(self, x: Iterable[Operand]) -> list[Value]:
        """Return every neuron's output, always as a list."""
        x = _inputs(x)
        return [n(x) for n in self.neurons]

    def __call__(self, x: Iterable[Operand]) -> Value | list[Value]:
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"neurons.{i}.{name}", p) for i, n in enumerate(self.neurons) for name, p in n.named_parameters()
        ]

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)}, {len(self.neurons)}, activation={n.activation!r}, bias={n.b is not None})"


class MLP(Module):
    """Layers of neurons: ``activation`` in the hidden layers, ``output_activation`` (default linear) last.

    ``MLP(2, [16, 16, 1])`` is micrograd's network: ReLU hidden layers, a linear output, weights
    uniform in [-1, 1] drawn from the global ``random`` (or from ``random.Random(seed)``).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str | None = None,
        bias: bool = True,
        seed: int | None = None,
        init: str = "uniform",
    ) -> None:
        if not isinstance(nouts, Sequence) or isinstance(nouts, str):
            raise TypeError(f"nouts must list the layer sizes, as in MLP(2, [16, 16, 1]), got {nouts!r}")
        if not nouts:
            raise ValueError("nouts must list at least one layer size, got []")
        self.activation = _choice("activation", activation, ACTIVATIONS)  # checked even with no hidden layer
        rng: Sampler = random if seed is None else random.Random(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=(output_activation or "linear") if i == last else activation,
                bias=bias,
                init=init,
                rng=rng,
            )
            for i in range(len(nouts))
        ]
        for i, layer in enumerate(self.layers):
            _number(layer.parameters(), i)

    def layer_outputs(self, x: Iterable[Operand]) -> list[list[Value]]:
        """Return each layer's outputs for input x, first layer first (the last is the model's output)."""
        outs = []
        for layer in self.layers:
            x = layer.forward(x)
            outs.append(x)
        return outs

    def __call__(self, x: Iterable[Operand]) -> Value | list[Value]:
        out = self.layer_outputs(x)[-1]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"layers.{i}.{name}", p)
            for i, lay in enumerate(self.layers)
            for name, p in lay.named_parameters()
        ]

    def __repr__(self) -> str:
        sizes = [len(layer.neurons) for layer in self.layers]
        first = self.layers[0].neurons[0]
        return (
            f"MLP({len(first.w)}, {sizes}, activation={self.activation!r}, "
            f"output_activation={self.layers[-1].activation!r}, bias={first.b is not None})"
        )

    # ---- to and from PyTorch ---------------------------------------------------------------------------
    def to_torch(self) -> torch.nn.Sequential:
        """Build an equivalent float64 ``torch.nn.Sequential`` (Linear, activation, ...) with the same
        weights."""
        return torch_interop.to_torch(
            [
                torch_interop.Dense(
                    [[w.data for w in n.w] for n in layer.neurons],
                    [n.b.data for n in layer.neurons if n.b is not None] if layer.neurons[0].b else None,
                    layer.activation,
                )
                for layer in self.layers
            ]
        )

    @classmethod
    def from_torch(cls, module: torch.nn.Module) -> MLP:
        """Build the MLP equal to a ``torch.nn.Sequential`` of Linear layers and activations (as to_torch
        gives)."""
        layers = torch_interop.from_torch(module)
        hidden = {layer.activation for layer in layers[:-1]}
        if len(hidden) > 1:
            raise ValueError(f"an MLP has one hidden activation; this module has {sorted(hidden)}")
        biases = {layer.bias is not None for layer in layers}
        if len(biases) > 1:
            raise ValueError("an MLP has biases in every layer or in none; this module mixes them")
        model = cls(
            len(layers[0].weights[0]),
            [len(layer.weights) for layer in layers],
            activation=layers[0].activation if len(layers) > 1 else "relu",
            output_activation=layers[-1].activation,
            bias=biases.pop(),
            seed=0,  # any: the weights are overwritten, and the global random is left alone
        )
        for layer, dense in zip(model.layers, layers):
            for j, neuron in enumerate(layer.neurons):
                for w, value in zip(neuron.w, dense.weights[j]):
                    w.data = value
                if neuron.b is not None and dense.bias is not None:
                    neuron.b.data = dense.bias[j]
        return model
