"""autograd-lite: a scalar reverse-mode automatic differentiation engine."""

from ._public import publish
from .core.compile import compile
from .core.engine import Value
from .core.extend import define_op
from .core.functional import grad, hessian, value_and_grad
from .core.modes import detect_anomaly, is_grad_enabled, no_grad

__all__ = [
    "Value",
    "compile",
    "define_op",
    "detect_anomaly",
    "grad",
    "hessian",
    "is_grad_enabled",
    "no_grad",
    "value_and_grad",
]
publish(globals())
del publish  # not an export of this module
__version__ = "0.1.0"  # the one place the version is written: the package metadata reads it here
