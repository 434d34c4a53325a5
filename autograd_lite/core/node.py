"""A node of the graph: what it stores, the walk over its graph, and what compile()'s recording refuses.

A node stores its data, its gradient, its op, and the op's arguments, each beside d(node)/d(argument)
computed when the node was built: the first two in slots (``_a``/``_da``, ``_b``/``_db``), any others in
``_more`` as ``(argument, local, argument, local, ...)``. Values come first; a number argument (a constant
folded into the node) has local ``None``. Inline slots rather than a tuple of edges: one object per node
instead of two, which halves what the garbage collector tracks and makes building and backward faster.
``Node`` is that storage and its reading; ``engine.Value`` adds the arithmetic. Nothing here names a
specific op: they all live in ``ops.py``.
"""

from __future__ import annotations

import math
import reprlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from . import ops
from .modes import MATH_ERRORS, Recording, changed, current_mode, raise_as
from .ops import Op

# What the other layers use; the rest is the core's own (its modules share it).
__all__ = ["Node", "topological_order", "tracing"]

_PROBLEMS: dict[type[Exception], str] = {
    ZeroDivisionError: "divides by zero",
    OverflowError: "overflows a float",
}


class HandMade:
    """What records a node made by hand, micrograd's way: ``Value(data, children, op)``, then
    ``out._backward = closure``. backward() calls the closure at the node's turn."""

    __slots__ = ("backward", "children", "name")

    def __init__(self, name: str, children: tuple[Node, ...]) -> None:
        self.name = name  #: The op's name, as given.
        self.children = children  #: The Values it was made from.
        self.backward: Callable[[], None] = _nothing  #: The closure that adds to the children's grads.


def _nothing() -> None:
    """Do nothing, as micrograd's default _backward does: a node made by hand passes nothing back until given
    a closure."""


HAND = object()  # in a node made by hand, the local gradient of a child: unknown (the closure knows)


class Node:
    """What the graph keeps of a Value: its data, gradient and label, the op that made it, and the op's
    arguments beside their local gradients."""

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

    @property
    def parents(self) -> tuple[Self, ...]:
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
        not_recording("local_grads", self)  # numbers of today's data, which a tape would keep
        return tuple(local for local in edges(self)[1::2] if local is not None)

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

    def __repr__(self) -> str:
        if current_mode().traced is not None:  # its numbers would be read by whoever reads the text
            return "Value(<recorded by compile()>" + (f", label={self.label!r})" if self.label else ")")
        return _text(self.data, self.grad, self.label)


N = TypeVar("N", bound=Node)


def edges(node: Node) -> tuple[Any, ...]:
    """Return (argument, local gradient or None, argument, ...) for every argument of node's op, Values
    first: the one reading of its slots for whoever needs all its edges (local_grads, pickling,
    copying). The hot paths read the slots themselves: the walk, the float backward, and ``parents``
    and ``constants``, which compile's recording reads for every node."""
    if node._fn is None:
        return ()
    if node._b is None:
        return (node._a, node._da)
    return (node._a, node._da, node._b, node._db, *node._more)


class DataRead(TypeError):
    """A Value's data read as a number while compile() records: refused, as the tape would freeze it."""


#: Why a number made from a Value's data while compile() records is refused, and the way out.
FROZEN = (
    "the tape would keep that number as it is now, where the eager engine computes it again on every "
    "call; compute it outside the compiled function and pass it in as an argument, or do not compile "
    "this function"
)


# While compile() records, Value's data and grad are read and written through a guard (its slots' own
# descriptors come back after): what would make a number of today's data, or change a Value the tape
# does not write, is refused; the engine reads the slots directly. No cost outside a recording.
DATA_SLOT, GRAD_SLOT = Node.__dict__["data"], Node.__dict__["grad"]
read_data, _read_grad = DATA_SLOT.__get__, GRAD_SLOT.__get__
_guard_lock = threading.Lock()
_guarding = 0  # how many recordings are under way, in all threads


def _text(data: Any, grad: Any, label: str) -> str:
    return f"Value(data={data!r}, grad={grad!r}" + (f", label={label!r})" if label else ")")


def shown(v: Node) -> str:
    """Return v as its repr shows it outside a recording: for the messages of what a recording refuses."""
    return _text(read_data(v), _read_grad(v), v.label)


def peek(v: Node) -> Any:
    """Return v's data for a message or a check: through v's class, which brings a parameter held in arrays up
    to date, or from the slot while compile() records."""
    return read_data(v) if current_mode().traced is not None else v.data


def _made(v: Node, slot: Any) -> bool:
    """Return whether v's slot holds a value already (else v is being built: its slots are filled now)."""
    try:
        slot.__get__(v)
    except AttributeError:
        return False
    return True


def _get_data(v: Node) -> float:
    if current_mode().traced is None:  # another thread, or task, that is not recording
        return read_data(v)  # type: ignore[no-any-return]
    raise DataRead(f"reading .data of {shown(v)} while compile() records the graph: {FROZEN}")


def _set_data(v: Node, x: float) -> None:
    if current_mode().traced is not None and _made(v, DATA_SLOT):
        raise DataRead(
            f"writing .data of {shown(v)} while compile() records the graph: the tape would not write it on "
            "later calls; change parameters outside the compiled function"
        )
    DATA_SLOT.__set__(v, x)


def _get_grad(v: Node) -> Any:
    traced = current_mode().traced
    if traced is None or v in traced:  # a Value made in the recording: its grad is made there too
        return _read_grad(v)
    raise DataRead(f"reading .grad of {shown(v)} while compile() records the graph: {FROZEN}")


