"""See backprop: draw a computation graph (``draw``) and step through its backward pass (``step_through``).

Drawing needs the graphviz package (``pip install 'autograd-lite[viz]'``); the stepper's records and
text table do not.
"""

from ...core.graph import Step
from .graph import GraphView, draw
from .stepper import Stepper, Update, step_through

__all__ = ["GraphView", "Step", "Stepper", "Update", "draw", "step_through"]
