"""Small seeded datasets for classification: the public path of ``autograd_lite.learning.data``."""

from .learning.data import *  # noqa: F403
from .learning.data import __all__ as __all__
