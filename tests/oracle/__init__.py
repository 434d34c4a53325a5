"""PyTorch as the tests' oracle, on every Python: the cases (each with our expression and torch's), and the
numbers torch gave for them, committed in torch.json by make_torch_oracle.py.

A CPU build of torch is to be had for Python 3.11 only; for 3.12 and 3.13 the package index serves a CUDA
build of several GB. So the tests compare the engine with the recorded numbers everywhere; where torch is
installed they also draw fresh inputs for it, and check that the file is what torch gives now.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

try:
    import torch
except ImportError:  # the recorded numbers stand in; the tests that need torch itself skip, or fail under CI
    torch = None

FILE = Path(__file__).with_name("torch.json")
MAKE = "make oracle, where torch is installed (Python 3.11)"

# Why a test that needs torch itself does not run: the first half of each skip's reason.
TORCH_ONLY_ON_311 = "torch's CPU build is installed for Python 3.11 only"


@functools.cache
def recorded() -> dict[str, Any]:
    """Return the committed oracle, as make_torch_oracle.py wrote it."""
    return dict(json.loads(FILE.read_text()))


def records(section: str, name: str) -> Any:
    """Return what the oracle holds for one case of a section."""
    held = recorded()[section]
    if name not in held:
        raise LookupError(f"the oracle has no {section!r} case {name!r}: run {MAKE}")
    return held[name]
