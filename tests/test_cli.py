"""The autograd-lite command, end to end in subprocesses (marked e2e): its commands, exit codes, and hostile
input."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from oracle import records
from oracle.points import NEURON, SMALL_NEURON

from autograd_lite.tools.viz.graph import DEFAULT_MAX_NODES

README = Path(__file__).resolve().parents[1] / "README.md"
SCRIPT = Path(sys.executable).parent / "autograd-lite"  # the console script installed beside this python


def variables(values: dict[str, float]) -> list[str]:
    """The command line's --var arguments for values."""
    return [arg for name, x in values.items() for arg in ("--var", f"{name}={x!r}")]


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


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["console script", "python -m"])
def test_help_lists_the_commands_and_exit_codes(how: str) -> None:
    command = [str(SCRIPT)] if how == "console script" else [sys.executable, "-m", "autograd_lite"]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "{demo,neuron,gradcheck,draw,steps}" in done.stdout
    epilog = " ".join(done.stdout.split("Exit status:")[1].split())
    assert (
        epilog == "0 ok, 1 a gradient check failed or could not check, 2 bad input or a missing dependency."
    )


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["demo", "neuron", "gradcheck", "draw", "steps"])
def test_every_command_has_help(command: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0 and done.stdout.startswith(f"usage: autograd-lite {command}")


@pytest.mark.e2e
def test_gradcheck_prints_the_value_and_torchs_gradient_and_exits_0() -> None:
    done = run("gradcheck", "tanh(w1*x1 + w2*x2 + b)", *variables(NEURON))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    want = records("points", "neuron")
    first = done.stdout.splitlines()[0]
    assert first.startswith("tanh(w1 * x1 + w2 * x2 + b) = ")
    assert float(first.split(" = ")[1]) == pytest.approx(want["value"], rel=1e-15)
    rows = table(done.stdout)
    assert list(rows) == ["df/dw1", "df/dx1", "df/dw2", "df/dx2", "df/db"]
    for name, grad in want["grads"].items():
        analytic, numeric = float(rows[f"df/d{name}"][0]), float(rows[f"df/d{name}"][1])
        assert analytic == pytest.approx(grad, rel=1e-7, abs=1e-12)  # printed to 8 digits
        assert numeric == pytest.approx(grad, rel=1e-6, abs=1e-9)


@pytest.mark.e2e
def test_gradcheck_exits_1_where_backprop_is_wrong_and_marks_the_row() -> None:
    done = run("gradcheck", "relu(x) - relu(-x)", "--var", "x=0")
    assert done.returncode == 1, done.stderr
    assert table(done.stdout)["df/dx"] == ["0", "1", "1", "1", "<-", "wrong"]


@pytest.mark.e2e
def test_gradcheck_at_a_kink_passes_and_says_the_point_is_not_differentiable() -> None:
    done = run("gradcheck", "abs(x)", "--var", "x=0")
    assert done.returncode == 0
    assert "(not differentiable: one-sided derivatives -1 and 1)" in done.stdout


@pytest.mark.e2e
def test_the_expression_can_come_from_standard_input() -> None:
    done = run("gradcheck", "-", "--var", "x=3", stdin="x * x\n")
    assert done.returncode == 0 and table(done.stdout)["df/dx"][:2] == ["6", "6"]


@pytest.mark.e2e
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


NEURON_GRADS = {
    "w": 1.0,
    "x": -1.5,
    "b": 0.5,
}  # d tanh(w*x + b)/d each at w=-3, x=2, b=6.88...: checked vs torch
SMALL_NEURON_ARGS = ["tanh(w*x + b)", *variables(SMALL_NEURON)]


def test_the_small_neurons_gradients_are_torchs() -> None:
    assert records("points", "small_neuron")["grads"] == pytest.approx(NEURON_GRADS, rel=1e-12)


@pytest.mark.e2e
def test_draw_writes_an_svg_with_each_values_label_data_and_grad(
    tmp_path: Path, need_renderer: Callable[[str], str]
) -> None:
    need_renderer("auto")  # the system Graphviz or the embedded one
    done = run("draw", *SMALL_NEURON_ARGS, "-o", "graph.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "wrote graph.svg\n"
    svg = ET.parse(tmp_path / "graph.svg").getroot()
    texts = {}
    for g in svg.iter("{http://www.w3.org/2000/svg}g"):
        if g.get("class") == "node":
            lines = [t.text for t in g.iter("{http://www.w3.org/2000/svg}text")]
            texts[lines[0]] = lines[1:]
    for name, grad in NEURON_GRADS.items():
        assert texts[name][1] == f"grad {grad:.4g}"
    assert texts["w"][0] == "data -3" and texts["tanh"] == []  # the op is a node of its own


@pytest.mark.e2e
def test_draw_writes_the_png_of_a_large_graph_scaled_down_to_50_megapixels(
    tmp_path: Path, need_renderer: Callable[[str], str]
) -> None:
    need_renderer("auto")
    done = run("draw", "+".join(["x*x*x*x"] * 65), "--var", "x=0.5", "-o", "g.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    png = (tmp_path / "g.png").read_bytes()  # 214 megapixels at full size: 860 MB and seconds in dot
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 49_000_000 < width * height <= 50_000_000


@pytest.mark.e2e
def test_draw_writes_dot_without_a_renderer(tmp_path: Path) -> None:
    done = run("draw", *SMALL_NEURON_ARGS, "-o", "graph.dot", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    source = (tmp_path / "graph.dot").read_text()
    assert 'label="x\ndata 2\ngrad -1.5"' in source and "label=tanh" in source


@pytest.mark.e2e
def test_steps_prints_every_chain_rule_step_and_ends_at_torchs_gradients() -> None:
    done = run("steps", *SMALL_NEURON_ARGS)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "backward from v5: v5.grad = 1, then 5 steps"
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 5
    last = {row[2]: float(row[-1]) for row in rows}  # each parent's grad after its last step
    assert {name: last[name] for name in NEURON_GRADS} == NEURON_GRADS
    for _, _, _, local, upstream, contribution, _ in rows:  # local * upstream = contribution
        assert float(local) * float(upstream) == pytest.approx(float(contribution), rel=1e-3)


@pytest.mark.e2e
def test_steps_writes_the_stepper_page(tmp_path: Path, need_renderer: Callable[[str], str]) -> None:
    need_renderer("auto")
    done = run("steps", *SMALL_NEURON_ARGS, "-o", "steps.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "steps.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "x.grad += w.data \u00d7 v3.grad" in page  # the equation of the last step, with a times sign


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["draw", "x * 2", "--var", "x=1", "-o", "graph.txt"], "save() writes .svg, .dot or .png files"),
        (["draw", "x * 2", "--var", "x=1", "-o", "missing/graph.dot"], "cannot write missing/graph.dot"),
        (["steps", "x * 2", "--var", "x=1", "-o", "steps.svg"], "save() writes an .html page"),
        (["draw", "log(x)", "--var", "x=-1", "-o", "graph.dot"], "log(x=-1.0) is outside the op's domain"),
    ],
)
def test_draw_and_steps_refuse_bad_outputs_and_points_writing_nothing(args, message, tmp_path: Path) -> None:
    assert_refused(run(*args, cwd=tmp_path), message)
    assert list(tmp_path.iterdir()) == []


# 800 values: 10 factors, each a sum of 40 squares, nested no deeper than the language allows
LARGE = "*".join(["(" + "+".join(["x*x"] * 40) + ")"] * 10)


@pytest.mark.e2e
def test_draw_and_steps_draw_a_large_graph_with_max_nodes_and_steps_prints_it_without(tmp_path: Path) -> None:
    too_many = (
        "autograd-lite: error: the graph has 800 values, more than max_nodes=300 can show legibly; "
        "pass max_nodes=800 (--max-nodes 800 on the command line) to draw it anyway\n"
    )
    for command, output in (("draw", "g.dot"), ("steps", "b.html")):
        done = run(command, LARGE, "--var", "x=0.5", "-o", output, cwd=tmp_path)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", too_many)
        assert list(tmp_path.iterdir()) == []
    done = run("draw", LARGE, "--var", "x=0.5", "-o", "g.dot", "--max-nodes", "800", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "g.dot").read_text().count("shape=box") == 800
    done = run("steps", LARGE, "--var", "x=0.5")  # a table, no picture: any size
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "backward from v799: v799.grad = 1, then 1598 steps"  # 2 per binary op
    step, _, parent, *_, grad = lines[-1].split()  # the last step ends x's grad: 20 * 40**10 * x**19
    assert (step, parent) == ("1598", "x") and float(grad) == pytest.approx(20 * 40**10 * 0.5**19, rel=1e-3)


@pytest.mark.e2e
def test_max_nodes_is_an_option_of_the_commands_that_draw_with_the_librarys_default() -> None:
    for command in ("draw", "steps"):
        assert f"draw graphs of up to N values (default {DEFAULT_MAX_NODES};" in " ".join(
            run(command, "--help").stdout.split()
        )
    assert "--max-nodes" not in run("gradcheck", "--help").stdout


@pytest.mark.e2e
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_max_nodes_must_be_a_whole_number_of_at_least_one(value: str, tmp_path: Path) -> None:
    done = run("draw", "x * x", "--var", "x=1", "-o", str(tmp_path / "g.svg"), "--max-nodes", value)
    assert done.returncode == 2
    assert f"argument --max-nodes: must be a whole number of at least 1, got '{value}'" in done.stderr
    assert not (tmp_path / "g.svg").exists()


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


@pytest.mark.e2e
@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_expressions_exit_2_with_one_line_quickly_and_write_nothing(
    text, message, tmp_path: Path
) -> None:
    start = time.perf_counter()
    done = run("draw", text, "--var", "x=1.5", "--var", "y=2", "-o", "graph.svg", cwd=tmp_path)
    assert time.perf_counter() - start < 5.0
    assert_refused(done, message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.e2e
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
    done = run("steps", "-", "--var", "x=1.5", "-o", "steps.html", stdin=text, cwd=tmp_path)
    assert time.perf_counter() - start < 5.0
    assert_refused(done, message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["draw", "steps"])
def test_without_graphviz_draw_and_steps_say_how_to_install_it(command: str, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "from autograd_lite.tools.cli import main\n"
        f"sys.exit(main(['{command}', 'x * 2', '--var', 'x=1', '-o', 'out.html']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert_refused(done, "drawing needs the graphviz package: pip install 'autograd-lite[viz]'")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.e2e
def test_steps_prints_its_table_without_graphviz(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "from autograd_lite.tools.cli import main\n"
        "sys.exit(main(['steps', 'x * 2', '--var', 'x=1']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith("backward from v1: ")


@pytest.mark.e2e
def test_a_closed_stdout_is_quiet() -> None:
    # `true` exits at once: every write to the pipe after that fails
    command = f"{shlex.quote(sys.executable)} -m autograd_lite steps 'x * 2' --var x=1 | true"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.stderr == ""


@pytest.mark.e2e
def test_the_demo_names_every_missing_piece_at_once_and_exits_2_before_training(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = sys.modules['matplotlib.figure'] = sys.modules['graphviz'] = None\n"
        "from autograd_lite.tools.cli import main\n"
        f"sys.exit(main(['demo', '--out', {str(blocker / 'out')!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""  # nothing trained
    (line,) = done.stderr.splitlines()
    assert line.startswith("autograd-lite demo: cannot run: the demo draws with matplotlib")
    assert "drawing needs the graphviz package" in line and "the output folder" in line


@pytest.mark.e2e
def test_bytes_that_are_not_utf8_say_so() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "gradcheck", b"x \xff 2", "--var", "x=1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "is not UTF-8 text" in done.stderr


@pytest.mark.e2e
def test_input_past_the_limit_is_refused_never_cut() -> None:
    done = run("gradcheck", "-", "--var", "x=1", stdin="x" + "\n" * 2_000 + " + garbage(")
    assert done.returncode == 2 and "longer than 2,000 characters" in done.stderr


def test_help_shows_no_rest_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from autograd_lite.tools.cli import main

    for args in (["--help"], ["demo", "--help"], ["neuron", "--help"], ["steps", "--help"]):
        with pytest.raises(SystemExit):
            main(args)
        shown = capsys.readouterr().out
        assert shown.startswith("usage: autograd-lite") and "``" not in shown, shown


@pytest.mark.e2e
def test_a_failing_system_dot_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text("#!/bin/sh\necho 'Format: \"png\" not recognized.' >&2\nexit 1\n")
    (fake / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    done = run("draw", "x*x", "--var", "x=2", "-o", str(tmp_path / "g.png"))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == 'autograd-lite: error: Graphviz dot failed: Format: "png" not recognized.\n'
    assert [p.name for p in tmp_path.iterdir()] == ["bin"]


@pytest.mark.e2e
def test_an_unknown_command_is_a_usage_error() -> None:
    done = run("frobnicate")
    assert done.returncode == 2 and "invalid choice: 'frobnicate'" in done.stderr


@pytest.mark.e2e
def test_gradcheck_exits_1_where_f_is_too_steep_to_check_and_0_for_a_large_input() -> None:
    steep = run("gradcheck", "tanh(100000000*x)", "--var", "x=0")
    assert steep.returncode == 1 and "failed, cannot check: df/dx" in steep.stdout
    large = run("gradcheck", "x*x", "--var", "x=1e10")
    assert large.returncode == 0 and table(large.stdout)["df/dx"][:2] == ["2e+10", "2e+10"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "args", [["gradcheck", "x * 2", "--var", "x=1"], ["steps", "x * 2", "--var", "x=1"], ["neuron"]]
)
def test_a_full_stdout_is_one_line_and_exit_2_not_a_traceback(args: list[str]) -> None:
    # exit 1 would say "a check failed" to a script
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "autograd_lite", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 2
    assert done.stderr == "autograd-lite: error: cannot write to standard output: No space left on device\n"


@pytest.mark.e2e
def test_a_path_with_control_characters_is_printed_escaped_on_one_line(tmp_path: Path) -> None:
    name = "two\nlines\x1b[31mred.dot"
    done = run("draw", "x * 2", "--var", "x=1", "-o", name, cwd=tmp_path)
    assert done.returncode == 0 and (tmp_path / name).is_file()
    assert done.stdout == "wrote two\\nlines\\x1b[31mred.dot\n"
