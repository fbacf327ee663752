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
    """(layer, modules) of each row of the page's layer table, in order."""
    rows = re.findall(r"^\| (\w+) \| ((?:`\w+`(?:, )?)+) \|", page, re.MULTILINE)
    return [(layer, re.findall(r"`(\w+)`", modules)) for layer, modules in rows]


def imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules a module imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "safer_communities":
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("safer_communities."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("safer_communities.")}
    return found - {path.stem}


def graph() -> dict[str, set[str]]:
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    return {path.stem: imports(path, modules) for path in PACKAGE.glob("*.py")}


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
    assert sorted(placed) == sorted(path.stem for path in PACKAGE.glob("*.py"))  # each module, once


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
    page = "| one | `a`, `b` | x |\n| two | `c` | y |\n"
    assert layers(page) == [("one", ["a", "b"]), ("two", ["c"])]
    source = "from safer_communities import report\n\ndef f():\n    from safer_communities.warehouse import query\n"
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    assert imports(path, {"report", "warehouse"}) == {"report", "warehouse"}
