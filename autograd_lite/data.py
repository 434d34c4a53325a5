"""Small seeded datasets for classification: the public path of ``autograd_lite.learning.data``."""

from ._public import publish
from .learning.data import *  # noqa: F403
from .learning.data import __all__ as __all__

publish(globals())
del publish  # not an export of this module
