"""Tools for testing gradients: gradcheck, gradgradcheck, random graphs (``graphs``), and (with hypothesis)
``strategies``."""

from .._public import publish
from ._checks import GradcheckError, Report, Row, gradcheck, gradgradcheck, gradient_report

__all__ = ["GradcheckError", "Report", "Row", "gradcheck", "gradgradcheck", "gradient_report"]
publish(globals())
del publish  # not an export of this module
