"""The README's first screen tells a pip user how to install and where to read on, its links and pictures show
on the package index (which knows nothing of the repository's files), and its Python examples run and print
what their comments say."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
URLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
# Where the README shows the repository's files from: pictures as raw files, the rest as the host's pages.
REPOSITORY_FILES = (
    "https://raw.githubusercontent.com/autograd-lite/autograd-lite/main/",
    f"{URLS['Repository']}/blob/main/",
)
SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...
HTML_ADDRESS = re.compile(r"""\b(?:src|href|srcset)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def addresses(markdown: str) -> list[str]:
    """Every address a text links or shows a picture from, parsed as the package index parses it (CommonMark
    with tables): links (inline, by reference, autolinks), pictures, and the src and href of its HTML."""
    found = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type == "html_block":
            found += HTML_ADDRESS.findall(token.content)
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrGet("href")))
            elif child.type == "image":
                found.append(str(child.attrGet("src")))
            elif child.type == "html_inline":
                found += HTML_ADDRESS.findall(child.content)
    return found


def relative(address: str) -> bool:
    """A path into the repository: no scheme, and not a heading of the page itself."""
    return not SCHEME.match(address) and not address.startswith("#")


def test_the_first_screen_says_how_to_install_and_where_the_documentation_and_the_code_are() -> None:
    first_screen = "\n".join(README.read_text().splitlines()[:40])
    assert "pip install autograd-lite" in first_screen
    assert 'pip install "autograd-lite[all]"' in first_screen
    assert f"({URLS['Documentation']})" in first_screen
    assert f"({URLS['Repository']})" in first_screen


def test_no_link_or_picture_in_the_readme_is_relative_to_the_repository() -> None:
    found = addresses(README.read_text())
    assert len(found) >= 10  # the pictures and the notebooks at least: the parser sees them
    assert [address for address in found if relative(address)] == []


def test_every_address_of_a_repository_file_in_the_readme_names_a_file_that_is_there() -> None:
    files = [
        a.removeprefix(prefix)
        for a in addresses(README.read_text())
        for prefix in REPOSITORY_FILES
        if a.startswith(prefix)
    ]
    assert len(files) >= 10
    for path in files:
        assert (ROOT / path).is_file(), path


@pytest.mark.parametrize(
    "markdown",
    [
        "![a picture](docs/graph.svg)",
        "[a notebook](notebooks/01.ipynb)",
        "[a notebook][one]\n\n[one]: ./notebooks/01.ipynb",
        '<p align="center"><img src="docs/stepper.png" width="600"></p>',
        "text and <a href='CHANGELOG.md'>the changelog</a>",
        "| a table | [with a link](LICENSE) |\n|---|---|\n| x | y |",
    ],
)
def test_a_relative_link_or_picture_in_any_form_is_found(markdown: str) -> None:
    assert [address for address in addresses(markdown) if relative(address)], markdown


def test_addresses_with_a_scheme_and_headings_of_the_page_are_not_relative() -> None:
    markdown = "[site](https://autograd-lite.readthedocs.io) <mailto:a@b.org> [below](#notebooks)"
    assert addresses(markdown) == ["https://autograd-lite.readthedocs.io", "mailto:a@b.org", "#notebooks"]
    assert not any(relative(address) for address in addresses(markdown))


def expected_lines(block: str) -> list[str]:
    """The comment after each print(...) call: the start of what that line prints."""
    return [m.group(1).split("  (")[0].strip() for m in re.finditer(r"^print\(.*\)\s+# (.+)$", block, re.M)]


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.e2e
@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_prints_what_its_comments_say(block: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", block], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    error = re.search(r"^# (\w+Error: .+)$", block, re.M)
    if error:
        assert run.returncode != 0
        assert run.stderr.strip().splitlines()[-1] == error.group(1)
        return
    assert run.returncode == 0, run.stderr
    printed = run.stdout.splitlines()
    wanted = expected_lines(block)
    assert len(printed) == len(wanted)
    for got, want in zip(printed, wanted):
        prefix = want.rstrip(".")  # "0.7071..." means the printed line starts with 0.7071
        assert got.startswith(prefix.split("...")[0]), (got, want)
