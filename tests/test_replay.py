"""compile(): the replayed graph gives the eager engine's outputs and gradients.

The pure-Python replay runs the same float forms in the same order as the eager engine, so it must
agree to the last bit. The NumPy replay evaluates each op's array form (NumPy's exp, tanh, ... may
differ from libm's in the last place) and adds up each gradient's contributions in another order, so
it is held to 1e-12 relative; a gradient whose contributions cancel to nearly zero is held to 1e-12
times the largest value compared with it, or to 1e-12 absolute if that is larger. On networks, a test
holds it to the bound the README states (``vectorized.AGREEMENT`` times the largest of each kind).
"""

from __future__ import annotations

import math
import operator
import random
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, compile, detect_anomaly, no_grad
from autograd_lite.core.engine import apply
from autograd_lite.core.modes import MATH_ERRORS
from autograd_lite.core.node import topological_order
from autograd_lite.core.ops import BCE, HINGE, TABLE, Op
from autograd_lite.core.vectorized import AGREEMENT, Dot, Index, MatMul, Sum
from autograd_lite.losses import mse
from autograd_lite.nn import MLP
from autograd_lite.testing.graphs import Program
from autograd_lite.testing.strategies import programs

BACKENDS = ["python", "numpy"]


def assert_matches(backend: str, got: Sequence[float], want: Sequence[float]) -> None:
    """Equal (NaN where the eager engine gives NaN), exactly for the Python replay."""
    assert len(got) == len(want)
    scale = max((abs(w) for w in want if math.isfinite(w)), default=1.0)
    for g, w in zip(got, want):
        if math.isnan(w):
            assert math.isnan(g), (g, w)
        elif backend == "python":
            assert g == w, (g, w)
        else:
            assert math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-12 * max(scale, 1.0)), (g, w)


def eager(f: Callable[[], Value], leaves: Sequence[Value]) -> tuple[float, list[float]]:
    for leaf in leaves:
        leaf.grad = 0.0
    out = f()
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def compiled(c: Any, leaves: Sequence[Value], *inputs: Any) -> tuple[Any, list[float]]:
    for leaf in leaves:
        leaf.grad = 0.0
    out = c(*inputs)
    return out, [leaf.grad for leaf in leaves]


# ---- random graphs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=150, deadline=None)
@given(program=programs())
def test_compiled_random_graphs_give_the_eager_value_and_gradients(backend: str, program: Program) -> None:
    leaves = [Value(x) for x in program.inputs]

    def f() -> Value:
        return program.run(leaves, on_values=True)[0]

    want_out, want_grads = eager(f, leaves)
    c = compile(f, backend=backend)
    for _ in range(2):  # the recording call and a replay of the recorded tape
        out, grads = compiled(c, leaves)
        assert_matches(backend, [out], [want_out])
        assert_matches(backend, grads, want_grads)
    assert len(c.tapes) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_replay_reads_the_parameters_current_data_and_recomputes_relu_and_abs(backend: str) -> None:
    w, b = Value(0.5), Value(-1.0)

    def f(x: Value) -> Value:
        return (w * x + b).relu() + abs(w - x) * b

    c = compile(f, backend=backend)
    for wd, bd, x in [(0.5, -1.0, 3.0), (0.5, -1.0, 1.0), (-2.0, 0.25, 1.0), (-2.0, 0.25, -3.0)]:
        w.data, b.data = wd, bd  # both kinks change side across these points
        want = eager(lambda x=x: f(Value(x)), [w, b])
        got = compiled(c, [w, b], x)
        assert_matches(backend, [got[0], *got[1]], [want[0], *want[1]])
    assert len(c.tapes) == 1


