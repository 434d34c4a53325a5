"""Checks of derivatives against finite differences: the public path of ``autograd_lite.tools.testing``."""

from .._public import publish
from ..tools.testing import *  # noqa: F403
from ..tools.testing import __all__ as __all__

publish(globals())
del publish  # not an export of this module
