"""Value: the numbers users compute with, each op a new node of the graph, and backward.

Every op is an entry of the table in ``ops.py``: its method here (``x.tanh()``) and its operator
(``x * y``) build a node with the entry's forward, and ``apply`` does for any op what they do. The node's
storage and the graph walk are ``node.py``'s; the backward pass is ``graph.py``'s.
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
import operator
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, cast

from . import ops
from .graph import run_backward
from .micrograd import Micrograd
from .modes import MATH_ERRORS, NORMAL, Number, as_float, current_mode
from .node import (
    DATA_SLOT,
    FROZEN,
    GRAD_SLOT,
    DataRead,
    HandMade,
    Node,
    check_forward,
    concrete,
    describe,
    edges,
    math_error,
    not_recording,
    read_data,
    topological_order,
)
from .ops import Op

__all__ = ["VALUES", "Operand", "Value", "apply"]

_new = object.__new__


def _node(
    data: float, fn: Op, args: Sequence[Any], local_grads: Sequence[float], recording: bool = False
) -> Value:
    """Make a new node: ``args`` (Values first, then numbers) beside the local gradients of the Values. While
    compile() records, its data and grad slots are set as they are (Value's attributes are guarded)."""
    node: Value = _new(Value)
    if recording:
        DATA_SLOT.__set__(node, data)
        GRAD_SLOT.__set__(node, 0.0)
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
        if current_mode() is not NORMAL:
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

    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = f"{op.doc or op.name}, as a new node (see autograd_lite.ops)."
    return method


def _binary(op: Op) -> Callable[[Value, Operand], Value]:
    """Make the method of an op of two arguments whose first is a Value: operators, leaky_relu, elu, swish."""
    forward = op.forward

    def method(a: Value, b: Operand) -> Value:
        if current_mode() is not NORMAL:
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


class Value(Micrograd):
    """A scalar in a computation graph: its data, its gradient, and how it was computed."""

    __slots__ = ()

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

    def __reduce__(self) -> tuple[Any, ...]:
        """Return what pickling and copying keep: a leaf as its numbers; an interior node with its whole
        graph, laid out flat in topological order (no recursion, so a million-op chain copies), its ops by
        table name."""
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
            e = edges(v)  # (argument, local, ...): a Value as its position, a number as it is
            arguments = tuple(
                position[id(a)] if local is not None else a for a, local in zip(e[::2], e[1::2])
            )
            records.append((fn.name, arguments, e[1::2], v.data, v.grad, v.label))
        return (_graph, (records,))

    def __copy__(self) -> Value:
        """Return a new node with this one's data, grad, label, op and parents (the parents are shared)."""
        not_recording("copying", self)
        new: Value = _new(Value)
        for name in Node.__slots__:
            setattr(new, name, getattr(self, name))
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """Copy the graph under this node, walked in topological order (no recursion); leaves copied
        once each, through ``memo``, as ``copy.deepcopy`` shares them."""
        not_recording("copying", self)
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
            e = edges(v)  # its arguments, each Value one swapped for its copy, beside the same locals
            args = [memo[id(a)] if local is not None else a for a, local in zip(e[::2], e[1::2])]
            node = _node(v.data, fn, args, [local for local in e[1::2] if local is not None])
            node.grad, node.label = grad, v.label
            memo[id(v)] = node
        return memo[id(self)]  # type: ignore[no-any-return]

    # ---- orderings compare data; == and hash stay identity, as in micrograd, so lists and sets behave ---
    def __lt__(self, other: Operand) -> bool:
        return concrete(self, "<") < _data(other)

    def __le__(self, other: Operand) -> bool:
        return concrete(self, "<=") <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return concrete(self, ">") > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return concrete(self, ">=") >= _data(other)

    def __float__(self) -> float:
        return concrete(self, "float()")

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

    # ---- the table's named ops, one method each, declared for editors and type checkers (test_table.py
    # checks each against its entry): a method applies its op, with the entry's text as its docstring.
    exp = _unary(ops.EXP)
    """e ** x."""
    expm1 = _unary(ops.EXPM1)
    """e ** x - 1, exact near 0."""
    log = _unary(ops.LOG)
    """natural logarithm."""
    sqrt = _unary(ops.SQRT)
    """square root; infinite slope at 0."""
    sin = _unary(ops.SIN)
    """sine."""
    cos = _unary(ops.COS)
    """cosine."""
    tan = _unary(ops.TAN)
    """tangent."""
    atan = _unary(ops.ATAN)
    """arctangent."""
    sinh = _unary(ops.SINH)
    """hyperbolic sine."""
    cosh = _unary(ops.COSH)
    """hyperbolic cosine."""
    sigmoid = _unary(ops.SIGMOID)
    """1 / (1 + exp(-x)), without overflow."""
    tanh = _unary(ops.TANH)
    """hyperbolic tangent."""
    relu = _unary(ops.RELU)
    """max(x, 0); slope 0 at 0, as in PyTorch."""
    selu = _unary(ops.SELU)
    """scale * elu(x, alpha), SELU's constants."""
    mish = _unary(ops.MISH)
    """x * tanh(softplus(x))."""
    softplus = _unary(ops.SOFTPLUS)
    """log(1 + exp(x)), without overflow."""
    gelu = _unary(ops.GELU)
    """x * Phi(x) in tanh form, as PyTorch's approximate='tanh'."""

    def leaky_relu(self, alpha: Operand = 0.01) -> Value:
        """x above 0, alpha * x below; a Value alpha is learned."""
        return _LEAKY_RELU(self, alpha)

    def elu(self, alpha: Operand = 1.0) -> Value:
        """x above 0, alpha * (exp(x) - 1) below; a Value alpha is learned."""
        return _ELU(self, alpha)

    def swish(self, beta: Operand = 1.0) -> Value:
        """x * sigmoid(beta * x); a Value beta is learned."""
        return _SWISH(self, beta)

    @staticmethod
    def sum(values: Iterable[Operand]) -> Value:
        """Return the whole sum as one node (not a chain of additions)."""
        items = list(values)
        nodes = [v for v in items if isinstance(v, Value)]
        numbers_ = [as_float(v, "Value.sum()") for v in items if not isinstance(v, Value)]
        if not nodes:
            return Value(sum(numbers_))
        return _as_value(apply(ops.SUM, *nodes, *([sum(numbers_)] if numbers_ else [])))

    @staticmethod
    def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value:
        """Return sum(w * x) as one node, so a neuron is one node rather than 2n."""
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
        """Return a new leaf with the same data, cut off from this graph."""
        not_recording("detach()", self)  # a leaf of today's data: no op the tape could run again
        return Value(self.data, label=self.label)

    # ---- reverse mode ---------------------------------------------------------------------------------
    def backward(self, grad: Number = 1.0, *, create_graph: bool = False) -> None:
        """Add d(self)/d(leaf) * grad to every leaf's .grad; interior nodes' grads are set afresh.

        With ``create_graph=True`` every grad is a Value whose own graph can be differentiated again.
        """
        run_backward(self, grad, derivatives=VALUES if create_graph else None)


Operand = Value | Number
# Each op of the table with a method name has its line in Value above: a new one without it stops here.
for _op in ops.TABLE:
    if _op.method and not hasattr(Value, _op.name):
        raise ImportError(
            f"the op {_op.name!r} of ops.py has no method in Value: add `{_op.name} = "
            f"_unary(ops.{_op.name.upper()})` and its doc to the class in engine.py"
        )


def _leaf(data: float, grad: Any, label: str) -> Value:
    """Rebuild a leaf from what ``Value.__reduce__`` saved."""
    v = Value(data, label=label)
    v.grad = grad
    return v


def _graph(records: list[Any]) -> Value:
    """Rebuild a graph from what ``Value.__reduce__`` saved; return its last node (the one pickled)."""
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


def _all_values(items: Sequence[Any]) -> bool:
    """Return whether every item is a Value (or of a subclass); a long sequence by its few types, in C
    loops."""
    if len(items) <= 16:
        return all(isinstance(x, Value) for x in items)
    return all(issubclass(kind, Value) for kind in set(map(type, items)))


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _with_number(op: Op) -> Callable[[Value, Operand], Value]:
    """Return the maker of a named op's node that takes a number (alpha, beta) as well, as a method of Value
    calls it: anything but a number or a Value is refused, naming the parameter."""
    applied = _binary(op)
    ((name, _),) = op.params

    def method(a: Value, x: Operand) -> Value:
        out = applied(a, x)
        if out is NotImplemented:
            raise TypeError(f"{op.name}(): {name} must be a number or a Value, got {x!r}")
        return out

    return method


_LEAKY_RELU, _ELU, _SWISH = map(_with_number, (ops.LEAKY_RELU, ops.ELU, ops.SWISH))


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
    mode = current_mode()
    values: Sequence[Value] = args[:k]  # type: ignore[assignment]  # the first k are Values
    xs: list[Any] = [a.data for a in values] if mode.traced is None else list(map(read_data, values))
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
    if mode is NORMAL:
        return _node(result[0], op, args, result[1 : k + 1])
    if not mode.grad:
        if mode.traced is not None:
            raise DataRead(
                f"no_grad() makes {op.name}({describe(args)}) a constant while compile() records the graph: "
                f"{FROZEN}"
            )
        return Value(result[0])
    if mode.anomaly:
        if mode.traced is not None:
            raise DataRead(
                f"detect_anomaly() checks {op.name}({describe(args)}) while compile() records the graph: "
                "the tape would not check it again; run the compiled function under detect_anomaly() (it "
                "then runs f eagerly), or do not compile this function"
            )
        check_forward(op, args, result[: k + 1])
    node = _node(result[0], op, args, result[1 : k + 1], mode.traced is not None)
    if mode.traced is not None:
        mode.traced[node] = None
    return node


def _values_first(op: Op, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return the arguments with numbers as floats. Only numbers after the last Value fold into the node;
    earlier ones become leaves."""
    out: list[Any] = []
    for a in args:
        out.append(a if isinstance(a, Value) else as_float(a, f"{op.name}()"))
    last_value = max((i for i, a in enumerate(out) if isinstance(a, Value)), default=-1)
    return tuple(Value(a) if i < last_value and not isinstance(a, Value) else a for i, a in enumerate(out))


# ---- the rules' namespace on Values: each elementary function is its op, so derivatives are graphs ---------
def _number(x: Operand) -> float:
    """Return x as a number: a Value's data, which compile() refuses to freeze while it records."""
    return concrete(x, "a derivative") if isinstance(x, Value) else float(x)


def _ieee_pow(x: Operand, y: Operand) -> Value | float:
    """Return x ** y as a Value, or a constant where no node can hold it: x = 0 to a negative or a Value
    power."""
    if isinstance(x, Value) and (_number(x) != 0 or (not isinstance(y, Value) and _number(y) >= 0)):
        return x**y
    if isinstance(y, Value) and _number(x) != 0:
        return _number(x) ** y
    return float(ops.FLOATS.ieee_pow(_number(x), _number(y)))


#: What a rule's ``m`` is for ``backward(create_graph=True)``: the ops themselves, on Values and numbers.
VALUES: ops.Math = cast(
    ops.Math,
    SimpleNamespace(
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
    ),
)
