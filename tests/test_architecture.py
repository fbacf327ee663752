"""The package's layers, as docs/architecture.md declares them: no import cycle, no import of a later layer.

The layer table is read from the page itself, so the page and the code cannot drift apart. Every import of a
project module counts, at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import PROJECT

PACKAGE = PROJECT / "include" / "safer_communities"
PAGE = PROJECT / "docs" / "architecture.md"


def layers(page: str = PAGE.read_text(encoding="utf-8")) -> list[tuple[str, list[str]]]:
    """(layer, modules) of each row of the page's layer table, in order; a module by its dotted name in the
    package (``sources.registry``; a package's ``__init__`` by the package's name)."""
    rows = re.findall(r"^\| (\w+) \| ((?:`[\w.]+`(?:, )?)+) \|", page, re.MULTILINE)
    return [(layer, re.findall(r"`([\w.]+)`", modules)) for layer, modules in rows]


def dotted(path: Path) -> str:
    """A module file's dotted name in the package: ``sources/registry.py`` -> ``sources.registry``,
    ``warehouse/__init__.py`` -> ``warehouse``, the package's own ``__init__.py`` -> ``__init__``."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports(path: Path, modules: set[str], name: str | None = None) -> set[str]:
    """The project modules a module imports, anywhere in it: ``from safer_communities.sources import registry``
    is ``sources.registry``; a name that is no module (a class, a function) counts as its module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "safer_communities":
            base = node.module.removeprefix("safer_communities").lstrip(".")
            for alias in node.names:
                member = f"{base}.{alias.name}" if base else alias.name
                found.add(member if member in modules else base)
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("safer_communities.") for a in node.names
                      if a.name.startswith("safer_communities.")}
    return found - {name or path.stem, ""}


def graph() -> dict[str, set[str]]:
    paths = {dotted(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imports(path, set(paths), name) for name, path in paths.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(edges[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_every_module_has_one_layer_on_the_page():
    placed = [module for _, modules in layers() for module in modules]
    assert len(layers()) >= 6
    assert sorted(placed) == sorted(dotted(path) for path in PACKAGE.rglob("*.py"))  # each module, once


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_no_module_imports_a_later_layer():
    rank = {module: number for number, (_, modules) in enumerate(layers()) for module in modules}
    names = [layer for layer, _ in layers()]
    wrong = [f"{module} ({names[rank[module]]}) imports {other} ({names[rank[other]]})"
             for module, others in sorted(graph().items()) for other in sorted(others) if rank[other] > rank[module]]
    assert wrong == []


def test_the_checks_catch_a_cycle_and_a_layer_broken(tmp_path):
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    page = "| one | `a`, `b.c` | x |\n| two | `c` | y |\n"
    assert layers(page) == [("one", ["a", "b.c"]), ("two", ["c"])]
    source = ("from safer_communities.publish import report\n\ndef f():\n"
              "    from safer_communities.warehouse import query\n    import safer_communities.sources.ingest\n")
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    assert imports(path, {"publish.report", "warehouse", "sources.ingest"}) == {
        "publish.report", "warehouse", "sources.ingest"}
