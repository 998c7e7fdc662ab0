"""The layout rules of docs/architecture.md: imports point one way between the stages, no cycles, small modules.

Every import counts, at module level, inside functions and under TYPE_CHECKING alike: a type hint that
points the wrong way is still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "assistant"
# A unit may import from units of a lower rank and from itself, nothing else. The foundation (errors,
# types, then config) is below everything; output sits just under briefing and evaluation, which quote
# footnotes and the JSON contract; the ui and the cli are the top. app.py (outside the package) is a top unit.
RANKS: Mapping[str, int] = {
    "errors": 0,
    "types": 0,
    "config": 1,
    "accounts": 1,  # users, roles, sessions, conversations: stored records, no stage below the foundation
    "embedding": 2,
    "index": 3,
    "ingest": 4,
    "retrieval": 5,
    "answering": 6,
    "pipeline": 7,
    "output": 8,
    "briefing": 9,
    "evaluation": 10,  # it scores drafted briefing notes (the briefing labelled set)
    "api": 11,  # the HTTP API's routes: the ui's web app serves them beside the Gradio page
    "ui": 12,
    "cli": 12,
    "__main__": 13,
    "app": 13,
}
# Top-level modules that only re-export a documented import path belong to the unit they re-export.
ALIASES: Mapping[str, str] = {"langchain_retriever": "retrieval"}
MAX_LINES = 400


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # module name, e.g. assistant.ingest.update
    target: str
    line: int
    path: Path

    def describe(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}: {self.source} imports {self.target}"


def modules(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Return every module of `package` under `root` (and root/app.py, if any) by dotted name."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    if (root / "app.py").is_file():
        found["app"] = root / "app.py"
    return found


def imports(known: Mapping[str, Path], package: str = PACKAGE) -> list[Edge]:
    """Return every import of one of `known`'s modules by another, wherever in the file it is written."""
    edges = []
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import sub` names the module pkg.sub when there is one, else names inside pkg.
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names
                ]
            for target in dict.fromkeys(targets):
                if target == package or target.startswith(package + "."):
                    edges.append(Edge(name, _module_of(target, known), node.lineno, path))
    return edges


def _module_of(target: str, known: Mapping[str, Path]) -> str:
    while target not in known and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def unit(module: str, package: str = PACKAGE) -> str:
    """Return the stage a module belongs to: its first name below the package (`assistant.index.store` -> index)."""
    if module == "app":
        return "app"
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "errors"  # the package's own __init__ imports nothing
    return ALIASES.get(name, name)


def wrong_way(edges: Iterable[Edge], ranks: Mapping[str, int] = RANKS) -> list[Edge]:
    """Return the edges from one unit to another that is not below it (or that is not in the table)."""
    bad = []
    for edge in edges:
        a, b = unit(edge.source), unit(edge.target)
        if a != b and not (a in ranks and b in ranks and ranks[b] < ranks[a]):
            bad.append(edge)
    return bad


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """Return each import cycle between modules as the list of modules around it (Tarjan's components)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if edge.source != edge.target:
            graph.setdefault(edge.source, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layout_problems(root: Path) -> list[str]:
    """Return one line per broken rule of the layout under `root`: a wrong-way import, a cycle, an unknown unit."""
    known = modules(root)
    edges = imports(known)
    problems = [
        f"{e.describe(root)} ({unit(e.source)} may not import {unit(e.target)}: see docs/architecture.md)"
        for e in wrong_way(edges)
    ]
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(edges)]
    problems += [f"{name}: unit {unit(name)!r} has no rank in RANKS" for name in known if unit(name) not in RANKS]
    return problems


def test_imports_point_down_the_stages_without_cycles() -> None:
    problems = layout_problems(REPO)
    assert not problems, "\n".join(problems)


def test_every_stage_is_a_package_of_the_table() -> None:
    packages = {p.parent.name for p in (REPO / PACKAGE).glob("*/__init__.py")}
    assert packages == {u for u in RANKS if (REPO / PACKAGE / u).is_dir()}
    assert packages >= {"embedding", "index", "ingest", "retrieval", "answering", "output", "briefing", "evaluation"}


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): n
        for path in (REPO / PACKAGE).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


def _package(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_back_edge_inside_a_function_is_named(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "assistant/__init__.py": "",
            "assistant/types.py": "",
            "assistant/ingest/__init__.py": "",
            "assistant/ingest/update.py": "def f():\n    from assistant.retrieval.retrieve import Retriever\n",
            "assistant/retrieval/__init__.py": "",
            "assistant/retrieval/retrieve.py": "from assistant.types import Chunk\n",
        },
    )
    [problem] = layout_problems(root)
    assert "assistant/ingest/update.py:2: assistant.ingest.update imports assistant.retrieval.retrieve" in problem
    assert "ingest may not import retrieval" in problem


def test_a_cycle_inside_a_stage_is_named(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "assistant/__init__.py": "",
            "assistant/index/__init__.py": "",
            "assistant/index/store.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from assistant.index.milvus_store import MilvusStore\n",
            "assistant/index/milvus_store.py": "from assistant.index import store\n",
        },
    )
    assert layout_problems(root) == ["import cycle: assistant.index.milvus_store -> assistant.index.store"]


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("assistant.index.store", "index"),
        ("assistant.config", "config"),
        ("assistant.langchain_retriever", "retrieval"),
    ],
)
def test_modules_belong_to_their_first_package(module: str, expected: str) -> None:
    assert unit(module) == expected
