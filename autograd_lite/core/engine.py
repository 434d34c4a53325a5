"""Value, the graph it records, grad and anomaly modes, and backward.

A node stores its data, its gradient, its op, and the op's arguments, each beside d(node)/d(argument)
computed when the node was built: the first two in slots (``_a``/``_da``, ``_b``/``_db``), any others in
``_more`` as ``(argument, local, argument, local, ...)``. Values come first; a number argument (a constant
folded into the node) has local ``None``. Inline slots rather than a tuple of edges: one object per node
instead of two, which halves what the garbage collector tracks and makes building and backward faster.
Nothing here names a specific op: they all live in ``ops.py``.
"""

from __future__ import annotations

import copy
import functools
import inspect
import keyword
import math
import numbers
import operator
import reprlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from . import ops
from .ops import Op

Number = float | numbers.Real  # int, bool, numpy scalars, Fraction ...


class Mode(NamedTuple):
    """What ops and backward do here: set by no_grad, detect_anomaly and compile's recording."""

    grad: bool  #: Ops record the graph (False inside ``no_grad``).
    anomaly: bool  #: Ops and backward check for NaN and infinities (inside ``detect_anomaly``).
    #: While compile() records (else None): the Values made inside the recording in the order they were
    #: made, its inputs and every node ops build (a dict for its order); see ``tracing``.
    traced: Recording | None = None


_NORMAL = Mode(grad=True, anomaly=False)
_mode: ContextVar[Mode] = ContextVar("autograd_lite_mode", default=_NORMAL)
_get_mode = _mode.get
MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
_PROBLEMS: dict[type[Exception], str] = {
    ZeroDivisionError: "divides by zero",
    OverflowError: "overflows a float",
}


@contextmanager
def _changed(**changes: Any) -> Iterator[None]:
    """The mode with these changes inside the block, as it was after it."""
    token = _mode.set(_mode.get()._replace(**changes))
    try:
        yield
    finally:
        _mode.reset(token)


def no_grad() -> AbstractContextManager[None]:
    """Record no graph inside the block: results are constants. Per thread and per async task."""
    return _changed(grad=False)


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise FloatingPointError at the first op or backward step that makes a NaN or an infinity."""
    return _changed(anomaly=True)


class Recording(dict["Value", None]):
    """What compile() records: the Values made inside the recording, in the order they were made (its
    inputs, then every node ops build), and the errors ops raised there (f may have caught them)."""

    def __init__(self, inputs: Iterable[Value]) -> None:
        super().__init__(dict.fromkeys(inputs))
        #: The messages of the math errors ops raised while recording, in order.
        self.errors: list[str] = []


@contextmanager
def tracing(inputs: Iterable[Value] = ()) -> Iterator[Recording]:
    """compile() records a graph inside the block: whatever makes a number of a Value's data (``<``,
    ``float()``, ``detach()``, reading ``.data``) is refused, as is reading or writing the grad of a Value
    made outside the block. Yields the Values made inside, in order: ``inputs``, then every node ops build."""
    traced = Recording(inputs)
    with _changed(traced=traced), _guarded_slots():
        yield traced


def current_mode() -> Mode:
    """The mode here: whether ops record a graph, check for anomalies, or are being recorded by compile()."""
    return _mode.get()


def is_grad_enabled() -> bool:
    """Whether ops record the graph here (False inside ``no_grad``)."""
    return _mode.get().grad


def as_float(x: object, what: str) -> float:
    """x as a float, if it is a real number; a TypeError naming ``what`` took it otherwise."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{what} takes a real number, got {type(x).__name__}: {reprlib.repr(x)}")


_new = object.__new__


def _node(
    data: float, fn: Op, args: Sequence[Any], local_grads: Sequence[float], recording: bool = False
) -> Value:
    """A new node: ``args`` (Values first, then numbers) beside the local gradients of the Values. While
    compile() records, its data and grad slots are set as they are (Value's attributes are guarded)."""
    node: Value = _new(Value)
    if recording:
        _DATA_SLOT.__set__(node, data)
        _GRAD_SLOT.__set__(node, 0.0)
    else:
        node.data = data
        node.grad = 0.0
    node.label = ""
    node._fn = fn
    node._a, node._da = args[0], local_grads[0]
    if len(args) == 1:
        node._b = node._db = None
        node._more = ()
        return node
    node._b, node._db = args[1], local_grads[1] if len(local_grads) > 1 else None
    more: list[Any] = [None] * (2 * len(args) - 4)  # (argument, local) pairs; a number's local is None
    more[0::2] = args[2:]
    extra = local_grads[2:]
    more[1 : 2 * len(extra) : 2] = extra
    node._more = tuple(more)
    return node


