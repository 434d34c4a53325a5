"""The README's Python examples run, and print what their comments say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


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
