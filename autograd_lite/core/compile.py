"""compile(): record the graph a function builds once, then replay it on new numbers.

A training step rebuilds the same graph every time: same ops, new numbers. A compiled function records
the graph on its first call for each shape of its inputs (a tape: its nodes in topological order, each
with its op and the positions of its arguments), and later calls run the tape over flat arrays, forward
then backward, making no Value objects. With NumPy, nodes of the same depth and op are evaluated
together, one call per group, by each op's ``vector`` form in the op table; without it, a loop calls each
op's float forward. Results match the eager engine: the pure-Python replay to the last bit, the NumPy
one to rounding (it adds up the gradient contributions in another order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, Literal, NamedTuple

from . import engine
from .engine import Value
from .ops import Op, array_math

Backend = Literal["auto", "numpy", "python"]  #: How a compiled function replays: see compile().
#: The shape of a call's inputs or outputs: None for a number or a Value; (list or tuple, (child shapes, ...))
#: for a list or tuple. A compiled function records one tape per shape of its inputs.
Shape = Any
#: A node of a tape: its op, the positions of its Value arguments, and its numbers.
Node = tuple[Op, tuple[int, ...], tuple[float, ...]]

_CHECKED = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}
#: With backend="auto", smaller tapes replay in pure Python: NumPy's fixed cost per group of nodes (about
#: half a millisecond a call for an MLP) is more than it saves below this (measured for MLP(2, [16, 16, 1])
#: on 1 to 100 points: NumPy wins from about 300 nodes, and by 2x at 800).
AUTO_NUMPY_NODES = 400


def compile(
    f: Callable[..., Any], *, backend: Backend = "auto", static_argnums: int | Sequence[int] = ()
) -> Compiled:
    """f, compiled: call it with numbers (or nested lists of numbers) where f takes Values.

    A call returns f's outputs as floats and, as ``backward()`` on f's first output would, adds that
    output's gradient to the ``.grad`` of every Value leaf it depends on (the parameters f closes over).
    ``static_argnums``: the positions of arguments that f gets as they are, numbers and not Values (such
    as targets, or a class index): as JAX's static arguments, f is recorded again for each new value of
    them, so it may branch on them and check them on every call. ``backend``: ``"numpy"`` (vectorized),
    ``"python"``, or ``"auto"``: NumPy, if it is installed, for graphs of at least ``AUTO_NUMPY_NODES``
    nodes, where it pays off; the pure-Python replay otherwise.
    """
    return Compiled(f, backend, static_argnums)


class Compiled:
    """A function of Values, recorded once per shape of its inputs (and value of its static arguments)
    and replayed on new numbers."""

    def __init__(
        self, f: Callable[..., Any], backend: Backend = "auto", static_argnums: int | Sequence[int] = ()
    ) -> None:
        self.f = f
        self.np = _numpy(backend)
        self.min_numpy_nodes = AUTO_NUMPY_NODES if backend == "auto" else 0
        self.static = _positions(static_argnums)
        #: The recorded tapes, one per shape of the inputs and value of the static arguments seen so far.
        self.tapes: dict[Any, Tape] = {}

    @property
    def backend(self) -> str:
        """The replay for a large enough graph: 'numpy' or 'python' (each tape has its own ``backend``)."""
        return "python" if self.np is None else "numpy"

    def __call__(self, *args: Any) -> Any:
        static = {i if i >= 0 else len(args) + i for i in self.static}
        if any(not 0 <= i < len(args) for i in static):
            raise TypeError(f"static_argnums {sorted(self.static)} is out of range for {len(args)} arguments")
        given = {i: a for i, a in enumerate(args) if i in static}
        flat: list[float] = []
        shape = _flatten_inputs(tuple(a for i, a in enumerate(args) if i not in static), flat)
        mode = engine.current_mode()
        if mode.anomaly or not mode.grad:  # to check each op, or with no graph to record: run f eagerly
            _, outputs, out_shape = self._trace(flat, shape, given)
            if mode.grad:
                outputs[0].backward()
            return _unflatten(out_shape, iter([v.data for v in outputs]))
        key = (shape, _frozen(given))
        tape = self.tapes.get(key)
        if tape is None:
            with engine.tracing():
                inputs_, outputs, out_shape = self._trace(flat, shape, given)
            tape = self.tapes[key] = Tape(inputs_, outputs, out_shape, self.np, self.min_numpy_nodes)
        return tape.run(flat)

    def _trace(
        self, flat: list[float], shape: Shape, static: dict[int, Any]
    ) -> tuple[list[Value], list[Value], Shape]:
        """Call f on new leaves holding the inputs, and the static arguments as they are; f's inputs, its
        outputs flattened, and their shape."""
        inputs = [Value(x) for x in flat]
        dynamic = iter(_unflatten(shape, iter(inputs)))
        args = [static[i] if i in static else next(dynamic) for i in range(len(static) + len(shape[1]))]
        out = self.f(*args)
        outputs: list[Value] = []
        return inputs, outputs, _flatten_outputs(out, outputs)


def _positions(static_argnums: int | Sequence[int]) -> frozenset[int]:
    numbers = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in numbers):
        raise TypeError(
            f"compile(): static_argnums must be an int or a sequence of ints, got {static_argnums!r}"
        )
    return frozenset(numbers)


def _frozen(x: Any) -> Any:
    """x as a dictionary key: lists and dicts as tuples, all the way down; an error if it cannot be one."""
    if isinstance(x, dict):
        return tuple((k, _frozen(v)) for k, v in sorted(x.items()))
    if type(x) in (list, tuple):
        return tuple(_frozen(item) for item in x)
    if isinstance(x, Value):
        raise TypeError(f"a static argument of a compiled function is a number, not a Value: got {x!r}")
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"a static argument of a compiled function must be hashable, got {x!r}") from None
    return x


class Group(NamedTuple):
    """Nodes of one depth and one op (and arity), evaluated by one call on arrays."""

    op: Op  #: The op of every node in the group.
    vector: Callable[..., tuple[Any, ...]] | None  #: The op's forward on arrays, if it has one.
    out: Any  #: The nodes' positions (an int array).
    args: Any  #: The positions of their Value arguments: one row per argument.
    consts: list[Any]  #: Their numbers: one array per number argument.


class Tape:
    """A recorded graph laid out flat: inputs, parameters, then interior nodes in topological order.

    Root's subgraph comes first, in the eager engine's order, and is what backward runs over; nodes
    that only other outputs need come after it. So do parameters that root does not depend on.
    """

    def __init__(
        self, inputs: list[Value], outputs: list[Value], out_shape: Shape, np: Any, min_numpy_nodes: int = 0
    ) -> None:
        parts = [_eager_order(v) for v in outputs]
        order = _unique(node for part, _ in parts for node in part)
        input_ids = {id(v) for v in inputs}
        self.params = [
            leaf for leaf in _unique(leaf for _, ls in parts for leaf in ls) if id(leaf) not in input_ids
        ]
        self.n_inputs, self.first = len(inputs), len(inputs) + len(self.params)
        self.n_backward = len(parts[0][0])
        self.n_grads = sum(1 for leaf in parts[0][1] if id(leaf) not in input_ids)  # params come first
        position = {id(v): i for i, v in enumerate([*inputs, *self.params, *order])}
        #: The interior nodes in topological order, each with its arguments' positions and its numbers.
        self.nodes: list[Node] = [
            (_replayable(node), tuple(position[id(p)] for p in node.parents), node.constants)
            for node in order
        ]
        self.root = position[id(outputs[0])]
        self.outputs = [position[id(v)] for v in outputs]
        self.out_shape = out_shape
        #: NumPy if this tape replays with it (it has enough nodes), else None: the pure-Python loop.
        self.np: Any = np if len(self.nodes) >= min_numpy_nodes else None
        self.size = len(position)
        if self.np is not None:
            self.groups, self.n_backward_groups = _groups(self.nodes, self.first, self.n_backward, self.np)

    @property
    def backend(self) -> str:
        """How this tape replays: 'numpy' or 'python'."""
        return "python" if self.np is None else "numpy"

    def run(self, flat: list[float]) -> Any:
        """Forward on these inputs and the parameters' current data, then backward from root; the outputs."""
        params = [p.data for p in self.params]
        vals, grads = self._run_python(flat, params) if self.np is None else self._run_numpy(flat, params)
        for leaf, g in zip(self.params[: self.n_grads], grads[self.n_inputs : self.first]):
            engine.add_pass(leaf, leaf.grad, float(g))  # as in backward()
        return _unflatten(self.out_shape, iter([float(vals[i]) for i in self.outputs]))

    def _run_python(self, flat: list[float], params: list[float]) -> tuple[list[float], list[float]]:
        vals = [*flat, *params, *[0.0] * len(self.nodes)]
        locals_: list[tuple[float, ...]] = []
        for i, (op, args, consts) in enumerate(self.nodes, self.first):
            xs = [vals[j] for j in args]
            try:
                result = op.forward(*xs, *consts)
            except engine.MATH_ERRORS as e:
                result = engine.math_error(op, (*xs, *consts), e)
            vals[i] = result[0]
            locals_.append(result[1:])
        grads = [0.0] * (self.first + self.n_backward)
        grads[self.root] = 1.0
        for k in range(self.n_backward - 1, -1, -1):
            g = grads[self.first + k]
            for j, local in zip(self.nodes[k][1], locals_[k]):
                grads[j] += local * g
        return vals, grads

    def _run_numpy(self, flat: list[float], params: list[float]) -> tuple[Any, Any]:
        np = self.np
        vals = np.empty(self.size)
        vals[: self.n_inputs] = flat
        vals[self.n_inputs : self.first] = params
        locals_ = []
        with np.errstate(**_CHECKED):
            for group in self.groups:
                rows = vals[group.args]
                result: Any
                try:
                    if group.vector is None:
                        raise FloatingPointError
                    result = group.vector(*rows, *group.consts)
                except FloatingPointError:  # no array form, or outside an op's domain: the float forms say
                    result = _one_by_one(group, rows)
                vals[group.out] = result[0]
                local = np.empty(group.args.shape)
                for r in range(len(local)):
                    local[r] = result[1 + r]
                locals_.append(local)
        grads = np.zeros(self.size)
        grads[self.root] = 1.0
        with np.errstate(all="ignore"):  # 0 * inf is NaN here as in the eager engine, with no warning
            for k in range(self.n_backward_groups - 1, -1, -1):
                group = self.groups[k]
                contributions = locals_[k] * grads[group.out]
                grads += np.bincount(group.args.ravel(), contributions.ravel(), minlength=self.size)
        return vals, grads


