"""Hypothesis strategies for gradient tests: the public path of ``autograd_lite.tools.testing.strategies``."""

from .._public import publish
from ..tools.testing.strategies import *  # noqa: F403
from ..tools.testing.strategies import __all__ as __all__

publish(globals())
del publish  # not an export of this module
