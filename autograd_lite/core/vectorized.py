"""compile()'s NumPy replay: a tape's nodes as a few array operations, forward then backward.

Nodes of one depth and one op form a group, evaluated by one call on arrays. The groups are laid out
one after another, each one's nodes in the order of their arguments, so that most reads and writes are
slices (a layer's outputs feed the next group in the order they were written). A group of dot products
that pairs every row of weights with every row of inputs (a dense layer over a batch) is one matrix
product, and so is its backward; a sum is one reduction. The rest runs by each op's array form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from . import modes
from .node import math_error
from .ops import DOT, SUM, Op, array_math

#: A node of a tape: its op, the positions of its Value arguments, and its numbers.
TapeNode = tuple[Op, tuple[int, ...], tuple[float, ...]]
#: Nodes of one depth and op: the op, their positions, and whether backward runs over them.
Group = tuple[Op, list[int], bool]

_CHECKED = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}

#: How far the NumPy replay's numbers lie from eager's at most: this times the largest output (or the
#: largest gradient) of the call, for each output (each gradient). NumPy's tanh and exp differ from the C
#: library's by up to 2 ulp and it adds up in another order; measured 3e-14 on networks as initialized or
#: 8x saturated, by benchmarks/bench_replay_agreement.py. Relative to itself a small number can differ far
#: more: where a unit saturates, 1 - tanh(x) ** 2 is a few ulp of 1, and so is tanh's rounding.
AGREEMENT = 1e-13


class Index:
    """Positions a group reads or writes, as an array of a shape. Where they are evenly spaced (a layer's
    outputs, its weights row by row or column by column) the array is read and written through a view;
    where each of some positions repeats in blocks (a bias, once per sample) those are read and their
    shares added up at once; else the positions are gathered, and repeats add up one by one."""

    def __init__(self, positions: Any, np: Any, size: int, first: int = 0) -> None:
        self.np = np
        self.shape = positions.shape
        self.positions = positions
        #: Whether any position is past ``first`` (the inputs): else nothing reads the grads added there.
        self.needs_grad = bool((positions >= first).any())
        self.view = _view(positions, size, np)
        #: Distinct positions that repeat in blocks: (their Index, times each, "repeat" or "tile").
        self.blocks: tuple[Index, int, str] | None = None
        self.repeats: tuple[Any, Any] | None = None  # the distinct positions and where each value goes
        if self.view is None and positions.ndim == 1 and positions.size > 1:
            flat, n = positions, positions.size
            run = int(np.argmax(flat != flat[0])) or n  # how many times the first position comes first
            again = np.flatnonzero(flat[1:] == flat[0])  # where it comes back, if the whole pattern repeats
            if run > 1 and n % run == 0 and (flat == np.repeat(flat[::run], run)).all():
                self.blocks = Index(flat[::run], np, size), run, "repeat"
            elif (
                again.size
                and n % (period := int(again[0]) + 1) == 0
                and (flat == np.tile(flat[:period], n // period)).all()
            ):
                self.blocks = Index(flat[:period], np, size), n // period, "tile"
        if self.view is None and self.blocks is None:
            unique, inverse = np.unique(positions.ravel(), return_inverse=True)
            if unique.size < positions.size:
                self.repeats = unique, inverse.ravel()

    def get(self, array: Any) -> Any:
        """Get the values at the positions: a view of the array where they are evenly spaced, else a copy."""
        if self.view is not None:
            return self.view(array)
        if self.blocks is not None:
            inner, r, how = self.blocks
            values = inner.get(array)
            return self.np.repeat(values, r) if how == "repeat" else self.np.tile(values, r)
        return array[self.positions]

    def set(self, array: Any, values: Any) -> None:
        """Write values at the positions (which a node's outputs hold once each)."""
        if self.view is not None:
            self.view(array)[...] = values
        else:
            array[self.positions] = values

    def add(self, array: Any, values: Any) -> None:
        """Add values (of the shape, or broadcast to it) at the positions, each repeat's share too."""
        if self.view is not None:
            view = self.view(array)
            view += values
        elif self.blocks is not None:
            inner, r, how = self.blocks
            spread = self.np.broadcast_to(values, self.shape)
            inner.add(
                array, spread.reshape(-1, r).sum(axis=1) if how == "repeat" else spread.reshape(r, -1).sum(0)
            )
        elif self.repeats is None:
            array[self.positions] += values
        else:
            unique, inverse = self.repeats
            spread = self.np.broadcast_to(values, self.shape).ravel()
            array[unique] += self.np.bincount(inverse, spread, minlength=unique.size)


def _view(positions: Any, size: int, np: Any, turned: bool = False) -> Callable[[Any], Any] | None:
    """Return a view of an array of ``size`` at these positions, if they are evenly spaced: a strided slice;
    or, for a matrix, a slice cut into rows (or columns) of which a leading part is taken. Else None."""
    flat = positions.ravel()
    start, n = int(flat[0]), flat.size
    shape = positions.shape
    if positions.ndim <= 2 and n > 1 and not turned:  # positions falling along an axis: a view reversed
        second = [tuple(int(k == axis) for k in range(positions.ndim)) for axis in range(positions.ndim)]
        falling = tuple(
            slice(None, None, -1) if length > 1 and positions[at] < flat[0] else slice(None)
            for at, length in zip(second, shape)
        )
        if any(f.step for f in falling):
            inner = _view(positions[falling], size, np, turned=True)
            return None if inner is None else (lambda a: inner(a)[falling])
    if positions.ndim == 1 or 1 in shape:
        step = int(flat[1] - flat[0]) if n > 1 else 1
        if step < 1 or not (flat == start + step * np.arange(n)).all():
            return None
        cut = slice(start, start + step * (n - 1) + 1, step)
        return (lambda a: a[cut]) if positions.ndim == 1 else (lambda a: a[cut].reshape(shape))
    if positions.ndim != 2:
        return None
    rows, columns = shape
    down, across = int(positions[1, 0]) - start, int(positions[0, 1]) - start
    grid = start + down * np.arange(rows)[:, None] + across * np.arange(columns)
    if not (positions == grid).all():
        return None
    if across == 1 and down >= columns and start + rows * down <= size:  # row by row, maybe with gaps
        cut = slice(start, start + rows * down)
        return lambda a: a[cut].reshape(rows, down)[:, :columns]
    if down == 1 and across >= rows and start + columns * across <= size:  # column by column
        cut = slice(start, start + columns * across)
        return lambda a: a[cut].reshape(columns, across)[:, :rows].T
    return None


class Map:
    """A group of nodes of one op, by the op's array form: one array per argument, element by element."""

    def __init__(self, op: Op, out: Index, args: list[Index], consts: list[Any], np: Any) -> None:
        self.op, self.out, self.args, self.consts = op, out, args, consts
        self.vector = partial(op.vector, array_math(np)) if op.vector else None

    def forward(self, vals: Any) -> Any:
        rows = [a.get(vals) for a in self.args]
        try:
            if self.vector is None:
                raise FloatingPointError
            result: Sequence[Any] = self.vector(*rows, *self.consts)
        except FloatingPointError:  # no array form, or outside an op's domain: the float forms say
            result = _one_by_one(self.op, rows, self.consts)
        self.out.set(vals, result[0])
        return result[1:]  # the local gradients, one per argument (arrays, or a number for all)

    def backward(self, grads: Any, saved: Any) -> None:
        g = self.out.get(grads)
        for a, local in zip(self.args, saved):
            if a.needs_grad:
                a.add(grads, local * g)


class Sum:
    """A group of sums of Values: one reduction over their arguments (one row each)."""

    def __init__(self, out: Index, args: Index, consts: list[Any]) -> None:
        self.out, self.args, self.consts = out, args, consts

    def forward(self, vals: Any) -> None:
        total = self.args.get(vals).sum(axis=0)  # row after row, in the order the engine adds them
        self.out.set(vals, sum(self.consts, total))

    def backward(self, grads: Any, saved: Any) -> None:
        if self.args.needs_grad:
            self.args.add(grads, self.out.get(grads))


class MatMul:
    """Dot products of every row of weights with every row of inputs: out = W @ X.T, and back."""

    def __init__(self, out: Index, ws: Index, xs: Index) -> None:
        self.out, self.ws, self.xs = out, ws, xs

    def forward(self, vals: Any) -> tuple[Any, Any]:
        w, x = self.ws.get(vals), self.xs.get(vals)
        self.out.set(vals, w @ x.T)
        return w, x

    def backward(self, grads: Any, saved: tuple[Any, Any]) -> None:
        w, x = saved
        g = self.out.get(grads)
        if self.ws.needs_grad:
            self.ws.add(grads, g @ x)
        if self.xs.needs_grad:  # not for a network's inputs
            self.xs.add(grads, g.T @ w)


class Dot:
    """Dot products that are not a dense layer: each column of weights times its column of inputs."""

    def __init__(self, out: Index, args: Index) -> None:
        self.out, self.args = out, args

    def forward(self, vals: Any) -> Any:
        rows = self.args.get(vals)
        k = len(rows) // 2
        self.out.set(vals, (rows[:k] * rows[k:]).sum(axis=0))
        return rows

    def backward(self, grads: Any, rows: Any) -> None:
        if not self.args.needs_grad:
            return
        k = len(rows) // 2
        self.args.add(grads, rows[list(range(k, 2 * k)) + list(range(k))] * self.out.get(grads))


#: One array operation of a plan, over a group of nodes, forward and back.
Operation = Map | Sum | MatMul | Dot


class Plan:
    """A tape's interior nodes as groups of array operations, and where each node's value is kept."""

    def __init__(
        self, nodes: list[TapeNode], buckets: list[Group], n_inputs: int, first: int, np: Any
    ) -> None:
        """Lay out ``buckets``, the nodes' groups (from ``groups()``), as array operations."""
        self.np, self.n_inputs = np, n_inputs
        self.size = first + len(nodes)
        place = np.arange(first + len(nodes))  # inputs and parameters keep theirs; nodes go group by group
        self.steps: list[Operation] = []
        self.n_backward_steps = 0
        at = first
        for op, members, backward in buckets:
            rows = np.array([nodes[i - first][1] for i in members], dtype=np.intp)  # a bucket has one arity
            args = place[rows]  # where its arguments' values are kept: earlier groups are placed already
            ordered = np.lexsort(args.T[::-1])  # the nodes sorted by their arguments' places
            place[np.array(members)[ordered]] = np.arange(at, at + len(members))
            consts = [nodes[members[k] - first][2] for k in ordered.tolist()]
            self.steps.append(self._step(op, args[ordered], consts, at))
            at += len(members)
            self.n_backward_steps += backward
        #: Each position's place in the arrays.
        self.place: list[int] = place.tolist()

    def _index(self, positions: Any) -> Index:
        return Index(positions, self.np, self.size, self.n_inputs)

    def _step(self, op: Op, args: Any, consts: list[tuple[float, ...]], start: int) -> Operation:
        """Build the group's array operation; ``args``: its nodes' arguments' places, a row per node."""
        np, index = self.np, self._index
        out = np.arange(start, start + len(args))
        columns = [np.array(column, dtype=float) for column in zip(*consts)]
        table = args.T  # one row per argument, one column per node
        if op is SUM:
            return Sum(index(out), index(table), columns)
        if op is DOT and not columns:
            dense = _dense(table, out, index, np)
            return dense if dense is not None else Dot(index(out), index(table))
        return Map(op, index(out), [index(row) for row in table], columns, np)

    def run(
        self, inputs: Sequence[float], params: Sequence[float], n_first: int, root: int, backward: bool = True
    ) -> tuple[Any, Any]:
        """Run forward over every group, then (unless not ``backward``) backward from root over root's; return
        the values and the grads (None without backward)."""
        np = self.np
        vals = np.empty(self.size)
        vals[: len(inputs)] = inputs
        vals[len(inputs) : n_first] = params
        saved: list[Any] = []
        with np.errstate(**_CHECKED):
            for step in self.steps:
                try:
                    saved.append(step.forward(vals))
                except FloatingPointError:  # a sum or a product overflows: to inf, as floats do
                    with np.errstate(all="ignore"):
                        saved.append(step.forward(vals))
        if not backward:
            return vals, None
        grads = np.zeros(self.size)
        grads[self.place[root]] = 1.0
        with np.errstate(all="ignore"):  # 0 * inf is NaN here as in the eager engine, with no warning
            for k in range(self.n_backward_steps - 1, -1, -1):
                self.steps[k].backward(grads, saved[k])
        return vals, grads


def groups(nodes: list[TapeNode], first: int, n_backward: int) -> list[Group]:
    """Bucket the nodes by depth, op and arity, in order of depth: root's subgraph, then the rest;
    return each bucket's op, its nodes' positions, and whether backward runs over it."""
    depth = [0] * (first + len(nodes))  # inputs and parameters: 0
    parts: list[dict[tuple[int, Op, int, int], list[int]]] = [{}, {}]
    for i, (op, args, consts) in enumerate(nodes, first):
        d = depth[i] = 1 + max(map(depth.__getitem__, args), default=0)
        parts[i - first >= n_backward].setdefault((d, op, len(args), len(consts)), []).append(i)
    return [
        (key[1], members, part is parts[0])
        for part in parts
        for key, members in sorted(part.items(), key=lambda item: item[0][0])
    ]


def _dense(table: Any, out: Any, index: Callable[[Any], Index], np: Any) -> MatMul | None:
    """Return the dot products as one matrix product, if they pair every distinct row of weights with every
    distinct row of inputs (their nodes sorted by weights, then inputs); else None."""
    k = len(table) // 2
    ws, xs = table[:k].T, table[k:].T
    n_w = len(np.unique(ws, axis=0))
    n_x = len(ws) // n_w
    if n_w * n_x != len(ws):
        return None
    ws, xs = ws.reshape(n_w, n_x, k), xs.reshape(n_w, n_x, k)
    if not ((ws == ws[:, :1]).all() and (xs == xs[:1]).all()):
        return None
    return MatMul(index(out.reshape(n_w, n_x)), index(ws[:, 0]), index(xs[0]))


def _one_by_one(op: Op, rows: list[Any], consts: list[Any]) -> list[list[float]]:
    """Run the group's forward with the op's float form, node by node: the engine's errors and NaN rules."""
    results = []
    for xs in zip(*(r.tolist() for r in rows), *(c.tolist() for c in consts)):
        try:
            results.append(op.forward(*xs))
        except modes.MATH_ERRORS as e:
            results.append(math_error(op, xs, e))
    return [list(column) for column in zip(*results)]
