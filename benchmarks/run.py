"""Benchmark autograd-lite against micrograd on the same graphs; prints a markdown table.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``). It is a report, not a test: it
prints PASS/FAIL for each target and always exits 0.

To add a benchmark, write a function that returns a ``Section`` (rows for the table, checks against
targets, notes) and append it to ``BENCHMARKS``.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import random
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]
from micrograd.nn import MLP as MicrogradMLP  # type: ignore[import-untyped]

import autograd_lite
from autograd_lite import Value as LiteValue
from autograd_lite.core.compile import Backend
from autograd_lite.data import make_moons
from autograd_lite.losses import hinge, l2_penalty
from autograd_lite.nn import MLP as LiteMLP
from autograd_lite.optim import SGD
from autograd_lite.testing.graphs import random_program

ROOT = Path(__file__).resolve().parent.parent

T = TypeVar("T")
ValueFactory = Callable[[float], Any]  # LiteValue or MicrogradValue

REPEATS = 5  # timings are the best of this many runs, each after gc.collect(); gc stays enabled

# micrograd's backward sorts the graph with a recursive depth-first search, one Python frame per node
# along the deepest path. Its runs go through _run_deep: a thread with a large stack and a recursion
# limit above the depth. autograd-lite runs in the main thread at the default recursion limit.
DEEP_STACK_BYTES = 512 * 1024 * 1024


# ---- what a benchmark returns ----------------------------------------------------------------------
@dataclass
class Row:
    benchmark: str
    lite: str  # autograd-lite's figure, formatted
    micrograd: str  # micrograd's figure, formatted, or why there is none
    ratio: str = ""  # micrograd / autograd-lite, formatted


@dataclass
class Check:
    name: str
    passed: bool
    detail: str  # the figure and the target


@dataclass
class Section:
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # markdown tables of its own, printed after the main one


# ---- helpers ---------------------------------------------------------------------------------------
@dataclass
class Timing:
    build: float  # seconds, best of the repeats
    backward: float
    total: float  # best of (build + backward) within one repeat


def time_build_backward(
    build: Callable[[], Any], repeats: int = REPEATS, *, gc_paused: bool = False
) -> tuple[Timing, Any]:
    """Time ``root = build()`` and ``root.backward()`` separately; return the best times and the last root.

    With ``gc_paused``, the cyclic garbage collector is off while timing, to measure the engine's own work.
    """
    builds: list[float] = []
    backwards: list[float] = []
    totals: list[float] = []
    root: Any = None
    for _ in range(repeats):
        root = None  # free the previous graph before collecting, outside the timed region
        gc.collect()
        if gc_paused:
            gc.disable()
        try:
            t0 = time.perf_counter()
            root = build()
            t1 = time.perf_counter()
            root.backward()
            t2 = time.perf_counter()
        finally:
            gc.enable()
        builds.append(t1 - t0)
        backwards.append(t2 - t1)
        totals.append(t2 - t0)
    return Timing(min(builds), min(backwards), min(totals)), root  # the caller drops the root


def run_deep(fn: Callable[[], T], depth: int) -> T:
    """Run fn in a fresh thread with a big stack and a recursion limit above ``depth`` (for micrograd)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as e:  # re-raised in the caller's thread
            errors.append(e)

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(DEEP_STACK_BYTES)
    try:
        sys.setrecursionlimit(max(old_limit, depth + 1_000))
        worker = threading.Thread(target=target, name="deep-recursion")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if errors:
        raise errors[0]
    return result[0]


