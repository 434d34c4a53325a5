"""What every benchmark shares: its result (rows, checks, notes), the timers, and the report's tables.

Timings follow a training loop: a run of consecutive calls with the garbage collector on, timed as a
whole (a ``gc.collect()`` before each call would flatter an engine that leaves garbage behind).
"""

from __future__ import annotations

import gc
import math
import platform
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


# ---- training steps ----------------------------------------------------------------------------
def step_time(step: Callable[[], float], steps: int, runs: int = 3) -> tuple[float, float]:
    """The time per call of ``step`` over ``steps`` consecutive calls, as a training loop makes them (the
    collector on, collected only before each run), best of ``runs`` runs; and the first call's result."""
    per_step: list[float] = []
    first = math.nan
    for run in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        for i in range(steps):
            result = step()
            if run == 0 and i == 0:
                first = result
        per_step.append((time.perf_counter() - t0) / steps)
    return min(per_step), first


# ---- the report's tables ---------------------------------------------------------------------------
def markdown_table(rows: list[Row]) -> str:
    header = Row("Benchmark", "autograd-lite", "micrograd", "micrograd / autograd-lite")
    return markdown([[r.benchmark, r.lite, r.micrograd, r.ratio] for r in [header, *rows]])


def markdown(cells: list[list[str]]) -> str:
    """A markdown table: the first row is the header; the first column left-aligned, the rest right."""
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    align = ["<"] + [">"] * (len(widths) - 1)

    def line(c: list[str]) -> str:
        return "| " + " | ".join(f"{x:{a}{w}}" for x, a, w in zip(c, align, widths)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":" if a == ">" else "-" * (w + 2)) for a, w in zip(align, widths))
    return "\n".join([line(cells[0]), rule + "|", *(line(c) for c in cells[1:])])
