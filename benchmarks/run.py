"""Benchmark autograd-lite against micrograd and PyTorch on the same graphs; prints a markdown report.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``). It is a report, not a test: it
prints PASS/FAIL for each target and always exits 0. Each benchmark is a module ``bench_*.py`` with a
function that returns a ``harness.Section`` (rows for the table, checks against targets, notes);
to add one, write it and list it in ``BENCHMARKS``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_chains import bench_chains
from bench_compiled_step import bench_compiled_training_step
from bench_digits import bench_digits_epoch
from bench_gradcheck import bench_gradcheck
from bench_memory import bench_memory
from bench_random_graph import bench_random_graph
from bench_render import bench_render
from bench_replay_agreement import bench_replay_agreement
from bench_training_step import bench_training_step
from bench_widths import bench_widths
from harness import REPEATS, Section, cpu_name, git_revision, markdown_table, version

import autograd_lite

BENCHMARKS: list[Callable[[], Section]] = [
    bench_random_graph,
    bench_memory,
    bench_chains,
    bench_training_step,
    bench_compiled_training_step,
    bench_digits_epoch,
    bench_widths,
    bench_replay_agreement,
    bench_gradcheck,
    bench_render,
]


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
    print(
        f"- Graph build and backward times are the best of {REPEATS} runs, each after `gc.collect()`; "
        "training steps are timed per step over runs of consecutive steps. The garbage collector stays on."
    )
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
