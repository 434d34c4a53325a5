"""Neurons, layers and MLPs, their files and PyTorch conversion: the public path of the learning
layer's ``models``, ``checkpoints`` and ``torch_interop``."""

from ._public import publish
from .learning import checkpoints, models
from .learning.checkpoints import *  # noqa: F403
from .learning.models import *  # noqa: F403
from .learning.torch_interop import TORCH_ACTIVATIONS

__all__ = [*models.__all__, *checkpoints.__all__, "TORCH_ACTIVATIONS"]

publish(globals())
del publish  # not an export of this module
