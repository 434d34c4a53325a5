"""compile(): record the graph a function builds once, then replay it on new numbers.

A training step rebuilds the same graph every time: same ops, new numbers. A compiled function records
the graph on its first call for each shape of its inputs (a tape: its nodes in topological order, each
with its op and the positions of its arguments), and later calls run the tape over flat arrays, forward
then backward, making no Value objects. With NumPy, nodes of the same depth and op are evaluated
together (see ``vectorized``: a dense layer over a batch becomes a matrix product, other ops run by their
``vector`` form in the op table); without it, a loop calls each op's float forward. Results match the
eager engine: the pure-Python replay to the last bit, the NumPy one to rounding (it adds up products and
gradient contributions in another order).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import numbers
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

from . import graph, held, modes, vectorized
from .engine import Value
from .node import math_error, topological_order, tracing
from .ops import Op
from .vectorized import Plan, TapeNode

Backend = Literal["auto", "numpy", "python"]  #: How a compiled function replays: see compile().
#: The shape of a call's inputs or outputs: None for a number or a Value; (list or tuple, (child shapes, ...))
#: for a list or tuple. A compiled function records one tape per shape of its inputs.
Shape = Any
#: With backend="auto", a tape replays with NumPy if it has at least this many nodes and edges for each
#: group of nodes that NumPy evaluates at once (and two groups' worth more, its fixed cost): a group costs
#: NumPy about what 20 nodes or edges cost the Python loop. Measured: a chain (one node a group) replays 6x
#: faster in Python; an MLP(2, [16, 16, 1]) on one point (7 nodes and 50 edges a group) 1.4x faster with
#: NumPy; a sum of 10 tanh nodes in Python, of 30 with NumPy.
AUTO_NUMPY_WORK_PER_GROUP = 20


def compile(
    f: Callable[..., Any], *, backend: Backend = "auto", static_argnums: int | Sequence[int] = ()
) -> Compiled:
    """Return f, compiled: call it with numbers (or nested lists of numbers) where f takes Values.

    A call returns f's outputs as floats and, as ``backward()`` on f's first output would, adds that
    output's gradient to the ``.grad`` of every Value leaf it depends on (the parameters f closes over).
    ``static_argnums``: the positions of arguments that f gets as they are, numbers and not Values (such
    as targets, or a class index): as JAX's static arguments, f is recorded again for each new value of
    them, told apart as f can tell them apart (1, 1.0 and True; 0.0 and -0.0), so it may branch on them
    and check them on every call. ``backend``: ``"numpy"`` (vectorized), ``"python"``, or ``"auto"``:
    NumPy, if it is installed, for graphs whose nodes fall into groups large enough
    (``AUTO_NUMPY_WORK_PER_GROUP``), where it pays off; the pure-Python replay otherwise.

    What the tape cannot replay as the eager engine runs it is refused when f is recorded, with a
    TypeError naming the Value: a number made from a Value's data (a comparison, ``float()``, reading
    ``.data``, ``detach()``, an op under ``no_grad()``, a copy), a write the tape would not do again
    (``.data``; the ``.grad`` of a parameter, as ``zero_grad()`` does), ``backward()`` inside f (but
    ``create_graph=True`` over f's own Values, whose derivatives are ops), a node built before f was
    called. A replay computes every node f built, used or not, in f's order: it raises eager's errors.
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
        self.auto = backend == "auto"
        self.static = _positions(static_argnums)
        #: The recorded tapes, one per shape of the inputs and value of the static arguments seen so far.
        self.tapes: dict[Any, Tape] = {}

    @property
    def backend(self) -> str:
        """The replay for a large enough graph: 'numpy' or 'python' (each tape has its own ``backend``)."""
        return "python" if self.np is None else "numpy"

    def __call__(self, *args: Any) -> Any:
        return self._run(args, nested=True, backward=True)

    def flat_outputs(self, *args: Any, backward: bool = True) -> Any:
        """Call, and return f's outputs in order as one flat NumPy array (or a list of floats, where the pure
        Python replays), not nested as f returned them: for a loop that reads many outputs at once. With
        ``backward=False`` only the outputs are computed and no grad changes (as under ``no_grad()``, but
        replayed)."""
        return self._run(args, nested=False, backward=backward)

    def _run(self, args: tuple[Any, ...], nested: bool, backward: bool) -> Any:
        static = {i if i >= 0 else len(args) + i for i in self.static}
        if any(not 0 <= i < len(args) for i in static):
            raise TypeError(f"static_argnums {sorted(self.static)} is out of range for {len(args)} arguments")
        given = {i: a for i, a in enumerate(args) if i in static}
        shape, flat = _inputs(tuple(a for i, a in enumerate(args) if i not in static))
        mode = modes.current_mode()
        if mode.traced is not None:  # its outputs would be numbers of today in the graph being recorded
            name = getattr(self.f, "__name__", repr(self.f))
            raise TypeError(
                f"compiled {name} is called while compile() records another function: its outputs are "
                "numbers, which that tape would keep as they are now; call the function it compiles (.f)"
            )
        if mode.anomaly or not mode.grad:  # to check each op, or with no graph to record: run f eagerly
            return self._eagerly(flat, shape, given, nested, backward)
        tape = self._tape(flat, shape, given)
        if not tape.outputs:  # nothing to compute and no backward: f's empty lists and tuples
            return _unflatten(tape.out_shape, iter(())) if nested else []
        try:
            outputs = tape.run(flat, backward)
        except modes.MATH_ERRORS:  # f may catch it, or raise it with eager's message: f says, eagerly
            return self._eagerly(flat, shape, given, nested, backward)
        if not nested:
            return outputs
        return _unflatten(tape.out_shape, iter(outputs if tape.np is None else outputs.tolist()))

    def _eagerly(
        self, flat: Sequence[float], shape: Shape, given: dict[int, Any], nested: bool, backward: bool
    ) -> Any:
        """Run a call as the eager engine runs it: f on new leaves, then backward from its first output."""
        outputs, out_shape = self._call([Value(x) for x in flat], shape, given)
        if backward and outputs and modes.is_grad_enabled():
            outputs[0].backward()
        numbers = [v.data for v in outputs]
        return _unflatten(out_shape, iter(numbers)) if nested else numbers

    def tape(self, *args: Any) -> Tape:
        """Return the tape these arguments replay, recorded now if their shape (and static values) are new: to
        look at what was recorded, or to replay it on arrays of one's own (``Tape.replay``)."""
        given = {i: a for i, a in enumerate(args) if i in self.static or i - len(args) in self.static}
        shape, flat = _inputs(tuple(a for i, a in enumerate(args) if i not in given))
        return self._tape(flat, shape, given)

    def _tape(self, flat: Sequence[float], shape: Shape, given: dict[int, Any]) -> Tape:
        key = (shape, _frozen(given))
        tape = self.tapes.get(key)
        if tape is None:
            held.values_current()  # the engine reads the parameters' slots while it records
            inputs = [Value(x) for x in flat]
            with tracing(inputs) as traced:
                outputs, out_shape = self._call(inputs, shape, given)
            if traced.errors:
                raise TypeError(
                    f"f caught an error while compile() recorded it ({traced.errors[0]}): the tape would "
                    "take the branch f took then on every call; write the branch with ops, or do not "
                    "compile this function"
                )
            with _collector_paused():  # the layout makes tuples by the 100,000 and no cycles: the collector
                tape = Tape(inputs, outputs, out_shape, traced, self.np, self.auto)  # would walk f's graph
            self.tapes[key] = tape  # again and again (a fifth of the layout's time at H=128)
        return tape

    def _call(self, inputs: list[Value], shape: Shape, static: dict[int, Any]) -> tuple[list[Value], Shape]:
        """Call f on the inputs (leaves) and the static arguments as they are; its outputs flattened, and
        their shape."""
        dynamic = iter(_unflatten(shape, iter(inputs)))
        args = [static[i] if i in static else next(dynamic) for i in range(len(static) + len(shape[1]))]
        out = self.f(*args)
        outputs: list[Value] = []
        return outputs, _flatten_outputs(out, outputs)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Turn the garbage collector off inside the block (if it was on), on again after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _positions(static_argnums: int | Sequence[int]) -> frozenset[int]:
    numbers = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in numbers):
        raise TypeError(
            f"compile(): static_argnums must be an int or a sequence of ints, got {static_argnums!r}"
        )
    return frozenset(numbers)