def _eager_order(root: Value) -> tuple[list[Value], list[Value]]:
    """The interior nodes and the leaves under root, in backward()'s order."""
    order = engine.topological_order(root)
    return [v for v in order if v.parents], [v for v in order if not v.parents]


def _replayable(node: Value) -> Op:
    """The op of a node, which the tape replays; a clear error for a node made by hand (no op to replay)."""
    op = node.primitive
    if not isinstance(op, Op):
        raise TypeError(
            f"compile() cannot replay {node!r}, made by hand (Value(data, children, {node.op!r}) with a "
            "_backward closure): its forward is not recorded anywhere; declare its op with define_op, or "
            "do not compile this function"
        )
    return op


def _unique(values: Iterable[Value]) -> list[Value]:
    seen: set[int] = set()
    return [v for v in values if not (id(v) in seen or seen.add(id(v)))]  # type: ignore[func-returns-value]


def _groups(nodes: list[Node], first: int, n_backward: int, np: Any) -> tuple[list[Group], int]:
    """The nodes bucketed by depth, op and arity, in order of depth: root's subgraph, then the rest."""
    depth: dict[int, int] = {}
    parts: list[dict[tuple[int, Op, int, int], list[int]]] = [{}, {}]
    for i, (op, args, consts) in enumerate(nodes, first):
        d = depth[i] = 1 + max((depth.get(j, 0) for j in args), default=0)
        parts[i - first >= n_backward].setdefault((d, op, len(args), len(consts)), []).append(i)
    groups = []
    for part in parts:
        for (_, op, _, _), members in sorted(part.items(), key=lambda item: item[0][0]):
            vector = partial(op.vector, array_math(np)) if op.vector else None
            rows = [nodes[i - first] for i in members]
            args = np.array([r[1] for r in rows], dtype=np.intp).T.reshape(-1, len(members))
            columns = [np.array(column, dtype=float) for column in zip(*(r[2] for r in rows))]
            groups.append(Group(op, vector, np.array(members, dtype=np.intp), args, columns))
    return groups, len(parts[0])


