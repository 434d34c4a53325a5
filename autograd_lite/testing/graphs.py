"""Random computation graphs as small programs: the public path of ``autograd_lite.tools.testing.graphs``."""

from .._public import publish
from ..tools.testing.graphs import *  # noqa: F403
from ..tools.testing.graphs import __all__ as __all__

publish(globals())
del publish  # not an export of this module