def traced_bytes_per_op(build: Callable[[int], Any], n: int) -> float:
    """Growth of tracemalloc's traced memory across ``build(n)``, divided by n (the result is kept alive)."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = build(n)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    gc.collect()
    return (after - before) / n


def full_collections(fn: Callable[[], Any]) -> int:
    """How many full (generation 2) garbage collections run during ``fn()``."""
    count = 0

    def on_gc(phase: str, info: dict[str, int]) -> None:
        nonlocal count
        count += phase == "start" and info["generation"] == 2

    gc.collect()
    gc.callbacks.append(on_gc)
    try:
        fn()
    finally:
        gc.callbacks.remove(on_gc)
    return count


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def times(x: float) -> str:
    return f"{x:.2f}x"


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_name() -> str:
    try:  # Linux; platform.processor() is often empty there
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


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
            ratio >= 4.0,
            f"micrograd / autograd-lite build + backward = {ratio:.2f}x (target: at least 4x)",
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
            lite <= 200,
            f"autograd-lite {lite:,.0f} bytes per `v * 0.999` node (target: <= 200)",
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


# ---- 4. one training step of micrograd's demo network ------------------------------------------------
TRAIN_POINTS = 100
TRAIN_ALPHA = 1e-4  # micrograd's demo: L2 penalty weight
TRAIN_LR = 0.1


def best_time(step: Callable[[], float], repeats: int = REPEATS) -> tuple[float, float]:
    """Best time of ``repeats`` calls (gc.collect() before each, untimed) and the first call's result."""
    times_: list[float] = []
    first = math.nan
    for i in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = step()
        times_.append(time.perf_counter() - t0)
        if i == 0:
            first = result
    return min(times_), first


