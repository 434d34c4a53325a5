"""See backprop: draw a computation graph (``draw``) and step through its backward pass (``step_through``)."""

try:
    import graphviz  # noqa: F401
except ImportError as e:  # an optional dependency: say how to get it
    raise ImportError("autograd_lite.viz needs the graphviz package: pip install 'autograd-lite[viz]'") from e

from ...core.engine import Step
from .graph import GraphView, draw
from .stepper import Stepper, step_through

__all__ = ["GraphView", "Step", "Stepper", "draw", "step_through"]
