"""Neuron, Layer, MLP: micrograd compatibility, activations, inits, named parameters, state, files, torch."""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import micrograd.engine
import micrograd.nn
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import records
from oracle.points import SWISH_WEIGHTS, SWISH_X

from autograd_lite import Value
from autograd_lite.data import make_moons
from autograd_lite.nn import ACTIVATIONS, MLP, Layer, Module, Neuron
from autograd_lite.viz import draw


# ---- micrograd compatibility --------------------------------------------------------------------------
def micrograd_demo_training(MLP: Any, Value: Any, X: list[list[float]], y: list[int], steps: int) -> Any:
    """The training loop of micrograd's demo notebook, as written there (numpy sampling left out).

    Returns (model, [(loss, accuracy) per step]); the caller sets the weights between building and training
    by passing a prepared MLP class.
    """
    model = MLP(2, [16, 16, 1])  # 2-layer neural network

    def loss(batch_size: Any = None) -> Any:
        Xb, yb = X, y
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        # forward the model to get scores
        scores = list(map(model, inputs))
        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    trace = []
    for k in range(steps):
        # forward
        total_loss, acc = loss()
        # backward
        model.zero_grad()
        total_loss.backward()
        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        trace.append((total_loss.data, acc))
    return model, trace


def test_mlp_draws_micrographs_weights_from_the_global_random_in_micrographs_order() -> None:
    random.seed(1337)
    theirs = micrograd.nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert len(ours.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1


def test_micrographs_demo_training_loop_runs_unchanged_and_gives_micrographs_numbers() -> None:
    X, labels = make_moons(16, noise=0.1, seed=0)  # micrograd takes about 0.15 s per step on 16 points
    y = [2 * t - 1 for t in labels]
    random.seed(7)
    theirs, their_trace = micrograd_demo_training(micrograd.nn.MLP, micrograd.engine.Value, X, y, steps=8)
    weights = [p.data for p in theirs.parameters()]

    class SameWeights(MLP):
        def __init__(self, nin: int, nouts: list[int]) -> None:
            super().__init__(nin, nouts)
            for p, w in zip(self.parameters(), start):
                p.data = w

    random.seed(7)
    start = [p.data for p in micrograd.nn.MLP(2, [16, 16, 1]).parameters()]
    ours, our_trace = micrograd_demo_training(SameWeights, Value, X, y, steps=8)
    for (loss, acc), (their_loss, their_acc) in zip(our_trace, their_trace):
        assert loss == pytest.approx(their_loss, rel=1e-9)
        assert acc == their_acc
    assert [p.data for p in ours.parameters()] == pytest.approx(weights, rel=1e-8, abs=1e-12)
    assert our_trace[-1][0] < our_trace[0][0]  # it learned


def test_micrographs_spellings_neuron_nonlin_and_layer_kwargs() -> None:
    assert Neuron(3).activation == "relu" and Neuron(3).nonlin
    assert Neuron(3, nonlin=False).activation == "linear"
    assert Neuron(3, False).nonlin is False
    layer = Layer(3, 4, nonlin=False)
    assert [n.activation for n in layer.neurons] == ["linear"] * 4
    out = Layer(3, 1)([1.0, 2.0, 3.0])
    assert isinstance(out, Value)  # one neuron: a Value, not a list, as in micrograd
    n = Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5  # type: ignore[union-attr]
    assert n([3.0, 1.0]).data == 5.5
    assert n([-3.0, 1.0]).data == 0.0  # ReLU


def test_giving_both_nonlin_and_activation_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"give nonlin .* or activation, not both"):
        Neuron(2, True, activation="tanh")


def test_a_neuron_is_one_dot_node_then_the_bias_then_the_activation() -> None:
    n = Neuron(3, activation="tanh")
    out = n([1.0, 2.0, 3.0])
    assert out.op == "tanh"
    (pre,) = out.parents
    assert pre.op == "+"
    dot, b = pre.parents
    assert dot.op == "dot" and b is n.b
    assert dot.parents == tuple(n.w)  # the inputs are numbers, folded into the node


def test_a_user_module_written_for_micrograd_gets_named_parameters() -> None:
    class Affine(Module):
        def __init__(self) -> None:
            self.a, self.b = Value(2.0), Value(3.0)

        def parameters(self) -> list[Value]:
            return [self.a, self.b]

    m = Affine()
    assert m.state_dict() == {"0": 2.0, "1": 3.0}
    m.zero_grad()
    assert Module().parameters() == []


