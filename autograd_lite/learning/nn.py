"""Neurons, layers and multilayer perceptrons built on Value, in micrograd's spellings.

A neuron is one dot-product node, plus its bias, through its activation. Parameters come out in
micrograd's order (layer by layer, neuron by neuron, weights then bias) under stable dotted names,
and a model's weights go to and from JSON files and PyTorch modules without losing a bit.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from ..core.engine import Operand, Value
from ..core.files import write_atomic
from ..core.ops import TABLE, Activation

__all__ = [
    "ACTIVATIONS",
    "FILE_FORMAT",
    "FILE_VERSION",
    "INITS",
    "MLP",
    "TORCH_ACTIVATIONS",
    "Layer",
    "Module",
    "Neuron",
    "Sampler",
]

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
        """A number drawn uniformly between a and b."""

    def gauss(self, mu: float, sigma: float) -> float:
        """A number drawn from the normal distribution with mean mu and standard deviation sigma."""


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

FILE_FORMAT = "autograd-lite state_dict"  #: The tag that ``Module.save()`` writes and ``load()`` checks.
FILE_VERSION = 1  #: The version of that file format that this autograd-lite writes and reads.


def _choice(kind: str, name: str, table: Mapping[str, Any]) -> str:
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}")
    return name


def _count(what: str, n: object) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return n


class Module:
    """Anything with parameters. Subclasses list them in ``named_parameters()`` (or micrograd-style in
    ``parameters()``); the rest (state_dict, save, load, zero_grad) is built on that.
    """

    def parameters(self) -> list[Value]:
        """The Values to train (the leaves that the optimizer updates), in micrograd's order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(dotted name, parameter) pairs in ``parameters()`` order."""
        if type(self).parameters is Module.parameters:
            return []
        return [(str(i), p) for i, p in enumerate(self.parameters())]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, since the next backward pass adds to it."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name (a copy: changing it does not change the model)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from ``state``; on any mismatch raise and change nothing."""
        named = self.named_parameters()
        problems = _mismatch(dict(named), state)
        if problems:
            raise ValueError(f"state does not fit {type(self).__name__}: {problems}")
        values = [float(state[name]) for name, _ in named]  # type: ignore[arg-type]  # checked by _mismatch
        for (_, p), x in zip(named, values):
            p.data = x

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to ``path`` as JSON, atomically: the file is whole or untouched."""
        text = json.dumps({"format": FILE_FORMAT, "version": FILE_VERSION, "parameters": self.state_dict()})
        write_atomic(Path(path), (text + "\n").encode())

    def load(self, path: str | os.PathLike[str]) -> None:
        """Set the parameters from a file written by ``save``; on any problem raise and change nothing."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(f"no saved model at {str(path)!r}") from None
        except UnicodeDecodeError:
            raise ValueError(f"{str(path)!r} is not a saved model: not UTF-8 text") from None
        try:
            saved = json.loads(text)
        except ValueError as e:
            raise ValueError(f"{str(path)!r} is not a saved model: not valid JSON ({e})") from None
        except RecursionError:
            raise ValueError(
                f"{str(path)!r} is not a saved model: not valid JSON (nested too deeply)"
            ) from None
        if not (isinstance(saved, dict) and saved.get("format") == FILE_FORMAT):
            raise ValueError(f"{str(path)!r} is not a saved model: no {FILE_FORMAT!r} format tag")
        if saved.get("version") != FILE_VERSION:
            raise ValueError(
                f"{str(path)!r} has format version {saved.get('version')!r}; this autograd-lite reads "
                f"version {FILE_VERSION}"
            )
        state = saved.get("parameters")
        if not isinstance(state, dict):
            raise ValueError(f"{str(path)!r} is not a saved model: 'parameters' is not an object")
        try:
            self.load_state_dict(state)
        except ValueError as e:
            raise ValueError(f"{str(path)!r}: {e}") from None


