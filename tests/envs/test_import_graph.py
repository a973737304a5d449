"""No import cycles among the ``rl_games.envs`` modules, and a registry that imports no backend.

The graph is read from the source: every ``import`` statement of a module, at the top level or
inside a function (a function-level import still runs, so it counts). Built-in factories are
``module:attr`` strings resolved on first use (``rl_games.envs.catalog``), not imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import rl_games.envs

PACKAGE = "rl_games.envs"
ENVS_DIR = Path(rl_games.envs.__file__).parent


def _module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


def _targets(node: ast.Import | ast.ImportFrom, module: str, submodules: set[str]) -> set[str]:
    """The ``rl_games.envs`` modules one import statement loads (package included)."""
    known = submodules | {PACKAGE}
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    base = node.module or ""
    if node.level:  # relative: resolve against the importing module's package
        parent = module if module == PACKAGE else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            parent = parent.rpartition(".")[0]
        base = f"{parent}.{base}" if base else parent
    found = set()
    for alias in node.names:  # `from pkg import sub` loads sub; `from pkg import name`, pkg
        name = f"{base}.{alias.name}"
        found.add(name if name in submodules else base)
    return found & known


def import_graph(directory: Path = ENVS_DIR) -> dict[str, set[str]]:
    """Module -> the ``rl_games.envs`` modules its import statements load."""
    files = {_module_name(p): p for p in sorted(directory.glob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _targets(node, module, set(files))
        graph[module] = edges - {module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_dag() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_function_level_and_package_imports(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("from rl_games.envs.one import x\n")
    (tmp_path / "one.py").write_text("def f():\n    from rl_games.envs import two\n")
    (tmp_path / "two.py").write_text("from . import one\nimport rl_games.envs\n")
    graph = import_graph(tmp_path)
    assert graph == {
        PACKAGE: {f"{PACKAGE}.one"},
        f"{PACKAGE}.one": {f"{PACKAGE}.two"},
        f"{PACKAGE}.two": {f"{PACKAGE}.one", PACKAGE},
    }
    assert find_cycle(graph) is not None


def test_no_import_cycles_among_the_env_modules() -> None:
    graph = import_graph()
    assert f"{PACKAGE}.registry" in graph and f"{PACKAGE}.catalog" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_registry_imports_no_env_backend() -> None:
    """The registry sits below the backends: they import it, never the reverse."""
    graph = import_graph()
    assert graph[f"{PACKAGE}.registry"] <= {f"{PACKAGE}.base"}
    backends = ["envpool_env", "gymnasium_env", "torch_envs", "toy_envs", "wrappers", "wrap"]
    code = (
        "import sys, rl_games.envs as e; "
        "assert 'TorchCartPole-v1' in e.ENV_CONFIGURATIONS; "
        f"print([m for m in {backends!r} if 'rl_games.envs.' + m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_no_shipped_module_is_named_like_a_test() -> None:
    assert not [p.name for p in ENVS_DIR.glob("test_*.py")]
