"""A model's parameters in a JSON file: written whole or not at all, read back with every problem named."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeGuard

from ..core.engine import Value
from ..core.files import write_atomic

__all__ = ["FILE_FORMAT", "FILE_VERSION"]

FILE_FORMAT = "autograd-lite state_dict"  #: The tag that ``Module.save()`` writes and ``load()`` checks.
FILE_VERSION = 1  #: The version of that file format that this autograd-lite writes and reads.


def save(state: Mapping[str, float], path: str | os.PathLike[str]) -> None:
    """Write a state dict to ``path`` as strict JSON, atomically: the file is whole or untouched."""
    for name, x in state.items():
        if not math.isfinite(x):
            raise ValueError(
                f"cannot save {name}={x!r}: JSON has no non-finite numbers, and a model should not"
            )
    text = json.dumps(
        {"format": FILE_FORMAT, "version": FILE_VERSION, "parameters": dict(state)}, allow_nan=False
    )
    write_atomic(Path(path), (text + "\n").encode())


def read(path: str | os.PathLike[str], max_bytes: int) -> dict[str, object]:
    """Read the parameters of a file written by ``save``, at most ``max_bytes`` long; raise a clear error if
    it is not one (a FIFO, a device or a directory is not even opened for reading past its kind)."""
    shown = repr(str(path))
    if str(path) == "":
        raise FileNotFoundError("no saved model at '': give the file's path")
    data = _read_regular(Path(path), max_bytes, shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{shown} is not a saved model: not UTF-8 text") from None
    try:
        saved = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except ValueError as e:
        raise ValueError(f"{shown} is not a saved model: not valid JSON ({e})") from None
    except RecursionError:
        raise ValueError(f"{shown} is not a saved model: not valid JSON (nested too deeply)") from None
    if not (isinstance(saved, dict) and saved.get("format") == FILE_FORMAT):
        raise ValueError(f"{shown} is not a saved model: no {FILE_FORMAT!r} format tag")
    version = saved.get("version")
    if type(version) is not int:
        raise ValueError(f"{shown} is not a saved model: its version must be an integer, got {version!r}")
    if version != FILE_VERSION:
        raise ValueError(
            f"{shown} has format version {version!r}; this autograd-lite reads version {FILE_VERSION}"
        )
    state = saved.get("parameters")
    if not isinstance(state, dict):
        raise ValueError(f"{shown} is not a saved model: 'parameters' is not an object")
    return state


def _read_regular(path: Path, max_bytes: int, shown: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once, and is refused below
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved model at {shown}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{shown} is a directory, not a saved model") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise (IsADirectoryError if stat.S_ISDIR(st.st_mode) else ValueError)(
                f"{shown} is {kind}, not a saved model"
            )
        if st.st_size > max_bytes:
            raise ValueError(
                f"{shown} is {st.st_size:,} bytes, more than a saved model of this size can be "
                f"({max_bytes:,}): not this model's file"
            )
        with open(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ValueError(f"{shown} grew past {max_bytes:,} bytes while being read: not this model's file")
    return data


def max_size(names: Sequence[str]) -> int:
    """Return how many bytes a file for parameters with these names may take: what they can need (numbers as
    repr of floats), plus 1 MiB, so that a somewhat larger model's file is still read and its mismatch
    named."""
    return 200 + sum(len(json.dumps(name)) + 30 for name in names) + 2**20


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a saved model holds")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"a key appears twice: {', '.join(map(repr, twice[:5]))}")
    return dict(pairs)


def mismatch(params: Mapping[str, Value], state: Mapping[str, object]) -> str:
    """Return what keeps ``state`` from loading into ``params`` ('' if nothing): missing, unexpected,
    non-numbers."""

    def some(names: list[str]) -> str:
        shown = ", ".join(names[:5])
        return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    missing = [n for n in params if n not in state]
    unexpected = [n for n in state if n not in params]
    bad = [n for n in params if n in state and not _is_number(state[n])]
    huge = {n: x for n, x in state.items() if n in params and _too_large(x)}
    nonfinite = [n for n in params if n in state and _is_number(state[n]) and not _finite(state[n])]
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
    if nonfinite:
        problems.append("not finite: " + some([f"{n}={state[n]!r}" for n in nonfinite]))
    return "; ".join(problems)


def _finite(x: object) -> bool:
    return not isinstance(x, float) or math.isfinite(x)


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _too_large(x: object) -> TypeGuard[int]:
    """Return whether x is an integer too large for a float: JSON may hold an integer of any size."""
    if not isinstance(x, int):
        return False
    try:
        float(x)
    except OverflowError:
        return True
    return False
