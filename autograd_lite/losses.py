"""Losses of a batch of outputs against targets: the public path of ``autograd_lite.learning.losses``."""

from ._public import publish
from .learning.losses import *  # noqa: F403
from .learning.losses import __all__ as __all__

publish(globals())
del publish  # not an export of this module
