"""A model's parameters in a JSON file: written whole or not at all, read back with every problem named."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeGuard

from ..core.engine import Value
from ..core.files import write_atomic

__all__ = ["FILE_FORMAT", "FILE_VERSION"]

FILE_FORMAT = "autograd-lite state_dict"  #: The tag that ``Module.save()`` writes and ``load()`` checks.
FILE_VERSION = 1  #: The version of that file format that this autograd-lite writes and reads.


def save(state: Mapping[str, float], path: str | os.PathLike[str]) -> None:
    """Write a state dict to ``path`` as JSON, atomically: the file is whole or untouched."""
    text = json.dumps({"format": FILE_FORMAT, "version": FILE_VERSION, "parameters": dict(state)})
    write_atomic(Path(path), (text + "\n").encode())


def read(path: str | os.PathLike[str]) -> dict[str, object]:
    """The parameters of a file written by ``save``; a clear error if it is not one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved model at {str(path)!r}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{str(path)!r} is not a saved model: not UTF-8 text") from None
    try:
        saved = json.loads(text)
    except ValueError as e:
        raise ValueError(f"{str(path)!r} is not a saved model: not valid JSON ({e})") from None
    except RecursionError:
        raise ValueError(f"{str(path)!r} is not a saved model: not valid JSON (nested too deeply)") from None
    if not (isinstance(saved, dict) and saved.get("format") == FILE_FORMAT):
        raise ValueError(f"{str(path)!r} is not a saved model: no {FILE_FORMAT!r} format tag")
    if saved.get("version") != FILE_VERSION:
        raise ValueError(
            f"{str(path)!r} has format version {saved.get('version')!r}; this autograd-lite reads "
            f"version {FILE_VERSION}"
        )
    state = saved.get("parameters")
    if not isinstance(state, dict):
        raise ValueError(f"{str(path)!r} is not a saved model: 'parameters' is not an object")
    return state


def mismatch(params: Mapping[str, Value], state: Mapping[str, object]) -> str:
    """What keeps ``state`` from loading into ``params`` ('' if nothing): missing, unexpected, non-numbers."""

    def some(names: list[str]) -> str:
        shown = ", ".join(names[:5])
        return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    missing = [n for n in params if n not in state]
    unexpected = [n for n in state if n not in params]
    bad = [n for n in params if n in state and not _is_number(state[n])]
    huge = {n: x for n, x in state.items() if n in params and _too_large(x)}
    problems = []
    if missing or unexpected:
        problems.append(f"it has {len(state)} parameters, the model {len(params)}")
    if missing:
        problems.append(f"missing {some(missing)}")
    if unexpected:
        problems.append(f"unexpected {some(unexpected)}")
    if bad:
        problems.append("not a number: " + some([f"{n}={state[n]!r}" for n in bad]))
    if huge:
        shown = some(
            [f"{n}\u2248{'-' if x < 0 else ''}10**{math.floor(math.log10(abs(x)))}" for n, x in huge.items()]
        )
        problems.append(f"not a usable number, too large for a float: {shown}")
    return "; ".join(problems)


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _too_large(x: object) -> TypeGuard[int]:
    """Whether x is an integer too large for a float: JSON may hold an integer of any size."""
    if not isinstance(x, int):
        return False
    try:
        float(x)
    except OverflowError:
        return True
    return False
