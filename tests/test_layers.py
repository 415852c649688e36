"""What each layer may import (issue 6), read from the source with ``ast``.

The arrows run one way: pages -> ui -> viz -> optimizers, surfaces.

- ``optimizers/`` and ``surfaces/`` are the maths: the standard library and
  NumPy only (``surfaces/formula.py`` may also use SymPy to differentiate a
  student's formula); never Streamlit or Plotly, and never the layers above.
- ``viz/`` builds figures and links from plain data: no Streamlit, and nothing
  from ``ui/`` or the pages, so it runs (and is tested) without a server.
- ``ui/`` is the Streamlit glue; it may import Streamlit, never a page.
- ``app_pages/`` place widgets and figures and do no algebra: no NumPy, no
  Plotly (figures come ready-made from ``viz`` through ``ui``), no trajectory
  runs and no surface evaluations.
- ``app.py`` is a router: Streamlit only, plus ``ui.turns`` (each run waits for
  its turn) and ``ui.gcfreeze`` (after the first run, freeze the process's objects).

Imports are found anywhere in a file (inside functions too), relative imports
are resolved, and ``importlib.import_module("...")`` / ``__import__("...")``
with a literal name count as imports.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"optimizers", "surfaces", "viz", "ui", "app_pages", "app"}
STDLIB = set(sys.stdlib_module_names)

# Which project packages each layer may import (itself included).
MAY_IMPORT = {
    "optimizers": {"optimizers"},
    "surfaces": {"surfaces"},
    "viz": {"viz", "optimizers", "surfaces"},
    "ui": {"ui", "viz", "optimizers", "surfaces"},
    "app_pages": {"ui", "viz", "optimizers", "surfaces"},
    "app": set(),
}
# Single project modules a layer may import beyond MAY_IMPORT (``from ui.turns import turn``).
MAY_IMPORT_MODULES = {"app": {"ui.turns", "ui.gcfreeze", "ui.chrome"}}  # chrome: the sidebar, drawn last
# Third-party packages: a whitelist for the maths and the router, a blacklist above them.
THIRD_PARTY_ONLY = {
    "optimizers": {"numpy"},
    "surfaces": {"numpy"},
    "surfaces/formula.py": {"numpy", "sympy"},
    "app": {"streamlit"},
}
THIRD_PARTY_NEVER = {
    "viz": {"streamlit"},
    "ui": set(),
    "app_pages": {"numpy", "plotly", "sympy", "scipy", "pandas"},
}
# Calls that are algebra, not layout: not in a page.
ALGEBRA_CALLS = {("optimizers", "run"), ("*", "value"), ("*", "grad")}


def layer_of(rel: str) -> str:
    return "app" if rel == "app.py" else rel.split("/")[0]


def imported(rel: str, source: str) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in ``source``, relative ones resolved."""
    package = rel.split("/")[:-1]
    out = []
    for node in ast.walk(ast.parse(source, filename=rel)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                parts = base + (node.module.split(".") if node.module else [])
                out.append((node.lineno, ".".join(parts) or "."))
            else:
                out.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in ("__import__", "import_module"):
                out.append((node.lineno, node.args[0].value))
    return out


def algebra(source: str, rel: str) -> list[tuple[int, str]]:
    """Trajectory runs and surface evaluations called in ``source``."""
    out = []
    for node in ast.walk(ast.parse(source, filename=rel)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "optimizers":
            out += [(node.lineno, f"from {node.module} import {a.name}") for a in node.names
                    if a.name == "run" or node.module == "optimizers.run"]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value.id if isinstance(node.func.value, ast.Name) else "*"
            for want_owner, attr in ALGEBRA_CALLS:
                if node.func.attr == attr and want_owner in ("*", owner):
                    out.append((node.lineno, f"{owner}.{attr}(...)"))
    return out


def violations(rel: str, source: str) -> list[str]:
    """Every import or call in file ``rel`` that its layer may not make, as readable lines."""
    layer = layer_of(rel)
    found = []
    for line, module in imported(rel, source):
        top = module.split(".")[0]
        if top in STDLIB or top == "":
            continue
        where = f"{rel}:{line} imports {module}"
        if top in PROJECT:
            if top not in MAY_IMPORT[layer] and module not in MAY_IMPORT_MODULES.get(layer, ()):
                found.append(f"{where}: {layer} may import only {sorted(MAY_IMPORT[layer]) or 'no project code'}")
            continue
        only = THIRD_PARTY_ONLY.get(rel, THIRD_PARTY_ONLY.get(layer))
        if only is not None and top not in only:
            found.append(f"{where}: {layer} may import only {sorted(only)} beyond the standard library")
        if top in THIRD_PARTY_NEVER.get(layer, set()):
            found.append(f"{where}: never in {layer}")
    if layer == "app_pages":
        found += [f"{rel}:{line} calls {what}: algebra belongs in ui/viz, not in a page"
                  for line, what in algebra(source, rel)]
    return found


def project_files() -> dict[str, list[str]]:
    files: dict[str, list[str]] = {layer: [] for layer in MAY_IMPORT}
    for layer in MAY_IMPORT:
        if layer == "app":
            files["app"] = ["app.py"]
        else:
            files[layer] = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / layer).rglob("*.py"))
    return files


