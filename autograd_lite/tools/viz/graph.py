"""Drawing a computation graph: a box per Value (name, data, grad) and a small node per op, built as DOT."""

from __future__ import annotations

import base64
import contextlib
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from ...core.engine import Value
from ...core.files import write_atomic
from ...core.node import topological_order
from ...core.ops import TABLE
from .render import FONT, Renderer, check_renderer, raster, render, require_graphviz

DEFAULT_MAX_NODES = 300
#: The ``layers_passed`` a picture may have for each value that ``max_nodes`` allows. Graphviz's work
#: grows with them: 300 values' worth (12,000) lay out in 1 s to 4 s; 55,860 (161 values, each the sum of
#: the 20 before it) took 50 s to 80 s, and 89,102 (x**300 as 300 products) crashed the system dot 2.43.
LAYERS_PER_NODE = 40
#: Up to this many ``layers_passed``, Graphviz lays out with its full effort; past it, with less in
#: proportion, which keeps the rounds of its costliest steps to what it does at this many.
FULL_EFFORT_LAYERS = 2000
# How each op reads in a picture, from the op table: its symbol (a minus sign for ``-``) or name, and with
# one folded number its ``shown`` form (``x * 0.5`` is ``* 0.5``; ``2 - x``, constant first, is ``2 -``).
_BY_NAME = {op.name: op for op in TABLE}


# Characters a label cannot show as themselves: controls (a NUL, a newline), format characters (a bidi
# override, which reverses the text after it; a zero-width space), line and paragraph separators, lone
# surrogates (no UTF-8 has them) and noncharacters (U+FFFE, which SVG viewers refuse).
_UNSHOWN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def shown_label(label: str) -> str:
    """Return a label as pictures, pages and tables show it: each character that cannot show as itself written
    as a Python escape (``\\x00``, ``\\u202e``, ``\\U0010ffff``), so the text reads as it is, in order."""
    return "".join(_escape(c) if _unshown(c) else c for c in label)


def _unshown(c: str) -> bool:
    point = ord(c)
    return unicodedata.category(c) in _UNSHOWN or 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


def _escape(c: str) -> str:
    point = ord(c)
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def value_names(order: list[Value]) -> dict[Value, str]:
    """Return what pictures and the stepper call each value: its label, or ``v`` and its place in the graph's
    order, so that an equation's names can be found in the picture."""
    return {v: shown_label(v.label) or f"v{i}" for i, v in enumerate(order)}


def literal(text: str) -> str:
    """Escape a label so that Graphviz shows it as written: graphviz's escaping, and ``&`` too, since Graphviz
    reads entities such as ``&amp;`` in any label."""
    return str(require_graphviz().escape(text.replace("&", "&amp;")))


def check_size(order: list[Value], max_nodes: int) -> None:
    """Refuse a graph too large to draw legibly, or too dense to lay out in seconds, saying how large or
    dense it is and how to draw it anyway."""
    if len(order) > max_nodes:
        raise ValueError(
            f"the graph has {len(order):,} values, more than max_nodes={max_nodes} can show legibly; "
            f"pass max_nodes={len(order)} (--max-nodes {len(order)} on the command line) to draw it anyway"
        )
    passed = layers_passed(order, _columns(order))
    if passed > max_nodes * LAYERS_PER_NODE:
        need = max(len(order), math.ceil(passed / LAYERS_PER_NODE))
        raise ValueError(
            f"the graph's edges pass {passed:,} layers of the picture on their way between values (values "
            f"that each read many earlier ones), more than max_nodes={max_nodes} allows ({LAYERS_PER_NODE} a "
            f"value: {max_nodes * LAYERS_PER_NODE:,}, which Graphviz lays out in seconds); pass "
            f"max_nodes={need} (--max-nodes {need} on the command line) to draw it anyway, slowly"
        )


#: The longest a number may be written in a picture (``fmt=".17g"`` writes 24 characters at most).
MAX_NUMBER_LENGTH = 40
# Numbers that fmt is tried on: a negative one with four digits before the point, a small one, and two
# that are not finite.
_SAMPLES = (-1234.5678, 1e-7, math.nan, -math.inf)


