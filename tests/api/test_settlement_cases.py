"""Verrekening and Geschillen: endpoints and pages over the settlement and cases service functions."""
import csv
import io
import json
import re

import pytest

from cases.zgw import zgw_case
from api_helpers import assert_problem, seed_settlement_and_case
from ledger import service
from ledger.settlement import service as settlement_service


@pytest.fixture
def seeded(client):
    return seed_settlement_and_case(client)


def test_settlement_endpoint_is_the_service_settlement(client, seeded):
    r = client.get("/v1/verrekeningen/2026K1")
    assert r.status_code == 200, r.text
    body = r.json()
    expected = settlement_service.settle_quarter(client.app.state.store, "2026K1")
    assert body["digest"] == expected.digest and body["quarter"] == "2026K1" and body["sealed"] is False
    nets = {p["party"]: p["netCents"] for p in body["positions"]}
    assert sum(nets.values()) == 0 and set(nets) == {"GM0148", "GM0166", "GM0193"}
    assert_problem(client.get("/v1/verrekeningen/2026Q5"), 400, "QUARTER_INVALID")


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_statement_downloads(client, seeded, fmt):
    r = client.get(f"/v1/verrekeningen/2026K1/overzichten/GM0166?format={fmt}")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment; filename=") and "GM0166" in \
        r.headers["content-disposition"]
    if fmt == "xlsx":
        assert r.content[:2] == b"PK"
    elif fmt == "csv":
        assert r.content[:3] == b"\xef\xbb\xbf"
        rows = list(csv.reader(io.StringIO(r.content[3:].decode("utf-8")), delimiter=";"))
        assert len(rows) > 2 and any(re.fullmatch(r"-?[\d.]+,\d\d", c) for row in rows for c in row)
    else:
        assert json.loads(r.content)


def test_statement_refusals(client, seeded):
    assert_problem(client.get("/v1/verrekeningen/2026K1/overzichten/GM0166?format=pdf"), 400, "REQUEST_INVALID")
    assert_problem(client.get("/v1/verrekeningen/2026K1/overzichten/COMMITTEE?format=csv"), 400, "REQUEST_INVALID")
    assert_problem(client.get("/v1/verrekeningen/2026K1/overzichten/Kampen?format=csv"), 400, "REQUEST_INVALID")


def test_settlement_page(client, seeded):
    r = client.get("/verrekening", params={"kwartaal": "2026K1"})
    assert r.status_code == 200
    text = re.sub(r"\s+", " ", r.text)
    s = settlement_service.settle_quarter(client.app.state.store, "2026K1")
    zwolle = s.position("GM0193").net_payable_cents
    assert "Kwartaal 2026-K1" in text and "Saldo per gemeente" in text  # shown as 2026-K1, 2026K1 in URLs
    whole, cents = divmod(abs(zwolle), 100)
    assert ("-" if zwolle < 0 else "") + f"€ {whole:,}".replace(",", ".") + f",{cents:02d}" in text
    assert 'href="/v1/verrekeningen/2026K1/overzichten/GM0193?format=xlsx"' in text
    bad = client.get("/verrekening", params={"kwartaal": "volgend jaar"})
    assert bad.status_code == 400 and "QUARTER_INVALID" in bad.text


def test_case_endpoints(client, seeded, tmp_path):
    case_id = seeded["case_id"]
    w = client.get("/v1/geschillen").json()
    assert [d["caseId"] for d in w["disputes"]] == [case_id] and w["disputes"][0]["nextDeadline"]["due"]
    c = client.get(f"/v1/geschillen/{case_id}").json()
    assert c["status"] == "DETERMINED" and c["parties"]["claiming"] == "GM0166" and len(c["events"]) == 1
    assert c["question"] == "Is Zwolle de kostendrager?"
    b = client.get(f"/v1/geschillen/{case_id}/bundel")
    assert b.status_code == 200
    (tmp_path / "case.json").write_bytes(b.content)
    report = service.verify_bundle_file(tmp_path / "case.json",
                                        trusted_operator_keys=[client.app.state.store.operator.key_id])
    assert report.ok, report.problems
    zgw = client.get(f"/v1/geschillen/{case_id}/zgw").json()
    # the same document the CLI writes, with the API's camelCase member names (api/http/camel.py)
    from api.http.camel import camel

    assert zgw == camel(zgw_case(client.app.state.store, case_id)) and zgw
    assert_problem(client.get("/v1/geschillen/GS-999999"), 404, "CASE_NOT_FOUND")
    assert_problem(client.get("/v1/geschillen/GS-999999/zgw"), 404, "CASE_NOT_FOUND")


def test_dossier_download_is_a_pdf_that_carries_its_bundle(client, seeded, tmp_path):
    r = client.get(f"/v1/geschillen/{seeded['case_id']}/dossier")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/pdf")
    assert r.content[:5] == b"%PDF-"
    out = tmp_path / "dossier.pdf"
    out.write_bytes(r.content)
    report = service.verify_bundle_file(out, trusted_operator_keys=[client.app.state.store.operator.key_id])
    assert report.ok and report.entries >= 1


def test_case_pages(client, seeded):
    case_id = seeded["case_id"]
    r = client.get("/geschillen")
    assert r.status_code == 200 and f'href="/geschillen/{case_id}"' in r.text and "Geschillen: open (1)" in r.text
    r = client.get(f"/geschillen/{case_id}")
    text = re.sub(r"\s+", " ", r.text)
    assert r.status_code == 200 and "Is Zwolle de kostendrager?" in text
    assert "beoordeeld (N3 verzonden)" in text and "Verzoekende gemeente</th><td>Kampen (GM0166)" in text
    assert f'href="/v1/geschillen/{case_id}/dossier"' in text and "<h2>Termijnen</h2>" in text
    missing = client.get("/geschillen/GS-999999", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "CASE_NOT_FOUND" in missing.text
