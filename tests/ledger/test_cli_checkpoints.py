"""`bwledger ledger vkey`, `ledger consistency OLD NEW` and `ledger export --since-checkpoint` end to end (SQLite):
what a person reads is Dutch, a checkpoint the log never showed fails with exit 1."""
import json

import pytest
from typer.testing import CliRunner

from api.cli_ledger import ledger_app
from ledger import service
from ledger.checkpoints import open_checkpoint_note, sign_checkpoint_note
from ledger.service import init_ledger, party_signer, record
from ledger_helpers import determination


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("BWLEDGER_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("BWLEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("BWLEDGER_LOG_ORIGIN", raising=False)
    return tmp_path / "var"


def test_vkey_consistency_and_since_checkpoint(home, tmp_path):
    runner = CliRunner()
    assert runner.invoke(ledger_app, ["init"]).exit_code == 0
    store = init_ledger(f"sqlite:///{home / 'bwledger.db'}", home / "keys")
    r = runner.invoke(ledger_app, ["vkey"])
    assert r.exit_code == 0 and r.output.startswith(store.origin() + "+"), r.output
    vkey = r.output.strip()
    gm = party_signer(store, home / "keys", "GM0166")
    old = tmp_path / "old.txt"
    old.write_bytes(service.checkpoint_note(store))
    for i in range(3):
        record(store, gm, "determination", determination(addressee="GM0193", determination_id=f"d{i}"),
               idempotency_key=f"d{i}", client="PSN-cli-001")
    new = tmp_path / "new.txt"
    new.write_bytes(service.checkpoint_note(store))
    assert open_checkpoint_note(new.read_bytes(), vkey)[0].tree_size == store.size()
    r = runner.invoke(ledger_app, ["consistency", str(old), str(new)])
    assert r.exit_code == 0, r.output
    assert "in orde: de nieuwe boom bevat de oude ongewijzigd" in r.output and "controlepunt (C2SP-notitie)" in r.output
    r = runner.invoke(ledger_app, ["consistency", "1", str(store.size())])
    assert r.exit_code == 0 and f"consistentie van boomgrootte 1 naar {store.size()}: in orde" in r.output
    # a split view: a note of the old size with another root, signed with the operator's own key
    cp = store.checkpoints()[0]
    forged = tmp_path / "forged.txt"
    forged.write_bytes(sign_checkpoint_note(store.operator, store.origin(), cp.tree_size, bytes(32)))
    r = runner.invoke(ledger_app, ["consistency", str(forged), str(new)])
    assert r.exit_code == 1 and "NIET in orde" in r.output and "(CONSISTENCY_PROOF_INVALID)" in r.output, r.output
    r = runner.invoke(ledger_app, ["consistency", "0", "2"])
    assert r.exit_code == 2 and "(PROOF_RANGE_INVALID)" in r.output
    r = runner.invoke(ledger_app, ["consistency", str(tmp_path / "missing.txt"), "2"])
    assert r.exit_code == 2 and "geen boomgrootte en geen leesbaar bestand" in r.output
    # a bundle with the consistency proof from the party's previous checkpoint, verified offline
    out = tmp_path / "b.json"
    r = runner.invoke(ledger_app, ["export", "--party", "GM0166", "--from", "2020-01-01", "--to", "2099-12-31",
                                   "--since-checkpoint", str(old), str(out)])
    assert r.exit_code == 0 and "consistent met het vorige controlepunt (boomgrootte" in r.output, r.output
    assert json.loads(out.read_text())["since"]["checkpoint"]["note"].encode() == old.read_bytes()
    r = runner.invoke(ledger_app, ["verify-bundle", str(out)])
    assert r.exit_code == 0 and "vorig controlepunt bij boomgrootte" in r.output, r.output
    r = runner.invoke(ledger_app, ["export", "--party", "GM0166", "--from", "2020-01-01", "--to", "2099-12-31",
                                   "--since-checkpoint", str(forged), str(tmp_path / "c.json")])
    assert r.exit_code == 2 and "(CONSISTENCY_PROOF_INVALID)" in r.output
