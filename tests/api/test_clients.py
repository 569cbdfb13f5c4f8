"""`bwledger clients pseudonym|erase` and POST /v1/clienten/pseudoniemen (issue 12, "Privacy by construction"):
the one place a BSN is accepted, never from argv, never logged; the deployment secrets outside the
database (0600 files made on first use, or their settings); the erasure from the command line."""
from __future__ import annotations

import base64
import logging
import stat
from datetime import date
from pathlib import Path

import pytest
from api_helpers import assert_problem
from typer.testing import CliRunner

from api import bootstrap, compose
from api.access.secrets import SecretUnavailable, data_kek, pseudonym_secret
from api.cli import app
from api.settings import load_settings

VALID, INVALID = "111222333", "111222334"
runner = CliRunner()


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {"BWLEDGER_HOME": str(home), "BWLEDGER_DATABASE_URL": f"sqlite:///{home / 'bwledger.db'}",
            "BWLEDGER_PSEUDONYM_SECRET": "", "BWLEDGER_DATA_KEK": "", "BWLEDGER_DATABASE_SCHEMA": "", **extra}


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


# ------------------------------------------------------------------------------------- pseudonym
def test_cli_reads_the_bsn_from_stdin_and_prints_only_the_pseudonym(tmp_path):
    r = runner.invoke(app, ["clients", "pseudonym"], input=VALID + "\n", env=_env(tmp_path))
    assert r.exit_code == 0, r.output
    line = r.stdout.strip()
    assert line.startswith("PSN-") and len(line) == 43 and "\n" not in line
    assert VALID not in r.output
    secret = tmp_path / "keys" / "pseudonym.secret"
    assert _mode(secret) == 0o600 and _mode(secret.parent) == 0o700  # made on first use, private
    again = runner.invoke(app, ["clients", "pseudonym"], input=f"  {VALID}  \n", env=_env(tmp_path))
    assert again.stdout.strip() == line  # the same secret: the same pseudonym
    other = runner.invoke(app, ["clients", "pseudonym"], input=VALID + "\n",
                          env=_env(tmp_path / "elders", BWLEDGER_PSEUDONYM_SECRET="een-ander-geheim-van-20"))
    assert other.exit_code == 0 and other.stdout.strip() != line
    assert not (tmp_path / "elders" / "keys" / "pseudonym.secret").exists()  # the setting, no file


def test_cli_refuses_an_invalid_bsn_in_dutch_and_never_takes_it_from_argv(tmp_path):
    r = runner.invoke(app, ["clients", "pseudonym"], input=INVALID + "\n", env=_env(tmp_path))
    assert r.exit_code == 1 and "geweigerd: BSN_INVALID: " in r.output and "elfproef" in r.output
    assert INVALID not in r.output and "PSN-" not in r.output
    argv = runner.invoke(app, ["clients", "pseudonym", VALID], input="", env=_env(tmp_path))
    assert argv.exit_code == 2 and "PSN-" not in argv.output  # no argument: a usage error
    short = runner.invoke(app, ["clients", "pseudonym"], input=VALID + "\n",
                          env=_env(tmp_path, BWLEDGER_PSEUDONYM_SECRET="kort"))
    assert short.exit_code == 2 and "te kort" in short.output


def test_endpoint_answers_the_pseudonym_the_cli_prints_and_never_logs_the_bsn(client, settings, caplog):
    caplog.set_level(logging.DEBUG)
    r = client.post("/v1/clienten/pseudoniemen", json={"bsn": VALID})
    assert r.status_code == 200, r.text
    expected = compose.client_pseudonym(bootstrap.pseudonym_secret(settings), VALID)
    assert r.json() == expected and expected["pseudonym"].startswith("PSN-")
    cli = runner.invoke(app, ["clients", "pseudonym"], input=VALID + "\n", env=_env(settings.home))
    assert cli.stdout.strip() == expected["pseudonym"]  # one deployment, one secret, one pseudonym
    body = assert_problem(client.post("/v1/clienten/pseudoniemen", json={"bsn": INVALID}), 422, "BSN_INVALID")
    assert "elfproef" in body["detail"] and INVALID not in str(body)
    for bad in (b"{", b'"111222333"', b'{"bsn": "111222333", "naam": "x"}', b'{"bsn": 111222333}'):
        res = client.post("/v1/clienten/pseudoniemen", content=bad, headers={"content-type": "application/json"})
        problem = assert_problem(res, 400, "REQUEST_INVALID")
        assert "111222333" not in str(problem)
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert VALID not in logged and INVALID not in logged
    operations = {op["operationId"] for p in client.get("/v1/openapi.json").json()["paths"].values()
                  for op in p.values() if isinstance(op, dict) and "operationId" in op}
    assert "makePseudonym" in operations


