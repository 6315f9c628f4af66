"""The import structure the layout promises, checked from the source.

Why a test: layering is what lets a reader understand one layer without the
ones above it, and it decays one convenient import at a time. Every import
statement (function-local ones too) of every module is read with `ast`,
resolved to the module it names, and held to the rules:

- models/ imports nothing of implementations/ or checker/; implementations/
  nothing of checker/; neither imports the public facade (`stmcheck` itself);
- the core of checker/ (history, linearizability, explore, native, matrix,
  the API) imports no front end: not the CLI, not the benchmarks, not the
  renderers; the renderers import no CLI or benchmark;
- there is no import cycle between modules.
"""

from __future__ import annotations

import ast
import os

import networkx as nx
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = ("models", "implementations", "checker")
FRONT_ENDS = ("stmcheck.checker.cli", "stmcheck.checker.bench", "stmcheck.checker.report", "stmcheck.checker.gate")


def _modules() -> dict:
    """dotted module name -> (path, is_package) for every module of the package."""
    out = {"stmcheck": (os.path.join(ROOT, "__init__.py"), True)}
    for layer in LAYERS:
        for folder, _, files in os.walk(os.path.join(ROOT, layer)):
            for f in files:
                if not f.endswith(".py"):
                    continue
                rel = os.path.relpath(os.path.join(folder, f), ROOT)[:-3].split(os.sep)
                is_pkg = rel[-1] == "__init__"
                name = "stmcheck." + ".".join(rel[:-1] if is_pkg else rel)
                out[name] = (os.path.join(folder, f), is_pkg)
    return out


MODULES = _modules()


def _imports(name: str) -> set:
    """The package modules `name` imports (a `from X import y` counts X, and X.y when y is a module)."""
    path, is_pkg = MODULES[name]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "stmcheck"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "stmcheck":
                continue
            out.add(target)
            out |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES}
    return {m for m in out if m in MODULES and m != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _breaches(rule) -> list:
    return sorted(f"{a} imports {b}" for a, targets in GRAPH.items() for b in targets if rule(a, b))


def test_every_layer_has_modules():
    for layer in LAYERS:
        assert any(_under(m, f"stmcheck.{layer}") for m in MODULES), layer
    assert {"stmcheck.checker.cli", "stmcheck.checker.api", "stmcheck.checker.explore.engine"} <= set(MODULES)


def test_lower_layers_do_not_import_upper_ones():
    def rule(a, b):
        if _under(a, "stmcheck.models"):
            return b == "stmcheck" or not _under(b, "stmcheck.models")
        if _under(a, "stmcheck.implementations"):
            return b == "stmcheck" or _under(b, "stmcheck.checker")
        return False
    assert _breaches(rule) == []


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_the_core_imports_no_front_end(front_end):
    def rule(a, b):
        if not _under(b, front_end) or _under(a, front_end) or not _under(a, "stmcheck.checker"):
            return False
        if _under(a, "stmcheck.checker.cli"):
            return False                       # the CLI may use renderers and benchmarks
        if _under(a, "stmcheck.checker.bench"):
            return _under(b, "stmcheck.checker.cli")
        if _under(a, "stmcheck.checker.report"):
            return not _under(b, "stmcheck.checker.report")
        if _under(a, "stmcheck.checker.gate"):     # the pytest gate prints reports as the CLI does
            return not _under(b, "stmcheck.checker.report")
        return True
    assert _breaches(rule) == []


def test_nothing_below_the_facade_imports_it():
    assert _breaches(lambda a, b: b == "stmcheck" and a != "stmcheck") == []


def test_no_import_cycles():
    graph = nx.DiGraph([(a, b) for a, targets in GRAPH.items() for b in targets
                        if not (MODULES[a][1] and _under(b, a))])   # a package importing its own modules
    cycles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_the_checker_is_seen():
    """The walker must see the imports it judges (a rule over an empty graph passes vacuously)."""
    assert "stmcheck.checker.history.criteria" in GRAPH["stmcheck.checker.explore.engine"]
    assert "stmcheck.checker.api" in GRAPH["stmcheck.checker.cli.explore"]
    assert "stmcheck.models.machine" in GRAPH["stmcheck.implementations.tl2"]


def test_every_c_source_is_shipped_with_its_package():
    """Each C file is built at first use from the installed package: a package holding one must
    list `*.c` in pyproject's package-data, or an installed copy silently loses the C code."""
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        setuptools = tomllib.load(f)["tool"]["setuptools"]
    shipped = setuptools["package-data"]
    for package in setuptools["packages"]:
        folder = os.path.join(ROOT, *package.split(".")[1:])
        sources = [n for n in os.listdir(folder) if n.endswith(".c")]
        if sources:
            assert "*.c" in shipped.get(package, ()), (package, sources)