def _one_by_one(group: Group, rows: Any) -> list[list[float]]:
    """The group's forward with the op's float form, node by node: the engine's errors and NaN rules."""
    results = []
    for xs in zip(*(r.tolist() for r in rows), *(c.tolist() for c in group.consts)):
        try:
            results.append(group.op.forward(*xs))
        except engine.MATH_ERRORS as e:
            results.append(engine.math_error(group.op, xs, e))
    return [list(column) for column in zip(*results)]


def _numpy(backend: Backend) -> Any:
    if backend == "python":
        return None
    if backend not in ("auto", "numpy"):
        raise ValueError(f"compile(): backend must be 'auto', 'numpy' or 'python', got {backend!r}")
    try:
        import numpy
    except ImportError:
        if backend == "auto":
            return None
        raise ImportError("compile(backend='numpy') needs NumPy: pip install 'autograd-lite[fast]'") from None
    return numpy


def _flatten_inputs(x: Any, flat: list[float]) -> Shape:
    """Append the numbers in x (a number, or nested lists and tuples of them) to flat; x's shape."""
    if type(x) in (list, tuple):
        return type(x), tuple(_flatten_inputs(item, flat) for item in x)
    if isinstance(x, Value):
        raise TypeError(
            f"a compiled function takes numbers where f takes Values, got {x!r}; "
            "Values f should learn are closed over by f, not passed to it"
        )
    flat.append(engine.as_float(x, "a compiled function"))
    return None


def _flatten_outputs(x: Any, outputs: list[Value]) -> Shape:
    if type(x) in (list, tuple):
        return type(x), tuple(_flatten_outputs(item, outputs) for item in x)
    if not isinstance(x, Value):
        raise TypeError(
            f"a compiled function must return a Value, or lists and tuples of Values, got {type(x).__name__}"
        )
    outputs.append(x)
    return None


def _unflatten(shape: Shape, items: Iterator[Any]) -> Any:
    if shape is None:
        return next(items)
    kind, children = shape
    return kind(_unflatten(child, items) for child in children)