# Every op of the table, on a Value that the kinks' both sides (x * w, w = 1) and an argument a = 0.3.
EVERY_OP: dict[str, Callable[[Value, Value], Value]] = {
    "abs": lambda v, a: abs(v),
    "relu": lambda v, a: v.relu(),
    "leaky_relu": lambda v, a: v.leaky_relu(a),
    "elu": lambda v, a: v.elu(a),
    "selu": lambda v, a: v.selu(),
    "swish": lambda v, a: v.swish(a),
    "mish": lambda v, a: v.mish(),
    "gelu": lambda v, a: v.gelu(),
    "softplus": lambda v, a: v.softplus(),
    "sigmoid": lambda v, a: v.sigmoid(),
    "tanh": lambda v, a: v.tanh(),
    "exp": lambda v, a: v.exp(),
    "expm1": lambda v, a: v.expm1(),
    "sin": lambda v, a: v.sin(),
    "cos": lambda v, a: v.cos(),
    "tan": lambda v, a: (v * 0.05).tan(),
    "atan": lambda v, a: v.atan(),
    "sinh": lambda v, a: v.sinh(),
    "cosh": lambda v, a: v.cosh(),
    "sqrt of square": lambda v, a: (v * v).sqrt(),
    "log of 1 + square": lambda v, a: (1 + v * v).log(),
    "power": lambda v, a: (v * v + 0.5) ** a,
    "number ** Value": lambda v, a: 2.0**v,
    "differences and negation": lambda v, a: (a - v) - (1.5 - v) - (-v),
    "quotients": lambda v, a: v / (a + 2.0) + 3.0 / (v * v + 1.0),
    "dot": lambda v, a: Value.dot([v, a], [a, 2.0]),
    "logsumexp": lambda v, a: Value.logsumexp([v, a, 2.0]),
    "bce": lambda v, a: apply(BCE, v.sigmoid(), (a * 0.5).sigmoid()) + apply(BCE, v.sigmoid(), 1.0),
    "hinge": lambda v, a: apply(HINGE, v * a, 1.0) + apply(HINGE, v, -1.0),
}


def ops_in(root: Value) -> set[str]:
    """The names of the ops in root's graph."""
    return {v.op for v in topological_order(root)} - {""}


def test_every_op_of_the_table_is_replayed_here() -> None:
    w, a = Value(1.0), Value(0.3)
    covered = set().union(*(ops_in(Value.sum([op(w * 0.5, a)])) for op in EVERY_OP.values()))
    assert covered == {op.name for op in TABLE}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", EVERY_OP)
def test_every_op_replays_as_it_runs_eagerly_on_both_sides_of_its_kinks(backend: str, name: str) -> None:
    w, a = Value(1.0), Value(0.3)  # a: leaky_relu's and elu's alpha, swish's beta, an exponent
    op = EVERY_OP[name]
    c = compile(lambda xs: Value.sum(op(w * x, a) for x in xs), backend=backend)
    xs = [-30.0, -3.0, -0.5, 0.0, 0.5, 3.0, 30.0]
    want = eager(lambda: Value.sum(op(w * x, a) for x in xs), [w, a])
    got = compiled(c, [w, a], xs)
    assert_matches(backend, [got[0], *got[1]], [want[0], *want[1]])


# ---- training: the same run, step by step --------------------------------------------------------------
def make_mlp(seed: int) -> tuple[Callable[[Sequence[Any]], Value], list[Value]]:
    rng = random.Random(seed)
    layers = []
    for nin, nout in [(2, 8), (8, 8), (8, 1)]:
        layers.append([([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(0.0)) for _ in range(nout)])
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]

    def model(x: Sequence[Any]) -> Value:
        for depth, layer in enumerate(layers):
            x = [Value.dot(ws, x) + b for ws, b in layer]
            x = [v.relu() if depth == 0 else v.tanh() for v in x] if depth < len(layers) - 1 else x
        return x[0]

    return model, params


def hinge_loss(model: Callable[[Sequence[Any]], Value], params: list[Value]) -> Callable[..., Any]:
    def loss(xs: Sequence[Sequence[Any]], ys: Sequence[Any]) -> tuple[Value, list[Value]]:
        scores = [model(x) for x in xs]
        data = Value.sum((1 + -y * s).relu() for y, s in zip(ys, scores)) * (1.0 / len(scores))
        return data + 1e-4 * Value.sum(p * p for p in params), scores

    return loss