def bench_training_step() -> Section:
    X, labels = make_moons(TRAIN_POINTS, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    random.seed(1337)  # both MLPs draw their weights from the global random, in the same order
    lite = LiteMLP(2, [16, 16, 1])
    random.seed(1337)
    micro = MicrogradMLP(2, [16, 16, 1])
    same_start = [p.data for p in lite.parameters()] == [p.data for p in micro.parameters()]
    optimizer = SGD(lite.parameters(), lr=TRAIN_LR)

    def step_lite() -> float:
        loss = hinge([lite(x) for x in X], y) + l2_penalty(lite.parameters(), TRAIN_ALPHA)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.data

    def step_micro() -> float:  # micrograd's demo notebook, as written there
        inputs = [list(map(MicrogradValue, xrow)) for xrow in X]
        scores = list(map(micro, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = TRAIN_ALPHA * sum(p * p for p in micro.parameters())
        total_loss = data_loss + reg_loss
        micro.zero_grad()
        total_loss.backward()
        for p in micro.parameters():
            p.data -= TRAIN_LR * p.grad
        return float(total_loss.data)

    lite_time, lite_loss = best_time(step_lite)
    micro_time, micro_loss = best_time(step_micro)
    ratio = micro_time / lite_time
    s = Section()
    s.rows.append(
        Row(
            f"training step, `MLP(2, [16, 16, 1])`, {TRAIN_POINTS} moons points, hinge + L2",
            ms(lite_time),
            ms(micro_time),
            times(ratio),
        )
    )
    s.checks.append(
        Check(
            "training step speed",
            ratio >= 10.0,
            f"micrograd / autograd-lite training step = {ratio:.2f}x (target: at least 10x)",
        )
    )
    agree = same_start and math.isclose(lite_loss, micro_loss, rel_tol=1e-12)
    s.checks.append(
        Check(
            "training step sanity",
            agree,
            f"same starting weights: {same_start}; first-step loss {lite_loss!r} vs micrograd {micro_loss!r}",
        )
    )
    s.notes.append(
        f"Training step: forward over {TRAIN_POINTS} moons points (seed 0, noise 0.1), hinge loss + "
        f"{TRAIN_ALPHA} * L2, backward, SGD update at lr {TRAIN_LR}, on `MLP(2, [16, 16, 1])` with the same "
        "starting weights (`random.seed(1337)`). autograd-lite: `hinge`, `l2_penalty` and `optim.SGD`, a "
        "neuron being one dot node; micrograd: the loop of its demo notebook, its own `MLP`. Best of "
        f"{REPEATS} consecutive steps each."
    )
    return s


# ---- 5. the same training step compiled, and in PyTorch ---------------------------------------------------
COMPILED_REPEATS = 50  # a compiled step takes about a millisecond


def bench_compiled_training_step() -> Section:
    import torch

    torch.set_default_dtype(torch.float64)
    X, labels = make_moons(TRAIN_POINTS, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]

    def lite_step(compiled: bool, backend: Backend = "numpy") -> Callable[[], float]:
        random.seed(1337)  # the weights micrograd's demo starts from, as in bench_training_step
        model = LiteMLP(2, [16, 16, 1])
        optimizer = SGD(model.parameters(), lr=TRAIN_LR)

        def loss(xs: list[list[Any]], ys: list[Any]) -> LiteValue:
            return hinge([model(x) for x in xs], ys) + l2_penalty(model.parameters(), TRAIN_ALPHA)

        replay = autograd_lite.compile(loss, backend=backend)

        def step() -> float:
            optimizer.zero_grad()
            if compiled:
                value = replay(X, y)
            else:
                root = loss(X, y)
                root.backward()
                value = root.data
            optimizer.step()
            return value

        return step

    random.seed(1337)
    start = [
        [[p.data for p in n.w] + [n.b.data] for n in layer.neurons]
        for layer in LiteMLP(2, [16, 16, 1]).layers
    ]

    def torch_scalar_step() -> Callable[[], float]:
        """The same scalar graph in PyTorch: every weight a 0-d tensor, every neuron a sum of products."""
        layers = [[[torch.tensor(v, requires_grad=True) for v in n] for n in layer] for layer in start]
        params = [p for layer in layers for n in layer for p in n]
        inputs = [[torch.tensor(v) for v in x] for x in X]

        def step() -> float:
            losses = []
            for x, t in zip(inputs, y):
                h = x
                for depth, layer in enumerate(layers):
                    h = [n[-1] + sum(w * v for w, v in zip(n[:-1], h)) for n in layer]
                    h = [torch.relu(v) for v in h] if depth < len(layers) - 1 else h
                losses.append(torch.relu(1 - t * h[0]))
            value = sum(losses) / len(losses) + TRAIN_ALPHA * sum(p * p for p in params)
            for p in params:
                p.grad = None
            value.backward()
            with torch.no_grad():
                for p in params:
                    p -= TRAIN_LR * p.grad
            return float(value.detach())

        return step

    def torch_batched_step() -> Callable[[], float]:
        """PyTorch as it is meant to be used: Linear layers on a (100, 2) batch."""
        model = torch.nn.Sequential(
            torch.nn.Linear(2, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, 1),
        )
        with torch.no_grad():
            for linear, layer in zip(model[::2], start):
                linear.weight.copy_(torch.tensor([n[:-1] for n in layer]))
                linear.bias.copy_(torch.tensor([n[-1] for n in layer]))
        inputs, targets = torch.tensor(X), torch.tensor(y, dtype=torch.float64)
        optimizer = torch.optim.SGD(model.parameters(), lr=TRAIN_LR)

        def step() -> float:
            scores = model(inputs).squeeze(1)
            penalty = sum((p * p).sum() for p in model.parameters())
            value = torch.relu(1 - targets * scores).mean() + TRAIN_ALPHA * penalty
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            return float(value.detach())

        return step

    random.seed(1337)
    micro = MicrogradMLP(2, [16, 16, 1])

    def micro_step() -> float:  # micrograd's demo notebook, as in bench_training_step
        scores = list(map(micro, [list(map(MicrogradValue, x)) for x in X]))
        losses = [(1 + -t * s).relu() for t, s in zip(y, scores)]
        value = sum(losses) * (1.0 / len(losses)) + TRAIN_ALPHA * sum(p * p for p in micro.parameters())
        micro.zero_grad()
        value.backward()
        for p in micro.parameters():
            p.data -= TRAIN_LR * p.grad
        return float(value.data)

    runs = {
        "micrograd (its demo's loop)": (micro_step, REPEATS),
        "autograd-lite, eager": (lite_step(compiled=False), REPEATS),
        "autograd-lite, compiled (pure-Python replay)": (lite_step(compiled=True, backend="python"), REPEATS),
        "autograd-lite, compiled (NumPy replay)": (lite_step(compiled=True), COMPILED_REPEATS),
        "PyTorch, the same scalar graph (0-d tensors)": (torch_scalar_step(), REPEATS),
        "PyTorch, batched (`nn.Linear` on a 100 x 2 tensor)": (torch_batched_step(), COMPILED_REPEATS),
    }
    timed = {name: best_time(step, repeats) for name, (step, repeats) in runs.items()}
    micro_time, first_loss = timed["micrograd (its demo's loop)"]
    compiled = timed["autograd-lite, compiled (NumPy replay)"][0]
    batched = timed["PyTorch, batched (`nn.Linear` on a 100 x 2 tensor)"][0]
    header = ["one training step", "time", "micrograd / this", "this / PyTorch batched"]
    cells = [header] + [
        [name, ms(t) if t >= 0.01 else f"{t * 1e3:.3f} ms", times(micro_time / t), times(t / batched)]
        for name, (t, _) in timed.items()
    ]
    s = Section()
    s.tables.append(_markdown(cells))
    s.checks.append(
        Check(
            "compiled training step speed",
            micro_time / compiled >= 100.0,
            f"micrograd / autograd-lite compiled = {micro_time / compiled:.0f}x (target: at least 100x)",
        )
    )
    s.checks.append(
        Check(
            "compiled training step against PyTorch batched",
            compiled / batched <= 10.0,
            f"autograd-lite compiled / PyTorch batched = {compiled / batched:.1f}x (target: at most 10x)",
        )
    )
    agree = all(math.isclose(first, first_loss, rel_tol=1e-12) for _, first in timed.values())
    s.checks.append(
        Check(
            "compiled training step sanity",
            agree,
            "first-step losses: " + ", ".join(f"{first!r}" for _, first in timed.values()),
        )
    )
    s.notes.append(
        "Compiled training step: the step of `bench_training_step` (same data, weights, loss and update) "
        "run six ways. Compiled: `autograd_lite.compile` records the loss's graph on the first call and "
        "replays it; each step includes `zero_grad` and the SGD update in Python. PyTorch runs in float64 "
        f"on {torch.get_num_threads()} threads, `torch.optim.SGD` for the batched model. Best of "
        f"{COMPILED_REPEATS} steps for the NumPy replay and PyTorch batched, of {REPEATS} for the others."
    )
    return s


BENCHMARKS: list[Callable[[], Section]] = [
    bench_random_graph,
    bench_memory,
    bench_chains,
    bench_training_step,
    bench_compiled_training_step,
]


# ---- report ----------------------------------------------------------------------------------------
def markdown_table(rows: list[Row]) -> str:
    header = Row("Benchmark", "autograd-lite", "micrograd", "micrograd / autograd-lite")
    return _markdown([[r.benchmark, r.lite, r.micrograd, r.ratio] for r in [header, *rows]])


def _markdown(cells: list[list[str]]) -> str:
    """A markdown table: the first row is the header; the first column left-aligned, the rest right."""
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    align = ["<"] + [">"] * (len(widths) - 1)

    def line(c: list[str]) -> str:
        return "| " + " | ".join(f"{x:{a}{w}}" for x, a, w in zip(c, align, widths)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":" if a == ">" else "-" * (w + 2)) for a, w in zip(align, widths))
    return "\n".join([line(cells[0]), rule + "|", *(line(c) for c in cells[1:])])


def main() -> int:
    start = time.perf_counter()
    print("# autograd-lite benchmark")
    print()
    print(f"- Python {platform.python_version()} ({platform.python_implementation()}), {sys.executable}")
    print(f"- Platform: {platform.platform()}, {cpu_name()}, {os.cpu_count()} logical CPUs")
    print(
        f"- autograd-lite {version('autograd-lite')} (git {git_revision()}, "
        f"from {Path(autograd_lite.__file__).parent}), micrograd {version('micrograd')}"
    )
    print(f"- Times are the best of {REPEATS} runs, each after `gc.collect()`; gc stays enabled.")
    print(flush=True)

    sections: list[Section] = []
    for bench in BENCHMARKS:
        t0 = time.perf_counter()
        sections.append(bench())
        print(f"({bench.__name__}: {time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)

    print(markdown_table([row for s in sections for row in s.rows]))
    print()
    for s in sections:
        for table in s.tables:
            print(table)
            print()
    print("Notes:")
    print()
    for s in sections:
        for note in s.notes:
            print(f"- {note}")
    print()
    print("Targets:")
    print()
    checks = [c for s in sections for c in s.checks]
    for c in checks:
        print(f"- **{'PASS' if c.passed else 'FAIL'}** {c.name}: {c.detail}")
    failed = sum(not c.passed for c in checks)
    print()
    print(f"{len(checks) - failed} passed, {failed} FAILED" if failed else f"all {len(checks)} passed")
    print(f"Total run time: {time.perf_counter() - start:.1f} s")
    return 0  # a report, not a test


if __name__ == "__main__":
    sys.exit(main())
