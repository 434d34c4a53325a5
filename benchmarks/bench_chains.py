"""Long chains: build and backward time for 100,000 to 2,000,000 ops, linear in the graph's size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import (
    Check,
    Row,
    Section,
    Timing,
    ValueFactory,
    full_collections,
    ms,
    run_deep,
    time_build_backward,
    times,
)
from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]

from autograd_lite import Value as LiteValue

# ---- 3. long chains --------------------------------------------------------------------------------
CHAIN_SHORT = 100_000
CHAIN_LONG = 1_000_000
CHAIN_LONGEST = 2_000_000
CHAIN_SIZES = (CHAIN_SHORT, CHAIN_LONG, CHAIN_LONGEST)
CHAIN_FACTOR = 0.99999  # not 0.999: 0.999 ** 1e6 underflows (through subnormals) to 0.0
CHAIN_REPEATS = 3  # fewer than elsewhere: a 2,000,000-op run takes seconds


def bench_chains() -> Section:
    def chain(make: ValueFactory, n: int) -> Callable[[], Any]:
        def build() -> Any:
            v = make(1.0)
            for _ in range(n):
                v = v * CHAIN_FACTOR
            return v

        return build

    def lite(n: int, gc_paused: bool = False) -> Timing:
        # [0]: only the timing; the last graph is freed at once, before the next run.
        return time_build_backward(chain(LiteValue, n), CHAIN_REPEATS, gc_paused=gc_paused)[0]

    short, long, longest = lite(CHAIN_SHORT), lite(CHAIN_LONG), lite(CHAIN_LONGEST)
    short_paused, long_paused = lite(CHAIN_SHORT, gc_paused=True), lite(CHAIN_LONG, gc_paused=True)
    micro = run_deep(lambda: time_build_backward(chain(MicrogradValue, CHAIN_SHORT))[0], CHAIN_SHORT + 1)
    collections = {n: full_collections(lambda n=n: chain(LiteValue, n)().backward()) for n in CHAIN_SIZES}

    s = Section()
    label = f"`v = v * {CHAIN_FACTOR}` chain"
    s.rows += [
        Row(
            f"{CHAIN_SHORT:,}-op {label}: build + backward",
            ms(short.total),
            ms(micro.total),
            times(micro.total / short.total),
        ),
        Row(f"{CHAIN_LONG:,}-op {label}: build", ms(long.build), "n/a (see notes)"),
        Row(f"{CHAIN_LONG:,}-op {label}: backward", ms(long.backward), "n/a (see notes)"),
        Row(f"{CHAIN_LONG:,}-op {label}: build + backward", ms(long.total), "n/a (see notes)"),
        Row(
            f"{CHAIN_LONG:,} / {CHAIN_SHORT:,} ops, build + backward time (linear: 10)",
            f"{long.total / short.total:.1f}",
            "n/a",
        ),
        Row(
            "the same, garbage collector paused (linear: 10)",
            f"{long_paused.total / short_paused.total:.1f}",
            "n/a",
        ),
        Row(
            f"{CHAIN_LONGEST:,} / {CHAIN_LONG:,} ops, build + backward time (linear: 2)",
            f"{longest.total / long.total:.2f}",
            "n/a",
        ),
    ]
    engine_ratio = long_paused.total / short_paused.total
    s.checks.append(
        Check(
            "linear in graph size (the engine's own work)",
            engine_ratio <= 12.0,
            f"1M-op / 100k-op chain time with the garbage collector paused = {engine_ratio:.1f} "
            "(linear is 10; target: <= 12, i.e. 20% slack)",
        )
    )
    big_ratio = longest.total / long.total
    s.checks.append(
        Check(
            "linear in graph size (with the garbage collector)",
            big_ratio <= 2.4,
            f"2M-op / 1M-op chain time = {big_ratio:.2f} (linear is 2; target: <= 2.4, i.e. 20% slack)",
        )
    )
    s.notes.append(
        f"Chains: build is `v = v * {CHAIN_FACTOR}` in a Python loop, then `v.backward()`; best of "
        f"{CHAIN_REPEATS} runs. micrograd is timed at {CHAIN_SHORT:,} ops only (recursive backward, run as "
        f"above): at {CHAIN_LONG:,} ops it would need a million-frame recursion (on Python 3.10 every frame "
        "also takes C stack) and about 1.2 GB for the graph, which is not reliable, so it is skipped there."
    )
    counted = ", ".join(f"{collections[n]} at {n:,} ops" for n in CHAIN_SIZES)
    s.notes.append(
        "Linearity: the engine's own work per op is constant: see the ratio with the garbage collector "
        "paused. With it running, CPython starts a full collection (one that visits every live object) "
        "after each 70,000 or so new objects, but only once the objects added since the last one are a "
        f"quarter of all live objects. Full collections during one build + backward: {counted}. So a "
        "small graph pays less collector time per op than a large one, and the 1M / 100k ratio exceeds "
        "10 for any graph of Python objects, micrograd's too; past a million ops time grows linearly again."
    )
    return s
