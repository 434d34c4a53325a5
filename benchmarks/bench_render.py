"""Layout time of the largest and densest graphs draw() accepts (300 values, 12,000 layers passed by edges),
in the worst shapes found, per renderer."""

from __future__ import annotations

import time

from harness import Check, Section

from autograd_lite import Value
from autograd_lite.tools.language import parse
from autograd_lite.tools.viz.render import resolve
from autograd_lite.viz import draw

RENDER_LIMIT_SECONDS = 10.0


def sums_of_the_ones_before(values: int, window: int) -> Value:
    """``values`` values, each the sum of the ``window`` before it."""
    pool = [Value(0.5, label="x")]
    pool.append(pool[0] * 1.0)
    while len(pool) < values:
        pool.append(Value.sum(pool[-window:]))
    return pool[-1]


def shapes() -> dict[str, Value]:
    """Graphs of at most 300 values: a large fan-out (x read 296 times), a chain, dense reuse, and the
    densest graphs accepted, whose edges cross most: each value a sum of earlier ones."""
    e = parse("+".join(["x*x*x*x"] * 74), {"x": 0.5})
    fan = e(*e.inputs)
    chain = Value(1.0, label="x")
    for _ in range(299):
        chain = chain * 1.0001
    pool = [Value(0.5, label="x")]
    for _ in range(299):
        pool.append(pool[-1] * pool[max(0, len(pool) - 7)])
    return {
        "fan-out (74 sums of x*x*x*x)": fan,
        "chain of 299 ops": chain,
        "reuse (each node of 2 of 7)": pool[-1],
        "291 values, each the sum of the 7 before": sums_of_the_ones_before(291, 7),
        "34 values, each the sum of all before": sums_of_the_ones_before(34, 34),
    }


def bench_render() -> Section:
    s = Section()
    times: dict[str, float] = {}
    for name, root in shapes().items():
        root.backward()
        for renderer in ("system", "wasm"):
            try:
                resolve(renderer)
            except RuntimeError:
                continue  # not installed here
            view = draw(root, renderer=renderer)
            t0 = time.perf_counter()
            view.to_svg()
            times[f"{name}, {renderer}"] = time.perf_counter() - t0
    worst = max(times, key=lambda k: times[k])
    s.checks.append(
        Check(
            "layout time of what draw() accepts",
            times[worst] <= RENDER_LIMIT_SECONDS,
            f"slowest: {worst} in {times[worst]:.2f} s (target: at most {RENDER_LIMIT_SECONDS:.0f} s); "
            + ", ".join(f"{k}: {t:.2f} s" for k, t in times.items()),
        )
    )
    return s
