"""A random graph of 40,000 `+` and `*` ops, built and differentiated by both engines."""

from __future__ import annotations

import math
import sys
from typing import Any

from harness import (
    DEEP_STACK_BYTES,
    Check,
    Row,
    Section,
    ValueFactory,
    ms,
    run_deep,
    time_build_backward,
    times,
)
from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]

from autograd_lite import Value as LiteValue
from autograd_lite.testing.graphs import random_program

# ---- 1. random graph -------------------------------------------------------------------------------
GRAPH_SEED = 0
GRAPH_LEAVES = 10
GRAPH_OPS = 40_000


def random_graph_plan(seed: int, n_leaves: int, n_ops: int) -> tuple[list[float], list[tuple[bool, int]]]:
    """Leaf values and a list of (is_mul, other_index) steps, drawn before anything is timed.

    The graph is the package's chain program (``autograd_lite.testing.graphs.random_program`` with
    ``chain=True``): node i (after the leaves) is ``node[i-1] OP node[other]``, so the last node reaches
    every node. To keep values bounded without extra constant nodes (which would add work to one engine
    and not the other): leaves are uniform in [0.5, 1.0]; a ``*`` takes a random *leaf* as its other
    operand, so it shrinks the running value by 0.75 on average; a ``+`` takes any earlier node
    (uniform), so it pulls a small running value back up to the scale of earlier nodes. The two
    balance: over 40,000 ops the values stay between about 0.1 and 1e15 across seeds, and so do the
    gradients. Here the program's steps become a plain list, so the timed loop reads only a flag and
    an index per op.
    """
    program = random_program(
        seed, min_inputs=n_leaves, max_inputs=n_leaves, min_steps=n_ops, max_steps=n_ops, chain=True
    )
    return list(program.inputs), [(op == "*", other) for _, op, _, other in program.steps]


def build_random_graph(make: ValueFactory, leaves: list[float], plan: list[tuple[bool, int]]) -> GraphRoot:
    """The same Python loop for both engines; returns the root, with ``.leaves`` kept alongside."""
    nodes = [make(x) for x in leaves]
    append = nodes.append
    prev = nodes[-1]
    for is_mul, j in plan:
        prev = prev * nodes[j] if is_mul else prev + nodes[j]
        append(prev)
    return GraphRoot(prev, nodes[: len(leaves)])


class GraphRoot:
    """The root node and the leaves, so the leaves' gradients can be checked after backward."""

    __slots__ = ("leaves", "node")

    def __init__(self, node: Any, leaves: list[Any]) -> None:
        self.node = node
        self.leaves = leaves

    def backward(self) -> None:
        self.node.backward()


def bench_random_graph() -> Section:
    leaves, plan = random_graph_plan(GRAPH_SEED, GRAPH_LEAVES, GRAPH_OPS)
    depth = GRAPH_LEAVES + GRAPH_OPS

    def build_lite() -> GraphRoot:
        return build_random_graph(LiteValue, leaves, plan)

    def build_micro() -> GraphRoot:
        return build_random_graph(MicrogradValue, leaves, plan)

    # Each engine's last graph is summarised and freed before the other engine runs.
    lite, root = time_build_backward(build_lite)
    root_data = root.node.data
    lite_grads = [leaf.grad for leaf in root.leaves]
    del root
    micro, root = run_deep(lambda: time_build_backward(build_micro), depth)
    micro_root_data = root.node.data
    micro_grads = [float(leaf.grad) for leaf in root.leaves]
    del root

    name = f"random graph, {GRAPH_OPS:,} `+`/`*` ops"
    s = Section()
    s.rows += [
        Row(f"{name}: build", ms(lite.build), ms(micro.build), times(micro.build / lite.build)),
        Row(
            f"{name}: backward", ms(lite.backward), ms(micro.backward), times(micro.backward / lite.backward)
        ),
        Row(f"{name}: build + backward", ms(lite.total), ms(micro.total), times(micro.total / lite.total)),
    ]
    ratio = micro.total / lite.total
    s.checks.append(
        Check(
            "random graph speed",
            ratio >= 5.0,
            f"micrograd / autograd-lite build + backward = {ratio:.2f}x (target: at least 5x)",
        )
    )

    # Sanity: a bounded, connected graph on which both engines agree.
    bounded = math.isfinite(root_data) and root_data != 0.0
    connected = all(math.isfinite(g) and g != 0.0 for g in lite_grads)
    agree = root_data == micro_root_data and all(
        math.isclose(a, b, rel_tol=1e-9) for a, b in zip(lite_grads, micro_grads)
    )
    s.checks.append(
        Check(
            "random graph sanity",
            bounded and connected and agree,
            f"root data {root_data:.4g} (finite, nonzero: {bounded}); every leaf grad finite and nonzero: "
            f"{connected}; engines agree on root data and leaf grads: {agree}",
        )
    )
    s.notes.append(
        f"Random graph: seed {GRAPH_SEED}, {GRAPH_LEAVES} leaves uniform in [0.5, 1.0], then {GRAPH_OPS:,} "
        "nodes `prev OP other`: `prev` the previous node, OP `+` or `*` with equal probability; a `*` "
        "multiplies by a random leaf, a `+` adds a uniformly random earlier node (this keeps values "
        "bounded). The plan is drawn before timing; both engines run the same loop."
    )
    s.notes.append(
        f"micrograd's backward is a recursive depth-first search, {depth:,} frames deep here: its runs "
        f"use `sys.setrecursionlimit({depth + 1_000:,})` in a thread with a "
        f"{DEEP_STACK_BYTES // 2**20} MiB stack (`threading.stack_size`). autograd-lite runs in the main "
        f"thread at the default recursion limit ({sys.getrecursionlimit():,})."
    )
    return s