# ---- names and state ----------------------------------------------------------------------------------
def test_named_parameters_are_dotted_paths_in_parameters_order() -> None:
    model = MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
        "layers.0.neurons.1.w.1",
        "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0",
        "layers.1.neurons.0.w.1",
        "layers.1.neurons.0.b",
    ]
    assert [p for _, p in model.named_parameters()] == model.parameters()
    assert model.named_parameters()[4][1] is model.layers[0].neurons[1].w[1]


def test_state_dict_round_trip_gives_the_same_model() -> None:
    a, b = MLP(3, [5, 2], seed=1, activation="tanh"), MLP(3, [5, 2], seed=2, activation="tanh")
    x = [0.3, -1.2, 0.8]
    assert [v.data for v in a(x)] != [v.data for v in b(x)]  # type: ignore[union-attr]
    b.load_state_dict(a.state_dict())
    assert [v.data for v in a(x)] == [v.data for v in b(x)]  # type: ignore[union-attr]
    state = a.state_dict()
    state["layers.0.neurons.0.b"] = 99.0
    assert a.layers[0].neurons[0].b.data != 99.0  # type: ignore[union-attr]  # a copy


def test_load_state_dict_mismatch_names_the_keys_and_changes_nothing() -> None:
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = MLP(2, [4, 1], seed=0).state_dict()
    with pytest.raises(ValueError) as e:
        model.load_state_dict(state)
    assert str(e.value) == (
        "state does not fit MLP: it has 17 parameters, the model 13; unexpected layers.0.neurons.3.w.0, "
        "layers.0.neurons.3.w.1, layers.0.neurons.3.b, layers.1.neurons.0.w.3"
    )
    assert model.state_dict() == before
    bad = dict(before, **{"layers.1.neurons.0.b": "0.5"})
    with pytest.raises(ValueError, match=r"not a number: layers\.1\.neurons\.0\.b='0\.5'"):
        model.load_state_dict(bad)
    assert model.state_dict() == before


def test_seed_makes_the_model_reproducible() -> None:
    assert MLP(2, [4, 1], seed=5).state_dict() == MLP(2, [4, 1], seed=5).state_dict()
    assert MLP(2, [4, 1], seed=5).state_dict() != MLP(2, [4, 1], seed=6).state_dict()


