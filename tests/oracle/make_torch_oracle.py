"""Write torch.json: PyTorch's float64 numbers for every case of the oracle package.

Run it where torch is installed (Python 3.11), from the repository: ``make oracle``. The inputs of the drawn
cases come from a generator seeded with the case's name, so they are the same on every run; a test checks
that the file's inputs are these (everywhere) and its numbers what torch gives now (where torch is).

The file, one case to a line; every float is written so that it reads back exactly (NaN and Infinity as
Python's json writes them):
- ``ops``, ``kinks``, ``edges``, ``negative bases``, ``power zero``, ``user ops``: per case, a list of
  ``[[args, consts], [value, grads, hessian]]`` (``hessian`` is [] for ``edges``);
- ``losses``: per loss, a list of ``[[numbers, rest], [value, grads]]``;
- ``optimizers``: per run, the parameters after each step; ``refusals``: torch's message per bad option;
- ``schedules``: per schedule, ``{"first", "rates", "lr"}``;
- ``points``: what each function of points.py returns.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import partial
from typing import Any

from . import FILE, MAKE, torch
from .domains import seeded_arguments, seeded_draw
from .learning import (
    BAD_OPTIONS,
    LOSS_DRAWS,
    LOSSES,
    RUNS,
    SCHEDULED,
    Loss,
    torch_loss,
    torch_refusal,
    torch_run,
    torch_schedule,
)
from .ops import DRAWN, Case, torch_derivatives
from .points import POINTS


def seeded(section: str, name: str) -> random.Random:
    return random.Random(f"{section}/{name}")  # a str seeds through SHA-512: the same on every Python


Plan = dict[str, dict[str, tuple[Any, Callable[[], Any]]]]


def plan() -> Plan:
    """Every case of the file, section by section: its drawn inputs (None where it draws none) and how torch
    computes what the file holds for it. Nothing here runs torch."""
    sections: Plan = {}
    for section, (cases, extra) in DRAWN.items():
        sections[section] = {}
        for case in cases:
            rows = seeded_arguments([*case.args, *case.consts], extra, seeded(section, case.name))
            split = [[row[: len(case.args)], row[len(case.args) :]] for row in rows]
            sections[section][case.name] = (split, partial(op_records, case, split))
    sections["losses"] = {}
    for loss in LOSSES:
        draw = seeded_draw(seeded("losses", loss.name))
        drawn = [list(loss.draw(draw)) for _ in range(LOSS_DRAWS)]
        sections["losses"][loss.name] = (drawn, partial(loss_records, loss, drawn))
    sections["optimizers"] = {str(run): (None, partial(torch_run, run)) for run in RUNS}
    sections["refusals"] = {str(run): (None, partial(torch_refusal, run)) for run in BAD_OPTIONS}
    sections["schedules"] = {name: (None, partial(torch_schedule, *how)) for name, how in SCHEDULED.items()}
    sections["points"] = {name: (None, f) for name, f in POINTS.items()}
    return sections


def op_records(case: Case, rows: list[list[list[Any]]]) -> list[Any]:
    return [[row, list(vars(torch_derivatives(case, *row)).values())] for row in rows]


def loss_records(loss: Loss, rows: list[list[Any]]) -> list[Any]:
    return [[row, list(torch_loss(loss, *row))] for row in rows]


def build() -> dict[str, Any]:
    """The whole oracle, computed by torch now."""
    oracle: dict[str, Any] = {
        "about": "PyTorch's float64 numbers for the tests, written by tests/oracle/make_torch_oracle.py: "
        f"{MAKE}; never edited by hand",
        "torch": torch.__version__.split("+")[0],
    }
    for section, cases in plan().items():
        oracle[section] = {name: compute() for name, (_, compute) in cases.items()}
    return oracle


def text(oracle: dict[str, Any]) -> str:
    """The file's text: JSON with a line per case, so that a change shows as the cases it touches."""

    def compact(x: Any) -> str:
        return json.dumps(x, separators=(",", ":"))

    def entry(key: str, value: Any) -> str:
        if not isinstance(value, dict):
            return f"{compact(key)}: {compact(value)}"
        body = ",\n".join(f" {compact(k)}: {compact(v)}" for k, v in value.items())
        return f"{compact(key)}: {{\n{body}\n}}"

    return "{\n" + ",\n".join(entry(k, v) for k, v in oracle.items()) + "\n}\n"


if __name__ == "__main__":
    if torch is None:
        raise SystemExit(f"making the oracle needs torch: {MAKE}")
    FILE.write_text(text(build()))
    print(f"wrote {FILE} ({FILE.stat().st_size // 1024} KB)")
