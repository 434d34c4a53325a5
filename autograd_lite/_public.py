"""What the public modules (``autograd_lite``, ``.nn``, ``.optim``, ...) share: the objects they re-export
from the layers report the path users import them from, as JAX's do (``jax.numpy.sum``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import FunctionType
from typing import Any, TypeVar


def publish(namespace: Mapping[str, Any]) -> None:
    """Set ``__module__`` of each class, function and type variable that the module of ``namespace``
    lists in ``__all__`` to that module's name, so that reprs, ``help()``, pickles and the API pages say
    ``autograd_lite.nn.MLP`` rather than ``autograd_lite.learning.models.MLP``. Pickles that name the old
    path still load: the layers' modules keep their names. Data (a constant, a type alias) has no
    ``__module__`` of its own and is left as it is."""
    for name in namespace["__all__"]:
        obj = namespace[name]
        if isinstance(obj, type | FunctionType | TypeVar):
            obj.__module__ = namespace["__name__"]
