"""The notebooks run top to bottom in a fresh kernel, and their committed copies show what that run prints."""

from __future__ import annotations

import platform
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]
MAX_BYTES = 1_000_000
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # a default repr names the object's address, new at every run
TIMING = re.compile(r"\[\d+:\d+<\d+:\d+, *[\d.]+\w+/s")  # a progress bar's time and rate, new at every run
PROGRESS = re.compile(r"^training: +(\d+)%\|.*\| (\d+)/(\d+) ")
VARIES = "output-varies"  # the tag of a cell whose text may change with versions (hypothesis's search path)


def read(name: str) -> NotebookNode:
    return nbformat.read(ROOT / "notebooks" / name, as_version=nbformat.NO_CONVERT)


def code_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def shown(cell: NotebookNode) -> list[tuple[str, str]]:
    """What a cell showed as (kind, text): printed streams joined, results by their formats and plain text."""
    out: list[tuple[str, str]] = []
    for o in cell.outputs:
        if o.output_type == "stream":
            if out and out[-1][0] == o.name:  # how a stream is cut into messages depends on timing
                out[-1] = (o.name, out[-1][1] + o.text)
            else:
                out.append((o.name, o.text))
        elif o.output_type == "error":
            out.append(("error", f"{o.ename}: {o.evalue}"))
        else:
            kind = " ".join([o.output_type, *sorted(o.data)])
            text = ADDRESS.sub(" at 0x...", o.data.get("text/plain", ""))
            out.append((kind, TIMING.sub("[time", text)))
    return out


def numbers(text: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(text)]


def execute(name: str) -> NotebookNode:
    """The notebook run top to bottom in a new kernel, in its own folder; a cell that raises fails the run."""
    folder = {"metadata": {"path": str(ROOT / "notebooks")}}
    return NotebookClient(read(name), timeout=120, kernel_name="python3", resources=folder).execute()


def test_the_readme_links_every_notebook_and_every_link_resolves() -> None:
    """By its page on the code host, which the package index can link to, as it cannot to a path."""
    readme = (ROOT / "README.md").read_text()
    on_the_host = re.escape("https://github.com/autograd-lite/autograd-lite/blob/main/")
    linked = re.findall(rf"\]\({on_the_host}(notebooks/[^)]+\.ipynb)\)", readme)
    assert sorted(Path(path).name for path in linked) == NAMES
    for path in linked:
        assert (ROOT / path).is_file(), path


def older_cpu() -> dict[str, str]:
    """The environment in which NumPy and OpenBLAS compute as on a CPU with none of this one's vector
    extensions beyond NumPy's baseline: other kernels, whose exp, tanh, log and matrix products differ from
    these in the last bits (the CPU the notebooks were saved on had AVX-512)."""
    import numpy as np

    found = np.show_config(mode="dicts")["SIMD Extensions"]["found"]
    if not found:
        pytest.skip("NumPy runs no vector kernels beyond its baseline here: there are none to switch off")
    env = {"NPY_DISABLE_CPU_FEATURES": " ".join(found)}
    if platform.machine() in ("x86_64", "AMD64"):
        env["OPENBLAS_CORETYPE"] = "Nehalem"  # SSE4.2, NumPy's x86 baseline: runs on any CPU NumPy runs on
    return env


@pytest.mark.e2e
@pytest.mark.parametrize("cpu", ["this CPU", "an older CPU"])
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_a_fresh_kernel_and_shows_what_its_committed_copy_shows(
    name: str, cpu: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On this CPU and as on an older one: a committed number that hinged on last-bit rounding (a chaotic
    training run) would differ between the two, as it would between two computers."""
    if cpu == "an older CPU":
        for variable, value in older_cpu().items():
            monkeypatch.setenv(variable, value)  # the kernel starts with this process's environment
    committed = code_cells(read(name))
    fresh = code_cells(execute(name))
    for number, (old, new) in enumerate(zip(committed, fresh), 1):
        was, now = shown(old), shown(new)
        where = f"{name}, code cell {number}: the committed outputs are stale; re-run `make notebooks`"
        assert [kind for kind, _ in now] == [kind for kind, _ in was], where
        if VARIES in old.metadata.get("tags", []):
            continue
        for (_, old_text), (_, new_text) in zip(was, now):
            # The same words, and the same numbers up to the last digits that libm may round differently.
            assert NUMBER.split(new_text) == NUMBER.split(old_text), where
            assert numbers(new_text) == pytest.approx(numbers(old_text), rel=1e-6, abs=1e-9), where


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_was_run_top_to_bottom_in_one_kernel_without_errors_or_warnings(name: str) -> None:
    cells = code_cells(read(name))
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    kinds = [kind for cell in cells for kind, _ in shown(cell)]
    assert kinds, "saved without outputs"
    assert "error" not in kinds and "stderr" not in kinds


def test_committed_progress_bars_say_in_text_that_they_finished() -> None:
    """A bar is a widget, which a notebook opened fresh or a code host cannot show: its text stands in."""
    bars = [
        PROGRESS.match(text)
        for name in NAMES
        for cell in code_cells(read(name))
        for kind, text in shown(cell)
        if "widget-view" in kind
    ]
    assert bars, "no notebook shows fit()'s progress bar"
    for bar in bars:
        assert bar is not None and bar.group(1) == "100" and bar.group(2) == bar.group(3), bar


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_under_one_megabyte(name: str) -> None:
    assert (ROOT / "notebooks" / name).stat().st_size < MAX_BYTES


@pytest.mark.parametrize("name", NAMES)
def test_notebook_uses_only_the_public_api(name: str) -> None:
    """No private name (a leading underscore) of autograd_lite is imported or read."""
    for cell in code_cells(read(name)):
        assert not re.search(r"(?<![\w_])_[a-z]\w*|\._[a-z]", cell.source), cell.source
