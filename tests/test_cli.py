"""The autograd-lite command, end to end in subprocesses: its commands, exit codes, and hostile input."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

README = Path(__file__).resolve().parents[1] / "README.md"
SCRIPT = Path(sys.executable).parent / "autograd-lite"  # the console script installed beside this python
NEURON = [
    "--var",
    "w1=-3",
    "--var",
    "x1=2",
    "--var",
    "w2=1",
    "--var",
    "x2=0",
    "--var",
    "b=6.8813735870195432",
]


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "autograd_lite", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd)


def table(stdout: str) -> dict[str, list[str]]:
    """The rows of a printed gradcheck table: name -> analytic, numeric, abs error, rel error, note."""
    return {
        cells[0]: cells[1:]
        for cells in (line.split() for line in stdout.splitlines())
        if cells[0][:2] == "df"
    }


@pytest.mark.parametrize("how", ["console script", "python -m"])
def test_help_lists_the_commands_and_exit_codes(how: str) -> None:
    command = [str(SCRIPT)] if how == "console script" else [sys.executable, "-m", "autograd_lite"]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "{demo,gradcheck}" in done.stdout
    assert "Exit status: 0 ok, 1 a gradient check failed, 2 bad input." in done.stdout


@pytest.mark.parametrize("command", ["demo", "gradcheck"])
def test_every_command_has_help(command: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0 and done.stdout.startswith(f"usage: autograd-lite {command}")


def test_demo_runs() -> None:
    done = run("demo")
    assert done.returncode == 0, done.stderr
    assert "w1.grad =  1.000000" in done.stdout


def test_gradcheck_prints_the_value_and_torchs_gradient_and_exits_0() -> None:
    done = run("gradcheck", "tanh(w1*x1 + w2*x2 + b)", *NEURON)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    values = {k: float(v) for k, v in (a.split("=") for a in NEURON[1::2])}
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    out = torch.tanh(leaves["w1"] * leaves["x1"] + leaves["w2"] * leaves["x2"] + leaves["b"])
    out.backward()
    first = done.stdout.splitlines()[0]
    assert first.startswith("tanh(w1 * x1 + w2 * x2 + b) = ")
    assert float(first.split(" = ")[1]) == pytest.approx(out.item(), rel=1e-15)
    rows = table(done.stdout)
    assert list(rows) == ["df/dw1", "df/dx1", "df/dw2", "df/dx2", "df/db"]
    for name, leaf in leaves.items():
        analytic, numeric = float(rows[f"df/d{name}"][0]), float(rows[f"df/d{name}"][1])
        assert analytic == pytest.approx(leaf.grad.item(), rel=1e-7, abs=1e-12)  # printed to 8 digits
        assert numeric == pytest.approx(leaf.grad.item(), rel=1e-6, abs=1e-9)


def test_gradcheck_exits_1_where_backprop_is_wrong_and_marks_the_row() -> None:
    done = run("gradcheck", "relu(x) - relu(-x)", "--var", "x=0")
    assert done.returncode == 1, done.stderr
    assert table(done.stdout)["df/dx"] == ["0", "1", "1", "1", "<-", "wrong"]


def test_gradcheck_at_a_kink_passes_and_says_the_point_is_not_differentiable() -> None:
    done = run("gradcheck", "abs(x)", "--var", "x=0")
    assert done.returncode == 0
    assert "(not differentiable: one-sided derivatives -1 and 1)" in done.stdout


def test_the_expression_can_come_from_standard_input() -> None:
    done = run("gradcheck", "-", "--var", "x=3", stdin="x * x\n")
    assert done.returncode == 0 and table(done.stdout)["df/dx"][:2] == ["6", "6"]


def test_the_readme_command_line_examples_print_what_the_readme_shows() -> None:
    section = README.read_text().split("## Command line", 1)[1].split("\n## ", 1)[0]
    sessions = re.findall(r"^\$ (autograd-lite .*)\n((?:(?!\$ |```).*\n)*)", section, re.M)
    assert len(sessions) >= 3
    for command, shown in sessions:
        args = shlex.split(command)[1:]
        done = run(*args)
        printed = (done.stdout + done.stderr).splitlines()
        expected = shown.splitlines()
        assert len(printed) == len(expected), command
        for got, want in zip(printed, expected):
            # the error columns depend on the last bits of libm's results; the rest must match exactly
            assert got.split()[:3] == want.split()[:3], command
        assert done.returncode == (2 if "error:" in shown else 1 if "<- wrong" in shown else 0)


# ---- bad input: exit 2, one line on standard error, nothing else -------------------------------------------
def assert_refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("autograd-lite: error: ") and message in lines[0], lines[0]
    assert done.stdout == ""


HOSTILE = [
    ('__import__("os").system("id")', "1:1: attribute access (.system): not allowed"),
    ("().__class__.__bases__", "1:1: attribute access (.__bases__)"),
    ("x.__dict__", "1:1: attribute access (.__dict__)"),
    ("(lambda: 1)()", "1:2: lambda: not allowed"),
    ("[x for x in y]", "1:1: comprehensions: not allowed"),
    ('"a"*10**9', "1:1: strings are not allowed"),
    ("9**9**9**9", "1:4: 9 ** 387420489 overflows a float"),
    ("tanh(x, alpha=1)", "1:9: tanh() takes positional arguments only"),
    ("open('/etc/passwd')", "1:1: 'open' is not an op"),
    ("x; import os", "syntax error"),
    ("(" * 900 + "x" + ")" * 900, "1:101: brackets nest more than 100 deep"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_expressions_exit_2_with_one_line_quickly_and_write_nothing(
    text, message, tmp_path: Path
) -> None:
    start = time.perf_counter()
    done = run("gradcheck", text, "--var", "x=1.5", "--var", "y=2", cwd=tmp_path)
    assert time.perf_counter() - start < 5.0
    assert_refused(done, message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(" * 100_000 + "x" + ")" * 100_000, "1:1: the expression is longer than 2,000 characters"),
        ("x+" * 5_000_000 + "x", "1:1: the expression is longer than 2,000 characters"),  # 10 MB
    ],
    ids=["100,000 nested parentheses", "10 MB"],
)
def test_huge_expressions_on_standard_input_are_refused_quickly(text, message, tmp_path: Path) -> None:
    start = time.perf_counter()
    done = run("gradcheck", "-", "--var", "x=1.5", stdin=text, cwd=tmp_path)
    assert time.perf_counter() - start < 5.0
    assert_refused(done, message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--var", "x"], "--var 'x': write NAME=VALUE, as in --var x=1.5"),
        (["--var", "x=abc"], "--var 'x=abc': 'abc' is not a number"),
        (["--var", "x=nan"], "--var 'x=nan': the value must be finite"),
        (["--var", "1x=2"], "--var '1x=2': '1x' is not a usable name"),
        (["--var", "tanh=2"], "--var 'tanh=2': 'tanh' is not a usable name"),
        (["--var", "x=1", "--var", "x=2"], "--var 'x=2': x is given twice"),
        ([], "unknown name 'x' (the variables are: none)"),
    ],
)
def test_bad_variables_exit_2_with_one_line(args: list[str], message: str) -> None:
    assert_refused(run("gradcheck", "x * 2", *args), message)


@pytest.mark.parametrize(
    ("text", "var", "message"),
    [
        ("log(x)", "x=-1", "log(x=-1.0) is outside the op's domain (defined for x > 0)"),
        ("exp(x)", "x=1000", "exp(x=1000.0) overflows a float"),
        ("sqrt(x)", "x=0", "detect_anomaly: sqrt(x=0.0) gave a non-finite local gradient"),
        ("x * 1e300 * 1e300", "x=1", "gave a non-finite result"),
        ("sqrt(x)", "x=1e-7", "f is not defined near them (eps=1e-06), at x=-9e-07"),
        ("tanh(2) + 1", "x=1", "the expression uses no variable: there is nothing to differentiate"),
    ],
)
def test_an_expression_undefined_at_the_point_exits_2_with_one_line(
    text: str, var: str, message: str
) -> None:
    assert_refused(run("gradcheck", text, "--var", var), message)


def test_an_unknown_command_is_a_usage_error() -> None:
    done = run("frobnicate")
    assert done.returncode == 2 and "invalid choice: 'frobnicate'" in done.stderr
