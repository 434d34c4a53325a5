"""Tools for testing gradients: gradcheck, gradgradcheck, random graphs (``graphs``), and (with hypothesis)
``strategies``."""

from .checks import GradcheckError, gradcheck, gradgradcheck, gradient_report

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "gradient_report"]
