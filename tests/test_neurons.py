"""The stepper's neuron view: each neuron's δ = ∂L/∂z against PyTorch and the tutorials' formula, its
steps as text, its refusals, and its page in Chromium (framing, and the way to the value view).

The browser tests need the system Chromium; they skip without it, saying what to install (under CI they
fail instead).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from oracle import records
from oracle.points import NETWORK_LAYERS, NETWORK_X, NETWORK_Y
from stepper_page import NAMED_BOX, named_boxes

from autograd_lite import Value
from autograd_lite.nn import MLP, Layer, Module, Neuron
from autograd_lite.optim import SGD, Adam
from autograd_lite.tools.viz.render import Renderer
from autograd_lite.viz import step_through

TIMES = "\u00d7"


@pytest.fixture(params=["system", "wasm"])
def renderer(request: pytest.FixtureRequest, need_renderer: Callable[[Renderer], str]) -> Renderer:
    need_renderer(request.param)
    return request.param  # type: ignore[no-any-return]


def network() -> tuple[MLP, Value]:
    """The oracle's MLP(2, [4, 4, 1]) of tanh neurons and its squared error at one sample."""
    model = MLP(2, [4, 4, 1], activation="tanh")
    state = {}
    for i, (weights, biases) in enumerate(NETWORK_LAYERS):
        for j, (row, b) in enumerate(zip(weights, biases)):
            state |= {f"layers.{i}.neurons.{j}.w.{k}": w for k, w in enumerate(row)}
            state[f"layers.{i}.neurons.{j}.b"] = b
    model.load_state_dict(state)
    loss = (model(NETWORK_X) - NETWORK_Y) ** 2  # type: ignore[operator]
    loss.label = "L"
    return model, loss


def test_each_neurons_delta_is_pytorchs_gradient_of_its_pre_activation_and_the_text_names_it() -> None:
    model, loss = network()
    stepper = step_through(loss, model=model)
    torch_deltas = records("points", "network_deltas")  # PyTorch: retain_grad on each layer's z
    want = {f"n[{i}][{j}]": d for i, row in enumerate(torch_deltas) for j, d in enumerate(row)}
    assert list(stepper.deltas) == list(want)  # one δ per neuron, layer by layer
    for name, delta in want.items():
        assert stepper.deltas[name] == pytest.approx(delta, rel=0, abs=1e-12), name
    text = str(stepper)
    for name, delta in stepper.deltas.items():
        row = next(line for line in text.splitlines() if line.startswith(f"δ of {name} "))
        assert row.split(", where")[0].endswith(f"= {delta:.4g}"), row


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_deltas_and_gradients_are_the_tutorials_formula_worked_by_hand() -> None:
    """The 3-4-1 sigmoid network: δ_out = 2(a - y) a(1 - a); δ_hidden = a(1 - a) Σₖ wₖ δ_out; dL/dw = δ x."""
    model = MLP(3, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=1)
    x, y = [1.0, 0.0, 1.0], 1.0
    out = model(x)
    loss = (out - y) ** 2  # type: ignore[operator]
    loss.label = "L"
    stepper = step_through(loss, model=model)
    hidden, (last,) = (layer.neurons for layer in model.layers)
    h = [sigmoid(sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data) for n in hidden]  # type: ignore[union-attr]
    o = sigmoid(sum(w.data * hi for w, hi in zip(last.w, h)) + last.b.data)  # type: ignore[union-attr]
    delta_out = 2 * (o - y) * o * (1 - o)
    delta_hidden = [hj * (1 - hj) * last.w[j].data * delta_out for j, hj in enumerate(h)]
    assert stepper.deltas["n[1][0]"] == pytest.approx(delta_out, rel=1e-12)
    for j, d in enumerate(delta_hidden):
        assert stepper.deltas[f"n[0][{j}]"] == pytest.approx(d, rel=1e-12)
        for k, w in enumerate(hidden[j].w):
            assert w.grad == pytest.approx(d * x[k], rel=1e-12, abs=1e-300)
    assert [w.grad for w in last.w] == pytest.approx([delta_out * hj for hj in h], rel=1e-12)
    text = str(stepper)
    assert f"δ[0][2] = sigmoid\u2032(z[0][2]) {TIMES} (w[1][0][2] {TIMES} δ[1][0])" in text
    grad = hidden[2].w[0].grad
    assert f"∂L/∂w[0][2][0] = δ[0][2] {TIMES} x[0] = {delta_hidden[2]:.4g} {TIMES} 1 = {grad:.4g}" in text


