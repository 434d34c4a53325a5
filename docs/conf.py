"""Sphinx configuration of the documentation site; ``make docs`` builds it into build/docs/html.

The source directory is the repository, so that each file is written once where it is: the pages in docs/
(the README's guide and the changelog are included from it), and the notebooks in notebooks/, shown with
the outputs they were committed with. The API reference comes from the docstrings (autodoc).

The build is strict: with ``-W -n`` any warning fails it, a broken cross-reference included, and the checks
below add warnings for a public name that is shown without a docstring, public module data (a constant, a
type alias) without a ``#:`` doc comment, and a name in a documented module's ``__all__`` that no page
documents.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import os
import re
import sys
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import autograd_lite
from autograd_lite.core.ops import TABLE
from autograd_lite.tools import cli

# The public modules: each sets its objects' __module__ to its own name (autograd_lite/_public.py), so the
# pages document them, and signatures link them, under the path users import them from. All are imported
# before any page is read, so that every page sees those paths.
PUBLIC = [
    "autograd_lite",
    "autograd_lite.nn",
    "autograd_lite.optim",
    "autograd_lite.optim.lr_scheduler",
    "autograd_lite.losses",
    "autograd_lite.train",
    "autograd_lite.data",
    "autograd_lite.plots",
    "autograd_lite.viz",
    "autograd_lite.testing",
    "autograd_lite.testing.graphs",
    "autograd_lite.testing.strategies",
]
for _public in PUBLIC:
    importlib.import_module(_public)

project = "autograd-lite"
author = "The autograd-lite developers"
copyright = f"2026, {author}"
release = version = autograd_lite.__version__

# myst_nb brings myst_parser for the Markdown pages. sphinx-mathjax-offline copies the MathJax it ships into
# the site's _static and points mathjax_path there: the maths renders with no network, as the rest does.
extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "sphinx-mathjax-offline", "myst_nb"]
root_doc = "docs/index"
include_patterns = ["docs/**", "notebooks/*.ipynb"]
exclude_patterns = [".*", "build", "dist", "demo-output", "**/.ipynb_checkpoints"]  # not even walked through
templates_path = ["_templates"]
# The site's own styles (the op table's layout), found from this file: tests/test_docs.py builds its small
# sites with this configuration, from other directories.
html_static_path = [os.path.join(os.path.dirname(__file__), "_static")]
html_css_files = ["site.css"]
nitpicky = True  # every cross-reference must resolve, those in signatures included
# Without intersphinx (the build needs no network) names from the standard library and from other
# packages cannot resolve; they are the only ones let through. Built-in types resolve by themselves.
nitpick_ignore_regex = [
    ("py:class", r"(argparse|collections\.abc|contextlib|numbers|os|pathlib|types)\.\w+"),
    ("py:class", r"(graphviz|hypothesis|matplotlib|numpy|torch)(\.\w+)+"),
    ("py:class", r"(autograd_lite\.core\.node\.)?N"),  # the graph walk's type variable: a Value or a subclass
]

autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
autodoc_type_aliases = {"Figure": "matplotlib.figure.Figure"}  # imported only for type checking
python_use_unqualified_type_names = True  # signatures say Value, linked to autograd_lite.Value

myst_enable_extensions = ["dollarmath"]  # $...$ in the notebooks' text is math, as in Jupyter
nb_execution_mode = "off"  # the notebooks show the outputs they were committed with (`make notebooks`)
# fit()'s progress bar is a widget in a notebook; the page shows its text form, as a code host does,
# rather than load the widget's scripts from another site.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

html_theme = "pydata_sphinx_theme"
html_title = f"autograd-lite {release}"
html_theme_options = {"github_url": "https://github.com/autograd-lite/autograd-lite"}
html_sidebars = {f"docs/{page}": [] for page in ("index", "guide", "changelog")}  # no pages under them
html_additional_pages = {"index": "redirect.html"}  # the site's address leads to docs/index.html

logger = logging.getLogger(__name__)
# The README links the repository's files by their addresses on the code host, so that the package index
# shows its pictures and its links lead somewhere; the site reads them as paths in the repository, as the
# include options in docs/guide.md expect: its own copy of each picture, and its own page for each notebook.
_README_ADDRESSES = {
    "https://raw.githubusercontent.com/autograd-lite/autograd-lite/main/": "",
    "https://github.com/autograd-lite/autograd-lite/blob/main/notebooks/": "notebooks/",
}


# How Sphinx 9 writes a name of autodoc_type_aliases inside another type (``type[Figure]``), for want of
# turning it into the name it stands for, as it does for a name on its own.
_ALIAS_IN_A_TYPE = re.compile(r"TypeAliasForwardRef\('([\w.]+)'\)")
# What Python gives a NamedTuple field for a docstring when it has none.
_NAMEDTUPLE_FIELD = re.compile(r"Alias for field number \d+")


def _warn(message: str, *args: Any, location: str) -> None:
    logger.warning(message, *args, location=location, type="autograd_lite", subtype="docstring")


def _where(module: str, fullname: str) -> str:
    """Where to fix a documented object: its source line, or for an attribute its class's."""
    found: Any = sys.modules[module]
    where = f"{found.__file__}:1"
    for part in fullname.split("."):
        found = inspect.unwrap(getattr(found, part, None))
        with contextlib.suppress(TypeError, OSError):
            source = found.fget if isinstance(found, property) else found
            where = f"{inspect.getsourcefile(source)}:{inspect.getsourcelines(source)[1]}"
    return where