def test_secrets_come_from_their_settings_or_private_files(tmp_path):
    s = load_settings(_env(tmp_path))
    kek = data_kek(s)
    assert len(kek) == 32 and data_kek(s) == kek and _mode(s.data_kek_file) == 0o600
    assert pseudonym_secret(s) != kek  # two secrets, two files
    given = base64.b64encode(bytes(range(32))).decode()
    assert data_kek(load_settings(_env(tmp_path / "b", BWLEDGER_DATA_KEK=given))) == bytes(range(32))
    for bad in ("geen-base64!", base64.b64encode(b"kort").decode()):
        with pytest.raises(SecretUnavailable):
            data_kek(load_settings(_env(tmp_path / "c", BWLEDGER_DATA_KEK=bad)))
    s.data_kek_file.chmod(0o644)  # readable by others: refused, not used
    with pytest.raises(SecretUnavailable) as exc:
        data_kek(s)
    assert "chmod 600" in str(exc.value)
    assert given not in repr(load_settings(_env(tmp_path, BWLEDGER_DATA_KEK=given)))  # never in a log line


# ----------------------------------------------------------------------------------------- erase
def test_cli_erase_then_the_dossier_is_gewist_and_the_ledger_verifies(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cases"))
    from case_helpers import pdf_bytes

    from cases import service as cases
    from cases.dossier import dossier_filename, render_dossier
    from ledger import service

    env = _env(tmp_path)
    s = load_settings(env)
    store = bootstrap.init_store(s)
    signer = lambda p: service.party_signer(store, s.keys_dir, p)  # noqa: E731
    from real_determinations import Recorder

    real = Recorder(store, bootstrap.determination_deposits(s, store))  # the facts deposited, as the CLI does
    det = real.record(signer("GM0166"), "GM0193", idempotency_key="det-erase", client="PSN-cli-erase")
    v = cases.open_case(store, signer("GM0166"), det.seq, question="Wie betaalt?")
    docs = bootstrap.client_documents(s, store)
    cases.add_document(store, docs, v.case_id, filename="brief.pdf", data=pdf_bytes("Brief"), title="Brief",
                       author_party="GM0166", document_date=date(2026, 11, 2))
    s.outputs_dir.mkdir(mode=0o700, exist_ok=True)
    out = render_dossier(store, docs, v.case_id, s.outputs_dir / dossier_filename(v.case_id)).path
    store.dispose()
    assert _mode(s.data_kek_file) == 0o600

    r = runner.invoke(app, ["clients", "erase", "PSN-cli-erase", "--reason", "bewaartermijn verstreken",
                            "--by", "beheer:test"], env=env)
    assert r.exit_code == 0, r.output
    assert "gegevens van cliënt PSN-cli-erase gewist op " in r.output and "door beheer:test" in r.output
    assert f"uitvoer verwijderd: {out}" in r.output and not out.exists()
    verify = runner.invoke(app, ["ledger", "verify"], env=env)
    assert verify.exit_code == 0, verify.output
    dossier = runner.invoke(app, ["case", "dossier", v.case_id, str(tmp_path / "d.pdf")], env=env)
    assert dossier.exit_code == 2 and "CLIENT_ERASED" in dossier.output and "gegevens gewist" in dossier.output
    assert "Traceback" not in dossier.output
    unknown = runner.invoke(app, ["clients", "erase", "PSN-onbekend-1", "--reason", "AVG-verzoek"], env=env)
    assert unknown.exit_code == 1 and "geweigerd: CLIENT_UNKNOWN: " in unknown.output


def test_the_dossier_endpoint_answers_410_gegevens_gewist_after_an_erasure(client):
    from api_helpers import seed_settlement_and_case

    seeded = seed_settlement_and_case(client)
    state, case_id = client.app.state, seeded["case_id"]
    from cases import service as cases

    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(png, "PNG")
    cases.add_document(state.store, state.documents, case_id, filename="scan.png", data=png.getvalue(),
                       title="Scan", author_party="GM0166", document_date=date(2026, 11, 2))
    assert client.get(f"/v1/geschillen/{case_id}/dossier").status_code == 200
    before = client.get("/v1/verrekeningen/2026K1").json()
    done = compose.erase_client(state.store, state.documents, "PSN-seed-1", by="beheer:test", reason="AVG-verzoek")
    # the exhibit, and the facts and the trail of the client's determination deposited with it
    assert done["cases"] == [case_id] and done["documents_removed"] == 3
    body = assert_problem(client.get(f"/v1/geschillen/{case_id}/dossier"), 410, "CLIENT_ERASED")
    assert "gegevens gewist" in body["detail"]
    assert client.get("/v1/verrekeningen/2026K1").json() == before
    assert client.get("/v1/grootboek/controle").json()["ok"] is True