# ---- building nodes: Value's operators and methods are made here from the op table -------------------------
# The two makers below fill the node's slots by hand (not through _node): they are the hottest path in the
# engine, and the saved call and tuples are a fifth of the time to build a graph.
def _unary(op: Op) -> Callable[[Value], Value]:
    forward = op.forward

    def method(a: Value) -> Value:
        if _get_mode() is not _NORMAL:
            return _as_value(apply(op, a))
        try:
            out, da = forward(a.data)
        except MATH_ERRORS as e:
            out, da = math_error(op, (a,), e)
        node: Value = _new(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node._fn = op
        node._a = a
        node._da = da
        node._b = node._db = None
        node._more = ()
        return node

    method.__doc__ = f"{op.name} of this Value, as a new node (see autograd_lite.ops)."
    return method


def _binary(op: Op) -> Callable[[Value, Operand], Value]:
    """Ops of two arguments whose first is a Value: operators, leaky_relu, elu, swish."""
    forward = op.forward

    def method(a: Value, b: Operand) -> Value:
        if _get_mode() is not _NORMAL:
            if not isinstance(b, (Value, numbers.Real)):
                return NotImplemented  # type: ignore[no-any-return]  # b's reflected method may take it
            return _as_value(apply(op, a, b))
        if isinstance(b, Value):
            try:
                out, da, db = forward(a.data, b.data)
            except MATH_ERRORS as e:
                out, da, db = math_error(op, (a, b), e)
        else:
            if type(b) is not float:
                if not isinstance(b, numbers.Real):
                    return NotImplemented  # type: ignore[no-any-return]
                b = float(b)
            try:
                out, da, _ = forward(a.data, b)
            except MATH_ERRORS as e:
                out, da, _ = math_error(op, (a, b), e)
            db = None  # b is a number folded into the node
        node: Value = _new(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node._fn = op
        node._a = a
        node._da = da
        node._b = b
        node._db = db
        node._more = ()
        return node

    method.__doc__ = f"{op.name} with this Value first, as a new node (see autograd_lite.ops)."
    return method


class HandMade:
    """What records a node made by hand, micrograd's way: ``Value(data, children, op)``, then
    ``out._backward = closure``. backward() calls the closure at the node's turn."""

    __slots__ = ("backward", "children", "name")

    def __init__(self, name: str, children: tuple[Value, ...]) -> None:
        self.name = name  #: The op's name, as given.
        self.children = children  #: The Values it was made from.
        self.backward: Callable[[], None] = _nothing  #: The closure that adds to the children's grads.


def _nothing() -> None:
    """micrograd's default _backward: a node made by hand passes nothing back until given a closure."""


_HAND = object()  # in a node made by hand, the local gradient of a child: unknown (the closure knows)


class Value:
    """A scalar in a computation graph: its data, its gradient, and how it was computed."""

    __slots__ = ("data", "grad", "label", "_fn", "_a", "_da", "_b", "_db", "_more")

    data: float  #: The number this node holds.
    grad: Any  #: d(root)/d(this node) after ``root.backward()``: a float; a Value with ``create_graph=True``.
    label: str  #: A name for pictures, step tables and error messages ('' for none).
    _fn: Op | HandMade | None  # None for a leaf
    _a: Any  # the op's first argument (a Value) and d(self)/d(_a)
    _da: Any
    _b: Any  # its second argument (a Value or a number; None if there is none) and d(self)/d(_b) or None
    _db: Any
    _more: tuple[Any, ...]  # any further arguments, each followed by its local gradient (or None)

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        self.data = as_float(data, "Value()")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value(): label must be a str, got {type(label).__name__}: {label!r}")
        self.label = label
        self._fn = None
        self._a = self._da = self._b = self._db = None
        self._more = ()
        if _children != ():
            self._made_by_hand(_children, _op)

    def _made_by_hand(self, children: Iterable[Value], name: str) -> None:
        """Record micrograd's ``Value(data, children, op)``: the children, each with an unknown local."""
        if isinstance(children, str) or not isinstance(children, Iterable):
            raise TypeError(
                f"Value(): _children must be Values (micrograd's argument), got {children!r}; "
                f"for a label, pass label={children!r}"
            )
        kids = tuple(children)
        for kid in kids:
            if not isinstance(kid, Value):
                raise TypeError(f"Value(): _children must be Values, got {type(kid).__name__}: {kid!r}")
        if not isinstance(name, str):
            raise TypeError(f"Value(): _op must be a str, got {type(name).__name__}: {name!r}")
        if not kids:
            return
        self._fn = HandMade(name, kids)
        self._a = kids[0]
        if len(kids) > 1:
            self._b, self._db = kids[1], _HAND
            self._more = tuple(x for kid in kids[2:] for x in (kid, _HAND))

    # ---- what the node records -----------------------------------------------------------------------
    @property
    def primitive(self) -> Op | HandMade | None:
        """The op that made this node, from the op table or ``define_op``; what recorded a node made by
        hand (``Value(data, children, op)``); None for a leaf."""
        return self._fn

    @property
    def op(self) -> str:
        """Name of the op that made this node ('' for a leaf)."""
        return self._fn.name if self._fn is not None else ""

    def _arguments(self) -> tuple[Any, ...]:
        """(argument, local gradient or None, argument, ...) for every argument of the op."""
        if self._fn is None:
            return ()
        if self._b is None:
            return (self._a, self._da)
        return (self._a, self._da, self._b, self._db, *self._more)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from, in argument order."""
        if self._fn is None:
            return ()
        if self._db is None:  # one Value; any other arguments are numbers
            return (self._a,)
        more = self._more
        if not more or more[-1] is not None:  # the last argument a Value: so are all (numbers come last)
            return (self._a, self._b, *more[0::2])
        locals_ = more[1::2]
        values = locals_.index(None) if None in locals_ else len(locals_)  # numbers come after the Values
        return (self._a, self._b, *more[0 : 2 * values : 2])

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, computed when the node was built (none for a node made by
        hand: its closure knows them)."""
        if type(self._fn) is HandMade:
            return ()
        _not_recording("local_grads", self)  # numbers of today's data, which a tape would keep
        return tuple(local for local in self._arguments()[1::2] if local is not None)

    @property
    def constants(self) -> tuple[float, ...]:
        """The numbers the op was given, folded into the node (they follow the parents as arguments)."""
        fn = self._fn
        if fn is None or type(fn) is HandMade:
            return ()
        if self._db is None:  # one Value; any other arguments are numbers
            return () if self._b is None else (self._b, *self._more[0::2])
        more = self._more
        locals_ = more[1::2]  # numbers come after the Values, each with the local None
        return tuple(more[2 * locals_.index(None) :: 2]) if None in locals_ else ()

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: add each parent's ``local * self.grad`` to its grad, once (as the
        lecture runs backprop by hand); for a node made by hand, the closure it was given."""
        _not_recording("_backward()", self)  # it adds numbers of today's data to the grads
        if type(self._fn) is HandMade:
            return self._fn.backward
        return self._apply_local_grads

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if type(self._fn) is not HandMade:
            raise TypeError(
                f"{self!r} was made by an op, whose local gradients it keeps: only a node made by hand, "
                "Value(data, children, op), takes a _backward closure"
            )
        if not callable(closure):
            raise TypeError(f"_backward must be callable, got {type(closure).__name__}")
        self._fn.backward = closure

    def _apply_local_grads(self) -> None:
        g = self.grad
        for parent, local in zip(self.parents, self.local_grads):
            parent.grad += local * g

    @property
    def _op(self) -> str:  # micrograd's name, read by its draw_dot
        return self.op

    @property
    def _prev(self) -> set[Value]:  # micrograd's name, read by its draw_dot
        return set(self.parents)

    def __repr__(self) -> str:
        if _get_mode().traced is not None:  # its numbers would be read by whoever reads the text
            return "Value(<recorded by compile()>" + (f", label={self.label!r})" if self.label else ")")
        return _text(self.data, self.grad, self.label)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling and copying: a leaf as its numbers; an interior node with its whole graph, laid out
        flat in topological order (no recursion, so a million-op chain copies), its ops by table name."""
        if self._fn is None:
            return (_leaf, (self.data, self.grad, self.label))
        order = topological_order(self)
        position = {id(v): k for k, v in enumerate(order)}
        table = set(map(id, ops.TABLE))
        records: list[Any] = []
        for v in order:
            fn = v._fn
            if fn is None:
                records.append(v)  # pickled on its own (and shared, through pickle's memo)
                continue
            if id(fn) not in table:
                how = "made by hand" if type(fn) is HandMade else "made by define_op"
                raise TypeError(
                    f"cannot pickle or copy {v!r}: its op {v.op!r} was {how}, and its functions cannot be "
                    "saved; pickle the leaves and build the graph again"
                )
            e = v._arguments()  # (argument, local, ...): a Value as its position, a number as it is
            arguments = tuple(
                position[id(a)] if local is not None else a for a, local in zip(e[::2], e[1::2])
            )
            records.append((fn.name, arguments, e[1::2], v.data, v.grad, v.label))
        return (_graph, (records,))

    def __copy__(self) -> Value:
        """A new node with this one's data, grad, label, op and parents (the parents are shared)."""
        _not_recording("copying", self)
        new: Value = _new(Value)
        for name in Value.__slots__:
            setattr(new, name, getattr(self, name))
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """The graph under this node copied, walked in topological order (no recursion); leaves copied
        once each, through ``memo``, as ``copy.deepcopy`` shares them."""
        _not_recording("copying", self)
        for v in topological_order(self):
            if id(v) in memo:
                continue
            grad = v.grad if type(v.grad) is float else copy.deepcopy(v.grad, memo)  # a Value grad too
            if v._fn is None:
                memo[id(v)] = _leaf(v.data, grad, v.label)
                continue
            fn = v._fn
            if not isinstance(fn, Op):
                raise TypeError(
                    f"cannot copy {v!r}: it was made by hand, and its closure refers to the old graph"
                )
            node = v.__copy__()  # the same slots, then its Value arguments swapped for their copies
            node._a = memo[id(v._a)]
            if v._db is not None:
                node._b = memo[id(v._b)]
            if v._more:
                more = v._more
                node._more = tuple(
                    memo[id(x)] if k % 2 == 0 and more[k + 1] is not None else x for k, x in enumerate(more)
                )
            node.grad = grad
            memo[id(v)] = node
        return memo[id(self)]  # type: ignore[no-any-return]

    # ---- orderings compare data; == and hash stay identity, as in micrograd, so lists and sets behave ---
    def __lt__(self, other: Operand) -> bool:
        return _concrete(self, "<") < _data(other)

    def __le__(self, other: Operand) -> bool:
        return _concrete(self, "<=") <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return _concrete(self, ">") > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return _concrete(self, ">=") >= _data(other)

    def __float__(self) -> float:
        return _concrete(self, "float()")

    # ---- operators: Python's syntax for ops of the table; the named ops' methods are added below -----------
    __add__ = __radd__ = _binary(ops.ADD)
    __sub__ = _binary(ops.SUB)
    __rsub__ = _binary(ops.RSUB)
    __mul__ = __rmul__ = _binary(ops.MUL)
    __truediv__ = _binary(ops.DIV)
    __rtruediv__ = _binary(ops.RDIV)
    __pow__ = _binary(ops.POW)
    __rpow__ = _binary(ops.RPOW)
    __neg__ = _unary(ops.NEG)
    __abs__ = _unary(ops.ABS)

    def __pos__(self) -> Value:
        return self

    if TYPE_CHECKING:  # exp, tanh, leaky_relu, ...: one method per op of the table with a ``method`` name

        def __getattr__(self, name: str) -> Callable[..., Value]: ...

    @staticmethod
    def sum(values: Iterable[Operand]) -> Value:
        """One node for the whole sum (not a chain of additions)."""
        items = list(values)
        nodes = [v for v in items if isinstance(v, Value)]
        numbers_ = [as_float(v, "Value.sum()") for v in items if not isinstance(v, Value)]
        if not nodes:
            return Value(sum(numbers_))
        return _as_value(apply(ops.SUM, *nodes, *([sum(numbers_)] if numbers_ else [])))

    @staticmethod
    def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value:
        """sum(w * x): one node, so a neuron is one node rather than 2n."""
        if len(ws) != len(xs):
            raise ValueError(f"Value.dot() needs sequences of equal length, got {len(ws)} and {len(xs)}")
        if not _all_values(ws):
            ws, xs = xs, ws  # the product is symmetric; Values first lets numbers be folded in
        return _as_value(apply(ops.DOT, *ws, *xs))

    @staticmethod
    def logsumexp(values: Iterable[Operand]) -> Value:
        """Return log(sum(exp(v))) as one node, shifted by the largest v each time it is computed (no exp
        overflows, however large the values), as torch.logsumexp; its derivatives are softmax(values)."""
        items = list(values)
        if not items:
            raise ValueError("Value.logsumexp() needs at least one value, got none")
        nodes = [v for v in items if isinstance(v, Value)]
        numbers_ = [as_float(v, "Value.logsumexp()") for v in items if not isinstance(v, Value)]
        if not nodes:
            return Value(ops.FLOATS.logsumexp(numbers_))
        return _as_value(apply(ops.LOGSUMEXP, *nodes, *numbers_))

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph."""
        _not_recording("detach()", self)  # a leaf of today's data: no op the tape could run again
        return Value(self.data, label=self.label)

    # ---- reverse mode ---------------------------------------------------------------------------------
    def backward(self, grad: Number = 1.0, *, create_graph: bool = False) -> None:
        """Add d(self)/d(leaf) * grad to every leaf's .grad; interior nodes' grads are set afresh.

        With ``create_graph=True`` every grad is a Value whose own graph can be differentiated again.
        """
        run_backward(self, grad, create_graph=create_graph)


Operand = Value | Number


def _leaf(data: float, grad: Any, label: str) -> Value:
    """A leaf again, from what ``Value.__reduce__`` saved."""
    v = Value(data, label=label)
    v.grad = grad
    return v


def _graph(records: list[Any]) -> Value:
    """A graph again, from what ``Value.__reduce__`` saved: its last node (the one pickled)."""
    by_name = {op.name: op for op in ops.TABLE}
    nodes: list[Value] = []
    for record in records:
        if isinstance(record, Value):
            nodes.append(record)
            continue
        name, arguments, locals_, data, grad, label = record
        args = [nodes[a] if local is not None else a for a, local in zip(arguments, locals_)]
        node = _node(data, by_name[name], args, [local for local in locals_ if local is not None])
        node.grad, node.label = grad, label
        nodes.append(node)
    return nodes[-1]


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else as_float(x, "a comparison with a Value")


def add_pass(leaf: Value, before: Any, total: Any) -> None:
    """The end of a backward pass for a leaf: its grad is ``before + total``, this pass's sum added once
    (as in PyTorch, whose rounding this keeps), or just ``total`` if it held the plain 0.0 before."""
    leaf.grad = total if _plain_zero(before) else before + total


def _plain_zero(grad: Any) -> bool:
    """Whether a grad is the plain float 0.0 a pass starts from (not a Value, and not a held sum)."""
    return type(grad) is float and grad == 0.0


class _DataRead(TypeError):
    """A Value's data read as a number while compile() records: refused, as the tape would freeze it."""


#: Why a number made from a Value's data while compile() records is refused, and the way out.
_FROZEN = (
    "the tape would keep that number as it is now, where the eager engine computes it again on every "
    "call; compute it outside the compiled function and pass it in as an argument, or do not compile "
    "this function"
)


# While compile() records, Value's data and grad are read and written through a guard (its slots' own
# descriptors come back after): what would make a number of today's data, or change a Value the tape
# does not write, is refused; the engine reads the slots directly. No cost outside a recording.
_DATA_SLOT, _GRAD_SLOT = Value.__dict__["data"], Value.__dict__["grad"]
_read_data, _read_grad = _DATA_SLOT.__get__, _GRAD_SLOT.__get__
_guard_lock = threading.Lock()
_guarding = 0  # how many recordings are under way, in all threads


def _text(data: Any, grad: Any, label: str) -> str:
    return f"Value(data={data!r}, grad={grad!r}" + (f", label={label!r})" if label else ")")


def _shown(v: Value) -> str:
    """v as its repr shows it outside a recording: for the messages of what a recording refuses."""
    return _text(_read_data(v), _read_grad(v), v.label)


def _peek(v: Value) -> Any:
    """v's data for a message or a check: through v's class, which brings a parameter held in arrays up
    to date, or from the slot while compile() records."""
    return _read_data(v) if _get_mode().traced is not None else v.data


def _made(v: Value, slot: Any) -> bool:
    """Whether v's slot holds a value already (else v is being built: its slots are filled now)."""
    try:
        slot.__get__(v)
    except AttributeError:
        return False
    return True


def _get_data(v: Value) -> float:
    if _get_mode().traced is None:  # another thread, or task, that is not recording
        return _read_data(v)  # type: ignore[no-any-return]
    raise _DataRead(f"reading .data of {_shown(v)} while compile() records the graph: {_FROZEN}")


def _set_data(v: Value, x: float) -> None:
    if _get_mode().traced is not None and _made(v, _DATA_SLOT):
        raise _DataRead(
            f"writing .data of {_shown(v)} while compile() records the graph: the tape would not write it on "
            "later calls; change parameters outside the compiled function"
        )
    _DATA_SLOT.__set__(v, x)


def _get_grad(v: Value) -> Any:
    traced = _get_mode().traced
    if traced is None or v in traced:  # a Value made in the recording: its grad is made there too
        return _read_grad(v)
    raise _DataRead(f"reading .grad of {_shown(v)} while compile() records the graph: {_FROZEN}")


def _set_grad(v: Value, g: Any) -> None:
    traced = _get_mode().traced
    if traced is not None and v not in traced and _made(v, _GRAD_SLOT):
        raise _DataRead(
            f"writing .grad of {_shown(v)} while compile() records the graph (zero_grad() inside f?): "
            "the tape would not write it on later calls; a compiled call adds the grads of f's first "
            "output as backward() does, so zero them outside the compiled function"
        )
    _GRAD_SLOT.__set__(v, g)


_SLOTS = {"data": _DATA_SLOT, "grad": _GRAD_SLOT}
_GUARDS = {"data": property(_get_data, _set_data), "grad": property(_get_grad, _set_grad)}


@contextmanager
def _guarded_slots() -> Iterator[None]:
    """Value's data and grad behind the guard inside the block (and in other threads meanwhile, where
    the guard lets everything through, only slower); the slots as they were after the last block ends."""
    global _guarding
    with _guard_lock:
        if _guarding == 0:
            for name, attribute in _GUARDS.items():
                setattr(Value, name, attribute)
        _guarding += 1
    try:
        yield
    finally:
        with _guard_lock:
            _guarding -= 1
            if _guarding == 0:
                for name, attribute in _SLOTS.items():
                    setattr(Value, name, attribute)


def _not_recording(how: str, v: Value) -> None:
    """Refuse to make a new leaf or node of v's data, as ``how`` does, while compile() records."""
    if _get_mode().traced is not None:
        raise _DataRead(f"{how} reads the data of {_shown(v)} while compile() records the graph: {_FROZEN}")


def _concrete(v: Value, how: str) -> float:
    """v's data as a plain number: refused while compile() records, where it would freeze a branch."""
    if _get_mode().traced is not None:
        raise _DataRead(
            f"{how} reads the data of {_shown(v)} while compile() records the graph, so the graph's "
            "structure could depend on the data; write it with ops (relu, abs, ...), or do not compile "
            "this function"
        )
    return v.data


def _all_values(items: Sequence[Any]) -> bool:
    """Whether every item is a Value (or of a subclass); a long sequence by its few types, in C loops."""
    if len(items) <= 16:
        return all(isinstance(x, Value) for x in items)
    return all(issubclass(kind, Value) for kind in set(map(type, items)))


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _method(op: Op) -> Callable[..., Value]:
    """The Value method of a named op: ``x.tanh()``; ``x.leaky_relu(alpha=0.01)`` for one with a number."""
    doc = f"{op.doc or op.name + '(x)'}, as a new node (see autograd_lite.ops)."
    if not op.params:
        method = _unary(op)
        method.__doc__ = doc
        return method
    ((name, default),) = op.params
    applied = _binary(op)
    signature = inspect.Signature(
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default),
        ]
    )

    def with_number(self: Value, *args: Any, **kwargs: Any) -> Value:
        if kwargs or len(args) != 1:
            args = (signature.bind(self, *args, **kwargs).arguments.get(name, default),)
        out = applied(self, args[0])
        if out is NotImplemented:
            raise TypeError(f"{op.name}(): {name} must be a number or a Value, got {args[0]!r}")
        return out

    with_number.__name__ = with_number.__qualname__ = op.name
    with_number.__doc__ = doc
    with_number.__signature__ = signature  # type: ignore[attr-defined]
    return with_number


