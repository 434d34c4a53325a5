"""Pictures of training with matplotlib, an optional dependency: ``pip install 'autograd-lite[plot]'``.

Figures are made without pyplot, so no window opens and no global state changes; save them with
``fig.savefig(path)`` (Jupyter shows a returned Figure inline).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.modes import no_grad
from .models import MLP

__all__ = ["confusion_matrix", "decision_boundary", "require_matplotlib"]

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def require_matplotlib(what: str) -> type[Figure]:
    """Return matplotlib's Figure class, or raise an ImportError that says how to install matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"{what} draws with matplotlib, which is not installed: pip install 'autograd-lite[plot]'"
        ) from None
    return Figure


def decision_boundary(model: MLP, X: Sequence[Sequence[float]], y: Sequence[Any], steps: int = 50) -> Figure:
    """Plot the model's score over the plane around 2-D points X, its zero contour, and the points by
    class."""
    if not X:
        raise ValueError("decision_boundary() needs at least one point in X, got none")
    if any(len(x) != 2 for x in X):
        raise ValueError("decision_boundary() draws 2-D inputs only")
    if len(y) != len(X):
        raise ValueError(
            f"decision_boundary() needs one class per point, got {len(X)} points and {len(y)} classes"
        )
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"decision_boundary() needs steps >= 2 (grid points per axis), got {steps!r}")
    fig = require_matplotlib("decision_boundary()")(figsize=(5.0, 4.5))
    ax = fig.subplots()
    xs, ys = [x[0] for x in X], [x[1] for x in X]
    x_lo, x_hi = min(xs) - 0.5, max(xs) + 0.5
    y_lo, y_hi = min(ys) - 0.5, max(ys) + 0.5
    grid_x = [x_lo + (x_hi - x_lo) * i / (steps - 1) for i in range(steps)]
    grid_y = [y_lo + (y_hi - y_lo) * j / (steps - 1) for j in range(steps)]
    with no_grad():
        scores = [[_score(model([gx, gy])) for gx in grid_x] for gy in grid_y]
    ax.contourf(grid_x, grid_y, scores, levels=[-1e300, 0.0, 1e300], colors=["#f4b6b6", "#b6cdf4"], alpha=0.8)
    ax.contour(grid_x, grid_y, scores, levels=[0.0], colors="black", linewidths=1.0)
    positive = [t > 0 for t in y]
    for cls, color, name in (
        (False, "#c0392b", "class -1 (score < 0)"),
        (True, "#1f4e9c", "class 1 (score > 0)"),
    ):
        pts = [x for x, p in zip(X, positive) if p == cls]
        ax.scatter(
            [p[0] for p in pts],
            [p[1] for p in pts],
            c=color,
            s=18,
            edgecolors="white",
            linewidths=0.5,
            label=name,
        )
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), title="decision boundary", xlabel="$x_1$", ylabel="$x_2$")
    # below the axes, so that it never covers the points or the boundary
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def confusion_matrix(actual: Sequence[int], predicted: Sequence[int], classes: int | None = None) -> Figure:
    """Plot how often each class (a row) was predicted as each class (a column), each cell's count written in
    it: the diagonal is right, the rest shows which classes are taken for which."""
    if len(actual) != len(predicted) or not actual:
        raise ValueError(
            f"confusion_matrix() needs one prediction per sample (at least one), got {len(actual)} and "
            f"{len(predicted)}"
        )
    n = classes if classes is not None else max(*actual, *predicted) + 1
    counts = [[0] * n for _ in range(n)]
    for a, p in zip(actual, predicted):
        if not (0 <= a < n and 0 <= p < n):
            raise ValueError(f"confusion_matrix() takes class indices in [0, {n}), got {a!r} and {p!r}")
        counts[a][p] += 1
    fig = require_matplotlib("confusion_matrix()")(figsize=(1.0 + 0.45 * n, 0.6 + 0.45 * n))
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues")
    top = max(max(row) for row in counts)
    for a, row in enumerate(counts):
        for p, count in enumerate(row):
            if count:
                color = "white" if count > top / 2 else "black"
                ax.text(p, a, str(count), ha="center", va="center", color=color, fontsize=8)
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted class", ylabel="true class")
    right = sum(counts[k][k] for k in range(n))
    ax.set_title(f"{right} of {len(actual)} right ({right / len(actual):.1%})")
    fig.colorbar(image, ax=ax, label="samples")
    fig.tight_layout()
    return fig


def _score(output: Any) -> float:
    if isinstance(output, list):
        raise ValueError(f"decision_boundary() reads one score per point, the model gives {len(output)}")
    return float(output.data)
