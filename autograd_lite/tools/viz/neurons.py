"""The neuron view: a network's forward and backward pass neuron by neuron, as the tutorials teach backprop.

Each neuron's z = w · x + b and activation a = f(z); backward, each neuron's error δ = ∂L/∂z, from the
output layer back (δ = f'(z) Σₖ wₖ δₖ over the layer after, computed once and reused), then each weight's
gradient δ times its input. The numbers are the engine's own, read off the scalar graph after backward.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...core.engine import Value
from ...core.ops import TIMES
from ...learning.models import MLP, Layer, Module, Neuron
from .formula import local_formulas
from .graph import literal
from .render import FONT, require_graphviz

SUM_TERMS = 4  #: A hidden neuron's Σₖ wₖ δₖ is written term by term up to this many terms.


@dataclass(frozen=True)
class NeuronPass:
    """One neuron's part of the graph in one forward pass: its dot node, z and activation a."""

    name: str  #: ``n[1][2]``: layer 1, neuron 2 (``n[2]`` in a lone Layer, ``n`` for a lone Neuron).
    tag: str  #: ``[1][2]``, which z, a and δ carry.
    box: str  #: The id of the neuron's box in the picture.
    neuron: Neuron
    dot: Value
    z: Value
    a: Value
    sources: list[str]  #: What each weight multiplies: ``x[0]`` or ``a[0][1]``.
    inputs: list[float]  #: The data of each of them.
    source_ids: list[str]  #: The box of each of them.
    readers: tuple[Value, ...]  #: The nodes that read a (the next layer's w · x, or the loss).

    @property
    def out(self) -> str:
        """What its output is called: a, or z where the activation is linear (a = z)."""
        return f"a{self.tag}" if self.a is not self.z else f"z{self.tag}"

    @property
    def part(self) -> list[Value]:
        """The neuron's values in the scalar graph: its parameters, w · x, z and a."""
        own = [*self.neuron.parameters(), self.dot, self.z, self.a]
        return list({id(v): v for v in own}.values())


def layers_of(model: Module) -> list[list[Neuron]]:
    """Return a network's neurons layer by layer: an MLP's, a Layer's, or a lone Neuron."""
    if isinstance(model, MLP):
        return [layer.neurons for layer in model.layers]
    if isinstance(model, Layer):
        return [model.neurons]
    if isinstance(model, Neuron):
        return [[model]]
    raise TypeError(
        f"model: the neuron view draws a network of Neurons (an MLP, a Layer or a Neuron), got "
        f"{type(model).__name__}"
    )


def activation_op(neuron: Neuron) -> str:
    """Return the op of the table that a neuron's activation applies ('' for linear: a = z)."""
    return {"linear": "", "swish_beta": "swish"}.get(neuron.activation, neuron.activation)


def find_passes(model: Module, order: list[Value]) -> list[list[NeuronPass]]:
    """Return each neuron's part of the graph of ``order``, layer by layer; refuse, saying why, where the
    graph is not one forward pass of the whole network."""
    layers = layers_of(model)
    users: dict[Value, list[Value]] = {}
    for v in order:
        for p in v.parents:
            users.setdefault(p, []).append(v)
    passes: list[list[NeuronPass]] = []
    for i, neurons in enumerate(layers):
        row = []
        for j, neuron in enumerate(neurons):
            # as the parameters are labelled: w[1][2][0] in an MLP, w[2][0] in a Layer, w[0] in a Neuron
            tag = "".join(
                f"[{k}]"
                for k in ((i, j) if isinstance(model, MLP) else (j,) if isinstance(model, Layer) else ())
            )
            row.append(_pass(neuron, f"n{tag}", tag, f"N{i}_{j}", users, passes[-1] if passes else None))
        passes.append(row)
    return passes


