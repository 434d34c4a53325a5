"""Learning on the core: models, losses, optimizers, the training loop, datasets, checkpoints and plots.

It imports the core only; users import it from its public paths (``autograd_lite.nn``, ``.optim``, ...).
"""