for _op in ops.TABLE:
    if _op.method:
        setattr(Value, _op.name, _method(_op))


def apply(op: Op, *args: Operand) -> Value | float:
    """Apply an op to Values and numbers: a new node, or a plain float if no argument is a Value."""
    if op.arity is not None and len(args) != op.arity:
        raise TypeError(f"{op.name} takes {op.arity} argument{'s' * (op.arity != 1)}, got {len(args)}")
    if len(args) > 16 and _all_values(args):  # a long dot product's or sum's: their types at once
        k = len(args)
    else:
        k = 0  # how many Values lead
        for a in args:
            if not isinstance(a, Value):
                break
            k += 1
    if not all(type(a) is float for a in args[k:]):  # numbers to convert, or a Value after a number
        args = _values_first(op, args)
        k = sum(1 for a in args if isinstance(a, Value))
    mode = _mode.get()
    values: Sequence[Value] = args[:k]  # type: ignore[assignment]  # the first k are Values
    xs: list[Any] = [a.data for a in values] if mode.traced is None else list(map(_read_data, values))
    xs += args[k:]
    try:
        result = op.forward(*xs)
    except MATH_ERRORS as e:
        try:
            result = math_error(op, args, e)
        except MATH_ERRORS as error:
            if mode.traced is not None:  # noted: f may catch it, and take another branch than it would
                mode.traced.errors.append(str(error))
            raise
    if k == 0:
        return result[0]
    if mode is _NORMAL:
        return _node(result[0], op, args, result[1 : k + 1])
    if not mode.grad:
        if mode.traced is not None:
            raise _DataRead(
                f"no_grad() makes {op.name}({_describe(args)}) a constant while compile() records the graph: "
                f"{_FROZEN}"
            )
        return Value(result[0])
    if mode.anomaly:
        if mode.traced is not None:
            raise _DataRead(
                f"detect_anomaly() checks {op.name}({_describe(args)}) while compile() records the graph: "
                "the tape would not check it again; run the compiled function under detect_anomaly() (it "
                "then runs f eagerly), or do not compile this function"
            )
        _check_forward(op, args, result[: k + 1])
    node = _node(result[0], op, args, result[1 : k + 1], mode.traced is not None)
    if mode.traced is not None:
        mode.traced[node] = None
    return node


