"""Parameters held in NumPy arrays from one compiled step to the next, their Values kept true.

A compiled step replays on an array of its parameters' data and adds their grads to an array; an
optimizer steps those arrays, and ``zero_grad`` zeroes them. Moving every number into its Value and
back at each step would cost more than the step itself, so a Value is brought up to date when it is
read: a held parameter's class is ``HeldValue``, whose ``data`` and ``grad`` first copy the arrays into
every Value of its store if the arrays are newer (once, until the next step), and whose writes mark
the Values newer, so that the next step reads them into the arrays. Everything else sees Values.

A store lives while a tape or an optimizer uses it (each holds a ``Rows`` of it); after the last one
goes, its Values get the arrays' numbers and become plain Values again.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from .engine import Value
from .node import Node

# Value's own attributes, read at each access: the slots, or the guard compile() puts there while it records.
_CLASS = Node.__dict__
_DATA, _GRAD = _CLASS["data"], _CLASS["grad"]  # the slots themselves, for the store's own copies


class Store:
    """Parameters' data and grads in two arrays, and which side is newer: the arrays, the Values, or
    neither (they agree)."""

    def __init__(self, values: Sequence[Value], np: Any) -> None:
        self.values = list(values)
        self.np = np
        self.data = np.array([_DATA.__get__(v) for v in self.values], dtype=float)
        self.grad = np.array([_GRAD.__get__(v) for v in self.values], dtype=float)
        self.newer: str | None = None  # "arrays", "values" or None
        self.users = 0
        _STORES[id(self)] = self
        for i, v in enumerate(self.values):
            _HELD[id(v)] = (self, i)
            v.__class__ = HeldValue

    def to_values(self) -> None:
        """Copy the arrays' numbers into the Values, if the arrays are newer."""
        if self.newer != "arrays":
            return
        set_data, set_grad = _DATA.__set__, _GRAD.__set__
        for v, d, g in zip(self.values, self.data.tolist(), self.grad.tolist()):
            set_data(v, d)
            set_grad(v, g)
        self.newer = None

    def to_arrays(self) -> bool:
        """Copy the Values' numbers into the arrays, if the Values are newer; return False (and let the store
        go) if a grad is no longer a number (a Value, from ``backward(create_graph=True)``)."""
        if self.newer != "values":
            return True
        grads = [_GRAD.__get__(v) for v in self.values]
        if not all(type(g) is float for g in grads):
            self.release()
            return False
        self.data[:] = [_DATA.__get__(v) for v in self.values]
        self.grad[:] = grads
        self.newer = None
        return True

    def release(self) -> None:
        """Bring the Values up to date and make them plain again; the store holds nothing after."""
        self.to_values()
        for v in self.values:
            if _HELD.get(id(v), (None,))[0] is self:
                del _HELD[id(v)]
                v.__class__ = Value
        self.values = []
        self.newer = None
        _STORES.pop(id(self), None)


#: Each held Value (by id) with its store and its place there. The store keeps the Value alive.
_HELD: dict[int, tuple[Store, int]] = {}
_STORES: dict[int, Store] = {}  # the stores that hold Values


def _through_store(name: str) -> property:
    """Make Value's attribute ``name`` (data or grad) for a held parameter: its store's arrays copied into the
    Values first if they are newer; a write marks the Values newer."""

    def get(v: Value) -> Any:
        _HELD[id(v)][0].to_values()
        return _CLASS[name].__get__(v, Value)

    def put(v: Value, x: Any) -> None:
        store = _HELD[id(v)][0]
        store.to_values()
        _CLASS[name].__set__(v, x)
        store.newer = "values"

    return property(
        get, put, doc=f"The Value's {name}, brought up to date from its store's arrays when read."
    )


class HeldValue(Value):
    """A parameter whose data and grad a store holds in arrays between compiled steps: a Value in every
    way, whose reads bring it up to date and whose writes the next step sees."""

    __slots__ = ()


for _name in ("data", "grad"):  # over Value's slots
    setattr(HeldValue, _name, _through_store(_name))


