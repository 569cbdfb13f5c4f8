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
