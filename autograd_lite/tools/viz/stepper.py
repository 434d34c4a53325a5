"""The backprop stepper: backward() one chain-rule application at a time, as records, a table, a page."""

from __future__ import annotations

import base64
import html
import json
import os
import re
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any, Literal, NamedTuple

from ...core.engine import Value
from ...core.files import write_atomic
from ...core.graph import Step, run_backward
from ...core.node import topological_order
from ...core.ops import TABLE, TIMES
from ...learning.models import Module
from ...learning.optim import Optimizer
from .formula import local_formulas, update_formulas
from .graph import (
    DEFAULT_MAX_NODES,
    build,
    check_options,
    check_size,
    edge_id,
    node_ids,
    shown_label,
    value_names,
)
from .neurons import NeuronView, Record, find_passes, names_by_neuron
from .render import Renderer, check_renderer, raster, render

FRAME_HEIGHT = 680  #: The tallest a stepper's frame in a notebook is, in CSS px.


class Stepper:
    """backward() from one root, recorded: ``.steps``, a text table, and a page to step through it."""

    def __init__(
        self,
        root: Value,
        *,
        rankdir: Literal["LR", "TB"],
        fmt: str,
        max_nodes: int,
        renderer: Renderer,
        optimizer: Optimizer | None = None,
        model: Module | None = None,
    ) -> None:
        check_options(rankdir, fmt)
        self.renderer = check_renderer(renderer)
        self._order = topological_order(root)
        self._max_nodes = max_nodes  # checked where the graph is drawn: the records and table take any size
        self._rankdir = rankdir
        self._fmt = fmt
        passes = None if model is None else find_passes(model, self._order)  # refused before backward
        # Unlabeled values get names in graph order, so that every equation can be found in the picture; a
        # network's z, a and w · x by their neuron's place.
        self._names = value_names(self._order)
        if passes is not None:
            self._names.update({v: name for v, name in names_by_neuron(passes).items() if not v.label})
        self.steps: list[Step[Value]] = []  #: Each chain-rule application, in backward's order.
        # the leaves that held a grad before: (that grad, this pass's sum), which backward adds at the end
        self._held = {
            leaf: (before, now) for leaf, before, now in run_backward(root, on_step=self.steps.append)
        }
        #: With a model, the neuron view: its steps, and each neuron's δ.
        self.neurons = None if passes is None else NeuronView(passes, root, self._names, self._held, fmt)
        #: With a model, each neuron's error δ = ∂L/∂z (its pre-activation's gradient), by name (``n[1][2]``).
        self.deltas: dict[str, float] = {} if self.neurons is None else self.neurons.deltas
        self._formulas: dict[Value, list[str | None]] = {}
        #: With an optimizer, its update of each parameter in the graph, after backward (the step is taken).
        self.updates: list[Update] = (
            [] if optimizer is None else _update(optimizer, self._order, self._names, fmt)
        )
        self._training_step = optimizer is not None

    def _number(self, x: Any) -> str:
        return format(float(x), self._fmt)

    def equation(self, step: Step[Value]) -> str:
        """Write the step as arithmetic: ``w1.grad += x1.data * n.grad = 2 * 0.5 = 1``, with a times sign.

        The local gradient is written as its op's rule gives it, or as ``∂n/∂x`` where that is long.
        """
        names, n, x = self._names, self._number, TIMES
        if step.node not in self._formulas:
            self._formulas[step.node] = local_formulas(step.node, names, self._fmt)
        local = self._formulas[step.node][step.arg] or f"∂{names[step.node]}/∂{names[step.parent]}"
        return (
            f"{names[step.parent]}.grad += {local} {x} {names[step.node]}.grad"
            f" = {n(step.local)} {x} {n(step.upstream)} = {n(step.contribution)}"
        )

    def __str__(self) -> str:
        names, n = self._names, self._number
        head = ("step", "node", "parent", "local", "upstream", "contribution", "parent.grad after")
        rows = [
            (str(i), names[s.node], names[s.parent], n(s.local), n(s.upstream), n(s.contribution), n(s.grad))
            for i, s in enumerate(self.steps, 1)
        ]
        widths = [max(len(r[c]) for r in [head, *rows]) for c in range(len(head))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [head, *rows]]
        root = self._order[-1]
        lines.insert(0, f"backward from {names[root]}: {names[root]}.grad = 1, then {len(rows)} steps")
        if self._held:
            lines.append(self._held_text())
        if self.neurons is not None:
            lines = [
                self.neurons.table([(u.param, u.text) for u in self.updates]),
                "",
                "the same backward, value by value:",
                *lines,
            ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the table of steps: what a notebook shows where it cannot run the page."""
        return str(self)

    def _held_text(self) -> str:
        """Describe the end of backward(): leaves add the grads they held before it (PyTorch's
        accumulation)."""
        n = self._number
        sums = [
            f"{self._names[leaf]}.grad = {n(before)} + {n(now)} = {n(leaf.grad)}"
            for leaf, (before, now) in self._held.items()
        ]
        return "leaves add the grads they held before: " + "; ".join(sums)

    def _frames(self) -> list[dict[str, Any]]:
        """Return what the page shows at each position: the text, the marked parts, the grads (and, for a
        whole training step, the data) that change, and where it is."""
        ids, n, root = node_ids(self._order), self._number, self._order[-1]
        frames: list[dict[str, Any]] = []
        if self._training_step:
            computed = [v for v in self._order if v.parents]
            frames.append(
                _frame(
                    "forward: inputs and parameters hold their data; each other value is computed in order",
                    "forward: start",
                    # the parameters as they were before the step, which the picture (drawn after) is not
                    shows=[(ids[v], "data ", "?") for v in computed]
                    + [(ids[u.param], "data ", n(u.before)) for u in self.updates]
                    + [(ids[v], "grad ", n(0.0)) for v in self._order],
                )
            )
            for k, v in enumerate(computed, 1):
                i = ids[v]
                frames.append(
                    _frame(
                        self._forward_text(v),
                        f"forward {k} of {len(computed)}",
                        target=i,
                        current=["op" + i, *(edge_id(i, a) for a in range(len(v.parents))), "out" + i],
                        shows=[(i, "data ", n(v.data))],
                    )
                )
        steps = len(self.steps)
        frames.append(
            _frame(
                f"start: {self._names[root]}.grad = 1 (d{self._names[root]}/d{self._names[root]});"
                " every other grad starts at 0",
                f"start of {steps} steps",
                upstream=ids[root],
                shows=[(ids[v], "grad ", n(1.0 if v is root else 0.0)) for v in self._order],
            )
        )
        for k, s in enumerate(self.steps, 1):
            i = ids[s.node]
            frames.append(
                _frame(
                    self.equation(s),
                    f"step {k} of {steps}",
                    upstream=i,
                    target=ids[s.parent],
                    current=["op" + i, edge_id(i, s.arg), "out" + i],
                    shows=[(ids[s.parent], "grad ", n(s.grad))],
                )
            )
        if self._held:
            changed = [(ids[leaf], "grad ", n(leaf.grad)) for leaf in self._held]
            frames.append(_frame(self._held_text(), "end: leaves add what they held", shows=changed))
        for k, u in enumerate(self.updates, 1):
            frames.append(
                _frame(
                    u.text,
                    f"update {k} of {len(self.updates)}",
                    target=ids[u.param],
                    shows=[(ids[u.param], "data ", n(u.after))],
                )
            )
        return frames

    def _forward_text(self, v: Value) -> str:
        """Describe a value computed in the forward pass, and the local gradients memoized with it."""
        names, n = self._names, self._number
        args = [f"{names[p]}.data" for p in v.parents] + [n(c) for c in v.constants]
        expression = _expression(shown_label(v.op), args)  # a hand-made node's op name: any text
        locals_ = "; ".join(
            f"\u2202{names[v]}/\u2202{names[p]} = {n(d)}" for p, d in zip(v.parents, v.local_grads)
        )
        memo = f"; memoized {locals_}" if locals_ else ""
        return f"forward: {names[v]}.data = {expression} = {n(v.data)}{memo}"

    def to_html(self) -> str:
        """Return one self-contained page: the graph as inline SVG, the steps as JSON, and a little
        JavaScript; with a model, the neuron view first and the value view one click away."""
        check_size(self._order, self._max_nodes)
        dot = build(
            self._order, self._names, rankdir=self._rankdir, fmt=self._fmt, show_grad=True, highlight=()
        )
        views = []
        if self.neurons is not None:
            svg = _inline(render(self.neurons.dot().source, self.renderer)).replace(
                'id="graph0"', 'id="neurons-graph0"', 1
            )
            records = self.neurons.records + self.neurons.updates([(u.param, u.text) for u in self.updates])
            views.append(("neurons", "neurons-", svg, [_record_frame(r) for r in records]))
        views.append(("values", "", _inline(render(dot.source, self.renderer)), self._frames()))
        data = json.dumps(
            {
                "views": [
                    {"key": key, "prefix": prefix, "frames": frames} for key, prefix, _, frames in views
                ],
                "links": self._links(),
            },
            ensure_ascii=False,
        )
        # In a script element only "</" can end it early; "<", ">" and "&" as \u escapes stay valid JSON.
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        sections = "".join(
            _SECTION.substitute(key=key, p=prefix, svg=svg, hidden=" hidden" if k else "")
            for k, (key, prefix, svg, _) in enumerate(views)
        )
        tabs = _TABS if len(views) > 1 else ""
        template = Template((files(__package__) / "stepper.html").read_text(encoding="utf-8"))
        return template.substitute(tabs=tabs, views=sections, frames=data)

    def _links(self) -> dict[str, dict[str, Any]]:
        """Return where each neuron opens the value view: the step that gives its z its grad (δ), with its
        values marked."""
        if self.neurons is None:
            return {}
        ids = node_ids(self._order)
        # the value view's start of backward: after the forward pass's frames, in a training step
        start = 1 + sum(1 for v in self._order if v.parents) if self._training_step else 0
        links = {}
        for row in self.neurons.passes:
            for p in row:
                into_z = [
                    k
                    for k, s in enumerate(self.steps, 1)
                    if (s.parent is p.z and s.node is p.a) or (p.a is p.z and s.node is p.z)
                ]
                at = start + (into_z[0] if into_z else 0)
                links[p.box] = {"at": at, "part": [ids[v] for v in p.part if v in ids]}
        return links

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page (``to_html()``) to an ``.html`` file, whole or not at all."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"save() writes an .html page, got {str(path)!r}")
        write_atomic(path, self.to_html().encode())
        return path

    def _repr_html_(self) -> str:
        """Return the page in an isolated frame, so that several steppers in one notebook do not share ids;
        and a static view, the graph (with its final grads) and the table, for where the page cannot run. The
        frame starts hidden, and a script swaps it for the static view: an untrusted notebook drops both the
        frame and the script, and a page that runs no scripts (a static render) keeps the frame hidden."""
        page = self.to_html()
        heights = re.findall(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', page)
        px = round(max(float(h) for h in heights) * 4 / 3) if heights else 400
        # the controls, the equation (a neuron's are longer) and the graph's view, which scrolls past its
        # share of 680 px: the frame fits what it shows, and whole in a notebook in a 1440 x 900 window
        extra = 170 if self.neurons is None else 260
        view = min(px, FRAME_HEIGHT - extra)
        frame = (
            f'<iframe srcdoc="{html.escape(page)}" sandbox="allow-scripts" '
            f'style="display: none; width: 100%; height: {view + extra}px; border: 0"></iframe>'
        )
        try:  # no picture where no PNG can be made (no resvg-py, or no font for its text): the table shows
            start = page.index("<svg")
            png = raster(page[start : page.index("</svg>", start) + len("</svg>")])
            encoded = base64.b64encode(png).decode()
            picture = f'<img src="data:image/png;base64,{encoded}" alt="the graph after backward">'
        except RuntimeError:
            picture = ""
        static = (
            '<div class="autograd-lite-static">'
            "<p>To step through backprop, run this cell in Jupyter, or trust the notebook.</p>"
            f"{picture}<pre>{html.escape(str(self))}</pre></div>"
        )
        swap = "s.previousElementSibling.remove(); s.previousElementSibling.style.display = ''"
        return f"{frame}{static}<script>var s = document.currentScript; {swap};</script>"


def _inline(svg: str) -> str:
    """Make an SVG document an element of an HTML page: the XML prolog and doctype have no place there."""
    return svg[svg.index("<svg") :]


# One view of the page: its controls, its equation, and its picture; the value view's ids have no prefix.
_SECTION = Template(
    """<section class="view" id="${key}"${hidden}>
<div class="controls">
  <button id="${p}prev" type="button">&#9664; Prev</button>
  <input id="${p}slider" class="slider" type="range" min="0" max="0" value="0" aria-label="step">
  <button id="${p}next" type="button">Next &#9654;</button>
  <span id="${p}counter" class="counter"></span>
  <span class="hint" id="${p}hint">click here, then the arrow keys, Home and End step too</span>
  <span class="zoom"><button id="${p}zoom-out" type="button" aria-label="zoom out">&minus;</button><button
    id="${p}zoom-fit" type="button">fit</button><button id="${p}zoom-in" type="button"
    aria-label="zoom in">+</button></span>
</div>
<div id="${p}equation" class="equation"></div>
<div id="${p}graph" class="graph">
${svg}
</div>
</section>
"""
)
_TABS = """<div id="tabs" role="tablist">
  <button id="show-neurons" type="button" role="tab">neurons</button><button id="show-values" type="button"
    role="tab">values</button>
  <span class="hint">click a neuron to see its part of the scalar graph</span>
</div>
"""


def _frame(
    text: str,
    counter: str,
    *,
    upstream: str | None = None,
    target: str | None = None,
    current: list[str] | None = None,
    shows: list[tuple[str, str, str]] | None = None,
) -> dict[str, Any]:
    """Return what the page shows at one position; ``shows``: (box, the prefix of one of its lines, what
    follows the prefix from here on)."""
    return {
        "text": text,
        "counter": counter,
        "upstream": upstream,
        "target": target,
        "current": current or [],
        "shows": shows or [],
    }


def _record_frame(r: Record) -> dict[str, Any]:
    return _frame(r.text, r.counter, target=r.target, current=list(r.current), shows=list(r.shows))


def _expression(op: str, args: list[str]) -> str:
    """Return how the forward pass computes a value from its arguments: as the table writes its operator where
    it has one (a reflected one, ``r-``, with its number first), else as a call."""
    entry = _BY_NAME.get(op)
    if entry is not None and entry.infix and len(args) == 2:
        first, second = args[::-1] if op.startswith("r") else args
        return f"{first} {entry.infix} {second}"
    if entry is not None and entry.infix and len(args) == 1:
        return f"{entry.infix}{args[0]}"
    if op == "sum":
        return " + ".join(args)
    if op == "dot":
        half = len(args) // 2
        return " + ".join(f"{w} {TIMES} {x}" for w, x in zip(args[:half], args[half:]))
    return f"{op}({', '.join(args)})"


_BY_NAME = {entry.name: entry for entry in TABLE}


class Update(NamedTuple):
    """One parameter's update by the optimizer: its data before and after, and the rule with its numbers."""

    param: Value  #: The parameter.
    before: float  #: Its data before the step.
    grad: float  #: Its grad, which the step reads.
    after: float  #: Its data after the step.
    text: str  #: The update as arithmetic.


def _update(optimizer: Optimizer, order: list[Value], names: dict[Value, str], fmt: str) -> list[Update]:
    """Take the optimizer's step, and say what it did to each parameter in the graph: its rule run on
    formulas, each quantity the rule names, and the parameter's data before and after."""
    in_graph = {id(v) for v in order}
    rule, state_names = optimizer.rule()
    symbols = [optimizer.SYMBOLS.get(state, state) for state in state_names]
    states = [getattr(optimizer, state) for state in state_names]
    before = [
        (p.data, float(p.grad), [0.0 if values is None else float(values[i]) for values in states])
        for i, p in enumerate(optimizer.params)
    ]
    optimizer.step()
    updates = []
    for p, (data, grad, state) in zip(optimizer.params, before):
        if id(p) not in in_graph:
            continue
        named, new = update_formulas(rule, names[p], data, grad, dict(zip(symbols, state)), fmt)

        def n(x: float) -> str:
            return format(float(x), fmt)

        given = ", ".join([f"grad {n(grad)}", *(f"{s} {n(v)}" for s, v in zip(symbols, state))])
        steps = [*named, f"{names[p]}.data = {new.text}: {n(data)} \u2192 {n(p.data)}"]
        updates.append(Update(p, data, grad, p.data, f"update ({given}): " + "; ".join(steps)))
    return updates


def step_through(
    root: Value,
    *,
    rankdir: Literal["LR", "TB"] = "LR",
    fmt: str = ".4g",
    max_nodes: int = DEFAULT_MAX_NODES,
    renderer: Renderer = "auto",
    optimizer: Optimizer | None = None,
    model: Module | None = None,
) -> Stepper:
    """Run ``root.backward()`` one chain-rule application at a time, recording each; grads end as its do.

    With an ``optimizer``, the whole training step: the page first computes the forward pass value by
    value, with each local gradient memoized, then steps through backward, then takes the optimizer's
    step and shows its update of each parameter with its numbers (the parameters are updated, as
    ``optimizer.step()`` does). ``max_nodes`` limits the graph the page draws (``to_html``, ``save``), as
    ``draw``'s does; the records and text take any size.

    With the ``model`` (an MLP, Layer or Neuron) that computed ``root`` in one forward pass, the neuron
    view as the tutorials teach backprop: a box per input, neuron and the loss; each neuron's z and
    activation, then, from the output layer back, its error δ = ∂L/∂z with the formula and numbers that
    give it, and each weight's gradient δ times its input (``deltas``, ``neurons.records``). The page
    opens on it, and a click on a neuron opens its part of the scalar graph.
    """
    return Stepper(
        root,
        rankdir=rankdir,
        fmt=fmt,
        max_nodes=max_nodes,
        renderer=renderer,
        optimizer=optimizer,
        model=model,
    )
