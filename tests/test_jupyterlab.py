"""The committed notebooks opened fresh in a real JupyterLab (untrusted, as a clone or a download is),
driven in the system Chromium: every picture shows, and every stepper shows its static view."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
TOKEN = "autograd-lite-tests"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab on 127.0.0.1 (a free port, token auth) serving copies of the notebooks; stopped after.

    Its data folder is new, so it has signed no notebook: each opens untrusted, as for a new user."""
    root = tmp_path_factory.mktemp("lab")
    for notebook in NOTEBOOKS:
        shutil.copy(notebook, root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JUPYTER_DATA_DIR": str(root / ".data"), "JUPYTER_RUNTIME_DIR": str(root / ".run")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}", "--allow-root"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("JupyterLab did not start in 30 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


def expected(notebook: Path) -> tuple[int, int]:
    """How many pictures (a PNG in the bundle) and stepper views the committed notebook holds."""
    outputs = [
        o.get("data", {}) for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", [])
    ]
    pictures = sum(1 for d in outputs if "image/png" in d and "text/html" not in d)
    steppers = sum(1 for d in outputs if "autograd-lite-static" in "".join(d.get("text/html", "")))
    return pictures, steppers


# What the page shows: pictures (PNG outputs), steppers' static views, undecoded images, graphs left as text.
SHOWN = """() => [
    document.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/png"] img').length,
    document.querySelectorAll('.autograd-lite-static img + pre').length,
]"""
UNDECODED = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output img'))
    .filter((i) => !(i.complete && i.naturalWidth > 0)).length"""
GRAPHS_AS_TEXT = """() => Array.from(
    document.querySelectorAll('.jp-OutputArea-output[data-mime-type="text/plain"]')
).filter((o) => o.innerText.startsWith('<graph')).length"""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])
def test_a_fresh_untrusted_notebook_shows_every_picture_and_every_steppers_static_view(
    lab: str, browser: Any, notebook: Path
) -> None:
    pictures, steppers = expected(notebook)
    # a new workspace, reset (JupyterLab reopens what a workspace had open); a window tall enough for
    # every cell, since JupyterLab renders only the cells in view
    page = browser.new_page(viewport={"width": 1280, "height": 30_000})
    page.goto(f"{lab}/lab/workspaces/{notebook.stem}/tree/{notebook.name}?token={TOKEN}&reset")
    page.wait_for_function(
        f"([p, s]) => {{ const [a, b] = ({SHOWN})(); return a >= p && b >= s; }}",
        arg=[pictures, steppers],
        timeout=60_000,
    )
    shown_pictures, shown_steppers = page.evaluate(SHOWN)
    assert shown_pictures >= pictures and shown_steppers == steppers
    page.wait_for_function(f"() => ({UNDECODED})() === 0", timeout=30_000)  # every image decodes
    assert page.evaluate(GRAPHS_AS_TEXT) == 0
    if notebook.name.startswith(("01", "02")):  # they draw graphs, and 02 steps through them
        assert pictures > 0 and (steppers > 0) == notebook.name.startswith("02")
    page.close()