def _pass(
    neuron: Neuron,
    name: str,
    tag: str,
    box: str,
    users: Mapping[Value, list[Value]],
    before: list[NeuronPass] | None,
) -> NeuronPass:
    nin = len(neuron.w)
    dots = [
        u
        for u in {id(u): u for u in users.get(neuron.w[0], [])}.values()
        if u.op == "dot" and len(u.parents) >= nin and all(p is w for p, w in zip(u.parents, neuron.w))
    ]
    if not dots:
        raise ValueError(
            f"model: neuron {name}'s weights are not in the graph: the loss was not computed by it"
        )
    if len(dots) > 1:
        raise ValueError(
            f"model: neuron {name} takes part {len(dots)} times in the graph (a loss over {len(dots)} "
            "samples): the neuron view follows one forward pass through the network; step through one "
            "sample's loss"
        )
    dot = dots[0]
    z = _only(users, dot, "+", neuron.b, name, "z = w · x + b") if neuron.b is not None else dot
    op = activation_op(neuron)
    a = _only(users, z, op, None, name, f"a = {op}(z)") if op else z
    extra = list(dot.parents[nin:])
    if before is None:
        sources = [f"x[{k}]" for k in range(nin)]
        source_ids = [f"Nx{k}" for k in range(nin)]
    else:
        if [id(v) for v in extra] != [id(p.a) for p in before]:
            raise ValueError(
                f"model: neuron {name}'s inputs are not the outputs of the layer before it, in order: the "
                "neuron view follows the network's layers as it computes them"
            )
        sources = [p.out for p in before]
        source_ids = [p.box for p in before]
    inputs = [float(d) for d in dot.local_grads[:nin]]  # d(w · x)/dw is x
    readers = tuple({id(u): u for u in users.get(a, [])}.values())
    return NeuronPass(name, tag, box, neuron, dot, z, a, sources, inputs, source_ids, readers)


def _only(
    users: Mapping[Value, list[Value]], v: Value, op: str, other: Value | None, name: str, what: str
) -> Value:
    """Find the one node that applies op to v (and other), as a neuron computes it."""
    found = [
        u for u in users.get(v, []) if u.op == op and (other is None or any(p is other for p in u.parents))
    ]
    if len(found) != 1:
        raise ValueError(f"model: neuron {name}'s {what} is not in the graph as the neuron computes it")
    return found[0]


def names_by_neuron(passes: list[list[NeuronPass]]) -> dict[Value, str]:
    """Return names for each neuron's values in the scalar graph: ``w·x[1][2]``, ``z[1][2]``, ``a[1][2]``."""
    names: dict[Value, str] = {}
    for row in passes:
        for p in row:
            names[p.dot] = f"w·x{p.tag}"
            names[p.a] = f"a{p.tag}"
            names[p.z] = f"z{p.tag}"  # a linear neuron's a is its z
    return names


@dataclass(frozen=True)
class Record:
    """One step of the neuron view: what it says, about which neuron, and what it fills in."""

    counter: str
    text: str
    target: str | None = None  #: the box the step names
    current: tuple[str, ...] = ()  #: the edges it reads
    shows: tuple[tuple[str, str, str], ...] = ()  #: (box, line's prefix, new text)


