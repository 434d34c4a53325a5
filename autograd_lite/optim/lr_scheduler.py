"""Learning-rate schedules, as in torch.optim.lr_scheduler: the public path of
``autograd_lite.learning.lr_scheduler``."""

from .._public import publish
from ..learning.lr_scheduler import *  # noqa: F403
from ..learning.lr_scheduler import __all__ as __all__

publish(globals())
del publish  # not an export of this module