class Rows:
    """Some parameters' places in the arrays of their stores, in a given order: what a tape or an
    optimizer reads and writes there. While it lives, so do its stores."""

    def __init__(self, params: Sequence[Value], np: Any) -> None:
        self.np = np
        self.source = params
        new = [p for p in dict.fromkeys(params) if id(p) not in _HELD]
        if new:
            Store(new, np)
        places = [_HELD[id(p)] for p in params]
        self.stores = list({id(s): s for s, _ in places}.values())
        self.parts = []  # for each store: where its parameters go in the row, and their places there
        for store in self.stores:
            mine = [(k, i) for k, (s, i) in enumerate(places) if s is store]
            at = np.array([k for k, _ in mine], dtype=np.intp)
            index = np.array([i for _, i in mine], dtype=np.intp)
            if len(index) and (index == np.arange(index[0], index[0] + len(index))).all():
                index = slice(int(index[0]), int(index[0]) + len(index))  # a view, not a copy
            self.parts.append((store, at, index))
            store.users += 1
        self.n = len(params)
        #: Where the parameters are all of one store's, in its order: their slice of its arrays, else None.
        self.span: slice | None = None
        if len(self.parts) == 1 and isinstance(self.parts[0][2], slice) and self.parts[0][1].size == self.n:
            self.span = self.parts[0][2] if (self.parts[0][1] == np.arange(self.n)).all() else None
        weakref.finalize(self, _let_go, self.stores)

    def current(self) -> bool:
        """Return whether the arrays can be used: the Values' newer numbers read in; False if a store let
        go."""
        return all(store.to_arrays() and store.values for store in self.stores)

    def data(self) -> Any:
        """Return the parameters' data, in order (a view where they are a slice of one store)."""
        return self._row("data")

    def grads(self) -> Any:
        """Return the parameters' grads, in order (a view where they are a slice of one store)."""
        return self._row("grad")

    def _row(self, name: str) -> Any:
        if self.span is not None:
            return getattr(self.parts[0][0], name)[self.span]
        out = self.np.empty(self.n)
        for store, at, index in self.parts:
            out[at] = getattr(store, name)[index]
        return out

    def set_data(self, values: Any) -> None:
        """Write the parameters' new data (in order) into the arrays, as an optimizer's step does."""
        for store, at, index in self.parts:
            store.data[index] = values if self.span is not None else values[at]
            store.newer = "arrays"

    def add_grads(self, sums: Any, n: int) -> None:
        """Add a backward pass's sums to the first n parameters' grads, as ``backward()`` adds them (up to
        a zero's sign: 0.0 + -0.0 is 0.0 here)."""
        with self.np.errstate(all="ignore"):  # inf + -inf is NaN, quietly, as on floats
            if self.span is not None:
                store = self.parts[0][0]
                store.grad[self.span.start : self.span.start + n] += sums[:n]
                store.newer = "arrays"
                return
            for store, at, index in self.parts:
                keep = at < n
                store.grad[self.np.arange(store.grad.size)[index][keep]] += sums[at[keep]]
                store.newer = "arrays"

    def zero_grads(self) -> None:
        """Set the parameters' grads to 0 in the arrays, as ``zero_grad`` does."""
        for store, _, index in self.parts:
            store.grad[index] = 0.0
            store.newer = "arrays"


def _let_go(stores: list[Store]) -> None:
    for store in stores:
        store.users -= 1
        if store.users == 0:
            store.release()


def rows(params: Sequence[Value], np: Any) -> Rows | None:
    """Return the places of these parameters in arrays, holding those not held yet; None if one's grad is not
    a number (a Value, from ``backward(create_graph=True)``): those stay plain."""
    if not all(type(_GRAD.__get__(p)) is float for p in params if id(p) not in _HELD):
        return None
    return Rows(params, np)


_OWNED: weakref.WeakKeyDictionary[Any, Rows] = weakref.WeakKeyDictionary()


def rows_for(owner: Any, params: Sequence[Value]) -> Rows | None:
    """Return, for an optimizer, its parameters' places, if a compiled step holds every one (kept for it), and
    the arrays are up to date; else None, at the cost of one look-up where its first is not held."""
    kept = _OWNED.get(owner)
    if kept is not None and kept.source is params and kept.n == len(params) and kept.current():
        return kept
    if not params or id(params[0]) not in _HELD or not all(id(p) in _HELD for p in params):
        return None
    kept = _OWNED[owner] = Rows(params, _HELD[id(params[0])][0].np)
    return kept if kept.current() else None


def values_current() -> None:
    """Bring every held Value up to date: before compile() records f, which reads data as the engine does."""
    for store in list(_STORES.values()):
        store.to_values()
