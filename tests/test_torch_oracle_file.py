"""The committed oracle, tests/oracle/torch.json, is what tests/oracle/make_torch_oracle.py writes: never
edited by hand, never behind the cases or behind torch.

On every Python its cases and their inputs are the script's, to the bit (the seeded generator uses no libm,
only arithmetic that IEEE 754 rounds alike everywhere). Where torch is installed the script runs in process,
and every number in the file must be what torch gives now: equal, or within a few units in the last place,
since libm and torch's vectorized kernels may round the last bit differently on another CPU (the engine is
held to 1e-12).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from oracle import MAKE, TORCH_ONLY_ON_311, recorded, torch
from oracle.make_torch_oracle import build, plan, text

# How far a number may be from torch's now: a few units in the last place, and an absolute floor for a
# result of cancellation (1 - t * t, x - y), whose last bits follow those of its operands, near 1.
REL_DRIFT = 4 * 2.0**-52
ABS_DRIFT = 2.0**-52


def test_the_files_cases_and_their_inputs_are_the_scripts() -> None:
    file, planned = recorded(), plan()
    assert list(file) == ["about", "torch", *planned], f"run {MAKE}"
    for section, cases in planned.items():
        assert list(file[section]) == list(cases), f"{section}: run {MAKE}"
        for name, (inputs, _) in cases.items():
            if inputs is not None:  # repr-exact: -0.0 is not 0.0, every digit counts
                held = [inputs for inputs, _ in file[section][name]]
                assert json.dumps(held) == json.dumps(inputs), f"{section}: {name}: run {MAKE}"


def same(held: float, now: float) -> bool:
    both_nan = math.isnan(held) and math.isnan(now)
    return both_nan or held == now or math.isclose(held, now, rel_tol=REL_DRIFT, abs_tol=ABS_DRIFT)


def differences(held: Any, now: Any, where: str) -> Iterator[str]:
    """Where held (the file) and now (torch's numbers now) differ: a path and both values for each."""
    if isinstance(held, dict) and isinstance(now, dict) and list(held) == list(now):
        for key in now:
            yield from differences(held[key], now[key], f"{where}/{key}")
    elif isinstance(held, list) and isinstance(now, list) and len(held) == len(now):
        for i, (h, n) in enumerate(zip(held, now)):
            yield from differences(h, n, f"{where}[{i}]")
    elif not (type(held) is type(now) and (same(held, now) if isinstance(now, float) else held == now)):
        yield f"{where}: the file has {held!r}, torch gives {now!r}"


@pytest.fixture(scope="module")
def torch_now(need: Callable[[bool, str], None]) -> None:
    need(
        torch is not None,
        f"{TORCH_ONLY_ON_311}; the committed oracle is compared with torch where torch is installed "
        "(Python 3.11, and CI)",
    )


@pytest.mark.usefixtures("torch_now")
def test_the_files_numbers_are_what_torch_gives_now() -> None:
    now = json.loads(text(build()))  # as written: floats through repr, tuples as lists
    found = list(differences(recorded(), now, ""))
    assert not found, f"{len(found)} differences; {MAKE} writes the file anew:\n" + "\n".join(found[:20])