@pytest.mark.parametrize("backend", BACKENDS)
def test_compiled_training_takes_the_eager_runs_steps(backend: str) -> None:
    rng = random.Random(1)
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(40)]
    ys = [1.0 if x0 * x1 > 0 else -1.0 for x0, x1 in xs]
    runs = []
    for use_compile in (False, True):
        model, params = make_mlp(seed=7)
        loss = hinge_loss(model, params)
        step = compile(loss, backend=backend) if use_compile else None
        history = []
        for k in range(15):
            for p in params:
                p.grad = 0.0
            batch = slice(0, 40) if k % 2 == 0 else slice(0, 20)  # two shapes: two tapes
            if step is None:
                value, scores = loss(
                    [[Value(a) for a in x] for x in xs[batch]], [Value(y) for y in ys[batch]]
                )
                value.backward()
                value, scores = value.data, [s.data for s in scores]
            else:
                value, scores = step(xs[batch], ys[batch])
            history.append([value, *scores, *(p.grad for p in params)])
            for p in params:
                p.data -= 0.1 * p.grad
        runs.append(history)
        if step is not None:
            assert len(step.tapes) == 2
    for got, want in zip(runs[1], runs[0], strict=True):
        assert_matches(backend, got, want)


# ---- the NumPy replay's matrix products -----------------------------------------------------------------
def eager_and_compiled(f: Callable[[Any], Value], leaves: list[Value], xs: Any) -> tuple[Any, Any, Any]:
    """f's value and the leaves' grads, eagerly and by the NumPy replay; and the replay's tape."""
    want = eager(lambda: f([[Value(a) for a in x] for x in xs]), leaves)
    c = compile(f, backend="numpy")
    got = compiled(c, leaves, xs)
    return got, want, next(iter(c.tapes.values()))


@pytest.mark.parametrize(
    ("sizes", "activation", "batch"),
    [([3], "linear", 5), ([4, 3], "tanh", 1), ([5, 5, 2], "relu", 9), ([4, 1], "sigmoid", 16)],
)
def test_a_dense_layer_over_a_batch_is_one_matrix_product_giving_the_eager_numbers(
    sizes: list[int], activation: str, batch: int
) -> None:
    model = MLP(3, sizes, seed=2, activation=activation)
    rng = random.Random(3)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(batch)]

    def loss(xs: Any) -> Value:
        outputs = [model(x) for x in xs]
        return Value.sum(v * v for out in outputs for v in (out if isinstance(out, list) else [out]))

    (value, grads), (want, want_grads), tape = eager_and_compiled(loss, model.parameters(), xs)
    assert_matches("numpy", [value, *grads], [want, *want_grads])
    assert sum(isinstance(step, MatMul) for step in tape.plan.steps) == len(sizes)  # one per layer
    assert sum(isinstance(step, Sum) for step in tape.plan.steps) == 1


def index_patterns() -> st.SearchStrategy[Any]:
    """Positions as the layout makes them: evenly spaced (with gaps, falling), rows and columns of a
    matrix with gaps between rows, a position repeated in blocks or the whole pattern repeated, or any."""
    start, count, step = st.integers(0, 20), st.integers(1, 6), st.integers(-3, 3).filter(bool)
    line = st.builds(lambda a, n, d: [a + 40 + d * i for i in range(n)], start, count, step)
    matrix = st.builds(
        lambda a, r, c, gap, t, f: _grid(a, r, c, gap, t, f), start, count, count, st.integers(0, 3),
        st.booleans(), st.booleans(),
    )  # fmt: skip
    blocks = st.builds(lambda xs, r, tile: xs * r if tile else [x for x in xs for _ in range(r)],
                       line, st.integers(2, 4), st.booleans())  # fmt: skip
    anything = st.lists(st.integers(0, 60), min_size=1, max_size=12)
    return st.one_of(line, matrix, blocks, anything)


def _grid(start: int, rows: int, columns: int, gap: int, transposed: bool, falling: bool) -> list[list[int]]:
    m = [[start + r * (columns + gap) + c for c in range(columns)] for r in range(rows)]
    m = [row[::-1] for row in m] if falling else m
    return [list(col) for col in zip(*m)] if transposed else m


