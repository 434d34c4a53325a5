"""The documentation build's checks fail it, naming what is wrong. `make docs` builds the real site, which
passes them; these build tiny sites with the same configuration (docs/conf.py), so that a check that
stopped checking would be noticed: a public name without a docstring, module data without a doc comment,
a public name that no page documents, a broken cross-reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parents[1] / "docs"

DOCUMENTED = '''
"""A module that says what each of its public names is."""

from dataclasses import dataclass

LIMIT = 3  #: How many there may be.


@dataclass
class Pair:
    """Two numbers."""

    first: float  #: The first.
    second: float = 0.0  #: The second.

    def total(self) -> float:
        """The two added."""
        return self.first + self.second


def double(x: float) -> float:
    """Twice x; :func:`half` undoes it."""
    return 2 * x


def half(x: float) -> float:
    """Half of x."""
    return x / 2
'''

UNDOCUMENTED = '''
"""A module that leaves things out."""

from dataclasses import dataclass

LIMIT = 3


@dataclass
class Pair:
    """Two numbers."""

    first: float

    def total(self) -> float:
        return self.first


def half(x: float) -> float:
    """Half of x; :func:`third` is a third."""
    return x / 2
'''

EXPORTED = '''
"""A module whose page lists its functions one by one."""

__all__ = ["double", "half"]


def double(x: float) -> float:
    """Twice x."""
    return 2 * x


def half(x: float) -> float:
    """Half of x."""
    return x / 2
'''

WHOLE_MODULE = "Tiny\n====\n\n.. automodule:: tiny\n"
ONE_FUNCTION = "Tiny\n====\n\n.. automodule:: tiny\n   :no-members:\n\n.. autofunction:: tiny.double\n"


def build(tmp_path: Path, module: str, page: str) -> subprocess.CompletedProcess[str]:
    """Build a site of one page about the module ``tiny``, with the configuration and options of `make docs`
    but the dummy builder: the checks run as the pages are read and their references resolved."""
    source = tmp_path / "source"
    source.mkdir()
    (tmp_path / "tiny.py").write_text(module)
    (source / "conf.py").write_text(
        f"import sys\n\nsys.path[:0] = [{str(tmp_path)!r}, {str(DOCS)!r}]\nfrom conf import *\n"
    )
    (source / "docs").mkdir()
    (source / "docs" / "index.rst").write_text(page)  # where docs/conf.py has the site's first page
    command = [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-n", "-q", "-b", "dummy"]
    return subprocess.run(
        [*command, source, tmp_path / "out"], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )


def test_a_documented_module_builds_with_no_warning(tmp_path: Path) -> None:
    done = build(tmp_path, DOCUMENTED, WHOLE_MODULE)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_what_is_left_undocumented_fails_the_build_by_name(tmp_path: Path) -> None:
    done = build(tmp_path, UNDOCUMENTED, WHOLE_MODULE)
    assert done.returncode != 0
    for complaint in (
        "tiny.LIMIT is public but has no doc comment",
        "attribute tiny.Pair.first is public but has no docstring",
        "method tiny.Pair.total is public but has no docstring",
        "py:func reference target not found: third",
    ):
        assert complaint in done.stderr, done.stderr
    assert done.stderr.count("WARNING") == 4, done.stderr


def test_an_exported_name_that_no_page_documents_fails_the_build(tmp_path: Path) -> None:
    done = build(tmp_path, EXPORTED, ONE_FUNCTION)
    assert done.returncode != 0
    assert "tiny.half is public but no page documents it" in done.stderr
    assert done.stderr.count("WARNING") == 1, done.stderr
