"""Fit(), the training loop, and its History: the public path of ``autograd_lite.learning.train``."""

from ._public import publish
from .learning.train import *  # noqa: F403
from .learning.train import __all__ as __all__

publish(globals())
del publish  # not an export of this module
