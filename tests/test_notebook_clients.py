"""The committed notebooks as users see them, driven in the system Chromium: opened fresh (untrusted, as a
clone or a download is) in a real JupyterLab and Notebook 7, and rendered to static HTML with no scripts
run, as code hosts show them; every picture shows, and every stepper shows its static view. Then notebook
02 is run in JupyterLab and its stepper stepped with clicks and keys, against backward()."""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stepper_page import named_boxes

from autograd_lite.tools.viz.graph import topological_order

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
STEPPING = NOTEBOOKS[1]  # 02, the stepper's notebook
BY_NEURON = NOTEBOOKS[7]  # 08, the neuron view's
TOKEN = "autograd-lite-tests"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Jupyter server on 127.0.0.1 (a free port, token auth) serving JupyterLab and Notebook 7 over
    copies of the notebooks; stopped after.

    Its data folder is new, so it has signed no notebook: each opens untrusted, as for a new user."""
    root = tmp_path_factory.mktemp("lab")
    for notebook in NOTEBOOKS:
        # As saved by this Python's kernel: a kernel of another Python version than the one the notebook was
        # saved with rewrites language_info.version, and JupyterLab then marks the notebook modified.
        saved = json.loads(notebook.read_text())
        saved["metadata"]["language_info"]["version"] = platform.python_version()
        (root / notebook.name).write_text(json.dumps(saved, indent=1, ensure_ascii=False) + "\n")
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


def shut_down_kernels(lab: str) -> None:
    """Shut down the kernels of the notebooks opened so far (opening a notebook starts one)."""
    api = f"{lab}/api/sessions"
    for session in json.load(urllib.request.urlopen(f"{api}?token={TOKEN}")):
        request = urllib.request.Request(f"{api}/{session['id']}?token={TOKEN}", method="DELETE")
        urllib.request.urlopen(request)


def expected(notebook: Path) -> tuple[int, int]:
    """How many pictures (a PNG in the bundle) and stepper views the committed notebook holds."""
    outputs = [
        o.get("data", {}) for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", [])
    ]
    pictures = sum(1 for d in outputs if "image/png" in d and "text/html" not in d)
    steppers = sum(1 for d in outputs if "autograd-lite-static" in "".join(d.get("text/html", "")))
    return pictures, steppers


# What the page shows: pictures (each a decoded image or an SVG, with a size), steppers' static views
# (a decoded image over the table), stepper frames on show, and outputs that are a bare object repr.
SHOWN = """() => {
    const drawn = (e) => e.getBoundingClientRect().width > 0
        && (e.tagName.toLowerCase() !== 'img' || (e.complete && e.naturalWidth > 0));
    const outputs = Array.from(document.querySelectorAll('.jp-OutputArea-output'));
    return {
        pictures: outputs.filter((o) => !o.querySelector('.autograd-lite-static')
            && Array.from(o.querySelectorAll(':scope > img, :scope > svg')).some(drawn)).length,
        statics: Array.from(document.querySelectorAll('.autograd-lite-static'))
            .filter((s) => drawn(s.querySelector('img')) && s.querySelector('pre').innerText !== '').length,
        frames: Array.from(document.querySelectorAll('.jp-OutputArea-output iframe')).filter(drawn).length,
        reprs: outputs.filter((o) => /^<(graph|autograd_lite)/.test(o.innerText.trim())).length,
    };
}"""


@pytest.fixture(scope="module")
def jupyterlab(lab: str, browser: Any) -> Iterator[Any]:
    """JupyterLab in a page of its own, on a new workspace, reset (JupyterLab reopens what a workspace had
    open); its window tall enough for every cell, since JupyterLab renders only the cells in view."""
    page = browser.new_page(viewport={"width": 1280, "height": 30_000})
    page.goto(f"{lab}/lab/workspaces/fresh?token={TOKEN}&reset")
    page.wait_for_selector(".jp-DirListing-item")
    yield page
    page.close()


def open_in(client: str, notebook: Path, lab: str, browser: Any, jupyterlab: Any) -> Any:
    """The page showing the notebook, opened as a user opens it: from JupyterLab's file browser, or at
    its address in Notebook 7 (a page per notebook)."""
    if client == "JupyterLab":
        jupyterlab.locator(".jp-DirListing-item", has_text=notebook.name).dblclick()
        return jupyterlab
    page = browser.new_page(viewport={"width": 1280, "height": 30_000})
    page.goto(f"{lab}/notebooks/{notebook.name}?token={TOKEN}")
    return page


def draws(notebook: Path) -> bool:
    """Whether the notebook holds a graph (an SVG beside its PNG) or a stepper."""
    text = notebook.read_text()
    return '"image/svg+xml"' in text or "autograd-lite-static" in text


# Notebook 7 renders outputs with JupyterLab's renderers, and loads a page per notebook: it opens the
# notebooks that hold the package's own pictures, graphs and steppers.
OPENINGS = [("JupyterLab", n) for n in NOTEBOOKS] + [("Notebook 7", n) for n in NOTEBOOKS if draws(n)]


@pytest.mark.parametrize(("client", "notebook"), OPENINGS, ids=[f"{n.name}-{c}" for c, n in OPENINGS])
def test_a_fresh_untrusted_notebook_shows_every_picture_and_every_steppers_static_view(
    lab: str, browser: Any, jupyterlab: Any, notebook: Path, client: str
) -> None:
    pictures, steppers = expected(notebook)
    page = open_in(client, notebook, lab, browser, jupyterlab)
    page.wait_for_selector(f".jp-Notebook .jp-Cell:has-text('{notebook.stem[:2]} ·')")  # its title
    page.wait_for_function(
        f"([p, s]) => {{ const n = ({SHOWN})(); return n.pictures >= p && n.statics >= s; }}",
        arg=[pictures, steppers],
        timeout=60_000,
    )
    shown = page.evaluate(SHOWN)
    assert shown == {"pictures": pictures, "statics": steppers, "frames": 0, "reprs": 0}
    if notebook.name.startswith(("01", "02")):  # they draw graphs, and 02 steps through them
        assert pictures > 0 and (steppers > 0) == notebook.name.startswith("02")
    if page is jupyterlab:
        page.keyboard.press("Alt+w")  # close the tab
        page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel')")
    else:
        page.close()
    shut_down_kernels(lab)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])
def test_a_static_render_with_no_scripts_shows_every_picture_and_every_steppers_static_view(
    browser: Any, notebook: Path, tmp_path: Path
) -> None:
    """nbconvert's HTML, opened with JavaScript off: a code host's view, which runs no script."""
    from nbconvert import HTMLExporter

    pictures, steppers = expected(notebook)
    body, _ = HTMLExporter().from_filename(str(notebook))
    page_file = tmp_path / f"{notebook.stem}.html"
    page_file.write_text(body)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 2000})
    page = context.new_page()
    page.goto(page_file.as_uri())
    context.set_offline(True)
    assert page.evaluate(SHOWN) == {"pictures": pictures, "statics": steppers, "frames": 0, "reprs": 0}
    context.close()


# The stepper page's state: the equation, the step counter, and each named box's grad line.
PAGE = """() => {
    const grads = {};
    document.querySelectorAll('#graph g.node').forEach((g) => {
        const t = g.querySelectorAll('text');
        if (t.length > 1) grads[t[0].textContent] = t[t.length - 1].textContent;
    });
    return [document.getElementById('equation').textContent, grads];
}"""
# Where the page's content ends, in CSS px from the top of its frame.
CONTENT_BOTTOM = """() => Math.max(...Array.from(document.body.querySelectorAll('*'))
    .map((e) => e.getBoundingClientRect().bottom))"""
# The size node labels are drawn at, in CSS px: the font size times the SVG's scale on screen.
LABEL_PX = """() => {
    const text = document.querySelector('#graph g.node text');
    const m = text.getScreenCTM();
    return parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b);
}"""


def notebook_namespace(notebook: Path, until: str) -> dict[str, Any]:
    """The notebook's code cells run here, in order, until one defines ``until``: the same graphs."""
    namespace: dict[str, Any] = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "code" and until not in namespace:
            with contextlib.redirect_stdout(io.StringIO()):
                exec("".join(cell["source"]), namespace)  # the repo's own notebook
    return namespace


