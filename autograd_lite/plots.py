"""Pictures of what a model learned: the public path of ``autograd_lite.learning.plots``."""

from ._public import publish
from .learning.plots import *  # noqa: F403
from .learning.plots import __all__ as __all__

publish(globals())
del publish  # not an export of this module