def test_the_value_view_names_each_neurons_values_and_the_table_keeps_the_value_steps() -> None:
    model, loss = network()
    stepper = step_through(loss, model=model)
    text = str(stepper)
    assert "the same backward, value by value:" in text
    # the step that gives z its grad is the δ of the neuron view, as arithmetic on the scalar graph
    into_z = next(s for s in stepper.steps if s.node.op == "tanh" and stepper._names[s.parent] == "z[1][2]")
    assert stepper.equation(into_z).startswith(
        f"z[1][2].grad += (1 \u2212 a[1][2].data\u00b2) {TIMES} a[1][2].grad"
    )
    assert into_z.grad == stepper.deltas["n[1][2]"]
    assert {stepper._names[v] for v in stepper._order} >= {"w·x[0][0]", "z[0][0]", "a[0][3]", "z[2][0]"}
    assert "δ[2][0] = ∂L/∂z[2][0] = " in text  # a linear output: a = z


def test_a_label_the_user_sets_names_the_value_and_the_parameter_in_the_neuron_view() -> None:
    model, loss = network()
    model.layers[2].neurons[0].w[1].label = "v_out"
    text = str(step_through(loss, model=model))
    assert f"∂L/∂v_out = δ[2][0] {TIMES} a[1][1]" in text
    assert f"(w[2][0][0] {TIMES} δ[2][0])" in text and f"(v_out {TIMES} δ[2][0])" in text


def test_a_training_step_in_the_neuron_view_shows_the_forward_pass_before_the_update() -> None:
    model, loss = network()
    before = model.state_dict()
    optimizer = SGD(model.parameters(), lr=0.1)
    stepper = step_through(loss, model=model, optimizer=optimizer)
    twin, twin_loss = network()
    twin_loss.backward()
    SGD(twin.parameters(), lr=0.1).step()
    assert model.state_dict() == twin.state_dict()
    neurons = stepper.neurons
    assert neurons is not None
    first = next(r for r in neurons.records if r.counter == "forward 1 of 9")
    w0 = before["layers.0.neurons.0.w.0"]
    assert f"= {w0:.4g} {TIMES} 0.5 + " in first.text  # the weight the forward pass used
    updates = neurons.updates([(u.param, u.text) for u in stepper.updates])
    assert [r.counter for r in updates] == [
        f"update of n[{i}][{j}]" for i, n in enumerate((4, 4, 1)) for j in range(n)
    ]
    assert updates[-1].text.count("\n") == 4  # four weights and the bias
    text = str(stepper)
    assert "update of n[2][0]" in text
    frames, links = stepper._frames(), stepper._links()  # a neuron opens the value view at its δ
    for at, box in (("[1][2]", "N1_2"), ("[0][0]", "N0_0"), ("[2][0]", "N2_0")):  # the last is linear
        text = frames[links[box]["at"]]["text"]
        assert f"z{at}.grad" in text and text.endswith(f"= {stepper.deltas['n' + at]:.4g}"), text


