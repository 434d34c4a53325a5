"""See backprop, drawn and stepped through: the public path of ``autograd_lite.tools.viz``."""

from ._public import publish
from .tools.viz import *  # noqa: F403
from .tools.viz import __all__ as __all__

publish(globals())
del publish  # not an export of this module
