"""SGD, Adam and AdamW, as in torch.optim: the public path of ``autograd_lite.learning.optim``; and
their learning-rate schedules in ``autograd_lite.optim.lr_scheduler``."""

from .._public import publish
from ..learning.optim import *  # noqa: F403
from ..learning.optim import __all__ as __all__

publish(globals())
del publish  # not an export of this module
