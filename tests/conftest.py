"""Fixtures the test modules share.

Some tests need a system tool: Graphviz (its `dot`, or the embedded one built to WebAssembly) or the
system Chromium; a few need PyTorch itself, which is installed only where its CPU build is to be had (the
other torch tests read the committed oracle, tests/oracle/torch.json). Without it such a test skips, saying
what to install or why it is missing; under CI (CI=true), where everything must be there, a missing one is a
failure instead. Random graphs come from the package itself
(``autograd_lite.testing.strategies.programs``), as they do for the benchmarks.

Tests marked ``e2e`` run what a user runs, in another process, a fresh venv, a kernel or a browser;
``pytest -m "not e2e"`` leaves them out, for a quick loop.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from autograd_lite.tools.viz.render import Renderer

Need = Callable[[bool, str], None]

# No deadline for any example (most property tests already say so): under `make test` the workers share
# the cores with each other and with notebooks' kernels, and an example that waits for a core a moment
# longer than hypothesis's default 200 ms would fail a test whose results are right. Derandomized: every
# run of `make test` tries the same examples, so a fresh clone passes or fails as the last one did;
# HYPOTHESIS_PROFILE=explore draws new ones each run, to search further.
settings.register_profile("autograd-lite", deadline=None, derandomize=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "autograd-lite"))


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
    from autograd_lite.tools.viz.render import resolve

    def check(kind: Renderer) -> Literal["system", "wasm"]:
        try:
            return resolve(kind)
        except RuntimeError as e:  # its message says what to install
            need(False, str(e))
            raise  # not reached: need() skips or fails

    return check


@pytest.fixture(scope="session")
def torch_live(need: Need) -> ModuleType:
    """PyTorch, for the tests that check the engine against it on fresh hypothesis inputs."""
    from oracle import TORCH_ONLY_ON_311, torch

    need(
        torch is not None,
        f"{TORCH_ONLY_ON_311}; the committed oracle (tests/oracle/torch.json) covers these cases on seeded "
        "inputs, and this test draws fresh ones",
    )
    return torch


@pytest.fixture(scope="session")
def torch(need: Need) -> ModuleType:
    """PyTorch itself, for the tests of MLP.to_torch() and MLP.from_torch()."""
    import oracle

    need(
        oracle.torch is not None,
        f"{oracle.TORCH_ONLY_ON_311}; converting to and from torch modules needs torch itself",
    )
    return oracle.torch


@pytest.fixture(scope="session")
def chromium(need: Need) -> str:
    """The system Chromium's path, for the browser tests (Playwright drives it and never downloads one)."""
    path = shutil.which("chromium")
    need(path is not None, "the browser tests need Chromium: apt-get install chromium")
    assert path is not None
    return path


# Headless, as root, and sending nothing of its own out (this machine's network refuses it, many at a time).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """The system Chromium, launched by Playwright for a module's browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# The e2e files whose tests take longest (JupyterLab and Notebook 7 open every notebook, and 02 is run
# and stepped; a notebook's kernel trains for half a minute; the package test builds and installs a wheel;
# a README block trains the demo network), in that order.
LONGEST_FIRST = [
    "test_notebook_clients.py",
    "test_notebooks.py",
    "test_package.py",
    "test_readme.py",
    "test_examples.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The e2e tests first, the longest files' first, each file's tests in their usual order. Started
    first, the long tests leave the short ones for last, and pytest-xdist's workers finish together
    instead of one waiting for the other's last notebook."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("e2e") is None:
            return len(LONGEST_FIRST) + 1
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)