def _values_first(op: Op, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Numbers as floats. Only numbers after the last Value fold into the node; earlier ones become leaves."""
    out: list[Any] = []
    for a in args:
        out.append(a if isinstance(a, Value) else as_float(a, f"{op.name}()"))
    last_value = max((i for i, a in enumerate(out) if isinstance(a, Value)), default=-1)
    return tuple(Value(a) if i < last_value and not isinstance(a, Value) else a for i, a in enumerate(out))


def _describe(args: Sequence[Any]) -> str:
    def one(a: Any) -> str:
        if isinstance(a, Value):
            return f"{a.label}={_peek(a)!r}" if a.label else repr(_peek(a))
        return repr(a)

    return ", ".join(one(a) for a in args)


def math_error(op: Op, args: Sequence[Any], error: Exception) -> Any:
    """What a float error in an op becomes: for finite inputs, an error naming the op and its arguments;
    otherwise the op's results are NaN, as in IEEE arithmetic."""
    xs = [_peek(a) if isinstance(a, Value) else a for a in args]
    if all(math.isfinite(x) for x in xs):
        where = f" (defined for {op.domain})" if op.domain else ""
        problem = _PROBLEMS.get(type(error), "is outside the op's domain")
        message = f"{op.name}({_describe(args)}) {problem}{where}"
        if not any(op is entry for entry in ops.TABLE):  # a user's op: its own message too, and the cause
            kind = next(k for k in MATH_ERRORS if isinstance(error, k))
            raise kind(f"{message}: {error}") from error
        raise_as(error, message)
    return (math.nan,) * (len(xs) + 1)


def raise_as(error: Exception, message: str) -> NoReturn:
    """Raise error's built-in kind (ValueError, ZeroDivisionError or OverflowError) with this message.

    The built-in class, not type(error): a subclass of the user's may not take a message alone. Its
    own message is kept as the cause.
    """
    kind = next(k for k in MATH_ERRORS if isinstance(error, k))
    raise kind(message) from (None if type(error) is kind else error)


def _check_forward(op: Op, args: Sequence[Any], result: Sequence[float]) -> None:
    if all(math.isfinite(r) for r in result):
        return
    what = "result" if not math.isfinite(result[0]) else "local gradient"
    raise FloatingPointError(
        f"detect_anomaly: {op.name}({_describe(args)}) gave a non-finite {what}: "
        f"result {result[0]!r}, local gradients {list(result[1:])!r}"
    )


# ---- the graph core: one walk, and one backward pass ------------------------------------------------------
_DONE = object()  # stack marker: the node under it has all its parents in the order


def topological_order(root: Value, seen: set[Value] | None = None) -> list[Value]:
    """Every Value that root was computed from, root last and each after its parents (an iterative
    depth-first post-order): the order ``backward()`` walks in reverse. The graph is not changed.

    ``seen``: Values already ordered (with all they were computed from), left out, and to which this
    order's Values are added: successive calls order the graphs of several roots with no repeats."""
    if not isinstance(root, Value):
        raise TypeError(
            f"expected a Value, the root of a graph, got {type(root).__name__}: {reprlib.repr(root)}"
        )
    order: list[Value] = []
    seen = set() if seen is None else seen
    see = seen.add
    stack: list[Any] = [root]
    pop, push, place = stack.pop, stack.append, order.append
    while stack:
        node = pop()
        if node is _DONE:
            place(pop())
        elif node not in seen:
            see(node)
            if node._fn is None:
                place(node)
                continue
            push(node)
            push(_DONE)
            if node._db is None:  # one Value argument
                push(node._a)
            elif not node._more:  # two (appends, not a tuple per node: no work for the garbage collector)
                push(node._a)
                push(node._b)
            else:
                stack += node.parents
    return order


class Step(NamedTuple):
    """One chain-rule application: ``parent.grad += local * upstream``, where upstream is ``node.grad``."""

    node: Value  #: The node whose gradient flows back.
    arg: int  #: Which of node's parents (a node can use one parent twice, as in x * x).
    parent: Value  #: The parent that it flows to.
    local: Any  #: d node / d parent.
    upstream: Any  #: node.grad: the gradient that has reached node.
    contribution: Any  #: local * upstream.
    #: parent.grad after this step (a leaf adds any grad from before at the end, as in backward).
    grad: Any


def run_backward(
    root: Value,
    grad: Number = 1.0,
    *,
    create_graph: bool = False,
    on_step: Callable[[Step], None] | None = None,
) -> list[tuple[Value, Any, Any]]:
    """Backward from root, the one implementation: ``root.backward()`` and the stepper call it.

    The rules, as in PyTorch: every grad under root starts from zero and root's is the seed ``grad``; in
    reverse topological order each edge adds ``local * node.grad`` to its parent; at the end a leaf that
    held a grad adds this pass's sum to it once. ``on_step`` sees each edge as it is applied. Returns the
    leaves that held a grad: (leaf, that grad, this pass's sum).
    """
    seed = as_float(grad, "backward()")
    order = topological_order(root)
    traced = _mode.get().traced
    if traced is not None:
        _check_recordable(order, create_graph, traced)
    if create_graph:  # refused before any grad changes
        hand = next((v for v in order if type(v._fn) is HandMade), None)
        if hand is not None:
            raise TypeError(
                f"backward(create_graph=True) cannot differentiate the node {_describe([hand])}, made by "
                f"hand (Value(data, children, {hand.op!r}) with a _backward closure): declare its op with "
                "define_op, which takes its derivatives as Values"
            )
    held = []
    for v in order:
        if v._fn is None and not _plain_zero(v.grad):
            held.append((v, v.grad))
        v.grad = 0.0
    try:
        if create_graph:
            root.grad = Value(seed)
            if traced is not None:  # a constant the recorded derivatives start from
                traced[root.grad] = None
            with _changed(grad=True):
                _accumulate(order, _derivatives_as_values, on_step)
        else:
            root.grad = seed
            if on_step is not None or _mode.get().anomaly:
                _accumulate(order, _local_grads, on_step if not _mode.get().anomaly else _checked(on_step))
            else:
                _accumulate_floats(order)
    except BaseException:  # a pass that fails (an error, Ctrl-C) adds nothing: leaves keep what they held
        for v in order:
            if v._fn is None:
                v.grad = 0.0
        for leaf, before in held:
            leaf.grad = before
        raise
    added = []
    for leaf, before in held:
        added.append((leaf, before, leaf.grad))
        add_pass(leaf, before, leaf.grad)
    return added


def _check_recordable(order: list[Value], create_graph: bool, traced: Recording) -> None:
    """Refuse a backward pass inside a function compile() records, unless the tape can replay it: with
    ``create_graph=True`` (gradients as Values, not numbers), over Values made inside the recording only
    (the tape does not replay what it adds to the grad of any other, such as a parameter)."""
    if not create_graph:
        raise TypeError(
            f"backward() from {_shown(order[-1])} while compile() records the graph makes its gradients "
            "numbers: the tape would keep them as they are now. A compiled function's call runs backward "
            "from f's first output itself; for a derivative inside f, use backward(create_graph=True)"
        )
    outside = next((v for v in order if v not in traced), None)
    if outside is not None:
        raise TypeError(
            f"backward(create_graph=True) while compile() records the graph reaches {_shown(outside)}, "
            "which was not made inside the recording (a parameter, a leaf made in f by Value(...), or a "
            "node built before f was called): the tape cannot add to its grad as the eager engine does; "
            "take this derivative outside the compiled function, or do not compile this function"
        )


def _accumulate(
    order: list[Value], locals_of: Callable[[Value], Iterable[Any]], on_step: Callable[[Step], None] | None
) -> None:
    """The chain rule, edge by edge: parent.grad += local * node.grad, children before parents."""
    for node in reversed(order):
        if node._fn is None:
            continue
        g = node.grad
        if type(node._fn) is HandMade:
            _run_closure(node, node._fn, on_step)
            continue
        for arg, (parent, local) in enumerate(zip(node.parents, locals_of(node))):
            contribution = local * g
            held = parent.grad
            # a Value contribution replaces the plain 0.0 a pass starts from (no 0.0 + ... node)
            replace = isinstance(contribution, Value) and _plain_zero(held)
            parent.grad = contribution if replace else held + contribution
            if on_step is not None:
                on_step(Step(node, arg, parent, local, g, contribution, parent.grad))


def _run_closure(node: Value, hand: HandMade, on_step: Callable[[Step], None] | None) -> None:
    """A node made by hand: its closure, and a step per child for what it added (local = added / upstream)."""
    before = [kid.grad for kid in hand.children]
    hand.backward()
    if on_step is None:
        return
    g = node.grad
    done: set[int] = set()
    for arg, (kid, old) in enumerate(zip(hand.children, before)):
        if id(kid) in done:  # a child twice: what the closure added to it shows at its first place
            continue
        done.add(id(kid))
        added = kid.grad - old
        on_step(Step(node, arg, kid, added / g if g else math.nan, g, added, kid.grad))


def _accumulate_floats(order: list[Value]) -> None:
    """_accumulate on floats with no one watching, unrolled over the node's slots: the hot path."""
    for node in reversed(order):
        da = node._da
        if da is None:  # a leaf, or a node made by hand: its closure
            if node._fn is not None:
                node._fn.backward()  # type: ignore[union-attr]
            continue
        g = node.grad
        node._a.grad += da * g
        db = node._db
        if db is not None:
            node._b.grad += db * g
            if node._more:
                more = iter(node._more)
                for arg, local in zip(more, more):
                    if local is not None:
                        arg.grad += local * g


def _local_grads(node: Value) -> tuple[float, ...]:
    return node.local_grads


def _derivatives_as_values(node: Value) -> tuple[Any, ...]:
    """The node's local derivatives as Values, from its op's rule: what create_graph differentiates again."""
    fn = node._fn
    assert isinstance(fn, Op)  # interior nodes made by ops: run_backward refuses nodes made by hand first
    parents = node.parents
    # The rule gives derivatives for its number arguments too, which nothing uses: built unchecked, and
    # only the parents' derivatives are checked under detect_anomaly.
    with _changed(anomaly=False):
        try:
            derivatives = fn.derivatives(VALUES, node, *parents, *node.constants)[: len(parents)]
        except _DataRead:  # while compile() records: a sign, or a branch, taken from the data
            raise _DataRead(
                f"backward(create_graph=True) builds the derivative of {fn.name}({_describe(parents)}) from "
                f"its data as a number (a sign or a branch) while compile() records the graph: {_FROZEN}"
            ) from None
    if _mode.get().anomaly:
        for parent, d in zip(parents, derivatives):
            if not math.isfinite(_peek(d) if isinstance(d, Value) else d):
                raise FloatingPointError(
                    f"detect_anomaly: the derivative of {_describe([node])} ({fn.name}) for its input "
                    f"{_describe([parent])} is not finite: {d!r}"
                )
    return derivatives


def _checked(on_step: Callable[[Step], None] | None) -> Callable[[Step], None]:
    """An on_step for detect_anomaly: stop at the first non-finite gradient, naming the op and the numbers."""

    def check(step: Step) -> None:
        if not math.isfinite(step.grad):
            raise FloatingPointError(
                f"detect_anomaly: backward through {step.node.op} made a non-finite gradient for its input "
                f"{_describe([step.parent])}: local gradient {step.local!r} * upstream gradient "
                f"{step.upstream!r} (node {_describe([step.node])})"
            )
        if on_step is not None:
            on_step(step)

    return check


# ---- the rules' namespace on Values: each elementary function is its op, so derivatives are graphs ---------
def _number(x: Operand) -> float:
    """x as a number: a Value's data, which compile() refuses to freeze while it records."""
    return _concrete(x, "a derivative") if isinstance(x, Value) else float(x)


def _ieee_pow(x: Operand, y: Operand) -> Value | float:
    """x ** y as a Value, or a constant where no node can hold it: x = 0 to a negative or a Value power."""
    if isinstance(x, Value) and (_number(x) != 0 or (not isinstance(y, Value) and _number(y) >= 0)):
        return x**y
    if isinstance(y, Value) and _number(x) != 0:
        return _number(x) ** y
    return float(ops.FLOATS.ieee_pow(_number(x), _number(y)))


#: What a rule's ``m`` is for ``backward(create_graph=True)``: the ops themselves, on Values and numbers.
VALUES = SimpleNamespace(
    **{op.name: functools.partial(apply, op) for op in ops.TABLE if op.method},
    pow=operator.pow,
    ieee_pow=_ieee_pow,
    reciprocal=lambda x: 1.0 / x if _number(x) else math.copysign(math.inf, _number(x)),
    where=ops.FLOATS.where,
    is_zero=lambda x: not isinstance(x, Value) and x == 0,  # the number 0; a Value keeps its graph
    sign=lambda x: ops.FLOATS.sign(_number(x)),
    sum=Value.sum,
    dot=Value.dot,
    logsumexp=Value.logsumexp,
    within=lambda x, lo, hi: x,  # the forward checked it when the node was built
)


# ---- user-defined ops: the same Op, applied by the same apply, as the table's ------------------------------
def define_op(
    name: str,
    forward: Callable[..., tuple[float, ...]] | None = None,
    derivatives: Sequence[Callable[..., Any]] | None = None,
    domain: str = "",
    *,
    rule: Callable[..., tuple[Any, ...]] | None = None,
) -> Callable[..., Any]:
    """Declare a new primitive and get a function that applies it to Values and numbers.

    Either ``rule``, written as the table's are (its arguments, then ``m=FLOATS``; it then works
    everywhere a built-in op does), or ``forward`` on floats, giving ``(result, d result/d each argument)``,
    and optionally ``derivatives``, one ``(out, *args) -> d out/d arg`` per argument as Values, without
    which ``backward(create_graph=True)`` says what is missing.
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"define_op: the name must be a Python identifier, got {name!r}")
    if any(op.name == name for op in ops.TABLE):
        raise ValueError(f"define_op: {name!r} is a built-in op's name; pick another")
    if (forward is None) == (rule is None):
        raise TypeError(f"define_op({name!r}): give either forward (and derivatives) or rule")
    if rule is not None:
        if not callable(rule):
            raise TypeError(f"define_op({name!r}): rule must be callable, got {type(rule).__name__}")
        if derivatives is not None:
            raise TypeError(f"define_op({name!r}): a rule gives its derivatives itself; drop derivatives=")
        op = ops.primitive(name, rule, domain=domain, register=False)
        return functools.partial(apply, op)
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {type(forward).__name__}")
    arity = _arity(name, forward) if derivatives is None else len(derivatives)
    if derivatives is not None and (arity == 0 or not all(callable(d) for d in derivatives)):
        raise TypeError(
            f"define_op({name!r}): derivatives must be one callable per argument, got {derivatives!r}"
        )
    op = Op(name, _checked_forward(name, forward, arity), _given(name, derivatives), arity, domain)
    return functools.partial(apply, op)


def _arity(name: str, forward: Callable[..., Any]) -> int:
    """How many arguments forward takes: its positional parameters (no *args: an op has a fixed arity)."""
    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"define_op({name!r}): cannot read forward's parameters; pass derivatives=") from None
    kinds = [p.kind for p in parameters]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not kinds or any(k not in positional for k in kinds):
        raise TypeError(f"define_op({name!r}): forward must take a fixed number of positional arguments")
    return len(kinds)


def _checked_forward(
    name: str, forward: Callable[..., tuple[float, ...]], arity: int
) -> Callable[..., tuple[float, ...]]:
    """forward, with its result checked: a clear error if it is not (result, one derivative per argument)."""

    def checked(*xs: float) -> tuple[float, ...]:
        out = forward(*xs)
        real = isinstance(out, tuple) and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in out
        )
        if not real or len(out) != arity + 1:
            raise TypeError(
                f"{name}'s forward must return (result, {arity} local derivative{'s' * (arity != 1)}) as "
                f"real numbers, got {out!r}"
            )
        return tuple(map(float, out))

    return checked


def _given(name: str, derivatives: Sequence[Callable[..., Any]] | None) -> Callable[..., tuple[Any, ...]]:
    """An Op's derivatives from a user's list of them, one per argument."""

    def given(values: Any, node: Value, *args: Any) -> tuple[Any, ...]:
        if derivatives is None:
            raise NotImplementedError(
                f"backward(create_graph=True) needs {name}'s derivatives as Values: "
                "pass derivatives= (or a rule) to define_op"
            )
        return tuple(d(node, *args) for d in derivatives)

    return given