# ---- initialisations ----------------------------------------------------------------------------------
def test_inits_draw_from_their_published_distributions() -> None:
    nin, nout = 200, 100
    for init, check in [
        (
            "uniform",
            lambda ws: (
                max(map(abs, ws)) <= 1.0 and statistics.pstdev(ws) == pytest.approx(1 / 3**0.5, rel=0.03)
            ),
        ),
        ("xavier", lambda ws: max(map(abs, ws)) <= (6 / (nin + nout)) ** 0.5),
        ("he", lambda ws: statistics.pstdev(ws) == pytest.approx((2 / nin) ** 0.5, rel=0.03)),
        ("lecun", lambda ws: statistics.pstdev(ws) == pytest.approx((1 / nin) ** 0.5, rel=0.03)),
    ]:
        layer = Layer(nin, nout, init=init, rng=random.Random(0))
        ws = [w.data for n in layer.neurons for w in n.w]
        assert check(ws), init
        assert abs(statistics.fmean(ws)) < 0.01 * max(map(abs, ws)), init
        assert all(n.b is not None and n.b.data == 0.0 for n in layer.neurons)
    xavier = [w.data for n in Layer(nin, nout, init="xavier", rng=random.Random(0)).neurons for w in n.w]
    assert statistics.pstdev(xavier) == pytest.approx((2 / (nin + nout)) ** 0.5, rel=0.03)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: MLP(2, [3, 1], activation="softmax"),
            "unknown activation 'softmax'; choose one of: linear, sigmoid",
        ),
        (
            lambda: MLP(2, [3, 1], init="glorot"),
            "unknown init 'glorot'; choose one of: uniform, xavier, he, lecun",
        ),
        (
            lambda: MLP(2, [3], activation="prelu"),  # no hidden layer uses it, but the name is still checked
            "unknown activation 'prelu'; choose one of: linear, sigmoid",
        ),
        (lambda: MLP(2, []), r"nouts must list at least one layer size, got \[\]"),
        (lambda: MLP(0, [1]), "nin must be a positive integer, got 0"),
        (lambda: Layer(2, 0), "nout must be a positive integer, got 0"),
        (lambda: Neuron(2)([1.0, 2.0, 3.0]), r"a neuron with 2 inputs got 3: \[1\.0, 2\.0, 3\.0\]"),
    ],
)
def test_bad_arguments_get_an_error_naming_them(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_a_one_layer_mlp_shows_the_activation_it_was_given() -> None:
    model = MLP(2, [3], activation="tanh")
    assert repr(model) == "MLP(2, [3], activation='tanh', output_activation='linear', bias=True)"
    assert [layer.activation for layer in model.layers] == ["linear"]  # the one layer is the output layer


@pytest.mark.parametrize("nouts", [3, "31", None])
def test_nouts_that_is_not_a_list_of_sizes_is_refused_in_one_line(nouts: Any) -> None:
    with pytest.raises(TypeError) as e:
        MLP(2, nouts)
    assert str(e.value) == f"nouts must list the layer sizes, as in MLP(2, [16, 16, 1]), got {nouts!r}"


# ---- activations, and to/from PyTorch -----------------------------------------------------------------
TORCH_NAMES = [a for a in ACTIVATIONS if a != "swish_beta"]


def torch_and_ours(torch: ModuleType, model: MLP, xs: list[list[float]]) -> None:
    """The model and its to_torch() give the same outputs, parameter gradients and input gradients."""
    net = model.to_torch()
    t_in = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    t_out = net(t_in)
    (t_out * t_out).sum().backward()
    inputs = [[Value(x) for x in row] for row in xs]
    outs = [model.layer_outputs(row)[-1] for row in inputs]
    total = Value.sum([o * o for row in outs for o in row])
    model.zero_grad()
    total.backward()
    assert [o.data for row in outs for o in row] == pytest.approx(
        t_out.flatten().tolist(), rel=1e-12, abs=1e-14
    )
    assert [v.grad for row in inputs for v in row] == pytest.approx(
        t_in.grad.flatten().tolist(),  # type: ignore[union-attr]
        rel=1e-10,
        abs=1e-13,
    )
    theirs = [g for p in net.parameters() for g in p.grad.flatten().tolist()]  # type: ignore[union-attr]
    ours_by_tensor = []
    for layer in model.layers:
        ours_by_tensor += [w.grad for n in layer.neurons for w in n.w]
        ours_by_tensor += [n.b.grad for n in layer.neurons if n.b is not None]
    assert ours_by_tensor == pytest.approx(theirs, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("activation", TORCH_NAMES)
def test_to_torch_gives_the_same_outputs_and_gradients(torch: ModuleType, activation: str) -> None:
    rng = random.Random(3)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]
    torch_and_ours(
        torch,
        MLP(3, [5, 4, 2], activation=activation, output_activation="sigmoid", seed=4, init="he"),
        xs,
    )
    torch_and_ours(torch, MLP(3, [5, 1], activation=activation, bias=False, seed=5), xs)


def test_converting_leaves_both_random_generators_alone(torch: ModuleType) -> None:
    model = MLP(2, [3, 1], seed=0)
    random.seed(5)
    torch.manual_seed(5)
    MLP.from_torch(model.to_torch())
    assert random.random() == random.Random(5).random()
    assert torch.rand(1).item() == torch.rand(1, generator=torch.Generator().manual_seed(5)).item()


def test_from_torch_reads_a_torch_network_back(torch: ModuleType) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2)
    ).double()
    model = MLP.from_torch(net)
    assert repr(model) == "MLP(3, [6, 6, 2], activation='tanh', output_activation='linear', bias=True)"
    torch_and_ours(torch, model, [[0.1, -0.5, 2.0], [1.5, 0.3, -0.7]])
    back = MLP.from_torch(model.to_torch())
    assert back.state_dict() == model.state_dict()


def test_from_torch_explains_what_it_cannot_read(torch: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"module 1 is Dropout"):
        MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(), torch.nn.Linear(2, 1)))
    with pytest.raises(ValueError, match=r"one hidden activation; this module has \['relu', 'tanh'\]"):
        MLP.from_torch(
            torch.nn.Sequential(
                torch.nn.Linear(2, 2),
                torch.nn.ReLU(),
                torch.nn.Linear(2, 2),
                torch.nn.Tanh(),
                torch.nn.Linear(2, 1),
            )
        )
    with pytest.raises(ValueError, match=r"Linear layer 1 takes 4 inputs, but the layer before gives 3"):
        MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)))
    with pytest.raises(ValueError, match=r"module 1 is LeakyReLU\(negative_slope=0\.2\)"):
        MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU(0.2)))


