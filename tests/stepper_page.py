"""What the browser tests read off a stepper's page."""

from collections.abc import Iterator
from typing import Any

#: Where the box the current step names is (its id, and its edges in the frame's CSS px), and whether it is
#: whole inside the graph's view and inside the frame's window; null where the step names none.
NAMED_BOX = """() => {
    const section = document.querySelector('section.view:not([hidden])');
    const node = section.querySelector('g.node.target') || section.querySelector('g.node.upstream');
    if (!node) return null;
    const view = section.querySelector('.graph');
    const frame = view.getBoundingClientRect(), box = node.getBoundingClientRect();
    const left = frame.left + view.clientLeft, top = frame.top + view.clientTop;
    return {
        id: node.id, left: box.left, top: box.top, right: box.right, bottom: box.bottom,
        inView: box.left >= left - 0.5 && box.right <= left + view.clientWidth + 0.5
            && box.top >= top - 0.5 && box.bottom <= top + view.clientHeight + 0.5,
        inWindow: box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight,
    };
}"""


def named_boxes(frame: Any, steps: int, next_button: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Step a page (or frame) from where it is through ``steps`` clicks of ``next_button``: at the start and
    after each click, the box the step names (``NAMED_BOX``), where it names one."""
    for k in range(steps + 1):
        if k:
            frame.click(next_button)
        where = frame.evaluate(NAMED_BOX)
        if where is not None:
            yield k, where
