"""micrograd's ways with a Value, kept so that code written for micrograd runs unchanged: a node made by
hand (``Value(data, children, op)``, then ``out._backward = closure``), a node's own ``_backward()``
step, and the ``_op`` and ``_prev`` that its ``draw_dot`` reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Self

from .node import HAND, HandMade, Node, not_recording

__all__: list[str] = []  # the engine's Value is all the other layers see of it


class Micrograd(Node):
    """A node with micrograd's hand-made nodes and per-node ``_backward``; ``engine.Value`` is one."""

    __slots__ = ()

    def _made_by_hand(self, children: Iterable[Node], name: str) -> None:
        """Record micrograd's ``Value(data, children, op)``: the children, each with an unknown local."""
        if isinstance(children, str) or not isinstance(children, Iterable):
            raise TypeError(
                f"Value(): _children must be Values (micrograd's argument), got {children!r}; "
                f"for a label, pass label={children!r}"
            )
        kids = tuple(children)
        for kid in kids:
            if not isinstance(kid, Node):
                raise TypeError(f"Value(): _children must be Values, got {type(kid).__name__}: {kid!r}")
        if not isinstance(name, str):
            raise TypeError(f"Value(): _op must be a str, got {type(name).__name__}: {name!r}")
        if not kids:
            return
        self._fn = HandMade(name, kids)
        self._a = kids[0]
        if len(kids) > 1:
            self._b, self._db = kids[1], HAND
            self._more = tuple(x for kid in kids[2:] for x in (kid, HAND))

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: add each parent's ``local * self.grad`` to its grad, once (as the
        lecture runs backprop by hand); for a node made by hand, the closure it was given."""
        not_recording("_backward()", self)  # it adds numbers of today's data to the grads
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
    def _prev(self) -> set[Self]:  # micrograd's name, read by its draw_dot
        return set(self.parents)