def require_descriptions(app: Sphinx, domain: str, objtype: str, content: addnodes.desc_content) -> None:
    """Warn (an error under -W) for a Python object that the pages show with nothing said about it.

    This looks at what the page shows rather than at docstrings, since autodoc gives no docstring event
    for an attribute without one (a dataclass field, say). A class's members are described on their own.
    """
    own = [child for child in content.children if not isinstance(child, (addnodes.desc, addnodes.index))]
    text = " ".join(child.astext() for child in own).strip()
    signature = content.parent[0]
    name = signature.get("fullname", "")
    public = domain == "py" and not name.rsplit(".", 1)[-1].startswith("_")
    if public and (not text or _NAMEDTUPLE_FIELD.fullmatch(text)):
        _warn(
            "%s %s.%s is public but has no docstring: say in a line or two what it is and why",
            objtype,
            signature["module"],
            name,
            location=_where(signature["module"], name),
        )


def require_module_docs(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Warn for a module without a docstring and, where its members are documented, for each public
    module-level name assigned in it (a constant, a type alias) without a ``#:`` doc comment: autodoc
    shows module data only with one, so it would be left out silently."""
    if what != "module":
        return
    if not "".join(lines).strip():
        _warn("module %s has no docstring", name, location=f"{obj.__file__}:1")
    if not getattr(options, "members", None):
        return
    public = getattr(obj, "__all__", None)
    documented = ModuleAnalyzer.for_module(name).attr_docs
    for statement in ast.parse(inspect.getsource(obj)).body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        else:
            continue
        for target in targets:
            for node in ast.walk(target):
                if (
                    isinstance(node, ast.Name)
                    and not node.id.startswith("_")
                    and (public is None or node.id in public)
                    and ("", node.id) not in documented
                ):
                    _warn(
                        "%s.%s is public but has no doc comment: write one above it, starting with #:",
                        name,
                        node.id,
                        location=f"{obj.__file__}:{statement.lineno}",
                    )


def require_exports_documented(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn for a name in the ``__all__`` of a documented module that no page documents, under that name or
    where it is defined: pages that list their objects one by one cannot leave a public one out."""
    documented = set(env.domains.python_domain.objects)
    for module_name in env.domains.python_domain.modules:
        module = sys.modules[module_name]
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            home = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
            if f"{module_name}.{name}" not in documented and home not in documented:
                _warn(
                    "%s.%s is public but no page documents it",
                    module_name,
                    name,
                    location=f"{module.__file__}:1",
                )


def read_readme_links_locally(app: Sphinx, path: os.PathLike[str], docname: str, content: list[str]) -> None:
    """Turn the README's addresses of repository files back into paths as a page includes it."""
    if os.fspath(path) == "README.md":
        for address, local in _README_ADDRESSES.items():
            content[0] = content[0].replace(address, local)


def read_reexported_doc_comments(app: Sphinx) -> None:
    """Give each public module's source analyzer the ``#:`` doc comments of the layers' modules that hold
    its objects. autodoc reads the doc comments of a class's attributes, and of module data, from the source
    of the module that ``__module__`` names (for module data, the module being documented): for a public
    module, a file of imports. The analyzers are cached, so autodoc then finds the comments there."""
    layers = tuple(f"autograd_lite.{layer}." for layer in ("core", "learning", "testing", "tools"))
    for name in PUBLIC:
        public = sys.modules[name]
        analyzer = ModuleAnalyzer.for_module(name)
        analyzer.analyze()
        for home_name, home in sorted(sys.modules.items()):
            holds = (getattr(home, export, None) is getattr(public, export) for export in public.__all__)
            if home_name.startswith(layers) and any(holds):
                source = ModuleAnalyzer.for_module(home_name)
                source.analyze()
                analyzer.attr_docs = {**source.attr_docs, **analyzer.attr_docs}
                analyzer.annotations = {**source.annotations, **analyzer.annotations}
                analyzer.tagorder = {**source.tagorder, **analyzer.tagorder}


def name_aliases_in_types(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, signature: str | None, annotation: str | None
) -> tuple[str | None, str | None]:
    """Write a type alias inside a type as the name it stands for: ``type[matplotlib.figure.Figure]``."""
    if signature is not None:
        signature = _ALIAS_IN_A_TYPE.sub(r"\1", signature)
    if annotation is not None:
        annotation = _ALIAS_IN_A_TYPE.sub(r"\1", annotation)
    return signature, annotation


class CommandHelp(SphinxDirective):
    """``.. command-help:: [COMMAND]``: what ``autograd-lite [COMMAND] --help`` prints, so that the page
    says what the command itself says."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        printed = io.StringIO()
        columns = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "80"  # argparse wraps the help to the width of the terminal
        try:
            with contextlib.redirect_stdout(printed), contextlib.suppress(SystemExit):
                cli.main([*self.arguments, "--help"])
        finally:
            if columns is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = columns
        text = printed.getvalue().rstrip()
        return [nodes.literal_block(text, text, language="text")]


class OpTable(SphinxDirective):
    """``.. op-table::``: every op of ``autograd_lite.core.ops.TABLE``, read from the table itself, so that
    the page lists what the code has. Three columns, to fit the page's column (docs/_static/site.css): the
    op as it is written (its method's call, or its name), what it computes and where it is defined, and the
    PyTorch module of an activation."""

    def run(self) -> list[nodes.Node]:
        head = ("op", "computes", "PyTorch module")
        group = nodes.tgroup("", *(nodes.colspec(colwidth=1) for _ in head), cols=len(head))
        group += nodes.thead(
            "", nodes.row("", *(nodes.entry("", nodes.paragraph("", name)) for name in head))
        )
        body = nodes.tbody()
        for op in TABLE:
            params = ", ".join(f"{name}={default}" for name, default in op.params)
            computes = [nodes.paragraph("", op.doc)]
            if op.domain:
                computes.append(
                    nodes.paragraph("", "", nodes.emphasis("", "domain: "), nodes.Text(op.domain))
                )
            module: list[nodes.Node] = []
            if op.activation:
                arguments = ", ".join(f"{k}={v!r}" for k, v in op.activation.arguments.items())
                module = [self.code(f"nn.{op.activation.torch}({arguments})")]
            row = nodes.row()
            row += nodes.entry("", self.code(f"x.{op.name}({params})" if op.method else op.name))
            row += nodes.entry("", *computes)
            row += nodes.entry("", *module)
            body += row
        group += body
        return [nodes.table("", group, classes=["op-table"])]

    @staticmethod
    def code(text: str) -> nodes.paragraph:
        """``text`` in code font, which may break after an opening bracket (``nn.LeakyReLU(`` on one line,
        ``negative_slope=0.01)`` on the next) as well as at a space, so that a long call fits its column."""
        literal = nodes.literal()
        for i, part in enumerate(re.split(r"(?<=\()", text)):
            if i:
                literal += nodes.raw("", "<wbr>", format="html")
            literal += nodes.Text(part)
        return nodes.paragraph("", "", literal)


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", read_reexported_doc_comments)
    app.connect("autodoc-process-signature", name_aliases_in_types)
    app.connect("object-description-transform", require_descriptions)
    app.connect("autodoc-process-docstring", require_module_docs)
    app.connect("env-check-consistency", require_exports_documented)
    app.connect("include-read", read_readme_links_locally)
    app.add_directive("command-help", CommandHelp)
    app.add_directive("op-table", OpTable)