def _frozen(x: Any) -> Any:
    """Return x as a dictionary key that tells apart what f can tell apart, all the way down: each value with
    its type (1, 1.0 and True), a float by its bits (0.0 and -0.0; a NaN is one key, not a new one each call),
    lists, tuples and dicts in their order; raise an error if it cannot be one."""
    kind = type(x)
    if kind is float:
        return kind, _bits(x)
    if isinstance(x, (list, tuple)):
        if all(type(item) is float for item in x):  # a row of floats, such as targets: at once
            return kind, float, struct.pack(f"<{len(x)}d", *x)
        if all(type(item) is int for item in x):  # a row of class indices
            return kind, int, tuple(x)
        return kind, tuple(_frozen(item) for item in x)
    if isinstance(x, dict):
        return kind, tuple((_frozen(k), _frozen(v)) for k, v in x.items())
    if isinstance(x, frozenset):
        return kind, frozenset(_frozen(item) for item in x)
    if isinstance(x, Value):
        raise TypeError(f"a static argument of a compiled function is a number, not a Value: got {x!r}")
    if isinstance(x, float):  # a float's subclass, such as numpy.float64
        return kind, _bits(x)
    if isinstance(x, complex):
        return kind, _bits(x.real), _bits(x.imag)
    if isinstance(x, numbers.Number) and not isinstance(x, int):  # numpy.float32, Decimal: -0 shows
        return kind, repr(x)
    if getattr(kind, "__hash__", None) is _IDENTITY and hasattr(x, "__dict__") and not callable(x):
        raise TypeError(
            f"a static argument of a compiled function is told apart by its value, and {kind.__name__} is "
            f"compared by identity: a change inside it would not record f again; pass what f reads of it"
        )
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"a static argument of a compiled function must be hashable, got {x!r}") from None
    return kind, x