def test_from_torch_reads_softplus_only_with_torchs_defaults_and_differs_past_its_threshold(
    torch: ModuleType,
) -> None:
    for softplus in (torch.nn.Softplus(threshold=1.0), torch.nn.Softplus(beta=2.0)):
        with pytest.raises(ValueError, match=re.escape(f"(default arguments); module 1 is {softplus!r}")):
            MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(1, 1), softplus))
    net = torch.nn.Sequential(torch.nn.Linear(1, 1, dtype=torch.float64), torch.nn.Softplus())
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.fill_(0.0)
    model = MLP.from_torch(net)
    for x in (-3.0, 3.0, 19.5, 20.5, 25.0, 40.0):
        theirs = net(torch.tensor([[x]], dtype=torch.float64)).item()
        ours = model([x]).data  # type: ignore[union-attr]
        if x < 20.0:
            assert ours == pytest.approx(theirs, rel=1e-15)
        else:
            assert theirs == x  # torch's identity past the threshold
        assert abs(ours - theirs) <= math.log1p(math.exp(-20.0))  # the README's bound


def test_swish_beta_learns_one_beta_per_neuron() -> None:
    layer = Layer(2, 3, activation="swish_beta", rng=random.Random(0))
    assert [name for name, _ in layer.named_parameters()][:4] == [
        "neurons.0.w.0",
        "neurons.0.w.1",
        "neurons.0.b",
        "neurons.0.beta",
    ]
    for n, ws in zip(layer.neurons, SWISH_WEIGHTS, strict=True):
        for w, data in zip(n.w, ws):
            w.data = data
    outs = layer.forward(SWISH_X)
    Value.sum(outs).backward()
    # z * sigmoid(beta * z) at beta = 1, and its derivative in beta, as torch gives them
    for n, out, (value, beta_grad) in zip(layer.neurons, outs, records("points", "swish_beta"), strict=True):
        assert n.beta is not None and n.beta.data == 1.0
        assert out.data == pytest.approx(value, rel=1e-14)
        assert n.beta.grad == pytest.approx(beta_grad, rel=1e-12)


@pytest.mark.usefixtures("torch")
def test_swish_beta_has_no_torch_module() -> None:
    with pytest.raises(ValueError, match="no PyTorch module for activation 'swish_beta'"):
        MLP(2, [3, 1], activation="swish_beta").to_torch()


def test_without_torch_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        ImportError, match=r"to_torch\(\) needs PyTorch, which is not installed: pip install torch"
    ):
        MLP(2, [1]).to_torch()


# ---- files --------------------------------------------------------------------------------------------
AWKWARD = [
    0.1,
    1 / 3,
    -0.0,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -123456.789e-10,
    math.pi,
]


def test_save_then_load_gives_back_every_float_exactly(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    for p, x in zip(model.parameters(), AWKWARD * 2):
        p.data = x
    path = tmp_path / "model.json"
    model.save(path)
    other = MLP(2, [3, 1], seed=1)
    other.load(path)
    assert [p.data.hex() for p in other.parameters()] == [p.data.hex() for p in model.parameters()]
    assert json.loads(path.read_text())["format"] == "autograd-lite state_dict"
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.data(),
)
def test_any_architecture_and_any_float_survive_save_and_load(
    tmp_path_factory: pytest.TempPathFactory, nin: int, nouts: list[int], data: st.DataObject
) -> None:
    model = MLP(nin, nouts, seed=0)
    sizes = [nin, *nouts]
    assert len(model.parameters()) == sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    values = data.draw(
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False),
            min_size=len(model.parameters()),
            max_size=len(model.parameters()),
        )
    )
    for p, x in zip(model.parameters(), values):
        p.data = x
    path = tmp_path_factory.mktemp("save") / "model.json"
    model.save(path)
    other = MLP(nin, nouts, seed=1)
    other.load(path)
    assert [p.data.hex() for p in other.parameters()] == [x.hex() for x in values]  # -0.0 and subnormals too


def test_a_saved_file_has_the_permissions_of_any_new_file(tmp_path: Path) -> None:
    MLP(2, [1], seed=0).save(tmp_path / "model.json")
    (tmp_path / "plain.txt").write_text("")
    assert (tmp_path / "model.json").stat().st_mode == (tmp_path / "plain.txt").stat().st_mode


def test_loading_a_binary_file_says_it_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ValueError, match=r"is not a saved model: not UTF-8 text"):
        MLP(2, [1], seed=0).load(path)


def test_a_failed_save_leaves_the_old_file_whole_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    MLP(2, [1], seed=0).save(path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [1], seed=1).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def bad_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "model.json"
    path.write_text(content)
    return path