@pytest.mark.parametrize("layer", list(MAY_IMPORT))
def test_each_layer_imports_only_what_it_may(layer):
    files = project_files()[layer]
    assert files, f"no files found for layer {layer}"
    found = [v for rel in files for v in violations(rel, (ROOT / rel).read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)


def test_the_scan_sees_real_imports():
    """Not vacuous: the scan finds the imports each layer is known to make."""
    def tops(rel):
        return {m.split(".")[0] for _, m in imported(rel, (ROOT / rel).read_text(encoding="utf-8"))}

    assert {"numpy"} <= tops("optimizers/base.py")
    assert {"numpy", "plotly", "optimizers"} <= tops("viz/figures.py")
    assert {"viz"} <= tops("viz/tables.py")  # from .figures import ..., resolved
    assert {"streamlit", "viz"} <= tops("ui/chrome.py")
    assert {"streamlit", "ui", "viz"} <= tops("app_pages/playground.py")
    assert tops("app.py") == {"streamlit", "ui"}


# --- the checker itself: each rule fires, and only where it should ---------------------------

@pytest.mark.parametrize("rel, source", [
    ("viz/x.py", "import streamlit as st"),
    ("viz/x.py", "from streamlit.runtime import caching"),
    ("viz/x.py", "def f():\n    from ui import cache\n"),
    ("viz/x.py", "import importlib\nimportlib.import_module('streamlit')"),
    ("viz/x.py", "__import__('app_pages.playground')"),
    ("optimizers/x.py", "import plotly.graph_objects as go"),
    ("optimizers/x.py", "from viz import figures"),
    ("optimizers/x.py", "import surfaces"),
    ("optimizers/x.py", "import torch"),
    ("surfaces/x.py", "import sympy"),
    ("surfaces/x.py", "import streamlit"),
    ("surfaces/sub/x.py", "from ...viz import figures"),
    ("ui/x.py", "from app_pages import playground"),
    ("app_pages/x.py", "import numpy as np"),
    ("app_pages/x.py", "import plotly.express as px"),
    ("app_pages/x.py", "import optimizers\ntr = optimizers.run(opt, s, (0, 0), 10)"),
    ("app_pages/x.py", "from optimizers import get, run"),
    ("app_pages/x.py", "loss = s.value([0.0, 0.0])"),
    ("app_pages/x.py", "g = surfaces.get('bowl').grad([[0.0, 0.0]])"),
    ("app.py", "import numpy"),
    ("app.py", "from ui import chrome"),
    ("app.py", "from ui import turns, chrome"),
    ("app.py", "import ui.cache"),
])
def test_the_checker_catches(rel, source):
    assert violations(rel, source), f"{rel}: {source!r} should not pass"


@pytest.mark.parametrize("rel, source", [
    ("surfaces/formula.py", "import sympy as sp\nimport numpy as np\nimport ast, math, re"),
    ("optimizers/x.py", "from __future__ import annotations\nimport math\nimport numpy as np\nfrom .base import Spec"),
    ("viz/x.py", "from .figures import Path\nimport plotly.graph_objects as go\nimport optimizers, surfaces"),
    ("ui/x.py", "import streamlit as st\nfrom viz import figures\nfrom . import cache"),
    ("app_pages/x.py", "import streamlit as st\nfrom ui import cache, chrome\nimport optimizers\n"
                       "optimizers.spec('sgd').label\nst.plotly_chart(cache.contour(sc.link, 400, None))"),
    ("app.py", "import streamlit as st"),
    ("app.py", "import streamlit as st\nfrom ui.turns import turn"),
])
def test_the_checker_allows(rel, source):
    assert violations(rel, source) == []
