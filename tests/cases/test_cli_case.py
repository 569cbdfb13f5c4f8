"""`bwledger case ...` end to end on a fresh BWLEDGER_HOME (SQLite): errors have stable codes, no tracebacks."""
import json
import re

import pytest
from case_helpers import CLAIMING, RESPONDING, eml_bytes, pdf_bytes
from typer.testing import CliRunner


@pytest.fixture
def home(tmp_path, monkeypatch):
    import base64

    from case_helpers import TEST_KEK

    monkeypatch.setenv("BWLEDGER_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("BWLEDGER_DATABASE_URL", raising=False)
    # the CLI reads the clients' data keys CaseEnv made (its determinations' deposits) with the same KEK
    monkeypatch.setenv("BWLEDGER_DATA_KEK", base64.b64encode(TEST_KEK).decode())
    return tmp_path / "var"


def test_case_commands(home, tmp_path):
    from case_helpers import CaseEnv

    from api.cli import app

    run = CliRunner().invoke
    assert run(app, ["ledger", "init"]).exit_code == 0
    env = CaseEnv.create(f"sqlite:///{home / 'bwledger.db'}", None, home)
    r = env.determination()
    env.store.dispose()
    res = run(app, ["case", "open", str(r.seq), "--as", CLAIMING, "--question", "Wie betaalt?"])
    assert res.exit_code == 0, res.output
    case_id = res.output.split(":")[0]
    res = run(app, ["case", "transition", case_id, "FILED", "--as", CLAIMING])
    assert res.exit_code == 2 and "(TRANSITION_NOT_ALLOWED)" in res.output and "fout: deze stap is" in res.output and "Traceback" not in res.output
    res = run(app, ["case", "transition", case_id, "objected", "--as", CLAIMING, "--position", "x"])
    assert res.exit_code == 2 and "(ACTOR_NOT_ALLOWED)" in res.output
    res = run(app, ["case", "transition", case_id, "OBJECTED", "--as", RESPONDING, "--position", "R7"])
    assert res.exit_code == 0 and "bezwaar gemaakt sinds" in res.output
    (tmp_path / "mail.eml").write_bytes(eml_bytes())
    (tmp_path / "x.txt").write_text("nee")
    res = run(app, ["case", "add-document", case_id, str(tmp_path / "x.txt"), "--as", CLAIMING, "--title", "x"])
    assert res.exit_code == 2 and "(DOCUMENT_TYPE_REFUSED)" in res.output
    res = run(app, ["case", "add-document", case_id, str(tmp_path / "mail.eml"), "--as", CLAIMING, "--title", "Mail",
                    "--date", "2026-11-02"])
    assert res.exit_code == 0, res.output
    sha = res.output.strip().split("sha256 ")[1]
    (tmp_path / "brief.pdf").write_bytes(pdf_bytes())
    assert run(app, ["case", "add-document", case_id, str(tmp_path / "brief.pdf"), "--as", RESPONDING,
                     "--title", "Brief"]).exit_code == 0
    assert run(app, ["case", "transition", case_id, "CONSULTATION", "--as", CLAIMING]).exit_code == 0
    res = run(app, ["case", "transition", case_id, "ESCALATED", "--as", CLAIMING])
    assert res.exit_code == 2 and "PRIOR_ATTEMPTS_MISSING" in res.output
    res = run(app, ["case", "attempt", case_id, "--as", CLAIMING, "--kind", "contactpersonen", "--held-on",
                    "2026-11-02", "--summary", "overleg", "--evidence", sha])
    assert res.exit_code == 0, res.output
    assert run(app, ["case", "transition", case_id, "ESCALATED", "--as", CLAIMING]).exit_code == 0
    res = run(app, ["case", "show", case_id])
    assert res.exit_code == 0 and "overleg contactpersonen → regioadviseur betrokken" in res.output
    assert "termijn bemiddeling regioadviseur (maximaal vier weken): uiterlijk " in res.output
    assert "ESCALATED" not in res.output and not re.search(r"\d{4}-\d{2}-\d{2}", res.output)  # words, Dutch dates
    res = run(app, ["case", "worklist"])
    assert res.exit_code == 0 and case_id in res.output
    assert run(app, ["case", "overdue"]).output.strip().endswith("0 termijn(en) over tijd")
    res = run(app, ["case", "dossier", case_id, str(tmp_path / "d.pdf")])
    assert res.exit_code == 0 and "pagina's" in res.output, res.output
    res = run(app, ["ledger", "verify-bundle", str(tmp_path / "d.pdf")])
    assert res.exit_code == 0 and "0 problemen" in res.output
    res = run(app, ["case", "bundle", case_id, str(tmp_path / "b.json")])
    assert res.exit_code == 0 and run(app, ["ledger", "verify-bundle", str(tmp_path / "b.json")]).exit_code == 0
    res = run(app, ["case", "export-zgw", case_id, str(tmp_path / "z.json")])
    assert res.exit_code == 0 and json.loads((tmp_path / "z.json").read_text())["zaak"]["identificatie"] == case_id
    res = run(app, ["case", "show", "GS-999999"])
    assert res.exit_code == 2 and "fout: geschil niet gevonden" in res.output and "(CASE_NOT_FOUND)" in res.output


def test_case_commands_sign_with_the_partys_own_key(home, tmp_path):
    """No party key is made on the server: a party without a key here signs with its own key file."""
    from case_helpers import CaseEnv

    from api.cli import app
    from ledger.keyfile import new_key_file
    from ledger.service import register_key

    run = CliRunner().invoke
    assert run(app, ["ledger", "init"]).exit_code == 0
    env = CaseEnv.create(f"sqlite:///{home / 'bwledger.db'}", None, home)
    r = env.determination()
    own = new_key_file(tmp_path / "zwolle" / "gm0193.pem", RESPONDING)  # on Zwolle's own machine
    for path in (home / "keys").glob("GM0193.*"):
        path.unlink()  # Zwolle's demo key is not on this server any more
    register_key(env.store, own)
    env.store.dispose()
    res = run(app, ["case", "open", str(r.seq), "--as", RESPONDING, "--question", "Wie betaalt?"])
    assert res.exit_code == 2 and "KEY_REQUIRED" in res.output, res.output
    res = run(app, ["case", "open", str(r.seq), "--as", RESPONDING, "--question", "Wie betaalt?",
                    "--key", str(tmp_path / "zwolle" / "gm0193.pem")])
    assert res.exit_code == 0, res.output
    assert not list((home / "keys").glob("GM0193.*"))


def test_case_show_gives_the_decision_in_dutch(home, tmp_path):
    """`case show` of a decided case: its status, history and the decision (nature, cost bearer per period) in
    words and Dutch dates, not the decision's JSON keys (issue 14)."""
    from datetime import date

    from case_helpers import CaseEnv, attempt_docs

    from api.cli import app
    from cases import service
    from ledger.entries import COMMITTEE

    run = CliRunner().invoke
    assert run(app, ["ledger", "init"]).exit_code == 0
    env = CaseEnv.create(f"sqlite:///{home / 'bwledger.db'}", None, home)
    try:
        r = env.determination()
        v = service.open_case(env.store, env.signer(CLAIMING), r.seq, question="Wie betaalt?")
        service.transition(env.store, env.signer(RESPONDING), v.case_id, "OBJECTED", position="R7")
        service.transition(env.store, env.signer(CLAIMING), v.case_id, "CONSULTATION")
        a, b = attempt_docs(env, v.case_id)
        service.record_attempt(env.store, env.signer(CLAIMING), v.case_id, kind="contactpersonen",
                               held_on=date(2026, 11, 2), summary="overleg", evidence=[a.sha256])
        service.transition(env.store, env.signer(CLAIMING), v.case_id, "ESCALATED")
        service.record_attempt(env.store, env.signer(RESPONDING), v.case_id, kind="regioadviseur",
                               held_on=date(2026, 11, 20), summary="advies", evidence=[b.sha256])
        service.transition(env.store, env.signer(CLAIMING), v.case_id, "FILED")
        service.transition(env.store, env.signer(COMMITTEE), v.case_id, "ADMISSIBILITY")
        service.transition(env.store, env.signer(COMMITTEE), v.case_id, "EXCHANGE")
        service.decide(env.store, env.signer(COMMITTEE), v.case_id, nature="binding_advice", cost_bearers=[
            {"period_from": "2026-01-01", "period_to": "2026-03-31", "cost_bearer": RESPONDING},
            {"period_from": "2026-04-01", "period_to": "2026-06-30", "cost_bearer": CLAIMING, "historical_budget": True}])
    finally:
        env.store.dispose()
    res = run(app, ["case", "show", v.case_id])
    assert res.exit_code == 0, res.output
    out = res.output
    assert f"{v.case_id}: uitspraak gedaan sinds " in out and "uitwisseling stukken → uitspraak gedaan" in out
    assert "  uitspraak: bindend advies van " in out and "kostendrager per periode:" in out
    assert re.search(r"01-01-2026 t/m 31-03-2026  \S.* \(GM\d{4}\), woonplaatsbudget", out), out
    assert re.search(r"01-04-2026 t/m 30-06-2026  \S.* \(GM\d{4}\), historisch budget", out), out
    assert not re.search(r"\d{4}-\d\d-\d\d|binding_advice|cost_bearer|DECIDED", out), out
    res = run(app, ["case", "worklist"])
    assert res.exit_code == 0 and "uitspraak gedaan" in res.output and "DECIDED" not in res.output, res.output
