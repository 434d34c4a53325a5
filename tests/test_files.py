"""Files the package writes and reads: whole or not at all, never through a link, only regular files."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite.core.files import write_atomic
from autograd_lite.nn import FILE_FORMAT, MLP


def temporary_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".autograd-lite-")]


# ---- writing ------------------------------------------------------------------------------------------
def test_a_symlink_at_the_target_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "loss.png").symlink_to(victim)
    write_atomic(out / "loss.png", b"new")
    assert victim.read_text() == "keep me"
    assert not (out / "loss.png").is_symlink() and (out / "loss.png").read_bytes() == b"new"


@pytest.mark.parametrize("kind", ["directory", "FIFO"])
def test_what_is_not_a_regular_file_is_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "model.json"
    if kind == "directory":
        target.mkdir()
    else:
        os.mkfifo(target)
    error = IsADirectoryError if kind == "directory" else ValueError
    with pytest.raises(error, match=rf"refusing to write '.*model.json': it is a {kind}"):
        MLP(2, [1], seed=0).save(target)
    assert target.is_dir() if kind == "directory" else stat.S_ISFIFO(target.stat().st_mode)
    assert temporary_files(tmp_path) == []


def test_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "null"
    with pytest.raises(ValueError, match=r"it is a character device, not a regular file"):
        write_atomic("/dev/null", b"x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not link.exists()


def test_the_targets_permission_bits_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    target.write_text("{}")
    target.chmod(0o600)
    MLP(2, [1], seed=0).save(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_name_up_to_the_file_systems_limit_works(tmp_path: Path) -> None:
    name = "m" * 244 + ".json"
    MLP(2, [1], seed=0).save(tmp_path / name)
    assert (tmp_path / name).exists() and temporary_files(tmp_path) == []


def test_an_error_names_the_users_path_not_a_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "model.json"
    with pytest.raises(FileNotFoundError) as e:
        MLP(2, [1], seed=0).save(target)
    assert e.value.filename == str(target) and ".autograd-lite-" not in str(e.value)


def test_temporary_files_of_a_killed_write_go_at_the_next_write_to_that_path(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    MLP(2, [1], seed=0).save(target)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    abandoned = tmp_path / temporary_file(target, dead.stdout.strip())
    abandoned.write_text("half")
    other = tmp_path / temporary_file(tmp_path / "other.json", "1")
    other.write_text("another target's")
    MLP(2, [1], seed=0).save(target)
    assert not abandoned.exists() and other.exists()


def test_a_temporary_file_of_another_host_or_container_goes_only_once_an_hour_old(tmp_path: Path) -> None:
    # Its PID means nothing here: a live write in another PID namespace may have the PID of no process here
    target = tmp_path / "model.json"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    elsewhere = tmp_path / temporary_file(target, dead.stdout.strip(), writer="0ther0ne")
    elsewhere.write_text("a write under way on another host")
    MLP(2, [1], seed=0).save(target)
    assert elsewhere.exists()
    two_hours_ago = time.time() - 7200
    os.utime(elsewhere, (two_hours_ago, two_hours_ago))
    MLP(2, [1], seed=0).save(target)
    assert not elsewhere.exists()


def test_a_folder_that_refuses_a_new_file_is_named_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a read-only folder (mode 555) refuses, for a user who is not root
    target = tmp_path / "ro" / "m.json"
    target.parent.mkdir()
    target.write_text("{}")
    real_open = os.open

    def refusing(path: Any, flags: int, mode: int = 0o777) -> int:
        if Path(path).parent == target.parent and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refusing)
    with pytest.raises(PermissionError) as e:
        MLP(2, [1], seed=0).save(target)
    assert e.value.filename == str(target.parent) and "cannot create a file in the folder" in str(e.value)
    assert target.read_text() == "{}"


def temporary_file(target: Path, pid: str, writer: str | None = None) -> str:
    """The name of a temporary file of a write to target by process pid (of this host, or of writer)."""
    from autograd_lite.core.files import _WRITER, _temp_prefix  # the naming rule itself, to plant one

    return f"{_temp_prefix(target)}{writer or _WRITER}-{pid}-abcd1234.tmp"


# ---- reading ------------------------------------------------------------------------------------------
def saved(tmp_path: Path, parameters: object, version: object = 1, text: str | None = None) -> Path:
    path = tmp_path / "model.json"
    path.write_text(text or json.dumps({"format": FILE_FORMAT, "version": version, "parameters": parameters}))
    return path


def state(model: MLP) -> dict[str, float]:
    return model.state_dict()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"layers.0.neurons.0.w.0": NaN', r"not valid JSON \(NaN is not a number a saved model holds"),
        ('"layers.0.neurons.0.w.0": Infinity', r"not valid JSON \(Infinity is not a number"),
        ('"layers.0.neurons.0.w.0": 1e400', r"not finite: layers.0.neurons.0.w.0=inf"),
        ('"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.w.0": 2.0', r"a key appears twice: 'layers.0"),
    ],
)
def test_load_refuses_non_finite_weights_and_duplicate_keys_and_changes_nothing(
    tmp_path: Path, text: str, message: str
) -> None:
    model = MLP(2, [1], seed=0)
    before = state(model)
    others = ", ".join(f'"{k}": {v!r}' for k, v in before.items() if k != "layers.0.neurons.0.w.0")
    body = f'{{"format": "{FILE_FORMAT}", "version": 1, "parameters": {{{text}, {others}}}}}'
    with pytest.raises(ValueError, match=message):
        model.load(saved(tmp_path, None, text=body))
    assert state(model) == before


@pytest.mark.parametrize("version", [True, 1.0, "1", None])
def test_load_refuses_a_version_that_is_not_an_integer(tmp_path: Path, version: object) -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match=r"its version must be an integer, got "):
        model.load(saved(tmp_path, state(model), version=version))


def test_load_refuses_what_is_not_a_regular_file_without_blocking_or_reading_it(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"'.*fifo' is not a regular file, not a saved model"):
        model.load(fifo)  # a FIFO with no writer: opening it to read would block forever
    zero = tmp_path / "zero"
    zero.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match=r"is not a regular file, not a saved model"):
        model.load(zero)
    with pytest.raises(IsADirectoryError, match=r"is a directory, not a saved model"):
        model.load(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no saved model at '': give the file's path"):
        model.load("")


def test_load_refuses_a_file_larger_than_any_this_model_could_save(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    path = tmp_path / "big.json"
    path.write_text(" " * (2**20 + 10_000) + "{}")
    with pytest.raises(ValueError, match=r"more than a saved model of this size can be"):
        model.load(path)


def test_save_writes_strict_json_and_refuses_a_non_finite_weight_by_name(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    model.save(tmp_path / "ok.json")
    json.loads((tmp_path / "ok.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in the file"))
    model.layers[0].neurons[0].w[1].data = float("nan")
    with pytest.raises(ValueError, match=r"cannot save layers.0.neurons.0.w.1=nan"):
        model.save(tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_load_of_a_mutated_file_either_loads_finite_weights_or_refuses_and_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    model = MLP(2, [2, 1], seed=0)
    model.save(folder / "model.json")
    raw = bytearray((folder / "model.json").read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.sampled_from(list(b'0123456789.-eE+"{}[],:aNI \\\xff')))
        if action == "replace":
            raw[i] = byte
        elif action == "delete":
            del raw[i]
        else:
            raw.insert(i, byte)
    (folder / "model.json").write_bytes(bytes(raw))
    target = MLP(2, [2, 1], seed=5)
    before = state(target)
    try:
        target.load(folder / "model.json")
    except (ValueError, TypeError):
        assert state(target) == before
    else:
        assert all(isinstance(x, float) and x == x and abs(x) != float("inf") for x in state(target).values())


@pytest.mark.e2e
def test_a_save_killed_at_any_moment_leaves_the_old_or_the_new_file_and_no_temporary_one(
    tmp_path: Path,
) -> None:
    target = tmp_path / "model.json"
    script = textwrap.dedent(
        f"""
        from autograd_lite.nn import MLP
        models = [MLP(4, [32, 32, 1], seed=s) for s in (1, 2)]
        i = 0
        while True:
            models[i % 2].save({str(target)!r})
            i += 1
        """
    )
    expected = [MLP(4, [32, 32, 1], seed=s).state_dict() for s in (1, 2)]
    MLP(4, [32, 32, 1], seed=1).save(target)
    rng = random.Random(0)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(0.25 + rng.random() * 0.35)
        process.send_signal(signal.SIGKILL)
        process.wait()
        loaded = MLP(4, [32, 32, 1], seed=9)
        loaded.load(target)
        assert loaded.state_dict() in expected
    MLP(4, [32, 32, 1], seed=1).save(target)  # the next save removes what the killed ones left
    assert temporary_files(tmp_path) == []