def test_a_parameter_that_held_a_grad_adds_this_passs_as_backward_does_and_the_step_says_so() -> None:
    model, loss = network()
    w = model.layers[1].neurons[2].w[0]
    w.grad = 0.5
    stepper = step_through(loss, model=model)
    now = w.grad - 0.5
    row = next(line for line in str(stepper).splitlines() if "∂L/∂w[1][2][0] =" in line)
    assert row.endswith(f"= {now:.4g}; w[1][2][0].grad = 0.5 + {now:.4g} = {w.grad:.4g}")


def test_a_lone_layer_and_neuron_name_their_neurons_as_their_parameters() -> None:
    layer = Layer(2, 2, activation="tanh")
    loss = sum(layer.forward([1.0, 2.0]))
    stepper = step_through(loss, model=layer)
    assert list(stepper.deltas) == ["n[0]", "n[1]"]
    neuron = Neuron(2, activation="swish_beta")
    neuron.w[0].data, neuron.w[1].data = 0.6, -0.4
    out = neuron([0.7, -1.3]) * 2.0
    stepper = step_through(out, model=neuron)
    assert list(stepper.deltas) == ["n"]
    assert neuron.beta is not None
    beta_row = next(line for line in str(stepper).splitlines() if "∂beta" in line)
    assert beta_row.strip().endswith(f"= {neuron.beta.grad:.4g}")
    assert stepper.deltas["n"] == neuron.w[0].grad / 0.7


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda m: sum((m(x) - 1.0) ** 2 for x in ([0.0, 1.0], [1.0, 0.0])),
            ValueError,
            r"model: neuron n\[0\]\[0\] takes part 2 times in the graph \(a loss over 2 samples\): "
            r"the neuron view follows one forward pass through the network; step through one sample's loss",
        ),
        (
            lambda m: MLP(2, [1])([0.5, 0.5]) * 2.0,
            ValueError,
            r"model: neuron n\[0\]\[0\]'s weights are not in the graph: the loss was not computed by it",
        ),
    ],
)
def test_a_graph_that_is_not_one_pass_of_the_network_is_refused_before_any_grad_changes(
    make: Callable[[MLP], Value], error: type[Exception], message: str
) -> None:
    model = MLP(2, [2, 1], seed=0)
    loss = make(model)
    with pytest.raises(error, match=message):
        step_through(loss, model=model)
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_model_that_is_no_network_of_neurons_is_refused() -> None:
    class Pair(Module):
        def __init__(self) -> None:
            self.a = Value(1.0)

        def parameters(self) -> list[Value]:
            return [self.a]

    model = Pair()
    with pytest.raises(
        TypeError, match=r"model: the neuron view draws a network of Neurons \(an MLP, a Layer"
    ):
        step_through(model.a * 2.0, model=model)


# ---- the page in Chromium ------------------------------------------------------------------------------


def check_framed(frame: Any, steps: int, next_button: str) -> list[str]:
    """At the start and after each of the first steps, the box the step names is fully in view."""
    seen = []
    for k, where in named_boxes(frame, steps, next_button):
        assert where["inView"] and where["inWindow"], (k, where)
        seen.append(where["id"])
    return seen