@settings(max_examples=300, deadline=None)
@given(index_patterns(), st.integers(0, 2**32 - 1))
def test_an_index_reads_and_adds_at_its_positions_as_numpy_fancy_indexing_does(
    positions: Any, seed: int
) -> None:
    import numpy as np

    where = np.array(positions, dtype=np.intp)
    rng = np.random.default_rng(seed)
    array = rng.standard_normal(100)
    index = Index(where, np, array.size)
    assert (index.get(array) == array[where]).all()
    values = rng.standard_normal(where.shape)
    want = array.copy()
    np.add.at(want, where, values)
    got = array.copy()
    index.add(got, values)
    assert np.allclose(got, want, rtol=1e-14, atol=1e-14)
    if np.unique(where).size == where.size:  # a node's outputs: each position once
        written = array.copy()
        index.set(written, values)
        want = array.copy()
        want[where] = values
        assert (written == want).all()


def test_an_index_reads_evenly_spaced_positions_through_a_view_and_blocks_once() -> None:
    import numpy as np

    array = np.arange(100.0)
    for positions in (_grid(3, 4, 5, 2, False, True), _grid(3, 4, 5, 0, True, False), [7, 5, 3, 1]):
        index = Index(np.array(positions), np, array.size)
        assert index.view is not None and np.shares_memory(index.get(array), array)
    for positions, how in (([4, 4, 4, 9, 9, 9], "repeat"), ([4, 9, 4, 9, 4, 9], "tile")):
        index = Index(np.array(positions), np, array.size)
        assert index.blocks is not None and index.blocks[1:] == (3, how)


def test_dot_products_that_share_weights_or_pair_only_some_rows_give_the_eager_numbers() -> None:
    w, v = [Value(0.3), Value(-0.7)], [Value(1.1), Value(0.4)]
    shared = [w[1], w[0]]  # the same weights in another order: a row of positions that repeats them

    def f(xs: Any) -> Value:
        dense = [Value.dot(ws, x) for x in xs for ws in (w, shared)]
        doubled = [[a * 2.0 for a in x] for x in xs]  # one level deeper: a group of its own
        some = [Value.dot(v, x) for x in doubled[::2]] + [Value.dot(w, x) for x in doubled[1::2]]  # no grid
        return Value.sum(d.tanh() for d in dense) + Value.sum(s * s for s in some)

    xs = [[0.5, -1.0], [2.0, 0.25], [-1.5, 0.75], [0.1, 0.2]]
    (value, grads), (want, want_grads), tape = eager_and_compiled(f, [*w, *v], xs)
    assert_matches("numpy", [value, *grads], [want, *want_grads])
    kinds = [type(step) for step in tape.plan.steps]
    assert MatMul in kinds and Dot in kinds


# ---- the NumPy replay's agreement with eager: within a bound, stated and measured --------------------------
def largest_difference(got: Sequence[float], want: Sequence[float]) -> float:
    """The largest difference of got from want, divided by the largest number of want in magnitude."""
    return max(abs(g - w) for g, w in zip(got, want, strict=True)) / max(map(abs, want))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("gain", [1.0, 8.0], ids=["as-initialized", "saturated"])
def test_the_numpy_replay_keeps_within_its_stated_agreement_with_eager(activation: str, gain: float) -> None:
    """Each output and gradient within AGREEMENT times the largest of its kind, on seeded draws of an
    MLP's weights (8 times their usual draw saturates most units) and of a batch."""
    worst = 0.0
    for seed in range(25):
        model = MLP(4, [16, 16, 1], activation=activation, seed=seed)
        for p in model.parameters():
            p.data *= gain
        rng = random.Random(seed)
        xs = [[rng.uniform(-2, 2) for _ in range(4)] for _ in range(8)]
        ts = [rng.uniform(-1, 1) for _ in range(8)]

        def f(xs: Any, ts: Any, model: MLP = model) -> tuple[Value, list[Any]]:
            outputs = [model(x) for x in xs]
            return mse(outputs, ts), outputs

        params = model.parameters()
        for p in params:
            p.grad = 0.0
        value, outputs = f([[Value(x) for x in row] for row in xs], [Value(t) for t in ts])
        value.backward()
        want, want_grads = [value.data, *(o.data for o in outputs)], [p.grad for p in params]
        (got_value, got_outputs), got_grads = compiled(compile(f, backend="numpy"), params, xs, ts)
        worst = max(
            worst,
            largest_difference([got_value, *got_outputs], want),
            largest_difference(got_grads, want_grads),
        )
    assert worst <= AGREEMENT


