"""The `ledger` CLI sub-app end to end, and the layering rules for ledger/."""
import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli_ledger import ledger_app
from ledger.service import init_ledger, party_signer, record
from ledger_helpers import cost_line, determination, ref

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("BWLEDGER_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("BWLEDGER_DATABASE_URL", raising=False)
    return tmp_path / "var"


def test_cli_init_verify_export_verify_bundle(home, tmp_path):
    runner = CliRunner()
    r = runner.invoke(ledger_app, ["init"])
    assert r.exit_code == 0, r.output
    store = init_ledger(f"sqlite:///{home / 'bwledger.db'}", home / "keys")
    gm = party_signer(store, home / "keys", "GM0166")
    assert oct((home / "keys").stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in (home / "keys").iterdir())
    det = record(store, gm, "determination", determination(addressee="GM0166"), idempotency_key="d1",
                 client="PSN-cli-001")
    record(store, gm, "cost_line", cost_line(bearer="GM0166", determination=ref(det)), idempotency_key="c1",
           client="PSN-cli-001")
    r = runner.invoke(ledger_app, ["verify", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["ok"], r.output
    out = tmp_path / "gm0166.json"
    r = runner.invoke(ledger_app, ["export", "--party", "GM0166", "--from", "2020-01-01", "--to", "2099-12-31", str(out)])
    assert r.exit_code == 0 and "2 regels van GM0166" in r.output, r.output
    r = runner.invoke(ledger_app, ["verify-bundle", str(out), "--operator-key", store.operator.key_id])
    assert r.exit_code == 0 and "vertrouwd" in r.output and "NIET" not in r.output, r.output
    r = runner.invoke(ledger_app, ["verify-bundle", str(out), "--operator-key", "ab" * 32])
    assert r.exit_code == 1 and "KEY_NOT_TRUSTED" in r.output
    # tampering shows up in `verify` with the sequence number and a non-zero exit
    with store.engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER ledger_entries_no_update")
        c.exec_driver_sql("UPDATE ledger_entries SET client = 'PSN-cli-002' WHERE idempotency_key = 'c1'")
    r = runner.invoke(ledger_app, ["verify"])
    assert r.exit_code == 1 and "COLUMN_MISMATCH" in r.output and "regel 3:" in r.output, r.output
    r = runner.invoke(ledger_app, ["export", "--party", "GM0166", "--from", "2020-13-01", "--to", "x", str(out)])
    assert r.exit_code != 0
    r = runner.invoke(ledger_app, ["export", "--party", "GM9999", "--from", "2020-01-01", "--to", "2099-12-31",
                                   str(tmp_path / "none.json")])  # the one party check: no bundle for GM9999
    assert r.exit_code == 2 and "onbekende gemeentecode GM9999" in r.output and "(PARTY_UNKNOWN)" in r.output
    assert not (tmp_path / "none.json").exists()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_ledger_layering():
    for path in (ROOT / "ledger").rglob("*.py"):
        imported = _imports(path)
        assert not imported & {"api", "cases", "litestar", "pandas"}, path
        if path.name not in ("store.py", "env.py") and "versions" not in path.parts:
            assert "sqlalchemy" not in imported or path.name == "store.py", path
        text = path.read_text()
        assert "TODO" not in text and "FIXME" not in text and "NotImplementedError" not in text, path
