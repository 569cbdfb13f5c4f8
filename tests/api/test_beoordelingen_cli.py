"""`bwledger rules record | answer | redetermine` (issue 14), on the ledger of BWLEDGER_HOME and with
`--server` against a real `bwledger serve` (which replays every determination on the facts deposited with
it), each party signing with its own key file; `bwledger ledger verify` says when it could not run the
replay (no key-encryption key), never that it passed."""
from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import Server
from party_auth import token_in_database, with_token
from typer.testing import CliRunner

from api.cli import app
from ledger import service
from ledger.crypto import find_signers
from ledger.entries import OPERATOR

BRP = Path(__file__).resolve().parents[1] / "data" / "brp"
KAMPEN, ZWOLLE = "GM0166", "GM0193"
A01 = """[context]
t0 = 2026-01-01

[context.regions.ijssel-vecht]
name = "IJssel-Vecht"
centrumgemeente = "GM0193"
members = ["GM0148", "GM0160", "GM0166", "GM0175", "GM0180", "GM1708", "GM1896", "GM0193"]

[[case]]
id = "A01"
melding = { date = 2026-03-01, gemeente = "GM0166" }
"""
A01_CORRECTED = A01 + 'addresses = [ { gemeente = "GM0166", function = "W", from = 2015-01-01, recorded = 2026-03-20 } ]\n'
runner = CliRunner()
TOKENS: dict[str, str] = {}


def cli(*args):
    result = runner.invoke(app, with_token([str(a) for a in args], TOKENS))
    assert "Traceback" not in result.output, result.output
    return result


def keys(tmp_path, register) -> dict:
    out = {}
    for party in (KAMPEN, ZWOLLE):
        path = tmp_path / party.lower() / "sleutel.pem"
        path.parent.mkdir()
        assert cli("keys", "new", "--party", party, "--out", path).exit_code == 0
        r = cli("keys", "register", "--party", party, "--public-key", f"{path}.pub", *register)
        assert r.exit_code == 0, r.output
        out[party] = path
    return out