# ---- what compile refuses, and errors ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("f", "start"),
    [
        (lambda x: x * 2 if x > 0 else -x, "> reads the data of Value(data=1.5"),
        (lambda x: max(x, x * x), "> reads the data of Value(data=2.25"),  # max asks: x * x > x?
        (lambda x: x * float(x), "float() reads the data of Value(data=1.5"),
        (lambda x: x if x <= 1.0 else x * 2, "<= reads the data of Value(data=1.5"),
        (lambda x: x * 2 if 0.5 < x else -x, "> reads the data of Value(data=1.5"),  # noqa: SIM300 (reflected)
    ],
)
def test_a_graph_whose_structure_depends_on_data_is_refused(f: Callable[[Value], Value], start: str) -> None:
    c = compile(f)
    with pytest.raises(TypeError) as caught:
        c(1.5)
    assert str(caught.value).startswith(start)
    assert "while compile() records the graph, so the graph's structure could depend on the data" in str(
        caught.value
    )
    assert not c.tapes
    assert f(Value(1.5)) is not None  # the same function still runs eagerly


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_input_outside_an_ops_domain_raises_the_eager_engines_error(backend: str) -> None:
    c = compile(lambda x, y: (x * y).log() + (x / y), backend=backend)
    assert c(2.0, 3.0) == pytest.approx(math.log(6.0) + 2.0 / 3.0, rel=1e-15)
    with pytest.raises(ValueError, match=r"^log\(-6\.0\) is outside the op's domain \(defined for x > 0\)$"):
        c(-2.0, 3.0)
    with pytest.raises(ZeroDivisionError, match=r"^/\(2\.0, 0\.0\) divides by zero"):
        compile(lambda x, y: x / y, backend=backend)(2.0, 0.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_op_without_an_array_form_runs_node_by_node_with_the_same_results(backend: str) -> None:
    cube = Op("cube", lambda x: (x**3, 3 * x * x), lambda values, o, x: (3 * x * x,), 1)  # no ``vector``
    w = Value(1.5)

    def f(x: Value) -> Value:
        out = apply(cube, w * x)
        assert isinstance(out, Value)
        return out

    c = compile(f, backend=backend)
    for x in (0.5, -2.0):
        w.grad = 0.0
        assert c(x) == pytest.approx((1.5 * x) ** 3, rel=1e-15)
        assert w.grad == pytest.approx(3 * (1.5 * x) ** 2 * x, rel=1e-15)


def test_compiled_outputs_keep_their_structure_and_only_the_first_is_differentiated() -> None:
    a, b = Value(2.0), Value(3.0)
    c = compile(lambda xs: (a * xs[0], [b * xs[1], (a * b).exp()]))
    out = c([10.0, 100.0])
    assert out == (20.0, [300.0, math.exp(6.0)])
    assert (a.grad, b.grad) == (10.0, 0.0)  # b is read only by the other outputs


def test_auto_replays_small_graphs_in_python_and_large_ones_with_numpy() -> None:
    w = Value(0.5)
    c = compile(lambda xs: Value.sum((w * x).tanh() for x in xs))
    assert c.backend == "numpy"
    small, large = [0.1] * 10, [0.1] * 1000
    for xs in (small, large):
        w.grad = 0.0
        assert c(xs) == pytest.approx(len(xs) * math.tanh(0.05), rel=1e-14)
        assert w.grad == pytest.approx(len(xs) * 0.1 * (1 - math.tanh(0.05) ** 2), rel=1e-12)
    assert [tape.backend for tape in c.tapes.values()] == ["python", "numpy"]  # 21 and 2,001 nodes


def test_leaves_accumulate_across_compiled_calls_as_across_backward_calls() -> None:
    a = Value(3.0)
    c = compile(lambda: (a + a) * (a + a))
    c()
    c()
    assert a.grad == 48.0


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ((Value(1.0),), "a compiled function takes numbers where f takes Values, got Value(data=1.0"),
        (("1.0",), "a compiled function takes a real number, got str: '1.0'"),
        (({1.0},), "a compiled function takes a real number, got set: {1.0}"),
    ],
)
def test_inputs_must_be_numbers_or_nested_lists_of_them(inputs: tuple[Any, ...], message: str) -> None:
    with pytest.raises(TypeError) as caught:
        compile(lambda x: x * 2)(*inputs)
    assert str(caught.value).startswith(message)