def check_options(rankdir: str, fmt: str) -> None:
    """Refuse a direction other than 'LR' or 'TB', and a number format that is no format spec for floats,
    writes long numbers, or writes characters that cannot show as themselves (a NUL as the fill)."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
    spec = f"fmt must be a format spec for floats, such as '.4g' or '.3f', got {fmt!r}"
    if not isinstance(fmt, str):
        raise ValueError(spec)
    # a width or precision past the limit is refused before any number is written: '100000000' writes
    # 100 MB per number, '.100000000f' as many digits
    widest = max((int(digits) for digits in re.findall(r"\d+", fmt)), default=0)
    if widest > MAX_NUMBER_LENGTH:
        raise ValueError(
            f"fmt must write numbers of at most {MAX_NUMBER_LENGTH} characters, got {fmt!r}: a width or "
            f"precision of {widest:,}"
        )
    try:
        numbers = [format(x, fmt) for x in _SAMPLES]
    except (ValueError, TypeError):
        raise ValueError(spec) from None
    longest = max(zip(numbers, _SAMPLES), key=lambda pair: len(pair[0]))
    if len(longest[0]) > MAX_NUMBER_LENGTH:
        raise ValueError(
            f"fmt must write numbers of at most {MAX_NUMBER_LENGTH} characters, got {fmt!r}, which writes "
            f"{longest[1]} in {len(longest[0])} characters"
        )
    hidden = next((n for n in numbers if shown_label(n) != n), None)
    if hidden is not None:
        raise ValueError(
            f"fmt must write numbers in characters that show as themselves, got {fmt!r}, which writes "
            f"{hidden!r}"
        )


def op_text(node: Value, fmt: str) -> str:
    """Return how the op that made ``node`` reads in a picture, its folded numbers included (``* 0.5``)."""
    numbers = [format(c, fmt) for c in node.constants]
    op = _BY_NAME.get(node.op)
    if op and op.shown and len(numbers) == 1:
        return op.shown.format(numbers[0])
    symbol = op.symbol if op and op.symbol else shown_label(node.op)  # a hand-made node's name: any text
    return " ".join([symbol, ", ".join(numbers)]).strip()


def node_ids(order: list[Value]) -> dict[Value, str]:
    """Return the id of each value's box in the DOT and the SVG; its op node is ``op`` + id."""
    return {v: f"v{i}" for i, v in enumerate(order)}


def edge_id(node_id: str, arg: int) -> str:
    """Return the id of the edge from a node's ``arg``-th parent into its op node."""
    return f"{node_id}_{arg}"


def build(
    order: list[Value],
    names: Mapping[Value, str],
    *,
    rankdir: Literal["LR", "TB"],
    fmt: str,
    show_grad: bool,
    highlight: Iterable[Value],
) -> Any:
    """Build the DOT graph of ``order``, values named by ``names``; all text goes through graphviz's
    escaping."""
    check_options(rankdir, fmt)
    ids = node_ids(order)
    marked = set(highlight)
    strangers = marked - ids.keys()
    if strangers:
        raise ValueError(f"highlight: {next(iter(strangers))!r} is not in the graph being drawn")
    columns = _columns(order)
    effort = min(1.0, FULL_EFFORT_LAYERS / max(1, layers_passed(order, columns)))
    dot = require_graphviz().Digraph(
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "ordering": "in",  # parents in argument order
            # Graphviz's work bounded: rounds of crossing reduction (mclimit) and of network simplex, which
            # places the boxes (nslimit), fewer as edges pass more layers; and ranking's few (nslimit1).
            # 291 values, each the sum of the 7 before, took 5 s with full effort, 1 s so.
            "mclimit": f"{effort:.3g}",
            "nslimit": f"{2 * effort:.3g}",
            "nslimit1": "2",
        },
        node_attr={"fontname": FONT, "fontsize": "11", "height": "0.3"},
        edge_attr={"arrowsize": "0.6"},
    )
    for v in order:
        i = ids[v]
        lines = [names[v], f"data {format(v.data, fmt)}"]
        if show_grad:
            lines.append(f"grad {format(float(v.grad), fmt)}")
        fill = "#ffe9a8" if v in marked else "white"
        text = "\n".join(line for line in lines if line)
        dot.node(i, literal(text), id=i, shape="box", style="rounded,filled", fillcolor=fill)
        if v.parents:
            dot.node("op" + i, literal(op_text(v, fmt)), id="op" + i, shape="ellipse", fontsize="10")
            for k, parent in enumerate(v.parents):
                dot.edge(ids[parent], "op" + i, id=edge_id(i, k))
            dot.edge("op" + i, i, id="out" + i)
    for column in columns:
        with dot.subgraph() as same:
            same.attr(rank="same")
            for v in column:
                same.node(ids[v])
    return dot


