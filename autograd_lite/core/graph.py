"""Backward: the one pass that ``backward()``, the stepper and compile's recording run, edge by edge."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Generic, NamedTuple

from .modes import Number, Recording, as_float, changed, current_mode
from .node import (
    FROZEN,
    DataRead,
    HandMade,
    N,
    Node,
    accumulate_floats,
    describe,
    peek,
    shown,
    start_pass,
    topological_order,
    unwind_pass,
)
from .ops import Op

__all__ = ["Step", "run_backward"]  # what the other layers use; add_pass is compile's too


class Step(NamedTuple, Generic[N]):
    """One chain-rule application: ``parent.grad += local * upstream``, where upstream is ``node.grad``."""

    node: N  #: The node whose gradient flows back.
    arg: int  #: Which of node's parents (a node can use one parent twice, as in x * x).
    parent: N  #: The parent that it flows to.
    local: Any  #: d node / d parent.
    upstream: Any  #: node.grad: the gradient that has reached node.
    contribution: Any  #: local * upstream.
    #: parent.grad after this step (a leaf adds any grad from before at the end, as in backward).
    grad: Any


def run_backward(
    root: N,
    grad: Number = 1.0,
    *,
    derivatives: Any = None,
    on_step: Callable[[Step[N]], None] | None = None,
) -> list[tuple[N, Any, Any]]:
    """Run backward from root, the one implementation: ``root.backward()`` and the stepper call it.

    The rules, as in PyTorch: every grad under root starts from zero and root's is the seed ``grad``; in
    reverse topological order each edge adds ``local * node.grad`` to its parent; at the end a leaf that
    held a grad adds this pass's sum to it once. ``on_step`` sees each edge as it is applied.
    ``derivatives``, for ``create_graph``: the namespace an op's rule runs on to give its derivatives as
    Values (``engine.VALUES``); every grad is then a Value. Return the leaves that held a grad: (leaf,
    that grad, this pass's sum).
    """
    seed = as_float(grad, "backward()")
    order = topological_order(root)
    create_graph = derivatives is not None
    traced = current_mode().traced
    if traced is not None:
        _check_recordable(order, create_graph, traced)
    if create_graph:  # refused before any grad changes
        hand = next((v for v in order if type(v.primitive) is HandMade), None)
        if hand is not None:
            raise TypeError(
                f"backward(create_graph=True) cannot differentiate the node {describe([hand])}, made by "
                f"hand (Value(data, children, {hand.op!r}) with a _backward closure): declare its op with "
                "define_op, which takes its derivatives as Values"
            )
    held = start_pass(order)
    try:
        if create_graph:
            root.grad = type(root)(seed)  # type: ignore[call-arg]  # the root's class: the engine's Value
            if traced is not None:  # a constant the recorded derivatives start from
                traced[root.grad] = None
            with changed(grad=True):
                _accumulate(order, lambda node: _derivatives_as_values(node, derivatives), on_step)
        else:
            root.grad = seed
            if on_step is not None or current_mode().anomaly:
                _accumulate(order, _local_grads, on_step if not current_mode().anomaly else _checked(on_step))
            else:
                accumulate_floats(order)
    except BaseException:  # a pass that fails (an error, Ctrl-C) adds nothing: leaves keep what they held
        unwind_pass(order, held)
        raise
    added = []
    for leaf, before in held:
        added.append((leaf, before, leaf.grad))
        add_pass(leaf, before, leaf.grad)
    return added


def _check_recordable(order: list[N], create_graph: bool, traced: Recording) -> None:
    """Refuse a backward pass inside a function compile() records, unless the tape can replay it: with
    ``create_graph=True`` (gradients as Values, not numbers), over Values made inside the recording only
    (the tape does not replay what it adds to the grad of any other, such as a parameter)."""
    if not create_graph:
        raise TypeError(
            f"backward() from {shown(order[-1])} while compile() records the graph makes its gradients "
            "numbers: the tape would keep them as they are now. A compiled function's call runs backward "
            "from f's first output itself; for a derivative inside f, use backward(create_graph=True)"
        )
    outside = next((v for v in order if v not in traced), None)
    if outside is not None:
        raise TypeError(
            f"backward(create_graph=True) while compile() records the graph reaches {shown(outside)}, "
            "which was not made inside the recording (a parameter, a leaf made in f by Value(...), or a "
            "node built before f was called): the tape cannot add to its grad as the eager engine does; "
            "take this derivative outside the compiled function, or do not compile this function"
        )


def _accumulate(
    order: list[N], locals_of: Callable[[N], Iterable[Any]], on_step: Callable[[Step[N]], None] | None
) -> None:
    """Apply the chain rule edge by edge: parent.grad += local * node.grad, children before parents."""
    for node in reversed(order):
        fn = node.primitive
        if fn is None:
            continue
        g = node.grad
        if type(fn) is HandMade:
            _run_closure(node, fn, on_step)
            continue
        for arg, (parent, local) in enumerate(zip(node.parents, locals_of(node))):
            contribution = local * g
            held = parent.grad
            # a Value contribution replaces the plain 0.0 a pass starts from (no 0.0 + ... node)
            replace = isinstance(contribution, Node) and _plain_zero(held)
            parent.grad = contribution if replace else held + contribution
            if on_step is not None:
                on_step(Step(node, arg, parent, local, g, contribution, parent.grad))


def _run_closure(node: N, hand: HandMade, on_step: Callable[[Step[N]], None] | None) -> None:
    """Run a node made by hand: its closure, and a step per child for what it added (local = added /
    upstream)."""
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
        on_step(Step(node, arg, kid, added / g if g else math.nan, g, added, kid.grad))  # type: ignore[arg-type]


def add_pass(leaf: Node, before: Any, total: Any) -> None:
    """End a backward pass for a leaf: its grad is ``before + total``, this pass's sum added once (as in
    PyTorch, whose rounding this keeps), or just ``total`` if it held the plain 0.0 before."""
    leaf.grad = total if _plain_zero(before) else before + total


def _plain_zero(grad: Any) -> bool:
    """Return whether a grad is the plain float 0.0 a pass starts from (not a Value, not a held sum)."""
    return type(grad) is float and grad == 0.0


def _local_grads(node: Node) -> tuple[float, ...]:
    return node.local_grads


def _derivatives_as_values(node: Node, values: Any) -> tuple[Any, ...]:
    """Return the node's local derivatives as Values, from its op's rule run on ``values``: what
    create_graph differentiates again."""
    fn = node.primitive
    assert isinstance(fn, Op)  # interior nodes made by ops: run_backward refuses nodes made by hand first
    parents = node.parents
    # The rule gives derivatives for its number arguments too, which nothing uses: built unchecked, and
    # only the parents' derivatives are checked under detect_anomaly.
    with changed(anomaly=False):
        try:
            derivatives = fn.derivatives(values, node, *parents, *node.constants)[: len(parents)]
        except DataRead:  # while compile() records: a sign, or a branch, taken from the data
            raise DataRead(
                f"backward(create_graph=True) builds the derivative of {fn.name}({describe(parents)}) from "
                f"its data as a number (a sign or a branch) while compile() records the graph: {FROZEN}"
            ) from None
    if current_mode().anomaly:
        for parent, d in zip(parents, derivatives):
            if not math.isfinite(peek(d) if isinstance(d, Node) else d):
                raise FloatingPointError(
                    f"detect_anomaly: the derivative of {describe([node])} ({fn.name}) for its input "
                    f"{describe([parent])} is not finite: {d!r}"
                )
    return derivatives


def _checked(on_step: Callable[[Step[N]], None] | None) -> Callable[[Step[N]], None]:
    """Return an on_step for detect_anomaly: stop at the first non-finite gradient, naming the op and
    the numbers."""

    def check(step: Step[N]) -> None:
        if not math.isfinite(step.grad):
            raise FloatingPointError(
                f"detect_anomaly: backward through {step.node.op} made a non-finite gradient for its input "
                f"{describe([step.parent])}: local gradient {step.local!r} * upstream gradient "
                f"{step.upstream!r} (node {describe([step.node])})"
            )
        if on_step is not None:
            on_step(step)

    return check