def _mismatch(params: Mapping[str, Value], state: Mapping[str, object]) -> str:
    """What keeps ``state`` from loading into ``params`` ('' if nothing): missing, unexpected, non-numbers."""

    def some(names: list[str]) -> str:
        shown = ", ".join(names[:5])
        return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    missing = [n for n in params if n not in state]
    unexpected = [n for n in state if n not in params]
    bad = [n for n in params if n in state and not _is_number(state[n])]
    huge = {n: x for n, x in state.items() if n in params and _too_large(x)}
    problems = []
    if missing or unexpected:
        problems.append(f"it has {len(state)} parameters, the model {len(params)}")
    if missing:
        problems.append(f"missing {some(missing)}")
    if unexpected:
        problems.append(f"unexpected {some(unexpected)}")
    if bad:
        problems.append("not a number: " + some([f"{n}={state[n]!r}" for n in bad]))
    if huge:
        shown = some(
            [f"{n}\u2248{'-' if x < 0 else ''}10**{math.floor(math.log10(abs(x)))}" for n, x in huge.items()]
        )
        problems.append(f"not a usable number, too large for a float: {shown}")
    return "; ".join(problems)


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _too_large(x: object) -> TypeGuard[int]:
    """Whether x is an integer too large for a float: JSON may hold an integer of any size."""
    if not isinstance(x, int):
        return False
    try:
        float(x)
    except OverflowError:
        return True
    return False


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
        self.w = [Value(sample(draw, nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0) if bias else None
        self.beta = Value(1.0) if activation == "swish_beta" else None
        act = ACTIVATIONS[activation]
        self._act = partial(_swish, beta=self.beta) if self.beta is not None else act

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether the neuron has an activation at all."""
        return self.activation != "linear"

    def __call__(self, x: Sequence[Operand]) -> Value:
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

    @property
    def activation(self) -> str:
        """The activation of the layer's neurons, by name."""
        return self.neurons[0].activation

    def forward(self, x: Sequence[Operand]) -> list[Value]:
        """Every neuron's output, always as a list."""
        return [n(x) for n in self.neurons]

    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
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

    def layer_outputs(self, x: Sequence[Operand]) -> list[list[Value]]:
        """Each layer's outputs for input x, first layer first (the last is the model's output)."""
        outs = []
        for layer in self.layers:
            x = layer.forward(x)
            outs.append(x)
        return outs

    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
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
        """An equivalent float64 ``torch.nn.Sequential`` (Linear, activation, ...) with the same weights."""
        _require_torch("to_torch()")
        import torch

        modules: list[torch.nn.Module] = []
        for layer in self.layers:
            neurons = layer.neurons
            # skip_init: no random initialisation, which would draw from torch's generator
            linear: torch.nn.Linear = torch.nn.utils.skip_init(  # type: ignore[no-untyped-call]
                torch.nn.Linear,
                len(neurons[0].w),
                len(neurons),
                bias=neurons[0].b is not None,
                dtype=torch.float64,
            )
            with torch.no_grad():
                linear.weight.copy_(
                    torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64)
                )
                if linear.bias is not None:
                    biases = [n.b.data for n in neurons if n.b is not None]
                    linear.bias.copy_(torch.tensor(biases, dtype=torch.float64))
            modules.append(linear)
            if layer.activation != "linear":
                modules.append(_torch_activation(torch, layer.activation))
        return torch.nn.Sequential(*modules)

    @classmethod
    def from_torch(cls, module: torch.nn.Module) -> MLP:
        """The MLP equal to a ``torch.nn.Sequential`` of Linear layers and activations (as to_torch gives)."""
        _require_torch("from_torch()")
        import torch

        names = {type(_torch_activation(torch, name)): name for name in TORCH_ACTIVATIONS}
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
        hidden = set(acts[:-1])
        if len(hidden) > 1:
            raise ValueError(f"an MLP has one hidden activation; this module has {sorted(hidden)}")
        biases = {m.bias is not None for m in linears}
        if len(biases) > 1:
            raise ValueError("an MLP has biases in every layer or in none; this module mixes them")
        model = cls(
            linears[0].in_features,
            [m.out_features for m in linears],
            activation=acts[0] if len(acts) > 1 else "relu",
            output_activation=acts[-1],
            bias=biases.pop(),
            seed=0,  # any: the weights are overwritten, and the global random is left alone
        )
        for layer, linear in zip(model.layers, linears):
            weights = linear.weight.detach().double().tolist()
            bias = linear.bias.detach().double().tolist() if linear.bias is not None else None
            for j, neuron in enumerate(layer.neurons):
                for w, value in zip(neuron.w, weights[j]):
                    w.data = value
                if neuron.b is not None and bias is not None:
                    neuron.b.data = bias[j]
        return model


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


def _torch_activation(torch: Any, name: str) -> Any:
    if name not in TORCH_ACTIVATIONS:
        raise ValueError(f"to_torch() has no PyTorch module for activation {name!r}")
    module, arguments = TORCH_ACTIVATIONS[name]
    return getattr(torch.nn, module)(**arguments)


def _torch_defaults(torch: Any, m: Any) -> bool:
    """Whether a torch activation module has the arguments that make it our activation of the same kind."""
    ((_, arguments),) = [a for a in TORCH_ACTIVATIONS.values() if type(m) is getattr(torch.nn, a.torch)]
    return all(getattr(m, k) == v for k, v in arguments.items())
