"""Memory per op node: the bytes a graph's nodes take, traced, for chains of each kind of op."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import (
    Check,
    Row,
    Section,
    ValueFactory,
    times,
    traced_bytes_per_op,
)
from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]

from autograd_lite import Value as LiteValue

# ---- 2. memory per op node -------------------------------------------------------------------------
MEMORY_OPS = 100_000


def chain_times_constant(make: ValueFactory) -> Callable[[int], Any]:
    def build(n: int) -> Any:
        v = make(1.0)
        for _ in range(n):
            v = v * 0.999
        return v

    return build


def chain_times_value(make: ValueFactory) -> Callable[[int], Any]:
    def build(n: int) -> Any:
        w = make(0.999)
        v = make(1.0)
        for _ in range(n):
            v = v * w
        return v

    return build


def chain_tanh(make: ValueFactory) -> Callable[[int], Any]:
    def build(n: int) -> Any:
        v = make(1.0)
        for _ in range(n):
            v = v.tanh()
        return v

    return build


def bench_memory() -> Section:
    n = MEMORY_OPS
    s = Section()

    lite = traced_bytes_per_op(chain_times_constant(LiteValue), n)
    micro = traced_bytes_per_op(chain_times_constant(MicrogradValue), n)
    s.rows.append(
        Row(
            f"memory per op, {n:,}-op chain `v = v * 0.999`",
            f"{lite:,.0f} B",
            f"{micro:,.0f} B",
            times(micro / lite),
        )
    )
    s.checks.append(
        Check(
            "memory per op",
            lite <= 150,
            f"autograd-lite {lite:,.0f} bytes per `v * 0.999` node (target: <= 150)",
        )
    )

    lite = traced_bytes_per_op(chain_times_value(LiteValue), n)
    micro = traced_bytes_per_op(chain_times_value(MicrogradValue), n)
    s.rows.append(
        Row(
            f"memory per op, {n:,}-op chain `v = v * w` (w a Value)",
            f"{lite:,.0f} B",
            f"{micro:,.0f} B",
            times(micro / lite),
        )
    )

    lite = traced_bytes_per_op(chain_tanh(LiteValue), n)
    s.rows.append(Row(f"memory per op, {n:,}-op chain `v = v.tanh()`", f"{lite:,.0f} B", "n/a (no tanh)"))

    s.notes.append(
        "Memory: growth of `tracemalloc`'s traced memory from before building the chain to after "
        f"(before any backward), divided by {n:,}. micrograd wraps the constant 0.999 in a new Value at "
        "every op, which is part of its cost; autograd-lite folds it into the node. micrograd 0.1.0 has "
        "no `tanh`."
    )
    return s
