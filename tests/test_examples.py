"""The tutorials' examples under examples/ run and reach their targets."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name: str) -> Any:
    """The example's main(), run in this process (progress bars stay off: stderr is not a terminal)."""
    return runpy.run_path(str(EXAMPLES / name))["main"]()


@pytest.mark.e2e
def test_two_layer_sigmoid_network_learns_xor_as_in_the_tutorial() -> None:
    predictions = run("two_layer_sigmoid.py")
    assert [round(p) for p in predictions] == [0, 1, 1, 0]
    assert max(abs(p - t) for p, t in zip(predictions, [0, 1, 1, 0])) < 0.03  # the tutorial's ~0.02 errors


@pytest.mark.e2e
def test_single_layer_learns_a_separable_rule_and_cannot_learn_xor() -> None:
    results = run("single_layer_sigmoid.py")
    assert [round(p) for p in results["first input"]] == [0, 0, 1, 1]
    assert results["new input [1, 0, 0]"][0] > 0.99
    assert results["xor"] == pytest.approx([0.5] * 4, abs=1e-3)


@pytest.mark.e2e
def test_multiclass_classifier_fits_the_spiral() -> None:
    history = run("multiclass_classifier.py")
    assert history.accuracy[-1] >= 0.95
    assert history.loss[-1] < 0.1 * history.loss[0]


@pytest.mark.e2e
def test_digits_are_recognised_on_held_out_images_and_the_confusion_matrix_is_drawn(tmp_path: Path) -> None:
    picture = tmp_path / "confusion.png"
    accuracy = runpy.run_path(str(EXAMPLES / "digits.py"))["main"](picture)
    assert accuracy >= 0.95  # the target, on a fifth of UCI's digits held out
    assert picture.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_is_a_script_with_a_docstring_that_says_how_to_run_it(name: str) -> None:
    source = (EXAMPLES / name).read_text()
    assert source.startswith('"""') and f"Run: python examples/{name}" in source
    assert 'if __name__ == "__main__":\n    main()' in source