def run_all(page: Any, lab: str, notebook: Path) -> None:
    """Run every cell of the open notebook, once its kernel is idle, and wait for its steppers' pages."""
    _, steppers = expected(notebook)
    page.wait_for_function(f"() => ({SHOWN})().statics === {steppers}", timeout=60_000)
    # Opened, the notebook stays unmodified once its kernel has started (its metadata is what JupyterLab
    # would write).
    session = f"{lab}/api/sessions?token={TOKEN}"
    for _ in range(120):
        if [s["kernel"]["execution_state"] for s in json.load(urllib.request.urlopen(session))] == ["idle"]:
            break
        time.sleep(0.25)
    page.wait_for_timeout(500)
    assert page.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        f"() => {{ const n = ({SHOWN})(); return n.frames === {steppers} && n.statics === 0; }}",
        timeout=60_000,
    )


def test_in_a_jupyterlab_window_each_step_of_both_views_has_its_box_in_sight(lab: str, browser: Any) -> None:
    """In a 1440 x 900 window, the stepper of notebook 08 run in JupyterLab: at the start and after each
    of the first steps, in the neuron view and the value view, the box the step names is whole in the
    graph's view, and on the screen with the cell's output scrolled into sight."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{lab}/lab/workspaces/framing?token={TOKEN}&reset")
    page.locator(".jp-DirListing-item", has_text=BY_NEURON.name).dblclick()
    run_all(page, lab, BY_NEURON)
    output = page.locator(".jp-OutputArea-output iframe").first
    output.scroll_into_view_if_needed()
    frame = output.element_handle().content_frame()
    frame.wait_for_selector("#neurons g.node")
    assert frame.locator("#neurons g.node").count() == 3 + 5 + 1

    def check(steps: int, next_button: str) -> list[str]:
        named = []
        for k, where in named_boxes(frame, steps, next_button):
            at = output.bounding_box()
            screen = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").bounding_box()
            box = [
                where["left"] + at["x"],
                where["top"] + at["y"],
                where["right"] + at["x"],
                where["bottom"] + at["y"],
            ]
            assert where["inView"], (k, where)
            assert screen["x"] <= box[0] and box[2] <= screen["x"] + screen["width"], (k, where, screen)
            assert screen["y"] <= box[1] and box[3] <= screen["y"] + screen["height"], (k, where, screen)
            named.append(where["id"])
        return named

    assert check(12, "#neurons-next")[:5] == ["N0_0", "N0_1", "N0_2", "N0_3", "N1_0"]
    frame.click("#N0_2")  # its part of the scalar graph
    assert frame.evaluate("document.getElementById('neurons').hidden")
    check(12, "#next")
    frame.locator("#slider").fill("0")
    check(12, "#next")
    page.close()
    shut_down_kernels(lab)


def test_run_in_jupyterlab_the_stepper_steps_with_clicks_and_keys_as_backward_does(
    lab: str, browser: Any, jupyterlab: Any
) -> None:
    page = open_in("JupyterLab", STEPPING, lab, browser, jupyterlab)
    run_all(page, lab, STEPPING)
    _, steppers = expected(STEPPING)

    # The oracle: the notebook's first graph, with its grads as backward() leaves them.
    namespace = notebook_namespace(STEPPING, until="stepper")
    stepper, root = namespace["stepper"], namespace["o"]
    nodes = [v for v in topological_order(root) if v.label]
    for v in nodes:
        v.grad = 0.0
    root.backward()
    final = {v.label: v.grad for v in nodes}
    targets = [step.parent.label for step in stepper.steps]

    for each in page.locator(".jp-OutputArea-output iframe").all():  # each frame fits what it shows
        bottom = each.element_handle().content_frame().evaluate(CONTENT_BOTTOM)
        assert bottom <= each.bounding_box()["height"] < bottom + 80
    frame = page.locator(".jp-OutputArea-output iframe").first.element_handle().content_frame()

    def check(at: int) -> None:
        """The page at step ``at``: its equation, and every grad: 0 before it is reached, backward's once
        no later step adds to it, and the sum of the contributions so far in between."""
        equation, grads = frame.evaluate(PAGE)
        if at > 0:
            assert equation == stepper.equation(stepper.steps[at - 1])
        for name, want in final.items():
            if name == root.label:
                value = 1.0
            elif name not in targets[at:]:
                value = want if name in targets[:at] else 0.0
            else:
                value = sum(s.contribution for s in stepper.steps[:at] if s.parent.label == name)
            assert grads[name] == f"grad {value:.4g}", (at, name)

    check(0)
    frame.click("#next")
    check(1)
    frame.click("#next")
    check(2)
    for at in range(3, len(stepper.steps) + 1):  # the keys, once the page has been clicked
        frame.keyboard.press("ArrowRight") if hasattr(frame, "keyboard") else page.keyboard.press(
            "ArrowRight"
        )
        check(at)
    page.keyboard.press("Home")
    check(0)
    page.keyboard.press("End")
    check(len(stepper.steps))
    frame.click("#prev")
    check(len(stepper.steps) - 1)

    # A network's stepper, in a new cell typed below the last one: readable at 100%, and it zooms.
    page.locator(".jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(
        "from autograd_lite.nn import MLP; step_through(MLP(2, [4, 4, 1], seed=0)([0.5, -1.5]))"
    )
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(f"() => ({SHOWN})().frames === {steppers + 1}", timeout=60_000)
    network = page.locator(".jp-OutputArea-output iframe").last.element_handle().content_frame()
    network.wait_for_selector("#graph g.node text")
    size = network.evaluate(LABEL_PX)
    assert size >= 11
    network.click("#zoom-in")
    assert network.evaluate(LABEL_PX) > size
    page.locator(".jp-Cell").first.click()  # the keys go to JupyterLab again, not to the stepper
    page.keyboard.press("Alt+w")  # close the tab, and let its new outputs go
    page.get_by_role("button", name="Discard").click()
    page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel')")
    shut_down_kernels(lab)
