"""gradcheck and gradgradcheck: they pass every built-in op across its domain, and catch wrong derivatives
(with the table pointing at the wrong one), kinks, and points outside an op's domain.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import records
from oracle.points import MIXED_AT, WRONG_CUBE_AT, mixed

from autograd_lite import Value, define_op
from autograd_lite.testing import GradcheckError, gradcheck, gradgradcheck, gradient_report
from autograd_lite.testing.expressions import BUILTINS

ANY = st.floats(-4, 4)
POSITIVE = st.floats(1e-3, 10)  # at least eps = 1e-6 inside the domain x > 0 (and x >= 0)
NONZERO = st.floats(0.05, 4) | st.floats(-4, -0.05)
# Each built-in op with a strategy per argument: its whole domain, less a margin of eps at its edges.
# Ops with a kink at 0 (relu, abs, leaky_relu, elu, selu) get 0 too, which hypothesis draws often.
DOMAINS: dict[str, tuple[st.SearchStrategy[float], ...]] = {
    "+": (ANY, ANY),
    "-": (ANY, ANY),
    "*": (ANY, ANY),
    "/": (ANY, NONZERO),
    "**": (POSITIVE, st.floats(-3, 3)),
    "neg": (ANY,),
    "exp": (st.floats(-30, 20),),
    "expm1": (st.floats(-30, 20),),
    "log": (POSITIVE,),
    "sqrt": (POSITIVE,),
    "sin": (st.floats(-10, 10),),
    "cos": (st.floats(-10, 10),),
    "tan": (st.floats(-1.4, 1.4),),
    "atan": (ANY,),
    "sinh": (st.floats(-10, 10),),
    "cosh": (st.floats(-10, 10),),
    "tanh": (ANY,),
    "sigmoid": (st.floats(-30, 30),),
    "relu": (ANY,),
    "leaky_relu": (ANY, st.floats(0, 2)),
    "elu": (ANY, st.floats(0, 2)),
    "selu": (ANY,),
    "softplus": (st.floats(-30, 30),),
    "swish": (ANY, st.floats(-3, 3)),
    "mish": (st.floats(-15, 15),),
    "gelu": (ANY,),
    "abs": (ANY,),
}


KINKED = {"relu", "leaky_relu", "elu", "selu", "abs"}  # a kink at 0, which the strategies draw often


def test_the_domain_table_covers_every_builtin_op() -> None:
    assert set(DOMAINS) == set(BUILTINS)


@pytest.mark.parametrize("name", list(DOMAINS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_builtin_op_passes_gradcheck_and_gradgradcheck_across_its_domain(
    name: str, data: st.DataObject
) -> None:
    xs = [data.draw(strategy) for strategy in DOMAINS[name]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # at a kink the check passes with a warning
        assert gradcheck(BUILTINS[name].call, xs)
        if name in KINKED and abs(xs[0]) <= 2e-6:  # the first derivative jumps within two steps:
            report = gradient_report(BUILTINS[name].call, xs, order=2)  # some second ones cannot be checked
            assert all(row.ok or row.uncheckable for row in report.rows)
        else:
            assert gradgradcheck(BUILTINS[name].call, xs)


@settings(max_examples=40, deadline=None)
@given(NONZERO, st.integers(-3, 4))
def test_integer_powers_of_negative_bases_pass(x: float, k: int) -> None:
    assert gradcheck(lambda v: v**k, [x])
    assert gradgradcheck(lambda v: v**k, [x])


# ---- a planted bug: cube whose local derivative is 2x^2 instead of 3x^2 ------------------------------------
wrong_cube = define_op("wrong_cube", lambda x: (x**3, 2 * x**2), [lambda out, x: 2 * x**2])


def rows(message: str) -> dict[str, list[str]]:
    """The table in a report, row name -> the rest of its cells."""
    table = message.splitlines()[2:]
    return {cells[0]: cells[1:] for cells in (line.split() for line in table)}


def test_gradcheck_catches_a_wrong_derivative_and_its_table_points_at_it() -> None:
    x, y = Value(WRONG_CUBE_AT[0], label="x"), Value(WRONG_CUBE_AT[1], label="y")
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: wrong_cube(a) * b.tanh(), [x, y])
    message = str(caught.value)
    assert message.splitlines()[0] == (
        "gradcheck at x=1.5, y=0.5 failed, wrong: df/dx (eps=1e-06, atol=1e-05, rtol=0.001)"
    )
    table = rows(message)
    assert table["df/dx"][-2:] == ["<-", "wrong"] and "wrong" not in table["df/dy"]
    # the analytic column holds the engine's (wrong) gradient, the numeric one torch's true gradient
    dx, dy = records("points", "cube_times_tanh")
    assert float(table["df/dx"][0]) == pytest.approx(2 * 1.5**2 * math.tanh(0.5), rel=1e-8)
    assert float(table["df/dx"][1]) == pytest.approx(dx, rel=1e-8)
    assert float(table["df/dy"][0]) == pytest.approx(dy, rel=1e-8)
    assert caught.value.report.ok is False


def test_with_raise_exception_false_gradcheck_returns_the_verdict() -> None:
    assert gradcheck(wrong_cube, [1.5], raise_exception=False) is False
    assert gradcheck(lambda v: v * v * v, [1.5], raise_exception=False) is True
    assert gradcheck(wrong_cube, [0.0], raise_exception=False) is True  # 2x^2 and 3x^2 agree at 0


def test_unlabelled_inputs_are_named_by_position() -> None:
    report = gradient_report(lambda a, b: wrong_cube(b) + a, [1.0, 2.0])
    assert [row.name for row in report.rows if not row.ok] == ["df/dx1"]


def test_gradgradcheck_catches_a_wrong_derivative_given_as_values() -> None:
    # the float derivative is right, so gradcheck passes; the Value one (used by create_graph) is 2x^2
    half_wrong = define_op("half_wrong", lambda x: (x**3, 3 * x**2), [lambda out, x: 2 * x**2])
    assert gradcheck(half_wrong, [Value(1.5, label="x")])
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(half_wrong, [Value(1.5, label="x")])
    table = rows(str(caught.value))
    assert table["df/dx"][:2] == ["4.5", "6.75"]  # create_graph's first derivative 2x^2 vs 3x^2
    assert table["d2f/dx"][:3] == ["dx", "6", "9"]  # d/dx 2x^2 = 4x vs 6x
    assert "failed, wrong: df/dx, d2f/dx dx" in str(caught.value).splitlines()[0]


def test_gradgradcheck_catches_a_derivative_that_leaves_the_graph() -> None:
    # float(x) makes a constant: the first derivative is right, the second is lost
    detached = define_op("detached", lambda x: (x**3, 3 * x**2), [lambda out, x: 3 * float(x) ** 2])
    with pytest.raises(GradcheckError, match=r"failed, wrong: d2f/dx0 dx0 "):
        gradgradcheck(detached, [1.5])


def test_gradgradcheck_of_an_op_without_derivatives_as_values_says_what_is_missing() -> None:
    floats_only = define_op("floats_only", lambda x: (x**3, 3 * x**2))
    with pytest.raises(NotImplementedError, match="needs floats_only's derivatives as Values"):
        gradgradcheck(floats_only, [1.5])


def test_gradgradcheck_checks_mixed_second_derivatives_against_torch() -> None:
    report = gradient_report(mixed, list(MIXED_AT), order=2)
    assert report.ok
    want = records("points", "mixed_hessian")  # torch.autograd.functional.hessian's
    second = {row.name: row.analytic for row in report.rows if row.name.startswith("d2")}
    assert second["d2f/dx0 dx1"] == pytest.approx(want[0][1], rel=1e-12)
    assert second["d2f/dx1 dx1"] == pytest.approx(want[1][1], rel=1e-12)


# ---- kinks and domains -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("f", "one_sided"),
    [
        (Value.relu, "0 and 1"),
        (abs, "-1 and 1"),
        (lambda v: v.leaky_relu(0.1), "0.1 and 1"),
        (lambda v: v.relu() + (-v).relu(), "-1 and 1"),
    ],
)
def test_at_a_kink_a_gradient_between_the_one_sided_derivatives_passes_with_a_warning(f, one_sided) -> None:
    with pytest.warns(
        RuntimeWarning, match=rf"f is not differentiable \(df/dx0: one-sided derivatives {one_sided}\)"
    ):
        assert gradcheck(f, [0.0])
    (row,) = gradient_report(f, [0.0]).rows
    assert row.ok and row.not_differentiable == f"one-sided derivatives {one_sided}"


@pytest.mark.filterwarnings("ignore:gradgradcheck. at x0=0.0 f is not differentiable:RuntimeWarning")
@pytest.mark.parametrize("f", [Value.relu, abs, lambda v: v.elu(0.5)])
def test_where_the_gradient_jumps_gradgradcheck_cannot_check_and_fails(f) -> None:
    # relu' and abs' jump at 0: there is no second derivative to check, so no second derivative passes
    with pytest.raises(GradcheckError, match=r"failed, cannot check: d2f/dx0 dx0") as e:
        gradgradcheck(f, [0.0])
    assert "<- cannot check  (cannot check here: a jump, or f too steep to resolve at step 1e-06)" in str(
        e.value
    )
    assert not gradgradcheck(f, [0.0], raise_exception=False)


def test_a_kink_within_eps_of_the_point_is_told_from_one_at_it() -> None:
    # relu's kink lies between x - eps and x: relu is differentiable at x, with the right-hand slope 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(Value.relu, [5e-7])
    (row,) = gradient_report(Value.relu, [5e-7]).rows
    assert row.numeric == pytest.approx(1.0) and row.not_differentiable == ""
    bad = define_op("bad_relu", lambda x: (max(x, 0.0), 0.5))  # between the sides, but wrong here
    assert not gradcheck(bad, [5e-7], raise_exception=False)


def test_strong_curvature_is_not_mistaken_for_a_kink() -> None:
    # sqrt near 0: the slopes between neighbouring points change fast, but steadily
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradgradcheck(Value.sqrt, [1e-3])
        assert gradcheck(lambda v: 1 / v, [1e-2])


def test_rounding_noise_in_the_gradient_is_not_taken_for_a_kink_or_a_jump() -> None:
    # log(x * y + x) at y near -1: x * y + x cancels, so the gradient's rounding shows in its differences,
    # every one of which still agrees with the mixed derivative, 0 (was "cannot check", from hypothesis)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in (-1.0, -1.125, -1.25):
            assert gradgradcheck(lambda a, b: (a * b + a).log(), [x, -1.00390625])


def test_a_wrong_gradient_at_a_kink_still_fails() -> None:
    # relu(x) - relu(-x) is x: its slope is 1 on both sides, but relu'(0) = 0 makes the engine say 0
    with pytest.raises(GradcheckError, match=r"df/dx0 +0 +1 +1 +1  <- wrong$"):
        gradcheck(lambda v: v.relu() - (-v).relu(), [0.0])


def test_an_input_outside_the_domain_is_a_clear_error() -> None:
    with pytest.raises(
        ValueError, match=r"^f is not defined at the inputs, so .* at x0=-1.0: log\(-1.0\) is outside"
    ):
        gradcheck(Value.log, [-1.0])


def test_an_input_within_eps_of_the_domain_edge_is_a_clear_error() -> None:
    message = r"^f is not defined near them \(eps=1e-06\), at x0=-1e-06, so its derivative cannot be checked"
    with pytest.raises(ValueError, match=message):
        gradcheck(Value.sqrt, [0.0])


@pytest.mark.parametrize(
    ("f", "inputs", "error", "message"),
    [
        (lambda v: 2.0, [1.0], TypeError, "f must return a Value, got float: 2.0"),
        (Value.exp, 1.0, TypeError, "inputs must be a sequence of numbers or Values, got 1.0"),
        (Value.exp, [math.nan], ValueError, "derivatives are checked at finite points, got x0=nan"),
    ],
)
def test_misuse_is_a_clear_error(f, inputs, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        gradcheck(f, inputs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order": 3}, "order is 1 (gradcheck) or 2 (gradgradcheck), got 3"),
        ({"eps": 0.0}, "eps must be positive and atol, rtol not negative, all finite, got eps=0.0"),
        ({"rtol": -1.0}, "eps must be positive and atol, rtol not negative"),
        ({"eps": math.nan}, "eps must be positive and atol, rtol not negative, all finite, got eps=nan"),
        ({"atol": math.inf}, "all finite, got eps=1e-06, atol=inf"),
    ],
)
def test_bad_settings_are_a_clear_error(kwargs, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        gradient_report(Value.exp, [1.0], **kwargs)


def test_the_readme_shows_the_failure_table_gradcheck_prints() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    shown = readme.split("raises\n`GradcheckError`", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    bad_cube = define_op("bad_cube", lambda x: (x**3, 2 * x**2))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: bad_cube(x) * y.exp(), [Value(1.5, label="x"), Value(-0.5, label="y")])
    printed = str(caught.value).splitlines()
    assert len(printed) == len(shown.splitlines())
    for got, want in zip(printed, shown.splitlines()):  # the error columns vary in their last bits with libm
        assert got.split()[:3] == want.split()[:3]


def test_gradcheck_leaves_the_grads_of_its_inputs_and_of_values_f_closes_over_as_they_were() -> None:
    w = Value(0.7, label="w")
    w.grad = 0.25
    x = Value(1.5, label="x")
    assert gradcheck(lambda v: (w * v).tanh(), [x])
    assert gradgradcheck(lambda v: (w * v).tanh(), [x])
    assert (w.grad, x.grad) == (0.25, 0.0)


class OutOfRange(ValueError):
    """A user's error class whose constructor takes more than a message."""

    def __init__(self, name: str, x: float) -> None:
        super().__init__(f"{name} out of range: {x}")


