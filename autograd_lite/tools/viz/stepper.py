"""The backprop stepper: backward() one chain-rule application at a time, as records, a table, a page."""

from __future__ import annotations

import html
import json
import os
import re
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any, Literal

from ...core.engine import Step, Value, run_backward, topological_order
from ...core.files import write_atomic
from .formula import TIMES, local_formulas
from .graph import (
    DEFAULT_MAX_NODES,
    build,
    check_options,
    check_size,
    edge_id,
    node_ids,
    value_names,
)
from .render import Renderer, check_renderer, render


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
    ) -> None:
        check_options(rankdir, fmt)
        self.renderer = check_renderer(renderer)
        self._order = topological_order(root)
        self._max_nodes = max_nodes  # checked where the graph is drawn: the records and table take any size
        self._rankdir = rankdir
        self._fmt = fmt
        # Unlabeled values get names in graph order, so that every equation can be found in the picture.
        self._names = value_names(self._order)
        self.steps: list[Step] = []  #: Each chain-rule application, in backward's order.
        # the leaves that held a grad before: (that grad, this pass's sum), which backward adds at the end
        self._held = {
            leaf: (before, now) for leaf, before, now in run_backward(root, on_step=self.steps.append)
        }
        self._formulas: dict[Value, list[str | None]] = {}

    def _number(self, x: Any) -> str:
        return format(float(x), self._fmt)

    def equation(self, step: Step) -> str:
        """The step as arithmetic: ``w1.grad += x1.data * n.grad = 2 * 0.5 = 1``, with a times sign.

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
        return "\n".join(lines)

    def __repr__(self) -> str:
        """The table of steps: what a notebook shows where it cannot run the page."""
        return str(self)

    def _held_text(self) -> str:
        """The end of backward(): leaves add the grads they held before it (PyTorch's accumulation)."""
        n = self._number
        sums = [
            f"{self._names[leaf]}.grad = {n(before)} + {n(now)} = {n(leaf.grad)}"
            for leaf, (before, now) in self._held.items()
        ]
        return "leaves add the grads they held before: " + "; ".join(sums)

    def _frames(self) -> list[dict[str, Any]]:
        """What the page shows at each position: the text, the marked parts, and the grads that change."""
        ids, n, root = node_ids(self._order), self._number, self._order[-1]
        start: dict[str, Any] = {
            "text": f"start: {self._names[root]}.grad = 1 (d{self._names[root]}/d{self._names[root]});"
            " every other grad starts at 0",
            "upstream": ids[root],
            "target": None,
            "current": [],
            "grads": [[ids[v], n(1.0 if v is root else 0.0)] for v in self._order],
        }
        frames = [start]
        for s in self.steps:
            i = ids[s.node]
            frames.append(
                {
                    "text": self.equation(s),
                    "upstream": i,
                    "target": ids[s.parent],
                    "current": ["op" + i, edge_id(i, s.arg), "out" + i],
                    "grads": [[ids[s.parent], n(s.grad)]],
                }
            )
        if self._held:
            changed = [[ids[leaf], n(leaf.grad)] for leaf in self._held]
            frames.append(
                {"text": self._held_text(), "upstream": None, "target": None, "current": [], "grads": changed}
            )
        return frames

    def to_html(self) -> str:
        """One self-contained page: the graph as inline SVG, the steps as JSON, and a little JavaScript."""
        check_size(self._order, self._max_nodes)
        dot = build(
            self._order, self._names, rankdir=self._rankdir, fmt=self._fmt, show_grad=True, highlight=()
        )
        svg = render(dot.source, "svg", self.renderer).decode()
        svg = svg[svg.index("<svg") :]  # the XML prolog and doctype have no place inside HTML
        data = json.dumps(self._frames(), ensure_ascii=False)
        # In a script element only "</" can end it early; "<", ">" and "&" as \u escapes stay valid JSON.
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        template = Template((files(__package__) / "stepper.html").read_text(encoding="utf-8"))
        return template.substitute(svg=svg, frames=data)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page (``to_html()``) to an ``.html`` file, whole or not at all."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"save() writes an .html page, got {str(path)!r}")
        write_atomic(path, self.to_html().encode())
        return path

    def _repr_html_(self) -> str:
        """The page in an isolated frame, so that several steppers in one notebook do not share ids."""
        page = self.to_html()
        height = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', page)
        px = round(float(height.group(1)) * 4 / 3) if height else 400
        return (
            f'<iframe srcdoc="{html.escape(page)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {px + 180}px; border: 0"></iframe>'
        )


def step_through(
    root: Value,
    *,
    rankdir: Literal["LR", "TB"] = "LR",
    fmt: str = ".4g",
    max_nodes: int = DEFAULT_MAX_NODES,
    renderer: Renderer = "auto",
) -> Stepper:
    """Run ``root.backward()`` one chain-rule application at a time, recording each; grads end as its do.

    ``max_nodes`` limits the graph the page draws (``to_html``, ``save``); the records and text take any size.
    """
    return Stepper(root, rankdir=rankdir, fmt=fmt, max_nodes=max_nodes, renderer=renderer)