def test_f_must_return_values() -> None:
    with pytest.raises(TypeError, match=r"^a compiled function must return a Value, or lists and tuples"):
        compile(lambda x: 2.0)(1.0)


def test_detect_anomaly_runs_a_compiled_function_eagerly_and_names_the_op() -> None:
    w = Value(1000.0, label="w")
    c = compile(lambda x: (w * x).exp())
    with detect_anomaly(), pytest.raises(OverflowError, match=r"^exp\(1000\.0\) overflows a float"):
        c(1.0)
    assert not c.tapes


def test_under_no_grad_a_compiled_function_runs_eagerly_and_records_nothing() -> None:
    w = Value(2.0)
    c = compile(lambda x: w * x)
    with no_grad():
        assert c(3.0) == 6.0
    assert (w.grad, c.tapes) == (0.0, {})
    w.data = 5.0
    assert c(3.0) == 15.0  # recorded now, with a graph
    assert w.grad == 3.0


def test_the_numpy_backend_without_numpy_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r"^compile\(backend='numpy'\) needs NumPy: pip install"):
        compile(lambda x: x, backend="numpy")
    assert compile(lambda x: x * 2).backend == "python"  # "auto" falls back to the pure-Python replay


# ---- static arguments: numbers as they are, a tape per value --------------------------------------------
def test_static_arguments_reach_f_as_numbers_and_each_new_value_records_a_tape() -> None:
    w = [Value(0.3), Value(-0.2)]
    seen = []

    def f(x: Value, k: int) -> Value:
        seen.append(k)
        assert isinstance(k, int)  # as given: the graph may depend on it (it picks a weight)
        return w[k] * x * x

    c = compile(f, static_argnums=1)
    for x, k in [(1.5, 0), (2.0, 0), (1.5, 1), (-1.0, 1), (3.0, 0)]:
        for v in w:
            v.grad = 0.0
        got = c(x, k)
        assert got == w[k].data * x * x and w[k].grad == x * x and w[1 - k].grad == 0.0
    assert seen == [0, 1] and len(c.tapes) == 2  # recorded once per value of k