def test_an_error_of_the_users_own_class_in_f_is_reported_as_its_builtin_kind() -> None:
    def f(x: Value) -> Value:
        if x.data > 1.0:
            raise OutOfRange("x", x.data)
        return x * x

    with pytest.raises(ValueError) as caught:
        gradcheck(f, [2.0])
    assert str(caught.value) == (
        "f is not defined at the inputs, so its derivative cannot be checked at x0=2.0: x out of range: 2.0"
    )
    assert isinstance(caught.value.__cause__, OutOfRange)


# ---- what must never pass, and what must ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("forward", "x"),
    [
        (lambda x: (math.tanh(1e8 * x), -123.0), 0.0),  # too steep to resolve: was "a jump", and passed
        (lambda x: (1 / (1 + math.exp(-1e7 * x)), 42.0), 0.0),
        (lambda x: (math.sin(1e6 * x), 0.0), 0.3),  # irregular within a step: was "a kink", and passed
    ],
    ids=["steep tanh", "steep sigmoid", "fast sine"],
)
def test_a_wrong_derivative_where_f_cannot_be_resolved_never_passes(forward, x: float) -> None:
    op = define_op("unresolved", forward)
    report = gradient_report(op, [x])
    assert not report.ok and report.rows[0].uncheckable
    assert "cannot check: df/dx0" in str(report)
    assert not gradcheck(op, [x], raise_exception=False)