def _columns(order: list[Value]) -> list[list[Value]]:
    """Return the leaves to draw in the column of a value they are combined with, rather than all in the
    first.

    A leaf (a weight, a bias) that an op combines with computed values goes beside the last computed
    of them: a layer's weights line up with the outputs of the layer before, as a network is drawn.
    """
    place = {id(v): i for i, v in enumerate(order)}
    beside: dict[int, list[Value]] = {}
    placed: set[int] = set()
    for v in order:
        computed = [p for p in v.parents if p.parents]
        # a leaf goes by its first use only: a later value may be computed from it, a column it cannot share
        leaves = list({id(p): p for p in v.parents if not p.parents and id(p) not in placed}.values())
        placed.update(id(p) for p in leaves)
        if computed and leaves:
            anchor = max(computed, key=lambda p: place[id(p)])
            beside.setdefault(id(anchor), [anchor]).extend(leaves)
    return list(beside.values())


def layers_passed(order: list[Value], columns: list[list[Value]]) -> int:
    """Return how many layers of the picture (its columns, or rows: Graphviz's ranks) the edges pass between
    the boxes they join.

    Layered as Graphviz first ranks them: an op one layer after its last computed argument and its value
    one after the op; a leaf in its column, else just before its first use. Graphviz places a point
    where an edge passes a layer, so its work grows with these: values that each read many earlier
    ones make tens of thousands.
    """
    op_rank: dict[int, int] = {}  # the layer of each computed value's op; its box is one after
    for v in order:
        if v.parents:
            op_rank[id(v)] = 1 + max((op_rank[id(p)] + 1 for p in v.parents if p.parents), default=0)
    box = {key: rank + 1 for key, rank in op_rank.items()}
    for column in columns:
        for leaf in column[1:]:
            box[id(leaf)] = box[id(column[0])]
    passed = 0
    for v in order:
        for p in v.parents:
            box.setdefault(id(p), op_rank[id(v)] - 1)  # a leaf outside a column: just before its first use
            passed += max(0, abs(op_rank[id(v)] - box[id(p)]) - 1)
    return passed


class GraphView:
    """A drawn graph: its DOT ``source``, SVG, files, and inline SVG in Jupyter."""

    def __init__(self, dot: Any, renderer: Renderer, summary: str = "") -> None:
        self._dot = dot
        self.renderer = renderer
        self._summary = summary

    def __repr__(self) -> str:
        """Return what a notebook shows where it cannot show the picture: the graph's root and size."""
        return f"<graph of {self._summary}: {self.renderer} renderer; .to_svg(), .save(path)>"

    @property
    def source(self) -> str:
        """The graph in the DOT language."""
        return str(self._dot.source)

    def to_svg(self) -> str:
        """Render the picture as an SVG document, from the system ``dot`` or the embedded Graphviz."""
        return render(self.source, self.renderer)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``.svg``, ``.dot`` or ``.png`` (the SVG drawn by resvg, scaled down to 50 megapixels if
        larger), whole or not at all."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            data = self.to_svg().encode()
        elif suffix == ".dot":
            data = self.source.encode()
        elif suffix == ".png":
            data = raster(self.to_svg())
        else:
            raise ValueError(f"save() writes .svg, .dot or .png files, got {str(path)!r}")
        write_atomic(path, data)
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Return what Jupyter shows: the SVG, and a PNG of it, which an untrusted notebook shows where it
        hides SVG; no PNG where one cannot be made (no resvg-py, or no font for its text): the text shows
        instead."""
        svg = self.to_svg()
        bundle: dict[str, Any] = {"image/svg+xml": svg, "text/plain": repr(self)}
        with contextlib.suppress(RuntimeError):
            bundle["image/png"] = base64.b64encode(raster(svg)).decode()
        return bundle


def draw(
    root: Value,
    *,
    rankdir: Literal["LR", "TB"] = "LR",
    fmt: str = ".4g",
    show_grad: bool = True,
    highlight: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
    renderer: Renderer = "auto",
) -> GraphView:
    """Draw the graph that computed ``root``: each Value's label, data and grad, and the op that made it.

    ``rankdir`` is 'LR' (left to right) or 'TB' (top to bottom); ``fmt`` formats the numbers.
    ``max_nodes`` bounds the values drawn and, 40 for each, the layers of the picture their edges pass,
    which bound Graphviz's work; a larger or denser graph is refused, saying how large or dense it is.
    """
    renderer = check_renderer(renderer)
    require_graphviz()  # before any work
    order = topological_order(root)
    check_size(order, max_nodes)
    names = value_names(order)
    dot = build(order, names, rankdir=rankdir, fmt=fmt, show_grad=show_grad, highlight=highlight)
    ops = sum(1 for v in order if v.parents)
    summary = f"{names[root]} = {format(root.data, fmt)}, {len(order)} values and {ops} op{'s' * (ops != 1)}"
    return GraphView(dot, renderer, summary)