@pytest.mark.parametrize(
    ("static_argnums", "args", "error", "message"),
    [
        (2, (1.0, 2.0), TypeError, r"static_argnums \[2\] is out of range for 2 arguments"),
        ("1", (1.0, 2.0), TypeError, r"static_argnums must be an int or a sequence of ints, got '1'"),
        (
            1,
            (1.0, Value(2.0)),
            TypeError,
            r"a static argument of a compiled function is a number, not a Value",
        ),
        (
            1,
            (1.0, {1.0}),
            TypeError,
            r"a static argument of a compiled function must be hashable, got \{1.0\}",
        ),
    ],
)
def test_bad_static_arguments_are_refused_with_what_is_wrong(
    static_argnums: Any, args: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        compile(lambda x, y: Value(1.0) * x, static_argnums=static_argnums)(*args)


# ---- what the replays take: numbers of the eager engine's kind, as many as the tape was recorded with ------
def raised(f: Callable[..., Any], *args: Any) -> tuple[type[BaseException], str]:
    """The kind and the message of the math error that f raises on these arguments (it must raise one)."""
    with pytest.raises(MATH_ERRORS) as caught:
        f(*args)
    return type(caught.value), str(caught.value)


def abs_and_quotient(xs: Sequence[Any], w: Sequence[Value]) -> Value:
    """abs (whose slope is (x > 0) - (x < 0)) and a quotient over a few inputs: a tape the size the Python
    replay takes."""
    return Value.sum(abs(w[0] * x + w[1]) / (x - w[1]) for x in xs)


def test_the_python_replay_computes_on_floats_given_numpy_arrays_or_scalars_bit_for_bit() -> None:
    """NumPy's scalars cannot subtract booleans (abs's slope) and give inf for a division by zero: the
    replay takes its numbers as floats, as the eager engine computes on them."""
    import numpy as np

    w = [Value(0.5), Value(-1.5)]
    tape = compile(lambda xs: abs_and_quotient(xs, w), backend="python").tape([0.0, 0.0, 0.0])
    params = np.array([p.data for p in tape.params])
    for xs in ([1.0, -2.0, 4.0], [3.0, 0.0, -0.25]):
        want, want_grads = eager(lambda xs=xs: abs_and_quotient([Value(x) for x in xs], w), w)
        by_leaf = dict(zip(map(id, w), want_grads))
        for numbers in (np.array(xs), [np.float64(x) for x in xs], np.array(xs, dtype=np.float32)):
            outputs, grads = tape.replay(numbers, params)
            assert all(type(v) is float for v in [*outputs, *grads])
            assert (outputs, grads) == ([want], [by_leaf[id(p)] for p in tape.params])
    xs = [1.0, w[1].data, 4.0]  # x - w[1] is 0 for the second
    assert raised(tape.replay, np.array(xs), params) == raised(abs_and_quotient, [Value(x) for x in xs], w)


def abs_loss(outputs: Sequence[Value], targets: Sequence[Any]) -> Value:
    """The mean absolute error, each target a row of one (inputs of the replay, taken in fit's order)."""
    return Value.sum(abs(o - t[0]) for o, t in zip(outputs, targets)) * (1.0 / len(targets))


def relative_loss(outputs: Sequence[Value], targets: Sequence[Any]) -> Value:
    """The error relative to each target (a row of one): a division by every target."""
    return Value.sum((o - t[0]) / t[0] for o, t in zip(outputs, targets)) * (1.0 / len(targets))


def fit_runs(sizes: list[int], loss: Callable[..., Value], y: Sequence[Any], **options: Any) -> list[Any]:
    """fit eagerly, then compiled, from the same weights, with SGD: each run's losses and weights, or the
    kind and message of the math error it raised."""
    from autograd_lite.optim import SGD
    from autograd_lite.train import fit

    X = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.2], [0.7, 0.1], [2.0, -1.0], [0.1, 0.1], [-1.2, 0.4], [0.3, 0.9]]
    runs: list[Any] = []
    for compiled in (False, True):
        model = MLP(2, sizes, seed=0)
        optimizer = SGD(model.parameters(), lr=0.1)
        try:
            history = fit(
                model, X[: len(y)], y, loss=loss, optimizer=optimizer, progress=False, compiled=compiled,
                **options,
            )  # fmt: skip
        except MATH_ERRORS as e:
            runs.append((type(e), str(e)))
        else:
            runs.append((history.loss, [p.data for p in model.parameters()]))
    return runs


def test_fit_compiled_with_a_small_tape_takes_eagers_steps_bit_for_bit() -> None:
    """Batches of 3 and a last one of 2: tapes small enough for the Python replay, which fit gives arrays.
    It computes what eager does, and SGD's step is one rounding a weight: the same run to the bit."""
    y = [[1.0], [-1.0], [0.5], [0.2], [1.0]]
    eager_run, compiled_run = fit_runs([4, 1], abs_loss, y, epochs=2, batch_size=3, seed=0)
    assert compiled_run == eager_run


def test_fit_compiled_with_a_small_tape_raises_the_eager_error_for_a_zero_target_in_a_later_batch() -> None:
    """The second batch of 3 has the target 0 (seed 0 shuffles it there): replayed, not recorded, its
    division by zero raises as it does eagerly, and does not make every weight NaN."""
    y = [[1.0], [2.0], [0.5], [0.0], [1.0], [1.5]]
    eager_run, compiled_run = fit_runs([4, 1], relative_loss, y, epochs=1, batch_size=3, seed=0)
    assert eager_run[0] is ZeroDivisionError
    assert compiled_run == eager_run


