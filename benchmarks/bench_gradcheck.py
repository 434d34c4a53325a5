"""gradcheck on many inputs: its cost grows with their number, not with its square."""

from __future__ import annotations

import time

from harness import Check, Section

from autograd_lite import Value
from autograd_lite.testing import gradcheck

GRADCHECK_INPUTS = (500, 1_000, 2_000)


def bench_gradcheck() -> Section:
    s = Section()
    times: dict[int, float] = {}
    for n in GRADCHECK_INPUTS:
        xs = [Value(0.01 * (i % 97) - 0.5, label=f"x{i}") for i in range(n)]
        t0 = time.perf_counter()
        assert gradcheck(lambda *v: Value.sum([a * a.tanh() for a in v]), xs)
        times[n] = time.perf_counter() - t0
    largest = GRADCHECK_INPUTS[-1]
    s.checks.append(
        Check(
            "gradcheck on many inputs",
            times[largest] <= 2.0,
            f"{largest:,} inputs in {times[largest]:.2f} s (target: at most 2 s); "
            + ", ".join(f"{n:,}: {t:.2f} s" for n, t in times.items()),
        )
    )
    s.notes.append(
        "gradcheck: f = sum(x * tanh(x)) over n inputs, every one read by f. Each input moves by four "
        "steps; only the nodes downstream of it are computed again (here its own two and the sum)."
    )
    return s