_IDENTITY = object.__hash__  # the hash of an object told apart by identity alone


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


class Tape:
    """A recorded graph laid out flat: inputs, parameters, then interior nodes in topological order.

    Root (the first output) and its subgraph come first, in the eager engine's order, and are what
    backward runs over; what only other outputs need comes after them, then the nodes f built that no
    output uses (evaluated all the same: eager raises their errors). ``traced``: the Values made while f
    was recorded, in the order f made them (``tracing``), which is the order a replay evaluates
    them in, so that of two errors it raises eager's; any other interior node is refused.
    """

    def __init__(
        self,
        inputs: list[Value],
        outputs: list[Value],
        out_shape: Shape,
        traced: modes.Recording,
        np: Any,
        auto: bool = False,
    ) -> None:
        seen: set[Value] = set()
        parts = [_eager_order(v, seen) for v in outputs]  # each output's nodes that no earlier one has
        made = [v for v in traced if v.primitive is not None]  # the interior nodes, in the order f made them
        parts += [_eager_order(v, seen) for v in made if v not in seen]  # and no output's
        order = [node for part, _ in parts for node in part]
        parents = {v: v.parents for v in order}
        input_ids = {id(v) for v in inputs}
        # The parameters in the order f first used them (a model's in the order it lists them, mostly, and
        # a neuron's weights in a row, as NumPy reads them best; an optimizer's then lie in one piece), then
        # an output that is a parameter itself; those root reaches first: the first n_grads are backward's.
        leaves = dict.fromkeys(leaf for _, part in parts for leaf in part)
        used = dict.fromkeys(itertools.chain.from_iterable(map(parents.__getitem__, made)))
        every = [*(p for p in used if p in leaves), *leaves]  # (Values hash by identity: dicts are sets)
        reached = dict.fromkeys(parts[0][1]) if outputs else {}
        params = [leaf for leaf in dict.fromkeys(every) if id(leaf) not in input_ids]
        self.params = [p for p in params if p in reached] + [p for p in params if p not in reached]
        self.n_inputs, self.first = len(inputs), len(inputs) + len(self.params)
        self.n_backward = len(parts[0][0]) if outputs else 0
        self.n_grads = sum(1 for leaf in parts[0][1] if id(leaf) not in input_ids) if outputs else 0
        position = {v: i for i, v in enumerate([*inputs, *self.params, *order])}
        where = position.__getitem__
        #: The interior nodes in topological order, each with its arguments' positions and its numbers.
        self.nodes: list[TapeNode] = [
            (_replayable(node, traced), tuple(map(where, parents[node])), node.constants) for node in order
        ]
        #: The nodes as the pure-Python replay evaluates them, in the order f made them: each position too.
        self.schedule = [(position[v], *self.nodes[position[v] - self.first]) for v in made]
        # With no outputs there is no root: a compiled call returns f's empty structure without a replay.
        self.root = position[outputs[0]] if outputs else 0
        self.outputs = [position[v] for v in outputs]
        self.out_shape = out_shape
        groups = None if np is None else vectorized.groups(self.nodes, self.first, self.n_backward)
        if auto and groups is not None:  # NumPy only where its groups are large enough to pay for its calls
            work = sum(1 + len(args) for _, args, _ in self.nodes)
            np = np if work >= AUTO_NUMPY_WORK_PER_GROUP * (len(groups) + 2) else None
        #: NumPy if this tape replays with it, else None: the pure-Python loop.
        self.np: Any = np
        #: With NumPy, the nodes as groups of array operations (see ``vectorized``).
        self.plan = (
            None if self.np is None else Plan(self.nodes, groups or [], self.n_inputs, self.first, self.np)
        )
        self.plan_outputs = (
            None if self.plan is None else np.array([self.plan.place[i] for i in self.outputs])
        )
        #: With NumPy, where the parameters are held in arrays between calls (made at the first call).
        self.rows: held.Rows | None = None

    @property
    def backend(self) -> str:
        """How this tape replays: 'numpy' or 'python'."""
        return "python" if self.np is None else "numpy"

    def run(self, flat: Sequence[float], backward: bool = True) -> Any:
        """Run forward on these inputs and the parameters' current data, then (unless not ``backward``)
        backward from root; return the outputs in order, an array with NumPy. With NumPy, the parameters are
        held in arrays from call to call (see ``held``)."""
        if self.plan is not None and self.rows is None:
            self.rows = held.rows(self.params, self.np)
        if self.rows is not None and self.rows.current():
            outputs, sums = self.replay(flat, self.rows.data(), backward)
            if backward:
                self.rows.add_grads(sums, self.n_grads)
            return outputs
        self.rows = None  # a grad became a Value: this call on the Values, and hold them again next time
        outputs, sums = self.replay(flat, [p.data for p in self.params], backward)
        if backward:
            for leaf, g in zip(self.params[: self.n_grads], sums if self.plan is None else sums.tolist()):
                graph.add_pass(leaf, leaf.grad, g)  # as in backward()
        return outputs

    def replay(self, flat: Any, params: Any, backward: bool = True) -> tuple[Any, Any]:
        """Run forward on these inputs and parameters' data (in ``params``' order), then backward from root;
        return the outputs in order, and the parameters' grads (0 where root does not depend on one; None with
        ``backward=False``, which only evaluates); arrays with NumPy, lists in pure Python. No Value is read
        or written. ``flat`` and ``params`` hold as many numbers as the tape was recorded with, each in a list
        or a 1-D array; a math error raises as the eager engine raises it."""
        if self.plan is None:
            xs, ps = _floats(flat, self.n_inputs, "input"), _floats(params, len(self.params), "parameter")
            return self._run_python(xs, ps, backward)
        np = self.np
        xs, ps = _array(np, flat, self.n_inputs, "input"), _array(np, params, len(self.params), "parameter")
        with contextlib.suppress(*modes.MATH_ERRORS):
            vals, grads = self.plan.run(xs, ps, self.first, self.root, backward)
            return vals[self.plan_outputs], None if grads is None else grads[self.n_inputs : self.first]
        # An op met an input outside its domain. The Python replay raises eager's error, at the first such
        # node in the tape's order (NumPy takes them by depth) and naming eager's numbers (NumPy's may
        # differ in the last bit); if only NumPy's rounding crossed the domain's edge, it gives eager's
        # results.
        outputs, grads = self._run_python(xs.tolist(), ps.tolist(), backward)
        return np.array(outputs), None if grads is None else np.array(grads)

    def _run_python(
        self, flat: list[float], params: list[float], backward: bool = True
    ) -> tuple[list[float], list[float] | None]:
        """Run ``replay`` in pure Python, on floats: each op's float form, in the eager engine's order."""
        first = self.first
        vals = [*flat, *params, *[0.0] * len(self.nodes)]
        locals_: list[tuple[float, ...]] = [()] * len(self.nodes)
        for i, op, args, consts in self.schedule:
            xs = [vals[j] for j in args]
            try:
                result = op.forward(*xs, *consts)
            except modes.MATH_ERRORS as e:
                result = math_error(op, (*xs, *consts), e)
            vals[i] = result[0]
            locals_[i - first] = result[1:]
        outputs = [vals[i] for i in self.outputs]
        if not backward:
            return outputs, None
        grads = [0.0] * (self.first + self.n_backward)
        grads[self.root] = 1.0
        for k in range(self.n_backward - 1, -1, -1):
            g = grads[self.first + k]
            for j, local in zip(self.nodes[k][1], locals_[k]):
                grads[j] += local * g
        return outputs, grads[self.n_inputs : self.first]


