"""The documentation site as a reader sees it: opened from its files in Chromium, at 1280 x 900, with every
request that is not for a file refused. The op table fits the page's column, and the maths is typeset from
the site's own copy of MathJax.

`make test` builds the site (build/docs/html) before the tests; without a build, one is built here as
`make docs` builds it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]

# Per cell of the op table: its text and how many lines it takes (line boxes of distinct heights).
MEASURE_TABLE = """() => {
    const table = document.querySelector('table.op-table');
    const article = document.querySelector('article.bd-article');
    const style = getComputedStyle(article);
    const column = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const wrapper = table.parentElement;
    const lines = (cell) => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        const tops = Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => r.top);
        tops.sort((a, b) => a - b);
        const half = parseFloat(getComputedStyle(cell).lineHeight) / 2;
        return tops.filter((top, i) => i === 0 || top - tops[i - 1] > half).length;
    };
    return {
        table: table.getBoundingClientRect().width,
        column: column,
        overflow: wrapper.scrollWidth - wrapper.clientWidth,
        cells: Array.from(table.querySelectorAll('th, td')).map((c) => [c.innerText.trim(), lines(c)]),
    };
}"""

# What MathJax made of the page's maths, once it has typeset them (if it loaded at all).
MEASURE_MATHS = """async () => {
    const mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) await mathjax.startup.promise;
    return {
        maths: document.querySelectorAll('.math').length,
        typeset: document.querySelectorAll('.math mjx-container').length,
        text: document.body.innerText,
    };
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: the one `make docs` made, else one built now with its options."""
    built = ROOT / "build" / "docs" / "html"
    if (built / "index.html").exists():
        return built
    built = tmp_path_factory.mktemp("site") / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html", "-c", "docs"]
    done = subprocess.run(
        [*command, ".", built], capture_output=True, text=True, timeout=600, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    return built


@pytest.fixture(scope="module")
def offline(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A 1280 x 900 page that may load files only, and the addresses of the requests it refused."""
    refused: list[str] = []

    def route(request: Any) -> None:
        if request.request.url.startswith("file:"):
            request.continue_()
        else:
            refused.append(request.request.url)
            request.abort()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("**/*", route)
    yield page, refused
    page.close()


def test_the_op_table_fits_the_column_and_no_cell_holds_a_word_a_line(
    site: Path, offline: tuple[Any, list[str]]
) -> None:
    page, refused = offline
    page.goto((site / "docs" / "api" / "autograd_lite.html").as_uri())
    shown = page.evaluate(MEASURE_TABLE)
    assert shown["overflow"] <= 0, f"the table scrolls sideways by {shown['overflow']} px"
    assert shown["table"] <= shown["column"] + 0.5, f"the table is {shown['table']} px in {shown['column']}"
    assert len(shown["cells"]) > 3 * 30  # a row per op of the table, and the head
    for text, lines in shown["cells"]:
        words = len(text.split())
        assert lines <= max(2, words / 3), f"{text!r} takes {lines} lines for {words} words"
    assert refused == []


def test_the_maths_is_typeset_with_no_network(site: Path, offline: tuple[Any, list[str]]) -> None:
    page, refused = offline
    pages = sorted(path for path in site.rglob("*.html") if 'class="math' in path.read_text())
    assert len(pages) >= 5  # the notebooks that hold maths
    for path in pages:
        page.goto(path.as_uri())
        shown = page.evaluate(MEASURE_MATHS)
        where = path.relative_to(site)
        assert shown["maths"] > 0 and shown["typeset"] == shown["maths"], (
            f"{where}: {shown['typeset']} typeset"
        )
        for raw in ("\\(", "\\["):
            assert raw not in shown["text"], f"{where} shows raw TeX: {raw}"
    assert refused == []
