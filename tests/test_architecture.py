"""The package's structure: no module reaches into another's private names (underscored: its own business);
each public object names the public module users import it from.

Read from the source with ``ast``: a module may import and use another module's public names only, and an
attribute with a leading underscore (``node._fn``) only where the module that owns it (defines it, in a
class body, ``__slots__`` or an assignment) is the one reading it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from types import FunctionType
from typing import TypeVar

PACKAGE = Path(__file__).resolve().parents[1] / "autograd_lite"
MODULES = sorted(PACKAGE.rglob("*.py"))
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}
LAYERS = ("core", "learning", "tools")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def owned(tree: ast.Module) -> set[str]:
    """The private names a module defines: functions, classes, slots, and attributes it assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return {n for n in names if private(n)}


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    own = owned(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and (
            node.level or (node.module or "").startswith("autograd_lite")
        ):
            found += [f"{where} imports {a.name}" for a in node.names if private(a.name)]
        elif isinstance(node, ast.Attribute) and private(node.attr) and node.attr not in NAMEDTUPLE_API:
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if node.attr not in own:
                found.append(f"{where} reads {ast.unparse(node)}")
    return found


def test_the_check_sees_a_private_import_and_a_private_attribute_of_another_module(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text("from .engine import _DONE\nfrom . import engine\nx = engine._mode\ny = object()._fn\n")
    assert [v.split(" ", 1)[1] for v in violations(bad)] == [
        "imports _DONE",
        "reads engine._mode",
        "reads object()._fn",
    ]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_from(importer: str, package: bool, node: ast.ImportFrom) -> str:
    """The module an import names, its relative dots resolved against the importing module's name."""
    if not node.level:
        return node.module or ""
    name = importer.split(".")
    base = (name if package else name[:-1])[: len(name) - (not package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def layer(module: str) -> str:
    """A module's layer: core, learning, testing or tools; a public module (autograd_lite.nn) its own."""
    return ".".join(module.split(".")[:2])


def reaches_across_layers(importer: str, source: str, package: bool = False) -> list[str]:
    """The names a module's source imports from another layer that the module there does not offer in
    its __all__ (a submodule, or a star import, is fine)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom):
            continue
        target = imported_from(importer, package, node)
        if not target.startswith("autograd_lite.") or layer(target) == layer(importer):
            continue
        module = importlib.import_module(target)
        offered = getattr(module, "__all__", None)
        for alias in node.names:
            submodule = hasattr(module, "__path__") and importlib.util.find_spec(f"{target}.{alias.name}")
            if offered is not None and alias.name not in (*offered, "*", "__all__") and not submodule:
                found.append(f"{importer}:{node.lineno} imports {alias.name} from {target}")
    return found


def test_a_layer_uses_only_what_a_module_of_another_layer_offers_in_its_all() -> None:
    """Helpers the core's modules share among themselves (peek, add_pass, math_error) are the core's own:
    another layer imports only what a module lists in __all__."""
    found = [
        v
        for path in MODULES
        for v in reaches_across_layers(module_name(path), path.read_text(), path.name == "__init__.py")
    ]
    assert found == [], "\n".join(found)
    probe = "from ...core.graph import Step, add_pass\nfrom ..node import describe\n"
    assert reaches_across_layers("autograd_lite.tools.viz.probe", probe) == [
        "autograd_lite.tools.viz.probe:1 imports add_pass from autograd_lite.core.graph"
    ]
    assert (
        reaches_across_layers("autograd_lite.core.probe", "from .node import describe\n") == []
    )  # the core's own


def test_no_module_uses_another_modules_private_names() -> None:
    found = [v for path in MODULES for v in violations(path)]
    assert found == [], "\n".join(found)


def public_modules() -> list[str]:
    """The modules users import (autograd_lite, .nn, .optim, .optim.lr_scheduler, ...): all but the layers'
    and the private ones."""
    names = []
    for path in MODULES:
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if parts[1:2] and (parts[1] in LAYERS or parts[-1].startswith("_")):
            continue
        names.append(".".join(parts))
    return names


def test_each_public_class_and_function_names_the_module_users_import_it_from() -> None:
    assert {"autograd_lite", "autograd_lite.nn", "autograd_lite.optim.lr_scheduler"} <= set(public_modules())
    wrong = []
    for name in public_modules():
        module = importlib.import_module(name)
        for export in module.__all__:
            obj = getattr(module, export)
            if isinstance(obj, type | FunctionType | TypeVar) and obj.__module__ != name:
                wrong.append(f"{name}.{export} says it is {obj.__module__}.{export}")
    assert wrong == [], "\n".join(wrong)