def _floats(xs: Any, n: int, what: str) -> list[float]:
    """Return xs, n real numbers in a list or a 1-D array, as a list of floats: the eager engine's numbers
    (NumPy's scalars give inf for x / 0 and cannot subtract booleans); raise a clear error for anything
    else."""
    shape = getattr(xs, "shape", None)
    if shape is None:
        try:
            shape = (len(xs),)
        except TypeError:
            shape = ()  # a number, or no sequence
    _check_row(xs, shape, n, what)
    values = xs.tolist() if hasattr(xs, "tolist") else list(xs)
    if not set(map(type, values)) <= {float}:  # a pass over types alone where all are floats already
        values = [modes.as_float(x, "this tape") for x in values]
    return values


def _array(np: Any, xs: Any, n: int, what: str) -> Any:
    """Return xs, n real numbers in a list or a 1-D array, as an array of floats; raise a clear error for
    anything else."""
    array = np.asarray(xs)
    if array.dtype.kind not in "biuf":  # strings, Values, complex numbers: the float check names them
        array = np.array(_floats(xs, n, what))
    _check_row(xs, array.shape, n, what)
    return array.astype(float, copy=False)


def _check_row(xs: Any, shape: tuple[int, ...], n: int, what: str) -> None:
    """Raise an error unless xs, of this shape, is a flat row of n numbers, saying how many the tape takes."""
    if shape == (n,):
        return
    many = f"{n} {what}" if n == 1 else f"{n} {what}s"
    if len(shape) == 1:
        raise ValueError(f"this tape replays on {many}, got {shape[0]}")
    if not shape:
        raise TypeError(f"this tape replays on {many} in a list or an array, got {type(xs).__name__}: {xs!r}")
    raise ValueError(f"this tape replays on {many} in a flat row, got an array of shape {shape}")