class NeuronView:
    """The neuron view's steps and picture for a network that computed ``root`` (after backward)."""

    def __init__(
        self,
        passes: list[list[NeuronPass]],
        root: Value,
        names: Mapping[Value, str],
        held: Mapping[Value, tuple[Any, Any]],
        fmt: str,
    ) -> None:
        self.passes, self.root, self.fmt = passes, root, fmt
        self._names = names
        self._held = held  # the parameters that held a grad before backward: (that grad, this pass's)
        self.deltas = {p.name: float(p.z.grad) for row in passes for p in row}  #: δ = ∂L/∂z by neuron
        self._drawn_root = not any(p.a is root for p in passes[-1])
        self.records = self._forward() + self._backward()

    def _n(self, x: Any) -> str:
        return format(float(x), self.fmt)

    def _forward(self) -> list[Record]:
        names, n = self._names, self._n
        count = sum(len(row) for row in self.passes)
        records = [
            Record(
                "forward: start",
                "forward: the inputs "
                + ", ".join(
                    f"{s} = {n(x)}" for s, x in zip(self.passes[0][0].sources, self.passes[0][0].inputs)
                )
                + "; each neuron computes z = w · x + b and a = f(z), layer by layer",
                shows=tuple(
                    (box, line, "?")
                    for row in self.passes
                    for p in row
                    for box, line in ((p.box, "z "), (p.box, "a "), (p.box, "δ "))
                )
                + ((("NL", "data ", "?"), ("NL", "grad ", "?")) if self._drawn_root else ()),
            )
        ]
        k = 0
        for row in self.passes:
            for p in row:
                k += 1
                w = p.neuron.w
                terms = [f"{names[wk]} {TIMES} {s}" for wk, s in zip(w, p.sources)]
                numbers = [f"{n(wk.data)} {TIMES} {n(x)}" for wk, x in zip(w, p.inputs)]
                if p.neuron.b is not None:
                    terms.append(names[p.neuron.b])
                    numbers.append(n(p.neuron.b.data))
                text = f"forward {p.name}: z{p.tag} = {' + '.join(terms)} = {' + '.join(numbers)}"
                text += f" = {n(p.z.data)}"
                act = activation_op(p.neuron)
                if act:
                    beta = f", {names[p.neuron.beta]}" if p.neuron.beta is not None else ""
                    text += f"; a{p.tag} = {act}(z{p.tag}{beta}) = {n(p.a.data)}"
                records.append(
                    Record(
                        f"forward {k} of {count}",
                        text,
                        target=p.box,
                        current=tuple(f"{p.box}_in{i}" for i in range(len(w))),
                        shows=((p.box, "z ", n(p.z.data)), (p.box, "a ", n(p.a.data))),
                    )
                )
        if self._drawn_root:
            outputs = ", ".join(f"{p.out} = {n(p.a.data)}" for p in self.passes[-1])
            records.append(
                Record(
                    "forward: loss",
                    f"forward: {names[self.root]} = {n(self.root.data)}, from the network's output {outputs}",
                    target="NL",
                    current=tuple(f"NL_in{j}" for j in range(len(self.passes[-1]))),
                    shows=(("NL", "data ", n(self.root.data)),),
                )
            )
        return records

    def _backward(self) -> list[Record]:
        names, n = self._names, self._n
        root = names[self.root]
        records = [
            Record(
                "backward: start",
                f"backward from {root}: ∂{root}/∂{root} = 1; each neuron's error δ = ∂{root}/∂z, from the "
                f"output layer back, then each weight's gradient δ {TIMES} its input",
                target="NL" if self._drawn_root else None,
                shows=(("NL", "grad ", n(1.0)),) if self._drawn_root else (),
            )
        ]
        for i in range(len(self.passes) - 1, -1, -1):
            after = self.passes[i + 1] if i + 1 < len(self.passes) else None
            records += [self._delta(p, j, after) for j, p in enumerate(self.passes[i])]
            records += [self._gradients(p) for p in self.passes[i]]
        return records

    def _delta(self, p: NeuronPass, j: int, after: list[NeuronPass] | None) -> Record:
        """Return the step that gives δ = ∂L/∂z: f'(z) times ∂L/∂a, which for a hidden neuron is Σₖ wₖ δₖ over
        the layer after."""
        n, root = self._n, self._names[self.root]
        delta = float(p.z.grad)
        terms = ""  # the sum's terms with their numbers, where it is written term by term
        if after is not None and {id(u) for u in p.readers} == {id(q.dot) for q in after}:
            ws = [q.neuron.w[j] for q in after]
            if len(after) <= SUM_TERMS:
                upstream = (
                    "(" + " + ".join(f"{self._names[w]} {TIMES} δ{q.tag}" for w, q in zip(ws, after)) + ")"
                )
                terms = (
                    "(" + " + ".join(f"{n(w.data)} {TIMES} {n(q.z.grad)}" for w, q in zip(ws, after)) + ")"
                )
            else:
                upstream = f"Σₖ wₖ δₖ (the {len(after)} neurons of the layer after)"
            edges = tuple(f"{q.box}_in{j}" for q in after)
        else:
            upstream = f"∂{root}/∂{p.out}"
            edges = (f"NL_in{j}",) if self._drawn_root and after is None else ()
        slope = self._slope(p)
        if slope is None:  # linear: a = z
            text = f"δ{p.tag} = {upstream} = " + (f"{terms} = " if terms else "") + n(delta)
        else:
            rule, local = slope
            f = f"{activation_op(p.neuron)}\u2032(z{p.tag})"
            text = (
                f"δ{p.tag} = {f} {TIMES} {upstream} = "
                + (f"{n(local)} {TIMES} {terms} = " if terms else "")
                + f"{n(local)} {TIMES} {n(p.a.grad)} = {n(delta)}, where {f} = {rule}"
            )
        return Record(f"δ of {p.name}", text, target=p.box, current=edges, shows=((p.box, "δ ", n(delta)),))

    def _slope(self, p: NeuronPass) -> tuple[str, float] | None:
        """Return f'(z) as the op table's rule writes it, and its number; None for a linear neuron
        (f'(z) = 1)."""
        if p.a is p.z:
            return None
        names = {**self._names, p.z: f"z{p.tag}", p.a: f"a{p.tag}"}
        rule = local_formulas(p.a, names, self.fmt)[0] or f"∂a{p.tag}/∂z{p.tag}"
        rule = rule.replace(f"z{p.tag}.data", f"z{p.tag}").replace(f"a{p.tag}.data", f"a{p.tag}")
        return rule, float(p.a.local_grads[0])

    def _gradients(self, p: NeuronPass) -> Record:
        """Return the step that gives each parameter's gradient: δ times what it multiplies (1 for the
        bias)."""
        n, root, names = self._n, self._names[self.root], self._names
        delta = n(p.z.grad)
        rows = [
            (w, f"δ{p.tag} {TIMES} {s} = {delta} {TIMES} {n(x)}")
            for w, s, x in zip(p.neuron.w, p.sources, p.inputs)
        ]
        if p.neuron.b is not None:
            rows.append((p.neuron.b, f"δ{p.tag}"))
        if p.neuron.beta is not None:
            beta = p.neuron.beta
            chain = f"∂{root}/∂a{p.tag} {TIMES} ∂a{p.tag}/∂{names[beta]}"
            rows.append((beta, f"{chain} = {n(p.a.grad)} {TIMES} {n(p.a.local_grads[1])}"))
        parts = []
        for param, how in rows:
            before, now = self._held.get(param, (None, param.grad))
            text = f"∂{root}/∂{names[param]} = {how} = {n(now)}"
            if before is not None:  # backward adds this pass's to what the parameter held
                text += f"; {names[param]}.grad = {n(before)} + {n(now)} = {n(param.grad)}"
            parts.append(text)
        return Record(
            f"gradients of {p.name}",
            "\n".join(parts),
            target=p.box,
            current=tuple(f"{p.box}_in{i}" for i in range(len(p.neuron.w))),
        )

    def updates(self, updates: Sequence[tuple[Value, str]]) -> list[Record]:
        """Group the optimizer's updates, (parameter, the update as arithmetic), neuron by neuron."""
        records = []
        for row in self.passes:
            for p in row:
                own = {id(v) for v in p.neuron.parameters()}
                texts = [text for param, text in updates if id(param) in own]
                if texts:
                    records.append(Record(f"update of {p.name}", "\n".join(texts), target=p.box))
        return records

    def table(self, updates: Sequence[tuple[Value, str]]) -> str:
        """Return every step as a row: what it is, and the equation with its numbers."""
        rows = self.records + self.updates(updates)
        width = max(len(r.counter) for r in rows)
        lines = [
            f"neuron view: {len(self.passes[0][0].inputs)} inputs, {sum(map(len, self.passes))} neurons in "
            f"{len(self.passes)} layer{'s' * (len(self.passes) > 1)}, δ = ∂{self._names[self.root]}/∂z"
        ]
        for r in rows:
            first, *more = r.text.split("\n")
            lines.append(f"{r.counter.ljust(width)}  {first}")
            lines += [" " * (width + 2) + line for line in more]
        return "\n".join(lines)

    def dot(self) -> Any:
        """Build the picture: a box per input, per neuron (z, a, δ) and for the loss, by layer, left to
        right."""
        names, n = self._names, self._n
        dot = require_graphviz().Digraph(
            graph_attr={"rankdir": "LR", "fontname": FONT, "ranksep": "1.1", "nodesep": "0.25"},
            # a wider margin than Graphviz's own: the text fits its box in fonts wider than Graphviz measured
            node_attr={
                "fontname": FONT,
                "fontsize": "11",
                "shape": "box",
                "style": "rounded,filled",
                "margin": "0.15,0.06",
            },
            edge_attr={"arrowsize": "0.6", "color": "#777777"},
        )
        first = self.passes[0][0]
        with dot.subgraph() as column:
            column.attr(rank="same")
            for k, (s, x) in enumerate(zip(first.sources, first.inputs)):
                column.node(f"Nx{k}", literal(f"{s}\ndata {n(x)}"), id=f"Nx{k}", fillcolor="#eef3fb")
            for k in range(1, len(first.inputs)):
                column.edge(f"Nx{k - 1}", f"Nx{k}", style="invis")
        for row in self.passes:
            with dot.subgraph() as column:
                column.attr(rank="same")
                for p in row:
                    act = p.neuron.activation
                    lines = [f"{p.name}  {act}", f"z {n(p.z.data)}", f"a {n(p.a.data)}", f"δ {n(p.z.grad)}"]
                    column.node(p.box, literal("\n".join(lines)), id=p.box, fillcolor="white")
                for upper, lower in itertools.pairwise(row):  # neuron 0 on top, as the labels count
                    column.edge(upper.box, lower.box, style="invis")
            for p in row:
                for k, (w, source) in enumerate(zip(p.neuron.w, p.source_ids)):
                    dot.edge(source, p.box, id=f"{p.box}_in{k}", tooltip=literal(names[w]))
        if self._drawn_root:
            loss = f"{names[self.root]}\ndata {n(self.root.data)}\ngrad {n(self.root.grad)}"
            dot.node("NL", literal(loss), id="NL", fillcolor="#fdf1dc")
            for j, p in enumerate(self.passes[-1]):
                dot.edge(p.box, "NL", id=f"NL_in{j}")
        return dot