def test_the_numpy_replay_names_the_eager_engines_numbers_in_a_math_error() -> None:
    """Dot products of 40 terms, which NumPy adds up in another order (for seed 2, -0.47187789695789367,
    not eager's -0.4718778969578934), divided by 0: the error names the numerator eager computes."""
    for seed in range(4):
        rng = random.Random(seed)
        ws = [Value(rng.uniform(-1, 1)) for _ in range(40)]
        xs = [rng.uniform(-1, 1) for _ in range(40)]
        c = compile(lambda xs, z, ws=ws: Value.dot(ws, xs) / z, backend="numpy")
        c(xs, 1.0)  # recorded here: the next call is replayed
        eager_dot = Value.dot(ws, [Value(x) for x in xs])
        assert raised(c, xs, 0.0) == raised(operator.truediv, eager_dot, 0.0)


def test_of_two_ops_out_of_their_domains_the_numpy_replay_names_the_one_eager_meets_first() -> None:
    """NumPy evaluates y.log() (one op deep) before the log three ops deep, which eager makes first."""

    def f(x: Value, y: Value) -> Value:
        deep = (x * 2.0 - 1.0).log()
        return y.log() + deep

    c = compile(f, backend="numpy")
    c(1.0, 1.0)
    assert raised(c, 0.25, -1.0) == raised(f, Value(0.25), Value(-1.0))


def tanh_sum_tape(backend: str) -> Any:
    """A tape of tanh(w * x) over 3 inputs, with one parameter w."""
    w = Value(0.5)
    return compile(lambda xs: Value.sum((w * x).tanh() for x in xs), backend=backend).tape([0.1, 0.2, 0.3])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("inputs", "params", "message"),
    [
        ([0.1, 0.2], [0.5], "this tape replays on 3 inputs, got 2"),
        ([0.1, 0.2, 0.3, 0.4], [0.5], "this tape replays on 3 inputs, got 4"),
        ([0.1, 0.2, 0.3], [0.5, 0.6], "this tape replays on 1 parameter, got 2"),
        ([0.1, 0.2, 0.3], [], "this tape replays on 1 parameter, got 0"),
        ("2-D", [0.5], "this tape replays on 3 inputs in a flat row, got an array of shape (3, 1)"),
        (
            [0.1, 0.2, 0.3],
            "2-D",
            "this tape replays on 1 parameter in a flat row, got an array of shape (1, 1)",
        ),
    ],
)
def test_a_tape_refuses_inputs_or_parameters_of_another_number_or_shape(
    backend: str, inputs: Any, params: Any, message: str
) -> None:
    """Not shifted, broadcast or cut short: an error saying how many the tape takes and what it got."""
    import numpy as np

    tape = tanh_sum_tape(backend)
    run_too = params == [0.5]  # run() reads the parameters from the Values: only the inputs can be wrong
    inputs = np.array([[0.1], [0.2], [0.3]]) if inputs == "2-D" else inputs
    params = np.array([[0.5]]) if params == "2-D" else params
    for arguments in ((inputs, params), (np.array(inputs), np.array(params))):
        with pytest.raises(ValueError) as caught:
            tape.replay(*arguments)
        assert str(caught.value) == message
    if run_too:
        with pytest.raises(ValueError) as caught:
            tape.run(inputs)
        assert str(caught.value) == message


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (["0.1", "0.2", "0.3"], "this tape takes a real number, got str: '0.1'"),
        ([0.1, Value(0.2), 0.3], "this tape takes a real number, got Value: Value(data=0.2"),
        ([0.1, 0.2, 0.3j], "this tape takes a real number, got complex: 0.3j"),
        (0.5, "this tape replays on 3 inputs in a list or an array, got float: 0.5"),
    ],
)
def test_a_tape_refuses_what_is_not_real_numbers_in_a_row(backend: str, inputs: Any, message: str) -> None:
    tape = tanh_sum_tape(backend)
    with pytest.raises(TypeError) as caught:
        tape.replay(inputs, [0.5])
    assert str(caught.value).startswith(message)
