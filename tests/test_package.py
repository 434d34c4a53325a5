"""The package as published: the sdist and wheel that `python -m build` makes pass `twine check --strict`,
and the wheel, installed (not editable) into a fresh venv with the extras `make demo` installs, runs a
backward, a drawing, a stepper page and the demo."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import autograd_lite

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist, and a wheel built from that sdist, as a release is built."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out)
    return out


def wheel(dist: Path) -> Path:
    (path,) = dist.glob("autograd_lite-*-py3-none-any.whl")
    return path


def test_sdist_and_wheel_are_named_for_the_one_version_and_pass_twine_check_strict(dist: Path) -> None:
    version = autograd_lite.__version__
    assert sorted(p.name for p in dist.iterdir()) == [
        f"autograd_lite-{version}-py3-none-any.whl",
        f"autograd_lite-{version}.tar.gz",
    ]
    checked = run(sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir()), cwd=dist)
    assert checked.stdout.count("PASSED") == 2, checked.stdout


def test_wheel_metadata_gives_the_licence_the_pythons_and_the_project_urls(dist: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with zipfile.ZipFile(wheel(dist)) as zf:
        names = zf.namelist()
        info = f"autograd_lite-{autograd_lite.__version__}.dist-info"
        metadata = zf.read(f"{info}/METADATA").decode()
    assert f"{info}/licenses/LICENSE" in names
    assert "License-Expression: MIT" in metadata
    assert "Requires-Python: >=3.11" in metadata
    for minor in (11, 12, 13):
        assert f"Classifier: Programming Language :: Python :: 3.{minor}" in metadata
    for name, url in project["urls"].items():
        assert f"Project-URL: {name}, {url}" in metadata
    # Package data that a Python-files-only wheel would drop.
    shipped = {"py.typed", "tools/viz/stepper.html", "learning/digits.bin.gz", "learning/DIGITS.md"}
    assert {f"autograd_lite/{name}" for name in shipped} <= set(names)


def test_the_published_metadata_offers_the_users_extras_and_no_development_pins(dist: Path) -> None:
    with zipfile.ZipFile(wheel(dist)) as zf:
        metadata = zf.read(f"autograd_lite-{autograd_lite.__version__}.dist-info/METADATA").decode()
    extras = re.findall(r"^Provides-Extra: (\S+)$", metadata, re.MULTILINE)
    assert sorted(extras) == ["all", "fast", "plot", "testing", "viz"]
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, re.MULTILINE)
    pinned = [r for r in requires if re.match(r"[\w.-]+ *==", r)]
    assert requires and not pinned  # the dev group's exact pins stay in the repository


def test_make_with_a_python_that_does_not_exist_says_so_and_stops(tmp_path: Path) -> None:
    venv = ROOT / ".venv"
    before = venv.stat().st_mtime_ns if venv.exists() else None
    done = subprocess.run(
        ["make", "-C", ROOT, "test", "PYTHON=python3.99"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "Python interpreter not found (or it does not run): PYTHON=python3.99" in done.stderr
    assert (venv.stat().st_mtime_ns if venv.exists() else None) == before  # nothing made or removed


SMOKE = """
import json, sys
from importlib import metadata, resources
from pathlib import Path

import autograd_lite
from autograd_lite import Value
from autograd_lite.data import load_digits
from autograd_lite.viz import draw, step_through

w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.8813735870195432, label="b")
o = (w * x + b).tanh()
o.backward()
grads = w.grad, x.grad  # before the stepper runs backward again (leaves accumulate)
svg = draw(o, renderer="wasm").to_svg()  # the embedded Graphviz: no system package needed
page = step_through(o).save(Path("steps.html"))
typed = resources.files("autograd_lite").joinpath("py.typed").is_file()
print(json.dumps({
    "file": autograd_lite.__file__,
    "version": metadata.version("autograd-lite"),
    "o": o.data, "grads": grads,
    "svg": svg.lstrip().startswith(("<?xml", "<svg")) and "</svg>" in svg and ">w<" in svg,
    "page": page.read_text().count("<script") > 0 and "w.grad += " in page.read_text(),
    "typed": typed,
    "digits": len(load_digits()[0]),
}))
"""


def demo_extras() -> str:
    """The extras `make demo` installs, read from the Makefile so the two cannot drift apart."""
    (extras,) = re.findall(r"^DEMO_EXTRAS := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return extras


def test_the_built_wheel_in_a_fresh_venv_backprops_draws_steps_and_runs_the_demo(
    dist: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    # This environment's pip installs into the new venv (pip --python), as the venv's own pip would;
    # copying a pip into the venv first took longer than all the rest of this test.
    install = ("install", "--quiet", f"{wheel(dist)}[{demo_extras()}]")
    run(sys.executable, "-m", "pip", "--python", python, *install, cwd=tmp_path)
    done = run(python, "-c", SMOKE, cwd=tmp_path)  # run outside the repo, so only the install is importable
    seen = json.loads(done.stdout)
    assert Path(seen["file"]).is_relative_to(venv), "the wheel, not the source tree, was imported"
    assert seen["version"] == autograd_lite.__version__
    assert seen["o"] == pytest.approx(0.7071067811865476, abs=1e-12)
    assert seen["grads"] == pytest.approx((1.0, -1.5), abs=1e-12)
    assert seen["svg"], "draw() did not render an SVG of the graph"
    assert seen["page"], "the stepper page is missing its script or its values"
    assert seen["typed"], "py.typed is not installed"
    assert seen["digits"] == 1797, "the digits are not installed"
    version = run(venv / "bin" / "autograd-lite", "--version", cwd=tmp_path)
    assert version.stdout.strip() == f"autograd-lite {autograd_lite.__version__}"
    demo = run(venv / "bin" / "autograd-lite", "demo", "--out", "out", cwd=tmp_path)
    assert "accuracy 100%" in demo.stdout, demo.stdout
    written = {p.name for p in (tmp_path / "out").iterdir() if p.stat().st_size > 0}
    assert written == {"loss.png", "decision_boundary.png", "graph.svg", "backprop.html"}
