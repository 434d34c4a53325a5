"""What ops and backward do here: record a graph or not (``no_grad``), check for NaN (``detect_anomaly``),
or be recorded by compile(); and the errors of float arithmetic they raise."""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, NoReturn

# What the other layers use; the rest is the core's own (its modules share it).
__all__ = [
    "MATH_ERRORS",
    "Mode",
    "Number",
    "Recording",
    "current_mode",
    "detect_anomaly",
    "is_grad_enabled",
    "no_grad",
    "raise_as",
]

Number = float | numbers.Real  # int, bool, numpy scalars, Fraction ...
#: The errors float arithmetic raises (math.log(0), 1 / 0, math.exp(1000)), which ops turn into their own.
MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


class Recording(dict[Any, None]):
    """What compile() records: the Values made inside the recording, in the order they were made (its
    inputs, then every node ops build), and the errors ops raised there (f may have caught them)."""

    def __init__(self, inputs: Iterable[Any]) -> None:
        super().__init__(dict.fromkeys(inputs))
        #: The messages of the math errors ops raised while recording, in order.
        self.errors: list[str] = []


class Mode(NamedTuple):
    """What ops and backward do here: set by no_grad, detect_anomaly and compile's recording."""

    grad: bool  #: Ops record the graph (False inside ``no_grad``).
    anomaly: bool  #: Ops and backward check for NaN and infinities (inside ``detect_anomaly``).
    #: While compile() records (else None): the Values made inside the recording in the order they were
    #: made, its inputs and every node ops build (a dict for its order); see ``node.tracing``.
    traced: Recording | None = None


NORMAL = Mode(grad=True, anomaly=False)  #: Outside every block: ops record, unchecked.
_mode: ContextVar[Mode] = ContextVar("autograd_lite_mode", default=NORMAL)
#: Return the mode here: whether ops record a graph, check for anomalies, or are being recorded by
#: compile(). (The context variable's own ``get``: ops read it on every call.)
current_mode: Callable[[], Mode] = _mode.get


@contextmanager
def changed(**changes: Any) -> Iterator[None]:
    """Run the block in the mode with these changes; restore the mode after it."""
    token = _mode.set(_mode.get()._replace(**changes))
    try:
        yield
    finally:
        _mode.reset(token)


def no_grad() -> AbstractContextManager[None]:
    """Record no graph inside the block: results are constants. Per thread and per async task."""
    return changed(grad=False)


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise FloatingPointError at the first op or backward step that makes a NaN or an infinity."""
    return changed(anomaly=True)


def is_grad_enabled() -> bool:
    """Return whether ops record the graph here (False inside ``no_grad``)."""
    return _mode.get().grad


def as_float(x: object, what: str) -> float:
    """Return x as a float, if it is a real number; raise a TypeError naming ``what`` took it otherwise."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{what} takes a real number, got {type(x).__name__}: {reprlib.repr(x)}")


def raise_as(error: Exception, message: str) -> NoReturn:
    """Raise error's built-in kind (ValueError, ZeroDivisionError or OverflowError) with this message.

    The built-in class, not type(error): a subclass of the user's may not take a message alone. Its
    own message is kept as the cause.
    """
    kind = next(k for k in MATH_ERRORS if isinstance(error, k))
    raise kind(message) from (None if type(error) is kind else error)
