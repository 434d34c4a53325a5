"""Hypothesis strategies for gradient tests: the public path of ``autograd_lite.tools.testing.strategies``."""

from ..tools.testing.strategies import *  # noqa: F403
from ..tools.testing.strategies import __all__ as __all__
