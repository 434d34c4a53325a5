"""Fixtures the test modules share.

Some tests need a system tool: Graphviz (its `dot`, or the embedded one built to WebAssembly) or the
system Chromium. Without it such a test skips, saying what to install; under CI (CI=true), where every
tool must be there, a missing one is a failure instead. Random graphs come from the package itself
(``autograd_lite.testing.strategies.programs``), as they do for the benchmarks.

Tests marked ``e2e`` run what a user runs, in another process, a fresh venv, a kernel or a browser;
``pytest -m "not e2e"`` leaves them out, for a quick loop.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import pytest

if TYPE_CHECKING:
    from autograd_lite.viz.render import Renderer

Need = Callable[[bool, str], None]


def _need(present: bool, reason: str) -> None:
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must have it: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def need() -> Need:
    """need(present, reason): go on if present; else skip with the reason (what to install), or, under
    CI, fail with it."""
    return _need


@pytest.fixture(scope="session")
def need_renderer(need: Need) -> Callable[[Renderer], Literal["system", "wasm"]]:
    """need_renderer(kind): the Graphviz renderer that kind ('auto', 'system' or 'wasm') draws with;
    without one, need() says what to install."""
    from autograd_lite.viz.render import resolve

    def check(kind: Renderer) -> Literal["system", "wasm"]:
        try:
            return resolve(kind)
        except RuntimeError as e:  # its message says what to install
            need(False, str(e))
            raise  # not reached: need() skips or fails

    return check


@pytest.fixture(scope="session")
def chromium(need: Need) -> str:
    """The system Chromium's path, for the browser tests (Playwright drives it and never downloads one)."""
    path = shutil.which("chromium")
    need(path is not None, "the browser tests need Chromium: apt-get install chromium")
    assert path is not None
    return path
