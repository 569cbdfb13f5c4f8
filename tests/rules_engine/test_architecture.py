"""Dependencies point one way (api -> cases -> ledger -> rules); rules/ is pure."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["rules", "ledger", "cases", "api"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("layer", LAYERS)
def test_no_upward_imports(layer):
    higher = set(LAYERS[LAYERS.index(layer) + 1:])
    for f in (ROOT / layer).rglob("*.py"):
        assert not (_imports(f) & higher), f"{f} imports upward: {_imports(f) & higher}"


def test_rules_is_pure():
    banned_modules = {"sqlalchemy", "litestar", "pandas", "os", "requests", "socket", "time", "random", "urllib"}
    for f in (ROOT / "rules").rglob("*.py"):
        src = f.read_text()
        assert not (_imports(f) & banned_modules), f"{f}: {_imports(f) & banned_modules}"
        for needle in ("date.today(", "datetime.now(", "datetime.utcnow(", " open(", "os.environ", "getenv("):
            assert needle not in src, f"{f} uses {needle}"


def _rules_imports(path: Path) -> set[str]:
    """The rules modules `path` imports at run time (imports under `if TYPE_CHECKING:` left out)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(node)}
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, ast.ImportFrom):
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parts + ([node.module] if node.module else []))
        if not base.startswith("rules"):
            continue
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            out.add(candidate if (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() else base)
    return out


def test_the_rules_modules_import_each_other_without_a_circle():
    modules = {".".join(f.relative_to(ROOT).with_suffix("").parts): f for f in (ROOT / "rules").rglob("*.py")}
    graph = {name: {m for m in _rules_imports(f) if m in modules and m != name} for name, f in modules.items()}
    done, path = set(), []

    def visit(name: str) -> None:
        if name in path:
            raise AssertionError("import circle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for nxt in sorted(graph[name]):
            visit(nxt)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert graph["rules.engine"] >= {"rules.orchestrator", "rules.prepared"}  # the graph is read right