def _eager_order(root: Value, seen: set[Value]) -> tuple[list[Value], list[Value]]:
    """Return the interior nodes and the leaves under root that are not in seen, in backward()'s order."""
    order = topological_order(root, seen)
    return [v for v in order if v.primitive is not None], [v for v in order if v.primitive is None]


def _replayable(node: Value, traced: modes.Recording) -> Op:
    """Return the op of a node, which the tape replays; raise a clear error for a node made by hand (no op to
    replay), or one not made while f was recorded (not in ``traced``): the eager engine keeps the data and
    local gradients such a node was built with, where the tape would compute them again."""
    op = node.primitive
    if not isinstance(op, Op):
        raise TypeError(
            f"compile() cannot replay {node!r}, made by hand (Value(data, children, {node.op!r}) with a "
            "_backward closure): its forward is not recorded anywhere; declare its op with define_op, or "
            "do not compile this function"
        )
    if node not in traced:
        raise TypeError(
            f"compile() cannot replay {node!r} ({op.name}): it was not built while f was recorded (it was "
            "built before f was called, or copied), so the eager engine keeps the data it was built with, "
            "where the tape would compute it again from the parameters' data of each call; build it "
            "inside f, or do not compile this function"
        )
    return op


def _unique(values: Iterable[Value]) -> list[Value]:
    seen: set[int] = set()
    return [v for v in values if not (id(v) in seen or seen.add(id(v)))]  # type: ignore[func-returns-value]


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


