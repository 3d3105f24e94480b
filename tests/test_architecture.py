"""The one-way house: siting's layers import only downward, models never import siting.

Every import counts, type-only ones (``if TYPE_CHECKING:``) and function-local ones included.
A new module must be given its layer here; ARCHITECTURE.md describes the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]

#: siting's layers, lowest first; a module may import modules of its own layer or lower ones.
#: A name stands for the module and, for a package, everything inside it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("siting._base", "siting._errors", "siting.findings", "siting.text_files",
              "siting.messages")),
    ("loading", ("siting.walking_time", "siting.datum", "siting.projection",
                 "siting.coordinates", "siting.catalog",
                 "siting.tier_rules", "siting.city_targets", "siting.demand_list",
                 "siting.scenario", "siting.plan_edits", "siting.inputs")),
    ("network", ("siting.walk_filter", "siting.osm", "siting.streets", "siting.network",
                 "siting.scenario_streets", "siting.coverage_rows")),
    ("planning", ("siting.ranking", "siting.tier_goals", "siting.targets", "siting.capacity",
                  "siting.what_it_takes", "siting.context", "siting.tier_status",
                  "siting.planning", "siting.target_costs")),
    ("results", ("siting.plan_model", "siting.phase_progress", "siting.target_results",
                 "siting.demand_answers", "siting.notices", "siting.capacity_results",
                 "siting.assemble",
                 "siting.plan_diff")),
    ("report", ("siting.output_folder", "siting.report", "siting.outputs")),
    ("interface", ("siting.api", "siting.compare", "siting.diff_command", "siting.cli",
                   "siting")),
)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> Iterator[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            # ``from . import x`` may name a submodule.
            yield from (f"{module}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """siting module → the siting modules it imports (siting.models left out: a leaf)."""
    modules = {_module_name(p, REPO): p for p in sorted((REPO / "siting").rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path, name) if m in modules and m != name}
    return graph


def layer_of(module: str) -> int:
    """Index of ``module``'s layer in `LAYERS`; the longest matching name wins."""
    best, index = -1, -1
    for i, (_, names) in enumerate(LAYERS):
        for n in names:
            if (module == n or module.startswith(n + ".")) and len(n) > best:
                best, index = len(n), i
    return index


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in import_graph() if layer_of(m) < 0)
    assert unplaced == [], f"give these modules a layer in tests/test_architecture.py: {unplaced}"


def test_imports_go_downward_only() -> None:
    upward = sorted(
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {dep} ({LAYERS[layer_of(dep)][0]})"
        for module, deps in import_graph().items() for dep in deps
        if layer_of(dep) > layer_of(module)
    )
    assert upward == []


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (as a closed path), or ``[]``."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_no_import_cycles() -> None:
    graph = import_graph()
    # A package's __init__ re-exporting its modules is not a cycle of the code itself.
    assert find_cycle({m: {d for d in deps if not m.startswith(d + ".")}
                       for m, deps in graph.items()}) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []


@pytest.mark.parametrize("path", sorted((REPO / "models").rglob("*.py")), ids=str)
def test_models_never_import_siting(path: Path) -> None:
    name = "siting." + _module_name(path, REPO)  # installed as siting.models
    outside = sorted(m for m in _imports(path, name)
                     if m.startswith("siting") and not m.startswith("siting.models"))
    assert outside == [], f"{path} imports {outside}: models must know nothing of siting"


def test_array_aliases_are_defined_once() -> None:
    """FloatArray, IntArray and BoolArray live in models/arrays.py and nowhere else."""
    import re

    pattern = re.compile(r"^(FloatArray|IntArray|BoolArray)\s*=", re.MULTILINE)
    defined = sorted(
        str(p.relative_to(REPO)) for folder in ("siting", "models", "benchmarks")
        for p in (REPO / folder).rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))
    )
    assert defined == ["models/arrays.py"]


def test_mypy_sees_the_models_as_siting_models() -> None:
    """mypy reads ``models/`` as ``siting.models`` through ``typecheck/`` (see its README)."""
    import tomllib

    link = REPO / "typecheck" / "siting" / "models"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "models").resolve()
    mypy = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert "typecheck/siting/models" in mypy["files"]
    assert "typecheck" in mypy["mypy_path"]


def private_imports(path: Path) -> list[str]:
    """``siting`` imports of ``path`` that reach a private module or name (leading ``_``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [(node.module or "", alias.name) for alias in node.names]
        else:
            continue
        for module, name in names:
            parts = [*module.split("."), *([name] if name else [])]
            if parts[0] == "siting" and any(p.startswith("_") for p in parts):
                found.append(f"{path.name}:{node.lineno} {'.'.join(parts)}")
    return found


def test_tests_import_only_public_names() -> None:
    """Tests use siting's public API: no ``siting._x`` / ``siting.models._x`` module and no
    ``_private`` name (export what a test needs, or test through the public entry point)."""
    found = [hit for p in sorted((REPO / "tests").glob("*.py")) for hit in private_imports(p)]
    assert found == []


def test_the_private_import_check_finds_private_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import siting._errors\nfrom siting.models import _milp\n"
                     "from siting.models.pmedian.solve import _prepare, pmedian\n"
                     "from siting import plan\nimport numpy._core\n", encoding="utf-8")
    assert private_imports(probe) == ["probe.py:1 siting._errors",
                                      "probe.py:2 siting.models._milp",
                                      "probe.py:3 siting.models.pmedian.solve._prepare"]