def facts(tmp_path, text=A01, name="feiten.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_local_record_answer_redetermine_and_verify(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("BWLEDGER_HOME", str(home))
    monkeypatch.delenv("BWLEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("BWLEDGER_DATA_KEK", raising=False)
    TOKENS.clear()
    assert cli("ledger", "init").exit_code == 0
    k = keys(tmp_path, [])
    r = cli("rules", "record", facts(tmp_path), "--brp", BRP / "A01.json", "--client", "PSN-cli-1", "--as", KAMPEN,
            "--key", k[KAMPEN])
    assert r.exit_code == 0, r.output
    assert "beoordeling (N3) vastgelegd als volgnummer" in r.output and "Zwolle (GM0193)" in r.output
    seq = int(r.output.split("volgnummer ")[1].split(":")[0].split()[0])
    # a bad file: a Dutch message, exit 2, nothing recorded
    bad = cli("rules", "record", facts(tmp_path, "[[case]]\nid = 1\n", "kapot.toml"), "--client", "PSN-cli-1",
              "--as", KAMPEN, "--key", k[KAMPEN])
    assert bad.exit_code == 2 and "fout:" in bad.output
    # the addressee answers; a non-addressee is refused by the ledger
    wrong = cli("rules", "answer", seq, "--as", KAMPEN, "--aanvaarden", "--key", k[KAMPEN])
    assert wrong.exit_code == 1 and "geweigerd: NOT_ENTITLED" in wrong.output
    ok = cli("rules", "answer", seq, "--as", ZWOLLE, "--bezwaar", "geen woonplaats Zwolle", "--key", k[ZWOLLE])
    assert ok.exit_code == 0 and "bezwaar (N4) vastgelegd" in ok.output, ok.output
    # the same facts again: nothing to re-determine
    same = cli("rules", "redetermine", seq, facts(tmp_path), "--brp", BRP / "A01.json", "--aanleiding",
               "brp_correction", "--as", KAMPEN, "--key", k[KAMPEN])
    assert same.exit_code == 1 and "REDETERMINATION_UNCHANGED" in same.output
    new = cli("rules", "redetermine", seq, facts(tmp_path, A01_CORRECTED, "nieuw.toml"), "--aanleiding",
              "brp_correction", "--as", KAMPEN, "--key", k[KAMPEN])
    assert new.exit_code == 0 and "herbeoordeling (N8) vastgelegd" in new.output and "Kampen" in new.output, new.output
    # N5 and its answer
    n5 = cli("handover", "send", "--as", KAMPEN, "--to", ZWOLLE, "--client", "PSN-cli-1", "--redenen", "netwerk",
             "--datum", "2026-12-14", "--key", k[KAMPEN])
    assert n5.exit_code == 0 and "overdrachtsverzoek (N5) vastgelegd" in n5.output, n5.output
    n5_seq = int(n5.output.split("volgnummer ")[1].split()[0])
    bad = cli("handover", "answer", n5_seq, "--as", ZWOLLE, "--overnemen", "--datum", "14-12-2026", "--key", k[ZWOLLE])
    assert bad.exit_code == 2 and "geen datum" in bad.output
    yes = cli("handover", "answer", n5_seq, "--as", ZWOLLE, "--overnemen", "--key", k[ZWOLLE])
    assert yes.exit_code == 0 and "overname (antwoord op N5) vastgelegd" in yes.output, yes.output
    again = cli("handover", "answer", n5_seq, "--as", ZWOLLE, "--afwijzen", "toch niet", "--key", k[ZWOLLE])
    assert again.exit_code == 1 and "geweigerd: IDEMPOTENCY_CONFLICT" in again.output, again.output  # answered once
    v = cli("ledger", "verify")
    assert v.exit_code == 0 and "niet uitgevoerd" not in v.output, v.output
    # an N3 put into the ledger by other means than the server's admission (a store without the deposits),
    # naming another cost bearer than the facts give: verify names it
    import json

    from ledger.keyfile import read_key_file

    store = service.open_ledger(f"sqlite:///{home / 'bwledger.db'}")
    try:
        row = store.get_rows([seq])[seq]
        forged = json.loads(row.statement)["payload"]
        forged["outcome"]["cost_bearer"] = forged["addressee"] = "GM0200"
        bad = service.record(store, read_key_file(k[KAMPEN], None, party=KAMPEN), "determination", forged,
                             idempotency_key="vervalst", client="PSN-cli-1")
    finally:
        store.dispose()
    v = cli("ledger", "verify")
    assert v.exit_code == 1 and f"{bad.seq}" in v.output and "DETERMINATION_REPLAY_MISMATCH" in v.output, v.output
    # without the key-encryption key the replay cannot run: said so, not passed silently
    (home / "keys" / "client-data.kek").rename(tmp_path / "elders.kek")
    v = cli("ledger", "verify")
    assert v.exit_code == 0 and "controle niet uitgevoerd" in v.output and "3 beoordeling(en)" in v.output, v.output


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_over_the_server_each_party_signs_with_its_own_key(tmp_path, backend):
    url, schema = backend
    home = tmp_path / "server"
    home.mkdir()
    service.init_ledger(url, home / "keys", schema=schema).dispose()
    server = Server(home, checkpoint_seconds=0.3, database_url=url, schema=schema)
    try:
        TOKENS.clear()
        TOKENS.update({p: token_in_database(url, p, schema=schema) for p in (OPERATOR, KAMPEN, ZWOLLE)})
        operator_key = find_signers(home / "keys", OPERATOR)[0]
        k = keys(tmp_path, ["--server", server.url, "--key", operator_key])
        r = cli("rules", "record", facts(tmp_path), "--brp", BRP / "A01.json", "--client", "PSN-cli-2", "--as", KAMPEN,
                "--key", k[KAMPEN], "--server", server.url)
        assert r.exit_code == 0 and "beoordeling (N3) vastgelegd" in r.output, r.output
        seq = int(r.output.split("volgnummer ")[1].split(":")[0].split()[0])
        ok = cli("rules", "answer", seq, "--as", ZWOLLE, "--aanvaarden", "--key", k[ZWOLLE], "--server", server.url)
        assert ok.exit_code == 0 and "aanvaarding (N4) vastgelegd" in ok.output and "termijn tot" in ok.output, ok.output
        same = cli("rules", "redetermine", seq, facts(tmp_path), "--brp", BRP / "A01.json", "--aanleiding",
                   "brp_correction", "--as", KAMPEN, "--key", k[KAMPEN], "--server", server.url)
        assert same.exit_code == 1 and "geweigerd: REDETERMINATION_UNCHANGED" in same.output, same.output
        new = cli("rules", "redetermine", seq, facts(tmp_path, A01_CORRECTED, "nieuw.toml"), "--aanleiding",
                  "brp_correction", "--as", KAMPEN, "--key", k[KAMPEN], "--server", server.url)
        assert new.exit_code == 0 and "herbeoordeling (N8) vastgelegd" in new.output, new.output
    finally:
        server.stop_and_verify(url, schema)