def _set_grad(v: Node, g: Any) -> None:
    traced = current_mode().traced
    if traced is not None and v not in traced and _made(v, GRAD_SLOT):
        raise DataRead(
            f"writing .grad of {shown(v)} while compile() records the graph (zero_grad() inside f?): "
            "the tape would not write it on later calls; a compiled call adds the grads of f's first "
            "output as backward() does, so zero them outside the compiled function"
        )
    GRAD_SLOT.__set__(v, g)


_SLOTS = {"data": DATA_SLOT, "grad": GRAD_SLOT}
_GUARDS = {"data": property(_get_data, _set_data), "grad": property(_get_grad, _set_grad)}


@contextmanager
def guarded_slots() -> Iterator[None]:
    """Put Value's data and grad behind the guard inside the block (and in other threads meanwhile, where
    the guard lets everything through, only slower); put the slots back as they were after the last block
    ends."""
    global _guarding
    with _guard_lock:
        if _guarding == 0:
            for name, attribute in _GUARDS.items():
                setattr(Node, name, attribute)
        _guarding += 1
    try:
        yield
    finally:
        with _guard_lock:
            _guarding -= 1
            if _guarding == 0:
                for name, attribute in _SLOTS.items():
                    setattr(Node, name, attribute)


def not_recording(how: str, v: Node) -> None:
    """Refuse to make a new leaf or node of v's data, as ``how`` does, while compile() records."""
    if current_mode().traced is not None:
        raise DataRead(f"{how} reads the data of {shown(v)} while compile() records the graph: {FROZEN}")


def concrete(v: Node, how: str) -> float:
    """Return v's data as a plain number: refused while compile() records, where it would freeze a branch."""
    if current_mode().traced is not None:
        raise DataRead(
            f"{how} reads the data of {shown(v)} while compile() records the graph, so the graph's "
            "structure could depend on the data; write it with ops (relu, abs, ...), or do not compile "
            "this function"
        )
    return v.data


@contextmanager
def tracing(inputs: Iterable[Node] = ()) -> Iterator[Recording]:
    """Record a graph inside the block, for compile(): whatever makes a number of a Value's data (``<``,
    ``float()``, ``detach()``, reading ``.data``) is refused, as is reading or writing the grad of a Value
    made outside the block. Yields the Values made inside, in order: ``inputs``, then every node ops build."""
    traced = Recording(inputs)
    with changed(traced=traced), guarded_slots():
        yield traced


def describe(args: Sequence[Any]) -> str:
    def one(a: Any) -> str:
        if isinstance(a, Node):
            return f"{a.label}={peek(a)!r}" if a.label else repr(peek(a))
        return repr(a)

    return ", ".join(one(a) for a in args)


def math_error(op: Op, args: Sequence[Any], error: Exception) -> Any:
    """Handle a float error in an op: for finite inputs, raise an error naming the op and its arguments;
    otherwise return NaN as the op's results, as in IEEE arithmetic."""
    xs = [peek(a) if isinstance(a, Node) else a for a in args]
    if all(math.isfinite(x) for x in xs):
        where = f" (defined for {op.domain})" if op.domain else ""
        problem = _PROBLEMS.get(type(error), "is outside the op's domain")
        message = f"{op.name}({describe(args)}) {problem}{where}"
        if not any(op is entry for entry in ops.TABLE):  # a user's op: its own message too, and the cause
            kind = next(k for k in MATH_ERRORS if isinstance(error, k))
            raise kind(f"{message}: {error}") from error
        raise_as(error, message)
    return (math.nan,) * (len(xs) + 1)


def check_forward(op: Op, args: Sequence[Any], result: Sequence[float]) -> None:
    if all(math.isfinite(r) for r in result):
        return
    what = "result" if not math.isfinite(result[0]) else "local gradient"
    raise FloatingPointError(
        f"detect_anomaly: {op.name}({describe(args)}) gave a non-finite {what}: "
        f"result {result[0]!r}, local gradients {list(result[1:])!r}"
    )


# ---- the graph walk ----------------------------------------------------------------------------------
_DONE = object()  # stack marker: the node under it has all its parents in the order


def topological_order(root: N, seen: set[N] | None = None) -> list[N]:
    """Return every Value that root was computed from, root last and each after its parents (an iterative
    depth-first post-order): the order ``backward()`` walks in reverse. The graph is not changed.

    ``seen``: Values already ordered (with all they were computed from), left out, and to which this
    order's Values are added: successive calls order the graphs of several roots with no repeats."""
    if not isinstance(root, Node):
        raise TypeError(
            f"expected a Value, the root of a graph, got {type(root).__name__}: {reprlib.repr(root)}"
        )
    order: list[N] = []
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


def accumulate_floats(order: Sequence[Node]) -> None:
    """Run _accumulate on floats with no one watching, unrolled over the node's slots: the hot path."""
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


def start_pass(order: Sequence[N]) -> list[tuple[N, Any]]:
    """Start a backward pass over ``order``: every grad set to 0.0. Return the leaves that held a grad
    other than the plain 0.0, with it, which the pass adds its sum to at the end."""
    held = []
    for v in order:
        if v._fn is None:
            grad = v.grad
            if type(grad) is not float or grad != 0.0:
                held.append((v, grad))
        v.grad = 0.0
    return held


def unwind_pass(order: Sequence[N], held: Sequence[tuple[N, Any]]) -> None:
    """Undo a pass that failed (an error, Ctrl-C): each leaf holds what it held before it, 0.0 if nothing."""
    for v in order:
        if v._fn is None:
            v.grad = 0.0
    for leaf, before in held:
        leaf.grad = before
