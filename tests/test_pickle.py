"""Values, graphs, models and optimizers pickle and copy: for multiprocessing, joblib and checkpoints."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from pathlib import Path

import pytest

from autograd_lite import Value, define_op
from autograd_lite.core.node import topological_order
from autograd_lite.nn import MLP
from autograd_lite.optim import SGD, Adam

# A model and its optimizer pickled by the code of commit e326762, before the public objects took the paths
# users import them from: the file names autograd_lite.learning.models.MLP and .learning.optim.Adam.
OLD_PICKLE = Path(__file__).parent / "pickles" / "mlp_adam_e326762.pickle"


def structure(root: Value) -> list[tuple[str, float, object, str, tuple[int, ...], tuple[float, ...]]]:
    order = topological_order(root)
    where = {id(v): i for i, v in enumerate(order)}
    return [
        (v.op, v.data, v.grad, v.label, tuple(where[id(p)] for p in v.parents), v.constants) for v in order
    ]


def graph() -> tuple[Value, list[Value]]:
    x, w = Value(0.7, label="x"), Value(-1.3, label="w")
    y = (Value.dot([x, w], [w, 2.0]) + x.tanh() * 3.0).relu() - w**2
    y.label = "y"
    y.backward()
    return y, [x, w]


@pytest.mark.parametrize(
    "clone", [lambda v: pickle.loads(pickle.dumps(v)), copy.deepcopy], ids=["pickle", "deepcopy"]
)
def test_a_whole_graph_comes_back_with_its_ops_numbers_grads_and_shared_nodes(clone) -> None:
    y, leaves = graph()
    y2, leaves2 = clone((y, leaves))
    assert structure(y2) == structure(y)
    order = topological_order(y2)
    assert all(any(leaf is v for v in order) for leaf in leaves2)  # the leaves are the graph's own
    for leaf in leaves2:
        leaf.grad = 0.0
    y2.backward()
    assert [leaf.grad for leaf in leaves2] == [leaf.grad for leaf in leaves]


def test_a_leaf_pickles_with_its_grad_and_label() -> None:
    x = Value(1.5, label="x")
    x.grad = 0.25
    x2 = pickle.loads(pickle.dumps(x))
    assert (x2.data, x2.grad, x2.label, x2.parents) == (1.5, 0.25, "x", ())


def test_a_million_op_chain_deep_copies_and_a_long_one_pickles() -> None:
    v = Value(1.0)
    for _ in range(1_000_000):
        v = v * 0.999999
    w = copy.deepcopy(v)  # no recursion: the graph is walked in order
    assert w.data == v.data and w is not v and w.parents[0] is not v.parents[0]
    assert w.parents[0].data == v.parents[0].data and w.constants == v.constants
    u = Value(1.0)
    for _ in range(100_000):
        u = u * 0.99999
    assert pickle.loads(pickle.dumps(u)).data == u.data


def test_an_op_whose_functions_cannot_be_saved_is_named() -> None:
    cube = define_op("cube", lambda x: (x**3, 3 * x**2))
    with pytest.raises(TypeError, match=r"cannot pickle or copy .*: its op 'cube' was made by define_op"):
        pickle.dumps(cube(Value(2.0)) + 1.0)


def test_models_and_optimizers_pickle_and_go_on_as_the_originals_would() -> None:
    model = MLP(2, [4, 1], seed=0, activation="swish_beta")
    optimizer = Adam(model.parameters(), lr=0.05)
    twin, twin_optimizer = pickle.loads(pickle.dumps((model, optimizer)))
    assert twin_optimizer.params[0] is twin.parameters()[0]
    for m, opt in ((model, optimizer), (twin, twin_optimizer)):
        for _ in range(3):
            opt.zero_grad()
            out = m([0.5, -1.0])
            (out * out).backward()
            opt.step()
    assert twin.state_dict() == model.state_dict()
    assert pickle.loads(pickle.dumps(SGD(model.parameters(), lr=0.1, momentum=0.9))).momentum == 0.9


def adam_steps(model: MLP, optimizer: Adam, n: int) -> None:
    """What the old pickle's pair went through before it was written: n steps on out**2 at (0.5, -1)."""
    for _ in range(n):
        optimizer.zero_grad()
        out = model([0.5, -1.0])
        (out * out).backward()
        optimizer.step()


def test_a_pickle_that_names_the_internal_paths_still_loads_and_trains_on() -> None:
    data = OLD_PICKLE.read_bytes()
    assert b"autograd_lite.learning.models" in data and b"autograd_lite.learning.optim" in data
    model, optimizer = pickle.loads(data)
    assert isinstance(model, MLP) and isinstance(optimizer, Adam)
    assert all(p is q for p, q in zip(optimizer.params, model.parameters(), strict=True))
    assert model([0.5, -1.0]).data == 0.08624171070834118  # what the old code printed after pickling
    assert optimizer.steps == 3
    twin = MLP(2, [3, 1], seed=0)  # the same recipe, run now: both go on alike
    twin_optimizer = Adam(twin.parameters(), lr=0.05)
    adam_steps(twin, twin_optimizer, 3)
    adam_steps(model, optimizer, 1)
    adam_steps(twin, twin_optimizer, 1)
    assert model.state_dict() == pytest.approx(twin.state_dict(), rel=1e-12, abs=1e-15)
    state, twin_state = optimizer.state_dict(), twin_optimizer.state_dict()
    for name in Adam.STATE:
        assert state[name] == pytest.approx(twin_state[name], rel=1e-12, abs=1e-15)


def test_a_new_pickle_names_the_public_paths() -> None:
    data = pickle.dumps((MLP(2, [1], seed=0), SGD(MLP(1, [1], seed=0).parameters())))
    assert b"autograd_lite.nn" in data and b"autograd_lite.optim" in data
    assert b"autograd_lite.learning" not in data


def predict(model: MLP, x: list[float]) -> float:
    return model(x).data


def test_a_process_pool_maps_over_a_model() -> None:
    model = MLP(2, [3, 1], seed=1)
    points = [[0.1 * i, -0.2 * i] for i in range(8)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.starmap(predict, [(model, x) for x in points])
    assert got == [predict(model, x) for x in points]