@pytest.mark.parametrize(
    "content, message",
    [
        (
            '{"format": "autograd-lite state_dict", "version": 1, "param',
            r"is not a saved model: not valid JSON \(Unterminated string",
        ),
        ("[1, 2, 3]", r"is not a saved model: no 'autograd-lite state_dict' format tag"),
        (
            '{"format": "autograd-lite state_dict", "version": 9, "parameters": {}}',
            r"has format version 9; this autograd-lite reads version 1",
        ),
        (
            '{"format": "autograd-lite state_dict", "version": 1, "parameters": [1.0]}',
            r"'parameters' is not an object",
        ),
        ("[" * 100_000 + "]" * 100_000, r"is not a saved model: not valid JSON \(nested too deeply\)$"),
        (
            '{"format": "autograd-lite state_dict", "version": 1, '
            '"parameters": {"layers.0.neurons.0.w.0": 1.0}}',
            r"does not fit MLP: it has 1 parameters, the model 6; missing layers\.0\.neurons\.0\.w\.1, "
            r"layers\.0\.neurons\.1\.w\.0",
        ),
    ],
)
def test_loading_a_bad_file_names_the_problem_and_changes_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    model = MLP(2, [2, 1], seed=0, bias=False)
    before = model.state_dict()
    path = bad_file(tmp_path, content)
    with pytest.raises(ValueError, match=message) as e:
        model.load(path)
    assert str(path) in str(e.value)
    assert model.state_dict() == before


def test_an_integer_too_large_for_a_float_is_refused_by_name_before_any_parameter_changes(
    tmp_path: Path,
) -> None:
    model = MLP(2, [3, 1], seed=1)
    before = model.state_dict()
    state: dict[str, object] = dict.fromkeys(before, 0.0)
    state["layers.0.neurons.2.w.1"] = -(10**309)  # float() raises OverflowError past about 1.8e308
    state["layers.1.neurons.0.b"] = 10**400  # the last one: every other would be set before it
    path = bad_file(
        tmp_path, json.dumps({"format": "autograd-lite state_dict", "version": 1, "parameters": state})
    )
    with pytest.raises(ValueError) as e:
        model.load(path)
    assert str(e.value) == (
        f"{str(path)!r}: state does not fit MLP: not a usable number, too large for a float: "
        "layers.0.neurons.2.w.1\u2248-10**309, layers.1.neurons.0.b\u224810**400"
    )
    assert model.state_dict() == before
    state["layers.0.neurons.2.w.1"] = float(10**308)  # the largest power of ten a float holds
    with pytest.raises(ValueError, match=r"too large for a float: layers\.1\.neurons\.0\.b\u224810\*\*400$"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_loading_a_missing_file_names_it_and_changes_nothing(tmp_path: Path) -> None:
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(FileNotFoundError, match=r"no saved model at '.*nothing-here\.json'"):
        model.load(tmp_path / "nothing-here.json")
    assert model.state_dict() == before


def test_loading_another_architecture_names_the_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    MLP(2, [16, 16, 1], seed=0).save(path)
    small = MLP(2, [4, 1], seed=0)
    before = small.state_dict()
    with pytest.raises(
        ValueError, match=r"does not fit MLP: it has 337 parameters, the model 17; .*and \d+ more"
    ):
        small.load(path)
    assert small.state_dict() == before


def test_every_parameter_of_a_network_has_a_distinct_readable_label_shown_in_its_picture() -> None:
    model = MLP(2, [4, 4, 1], seed=0)
    labels = [p.label for p in model.parameters()]
    assert len(set(labels)) == len(labels) == 37
    assert (
        labels[:3] == ["w[0][0][0]", "w[0][0][1]", "b[0][0]"] and labels[-1] == "b[2][0]"
    )  # layer, neuron, input
    source = draw(model([0.5, -1.5]), max_nodes=1000).source
    assert all(label in source for label in labels)
    assert [p.label for p in Layer(3, 2).parameters()] == ["w[0][0]", "w[0][1]", "w[0][2]", "b[0]", *(
        f"w[1][{k}]" for k in range(3)), "b[1]"]  # fmt: skip
    assert [p.label for p in Neuron(2, activation="swish_beta").parameters()] == ["w[0]", "w[1]", "b", "beta"]


def test_a_label_the_user_sets_wins() -> None:
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].b.label = "bias"
    assert [p.label for p in model.parameters()] == ["w[0][0][0]", "w[0][0][1]", "bias"]
