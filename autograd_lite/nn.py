"""Neurons, layers and MLPs, in micrograd's spellings: the public path of ``autograd_lite.learning.nn``."""

from .learning.nn import *  # noqa: F403
from .learning.nn import __all__ as __all__
