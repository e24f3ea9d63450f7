"""The shape of the house, checked from the code's own imports and definitions.

- `relevo.bot` is the ground: it imports nothing above it.
- `relevo.channels.<name>`, `relevo.handoff`, `relevo.nlu` and `relevo.knowledge_base`
  stand side by side above the core and import none of each other (channels may share
  the helpers at the top of `relevo.channels`).
- `relevo.app`, the composition root and CLI, is on top; nothing imports it.
- No import cycles between modules.
- No file over 400 lines; no function over 60 lines unless a `# Long:` comment in it
  says why it must be.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("app", "bot", "channels", "handoff", "nlu", "knowledge_base")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # the importing module, e.g. relevo.channels.slack.events
    target: str  # the imported module or name's module, e.g. relevo.bot.types
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["relevo", *parts])


def _sources() -> Iterator[Path]:
    for folder in FOLDERS:
        yield from sorted((REPO / folder).rglob("*.py"))


def _imports(path: Path) -> Iterator[Import]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                # `from relevo.channels.slack import store` imports a module.
                yield Import(module, f"{base}.{alias.name}", node.lineno)


def _known(target: str, modules: set[str]) -> str | None:
    """The relevo module an import resolves to (a module, or the module a name is in)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


CHANNEL_PACKAGES = frozenset(
    path.parent.name for path in (REPO / "channels").glob("*/__init__.py")
)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "relevo"
    if parts[1] == "channels" and len(parts) > 2 and parts[2] in CHANNEL_PACKAGES:
        return f"channels.{parts[2]}"  # one room per channel package
    return parts[1]


def _allowed(source: str, target: str) -> bool:
    here, there = _layer(source), _layer(target)
    if here == there or there == "bot":
        return True
    if here == "app":
        return True
    # A channel package may use the helpers shared by every channel.
    return here.startswith("channels") and there == "channels"


@pytest.fixture(scope="module")
def graph() -> dict[str, list[Import]]:
    modules = {_module_name(path) for path in _sources()}
    edges: dict[str, list[Import]] = {name: [] for name in modules}
    for path in _sources():
        for found in _imports(path):
            target = _known(found.target, modules)
            if target is not None and target != found.module:
                edges[found.module].append(Import(found.module, target, found.line))
    return edges


def test_no_import_runs_up_or_sideways(graph: dict[str, list[Import]]) -> None:
    wrong = [
        f"{edge.module}:{edge.line} imports {edge.target}"
        for edges in graph.values()
        for edge in edges
        if not _allowed(edge.module, edge.target)
    ]
    assert not wrong, "\n" + "\n".join(wrong)


def test_no_import_cycle(graph: dict[str, list[Import]]) -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for edge in graph[module]:
            # A package's __init__ handing on its own submodules' names is not a cycle.
            if edge.target.startswith(module + "."):
                continue
            if state.get(edge.target) == 1:
                cycles.append([*path[path.index(edge.target):], edge.target])
            elif edge.target not in state:
                visit(edge.target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_files_are_small() -> None:
    big = [
        f"{path.relative_to(REPO)}: {lines} lines"
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    ]
    assert not big, "\n" + "\n".join(big)


def test_functions_are_short_or_say_why() -> None:
    long_ones: list[str] = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            end = node.end_lineno or node.lineno
            length = end - node.lineno + 1
            body = lines[node.lineno - 1 : end]
            if length > MAX_FUNCTION_LINES and not any("# Long:" in line for line in body):
                long_ones.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length})")
    assert not long_ones, "\n" + "\n".join(long_ones)


def test_nothing_imports_the_composition_root(graph: dict[str, list[Import]]) -> None:
    up = [
        f"{edge.module}:{edge.line}"
        for edges in graph.values()
        for edge in edges
        if _layer(edge.target) == "app" and _layer(edge.module) != "app"
    ]
    assert not up, "\n" + "\n".join(up)
