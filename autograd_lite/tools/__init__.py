"""Tools over the core and learning: pictures and the stepper, gradient tests, expressions and the CLI."""