#: The kind of an input that was a NumPy array: f gets nested lists of Values of its shape.
ARRAY = "array"


def _inputs(args: tuple[Any, ...]) -> tuple[Shape, Sequence[float]]:
    """Return the inputs' shape, and their numbers in order: a list of floats, or an array where some input
    was an array (read at once, not number by number)."""
    pieces: list[Any] = []
    shape = _flatten_inputs(args, pieces)
    if all(type(x) is float for x in pieces):
        return shape, pieces
    np = _numpy("numpy")
    rows = [x if type(x) is not float else np.array([x]) for x in pieces]
    return shape, np.concatenate(rows) if rows else np.empty(0)


def _flatten_inputs(x: Any, flat: list[Any]) -> Shape:
    """Append the numbers in x (a number, an array, or nested lists and tuples of them) to flat, an
    array's as one flat array of floats; x's shape."""
    if type(x) in (list, tuple):
        if all(type(item) is float for item in x):  # a row of floats, the usual input: all at once
            flat.extend(x)
            return type(x), (None,) * len(x)
        return type(x), tuple(_flatten_inputs(item, flat) for item in x)
    if isinstance(x, Value):
        raise TypeError(
            f"a compiled function takes numbers where f takes Values, got {x!r}; "
            "Values f should learn are closed over by f, not passed to it"
        )
    shape = getattr(x, "shape", ())
    if shape and hasattr(x, "__array__"):  # a NumPy array, or one with its interface
        array = _numpy("numpy").asarray(x)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"a compiled function takes arrays of real numbers, got one of {array.dtype}")
        flat.append(array.astype(float).ravel())
        return ARRAY, tuple(shape)
    flat.append(modes.as_float(x, "a compiled function"))
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
    if kind is ARRAY:  # nested lists of the array's shape
        return [
            _unflatten((ARRAY, children[1:]) if len(children) > 1 else None, items)
            for _ in range(children[0])
        ]
    return kind(_unflatten(child, items) for child in children)