@pytest.mark.e2e
def test_browser_draws_the_network_by_neuron_frames_each_step_and_opens_a_neurons_values(
    browser: Any, tmp_path: Path, renderer: Renderer
) -> None:
    model, loss = network()
    stepper = step_through(loss, model=model, renderer=renderer)
    page = browser.new_page(viewport={"width": 900, "height": 560})
    page.goto(stepper.save(tmp_path / "neurons.html").as_uri())
    nodes = page.locator("#neurons g.node").count()
    assert nodes == 2 + 9 + 1 <= 16  # the inputs, the neurons and the loss
    assert page.evaluate("document.getElementById('values').hidden")
    assert page.text_content("#neurons-counter") == "forward: start"
    label = page.evaluate(
        """() => { const t = document.querySelector('#neurons g.node text'), m = t.getScreenCTM();
                   return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); }"""
    )
    assert label >= 11 - 1e-6  # readable; and the whole network is in view where it fits so
    seen = check_framed(page, 24, "#neurons-next")
    assert seen[:3] == ["N0_0", "N0_1", "N0_2"] and "NL" in seen
    assert page.text_content("#neurons-counter") == "δ of n[0][2]"
    row = page.text_content("#N1_3")
    assert f"δ {stepper.deltas['n[1][3]']:.4g}" in row and "δ ?" not in row
    assert "δ ?" in page.text_content("#N0_3")  # the next
    page.keyboard.press("Home")
    assert page.text_content("#neurons-counter") == "forward: start" and "z ?" in page.text_content("#N1_3")

    page.click("#N1_2")  # the neuron's part of the scalar graph, at the step that gives its z its δ
    assert page.evaluate("document.getElementById('neurons').hidden")
    equation = page.text_content("#equation")
    assert equation.startswith("z[1][2].grad += ") and equation.endswith(f"= {stepper.deltas['n[1][2]']:.4g}")
    where = page.evaluate(NAMED_BOX)
    assert where["inView"] and where["inWindow"]
    marked = page.evaluate("Array.from(document.querySelectorAll('#values g.node.part')).map(g => g.id)")
    assert len(marked) == 4 + 1 + 3  # its weights and bias, w·x, z and a
    check_framed(page, 12, "#next")
    page.click("#show-neurons")
    assert page.text_content("#neurons-counter") == "forward: start"
    page.close()


@pytest.mark.e2e
def test_browser_frames_the_first_steps_of_the_value_view_of_a_network(
    browser: Any, tmp_path: Path, renderer: Renderer
) -> None:
    model = MLP(2, [4, 4, 1], seed=0)
    out = model([0.5, -1.5])
    for kind, optimizer in (("plain", None), ("training step", Adam(model.parameters(), lr=0.01))):
        stepper = step_through(out, renderer=renderer, optimizer=optimizer)
        page = browser.new_page(viewport={"width": 1000, "height": 600})
        page.goto(stepper.save(tmp_path / f"{kind}.html").as_uri())
        check_framed(page, 12, "#next")
        page.keyboard.press("End")
        where = page.evaluate(NAMED_BOX)
        assert where["inView"] and where["inWindow"], kind
        page.close()


@pytest.mark.e2e
def test_browser_frames_a_stepper_shown_only_after_its_page_loaded(browser: Any, tmp_path: Path) -> None:
    """A notebook output that opens later (a collapsed output, a tab in the background): the page loads
    with no size, and is framed when it is shown."""
    model, loss = network()
    notebook = tmp_path / "notebook.html"
    frame = step_through(loss, model=model)._repr_html_()
    notebook.write_text(f'<!DOCTYPE html><html><body><div id="out" hidden>{frame}</div></body></html>')
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(notebook.as_uri())
    inner = page.frame_locator("iframe")
    inner.locator("#neurons-next").wait_for(state="attached")
    page.wait_for_timeout(300)  # loaded, unseen
    page.evaluate("document.getElementById('out').hidden = false")
    handle = page.locator("iframe").element_handle().content_frame()
    handle.wait_for_function("document.getElementById('neurons-graph').clientWidth > 0")
    label = """() => { const t = document.querySelector('#neurons g.node text'), m = t.getScreenCTM();
                       return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); }"""
    shown_late = handle.evaluate(label)
    page.evaluate("document.getElementById('out').hidden = true")
    page.reload()  # and now shown from the start
    page.evaluate("document.getElementById('out').hidden = false")
    handle = page.locator("iframe").element_handle().content_frame()
    handle.wait_for_function("document.getElementById('neurons-graph').clientWidth > 0")
    assert shown_late == pytest.approx(handle.evaluate(label)) and shown_late > 11  # the whole network fits
    handle.click("#neurons-next")
    where = handle.evaluate(NAMED_BOX)
    assert where["id"] == "N0_0" and where["inView"] and where["inWindow"]
    page.close()