@pytest.mark.parametrize(
    ("f", "x"), [(lambda v: v * v, 1e10), (lambda v: v * 1, 1e17), (lambda v: v.exp(), 300.0)]
)
def test_the_step_scales_with_the_input_so_large_inputs_check(f, x: float) -> None:
    (row,) = gradient_report(f, [x]).rows
    assert row.ok and row.numeric == pytest.approx(row.analytic, rel=1e-6)


def test_only_the_inputs_f_reads_are_moved_and_f_runs_a_fixed_number_of_times() -> None:
    calls = []

    def f(*xs: Value) -> Value:
        calls.append(1)
        return Value.sum([x * x for x in xs[:30]])

    report = gradient_report(f, [0.5] * 60)
    assert report.ok and [row.numeric for row in report.rows[30:]] == [0.0] * 30
    assert len(calls) == 2  # the analytic gradient, and the graph the moved inputs replay through


def test_f_that_reads_data_is_called_again_at_each_moved_point() -> None:
    def branchy(x: Value) -> Value:
        return x * x if x > 0 else -x  # reads the data: the graph may change with the point

    assert gradcheck(branchy, [0.5]) and gradcheck(branchy, [-0.5])


def test_no_inputs_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"needs at least one input to move, got none"):
        gradient_report(lambda: Value(1.0), [])
