"""Locations of a SAFETY_CONFIDENTIAL client (spec 8.7, case E40) are shown only to the parties that need
them (ledger/confidential_locations.py), end to end over HTTP on SQLite and PostgreSQL.

E40: woonadres Terneuzen (GM0715) until 2026-01-14, from 2026-01-15 in a vrouwenopvang in Middelburg
(GM0687, the meldgemeente); BW from 2026-04-01 in Goes (GM0664) on the Zeeland contract of Vlissingen
(GM0718). Terneuzen pays. The determination raises SAFETY_CONFIDENTIAL, so: the N1 and the cost lines
carry no clear location (refused otherwise: LOCATION_CONFIDENTIAL), the N1 is in the listing and bundle
of Vlissingen (placing) and Goes and the region (host), not in those of Terneuzen (cost bearer) or an
auditor; statements and the dossier show "vertrouwelijk". A second client placed the same way without
the flag is the control: its location is shown to the cost bearer, so the searches below can fail."""
from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from api_helpers import as_json, assert_problem, logged_in
from litestar.testing import TestClient
from pypdf import PdfReader
from real_determinations import Recorder

from api.compose import case_from_text
from api.http import create_app
from api.settings import Settings
from cases import service as cases_service
from ledger import service
from ledger.confidential_locations import MASK, mask_facts, mask_trail
from ledger.settlement import service as settlement_service
from ledger.settlement.costlines import Placement
from rules.engine import determine

ROOT = Path(__file__).resolve().parents[2]
E40 = ROOT.parent / "shared" / "casebook" / "woonplaats_chain.toml"
PLACING, BEARER, HOST, MELD, OTHER = "GM0718", "GM0715", "GM0664", "GM0687", "GM0166"
REGION = "RG:zeeland"
CLIENT, CONTROL = "PSN-e40-vrouwenopvang", "PSN-e40-controle"
#: what the placing party knows of the place (its own records); it must never reach the ledger
PLACE = "Goes, Vluchthaven De Linde"
CONTROL_PLACE = "Goes, Woonvorm Het Anker"
#: how a reader could learn where the client is: the place, the host municipality's code and name
SECRETS = (PLACE, HOST, "Goes")


def _e40():
    facts, ctx = case_from_text(E40.read_text(encoding="utf-8"), "toml", "E40")
    return determine(facts, ctx), facts


def _control_text() -> str:
    """E40 without the vrouwenopvang (casebook JSON, E40's own context): the woonadres stays in Terneuzen, so
    Terneuzen pays and nothing raises SAFETY_CONFIDENTIAL."""
    import tomllib

    raw = tomllib.loads(E40.read_text(encoding="utf-8"))
    [case] = [c for c in raw["case"] if c["id"] == "E40"]
    case = {k: v for k, v in case.items() if k not in ("stays", "expect", "title")}
    case["addresses"] = [{k: v for k, v in case["addresses"][0].items() if k != "to"}]
    return json.dumps({"context": raw["context"], "case": [case]}, default=str)


@pytest.fixture
def client(backend, tmp_path):
    url, schema = backend
    settings = Settings(home=tmp_path, database_url=url, database_schema=schema, checkpoint_seconds=0)
    with TestClient(create_app(settings)) as c:
        yield logged_in(c)


def _as(client, party: str, roles: tuple[str, ...] | None = None) -> dict:
    return {"Authorization": f"Bearer {client.auth.token(party, roles)}"}


def _ref(r) -> dict:
    return {"seq": r.seq, "entry_hash": r.entry_hash.hex()}


def _n1(location: str, **kw) -> dict:
    return {"placing_party": PLACING, "host_region": REGION, "host_municipality": HOST, "cost_bearer": BEARER,
            "location": location, "start_date": "2026-04-01", "contract_used": "zeeland-bw-2022",
            "legal_basis": "pseudoniem", **kw}


def _statements(body: dict) -> list[str]:
    return [base64.b64decode(e["statement"]).decode() for e in body["entries"]]


def seed(client) -> dict:
    """The E40 determination (the engine's, SAFETY_CONFIDENTIAL raised) by Middelburg, its N1 by Vlissingen
    over HTTP, its placement booked as cost lines for 2026K2; the control client the same without the flag."""
    store, keys = client.app.state.store, client.app.state.settings.keys_dir

    def signer_for(p):
        return service.party_signer(store, keys, p)

    det, facts = _e40()
    assert "SAFETY_CONFIDENTIAL" in det.flag_names and det.cost_bearer == BEARER and det.legal_college == MELD
    real = Recorder.of_app(client.app)  # recorded as `bwledger rules record` does, the facts deposited
    conf_det = real.record_case(signer_for(MELD), E40, "E40", idempotency_key="e40-det", client=CLIENT)
    control_det = real.record_text(signer_for(MELD), _control_text(), "E40", fmt="json",
                                   idempotency_key="e40-control-det", client=CONTROL)
    control = json.loads(store.get_rows([control_det.seq])[control_det.seq].statement)["payload"]
    assert control["flags"] == [] and control["outcome"]["cost_bearer"] == BEARER, control
    vlissingen = signer_for(PLACING)
    # the N1 with the clear place is refused, with "vertrouwelijk" admitted (rule set 2026-12-03)
    refused = service.sign_statement(vlissingen, "placement_notice", _n1(PLACE), idempotency_key="e40-n1-clear",
                                     client=CLIENT)
    problem = assert_problem(client.post("/v1/grootboek/regels", json=as_json(refused)), 422, "LOCATION_CONFIDENTIAL")
    assert PLACE not in json.dumps(problem)
    ok = service.sign_statement(vlissingen, "placement_notice", _n1(MASK), idempotency_key="e40-n1", client=CLIENT)
    posted = client.post("/v1/grootboek/regels", json=as_json(ok))
    assert posted.status_code == 201
    n1 = {"seq": posted.json()["seq"], "entry_hash": posted.json()["entryHash"]}
    control = service.sign_statement(vlissingen, "placement_notice", _n1(CONTROL_PLACE), idempotency_key="e40-n1-c",
                                     client=CONTROL)
    assert client.post("/v1/grootboek/regels", json=as_json(control)).status_code == 201
    # the placing party books its placement with the place it knows: the ledger gets "vertrouwelijk"
    settlement_service.book_placements(store, signer_for, [
        Placement("pl-e40", CLIENT, PLACING, BEARER, "15B02", date(2026, 4, 1), date(2026, 6, 30), location=PLACE,
                  status="provisional", determination=_ref(conf_det)),
        Placement("pl-e40-c", CONTROL, PLACING, BEARER, "15B02", date(2026, 4, 1), date(2026, 6, 30),
                  location=CONTROL_PLACE, determination=_ref(control_det)),
    ], until=date(2026, 6, 30))
    signer_for(OTHER)
    # the host acknowledges the N1 (an entry of Goes that refers to it, and concerns Vlissingen)
    service.record(store, signer_for(HOST), "acknowledgement", {"notice": n1}, idempotency_key="e40-ack",
                   client=CLIENT)
    return {"det": conf_det, "engine": det, "facts": facts, "n1": n1}


def _listing(client, party: str, viewer: str, roles=None) -> dict:
    r = client.get("/v1/grootboek/regels", params={"party": party, "from": "2026-01-01"}, headers=_as(client, viewer, roles))
    assert r.status_code == 200, r.text
    return r.json()


def _confidential(rows: list[dict]) -> list[dict]:
    return [e for e in rows if e["client"] == CLIENT]


def test_e40_locations_only_for_the_parties_that_need_them(client):
    seed(client)
    store = client.app.state.store
    # nothing signed in the ledger holds the clear place of the confidential client
    raw = b"".join(r.statement for r in store.rows_where())
    assert PLACE.encode() not in raw and CONTROL_PLACE.encode() in raw

    # the cost bearer: its cost lines, "vertrouwelijk"; no N1, no host municipality
    bearer = _listing(client, BEARER, BEARER)
    mine = _confidential(bearer["entries"])
    assert {e["kind"] for e in mine} == {"determination", "cost_line"}
    lines = [e for e in mine if e["kind"] == "cost_line"]
    assert len(lines) == 3 and {e["payload"]["location"] for e in lines} == {MASK}
    text = json.dumps(mine)
    assert not [s for s in SECRETS if s in text]
    # ... while the control client's place and N1 are shown to it (so the search above could fail)
    ctrl = [e for e in bearer["entries"] if e["client"] == CONTROL]
    assert "placement_notice" in {e["kind"] for e in ctrl} and CONTROL_PLACE in json.dumps(ctrl)

    # the placing party and the host see the N1 (the host municipality is theirs to know)
    for party in (PLACING, HOST):
        rows = _confidential(_listing(client, party, party)["entries"])
        n1 = [e for e in rows if e["kind"] == "placement_notice"]
        assert len(n1) == 1 and n1[0]["payload"]["host_municipality"] == HOST, party
        assert n1[0]["payload"]["location"] == MASK
    # an auditor reading the placing party's entries: no N1 of the confidential client
    audited = _confidential(_listing(client, PLACING, "COMMITTEE", ("auditor",))["entries"])
    assert audited and "placement_notice" not in {e["kind"] for e in audited}
    assert not [s for s in SECRETS if s in json.dumps(audited)]

    # bundles (signed bytes, verbatim): the cost bearer's and the auditor's carry no N1 of the client
    q = {"from": "2026-01-01"}
    b = client.get("/v1/grootboek/bundel", params={"party": BEARER, **q}, headers=_as(client, BEARER))
    assert b.status_code == 200
    conf_statements = [s for s in _statements(b.json()) if CLIENT in s]
    assert conf_statements and not [x for x in SECRETS for s in conf_statements if x in s]
    assert any(CONTROL_PLACE in s for s in _statements(b.json()))
    a = client.get("/v1/grootboek/bundel", params={"party": PLACING, **q}, headers=_as(client, "COMMITTEE", ("auditor",)))
    assert not [s for s in _statements(a.json()) if CLIENT in s and '"placement_notice"' in s]
    own = client.get("/v1/grootboek/bundel", params={"party": PLACING, **q}, headers=_as(client, PLACING))
    assert [s for s in _statements(own.json()) if CLIENT in s and '"placement_notice"' in s]
    assert service.verify_bundle_file  # the bundles stay verifiable: checked below on the file

    # the ledger page of the cost bearer
    page = client.get("/grootboek", params={"partij": BEARER, "van": "2026-01-01"}, headers=_as(client, BEARER))
    assert page.status_code == 200 and CONTROL_PLACE in page.text
    assert PLACE not in page.text

    # the cost bearer's statement of 2026K2 (JSON and CSV): the confidential lines read "vertrouwelijk"
    for fmt in ("json", "csv"):
        r = client.get(f"/v1/verrekeningen/2026K2/overzichten/{BEARER}?format={fmt}", headers=_as(client, BEARER))
        assert r.status_code == 200, r.text
        assert PLACE not in r.text and CONTROL_PLACE in r.text
    lines = list(csv.reader(io.StringIO(client.get(f"/v1/verrekeningen/2026K2/overzichten/{BEARER}?format=csv",
                                                   headers=_as(client, BEARER)).text), delimiter=";"))
    assert any(CLIENT in row and MASK in row for row in lines)


def test_e40_bundles_still_verify(client, tmp_path):
    """Left out with the N1: the host's acknowledgement of it, in the bundle an auditor reads of the placing
    party, so the N1 does not come back as a reference; every bundle still verifies."""
    n1 = seed(client)["n1"]["seq"]
    for party, viewer, holds_n1 in ((BEARER, BEARER, False), (PLACING, "COMMITTEE", False), (PLACING, PLACING, True),
                                    (HOST, HOST, True)):
        roles = ("auditor",) if viewer == "COMMITTEE" else None
        r = client.get("/v1/grootboek/bundel", params={"party": party, "from": "2026-01-01"},
                       headers=_as(client, viewer, roles))
        seqs = {e["seq"] for e in r.json()["entries"]}
        assert (n1 in seqs) is holds_n1, (party, viewer)
        kinds = {json.loads(s)["kind"] for s in _statements(r.json()) if CLIENT in s}
        assert ("acknowledgement" in kinds) is (holds_n1 and party == PLACING) or party == HOST, (party, viewer)
        out = tmp_path / f"bundle-{party}-{viewer}.json"
        out.write_bytes(r.content)
        report = service.verify_bundle_file(out)
        assert report.ok, report.problems


def test_e40_dossier_shows_no_location(client):
    seeded = seed(client)
    store, state = client.app.state.store, client.app.state
    keys = state.settings.keys_dir
    v = cases_service.open_case(store, service.party_signer(store, keys, MELD), seeded["det"].seq,
                                question="Is de vrouwenopvang een aangewezen instelling?",
                                position="R7: de keten loopt door de vrouwenopvang naar Terneuzen")
    facts = seeded["facts"].model_dump(mode="json", by_alias=True, exclude={"person"})
    facts["bw_episodes"] = [{"legal_college": MELD, "cost_bearer": BEARER, "location": HOST, "budget": "woonplaats",
                             "from": "2026-04-01"}]
    cases_service.attach_evidence(store, state.documents, v.case_id, determination=seeded["engine"].to_dict(),
                                  facts=facts)
    r = client.get(f"/v1/geschillen/{v.case_id}/dossier", headers=_as(client, BEARER))
    assert r.status_code == 200, r.text[:300]
    reader = PdfReader(io.BytesIO(r.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert re.search(r"verblijf\s+vrouwenopvang", text) and MASK in text  # the type stays (womens_shelter, in
    # words): the dispute is about its designation
    assert "Goes" not in text and HOST not in text
    assert f"woonadres {MELD} in instelling" not in text  # the trail's R3 finding names no shelter place
    for name, content in reader.attachments.items():
        blob = content[0].decode()
        assert HOST not in blob and PLACE not in blob, name
    case_bundle = client.get(f"/v1/geschillen/{v.case_id}/bundel", headers=_as(client, BEARER))
    assert case_bundle.status_code == 200
    assert not [s for s in _statements(case_bundle.json()) if '"placement_notice"' in s]


def test_masking_of_facts_and_trail_keeps_the_rest():
    det, facts = _e40()
    f = facts.model_dump(mode="json", by_alias=True, exclude={"person"})
    masked = mask_facts(f)
    assert [a["gemeente"] for a in masked["addresses"]] == [BEARER, MASK]
    assert [s["gemeente"] for s in masked["stays"]] == [MASK] and masked["stays"][0]["type"] == "womens_shelter"
    trail = mask_trail(det.to_dict(), f)
    r3 = next(s for s in trail["trail"] if s["rule"] == "R3")
    assert MELD not in r3["finding"] and MASK in r3["finding"]
    r7 = next(s for s in trail["trail"] if s["rule"] == "R7")
    assert BEARER in r7["finding"]  # the woonplaats before the shelter is no secret of the client's place


def test_a_place_signed_before_the_flag_is_masked_for_whoever_does_not_need_it(client):
    """A cost line booked with its place before a re-determination raised SAFETY_CONFIDENTIAL: its author (the
    fronting party) still reads it; the cost bearer and an auditor read "vertrouwelijk" in the listing and the
    statements. What remains: the signed line itself, verbatim in the cost bearer's bundle."""
    store, keys = client.app.state.store, client.app.state.settings.keys_dir
    legacy = "PSN-e40-later-bekend"

    def signer_for(p):
        return service.party_signer(store, keys, p)

    real = Recorder.of_app(client.app)  # first without the vrouwenopvang, then it becomes known (an N8)
    first = real.record_text(signer_for(MELD), _control_text(), "E40", fmt="json", idempotency_key="later-det",
                             client=legacy)
    settlement_service.book_placements(store, signer_for, [
        Placement("pl-later", legacy, PLACING, BEARER, "15B02", date(2026, 4, 1), date(2026, 5, 31), location=PLACE,
                  determination=_ref(first))], until=date(2026, 6, 30))
    later = real.redetermine_text(signer_for(MELD), first.seq, E40.read_text(encoding="utf-8"), "E40",
                                  trigger="new_stay", idempotency_key="later-redet")
    assert "SAFETY_CONFIDENTIAL" in json.loads(store.get_rows([later.seq])[later.seq].statement)["payload"]["flags"]

    def lines(party, viewer, roles=None):
        return [e for e in _listing(client, party, viewer, roles)["entries"]
                if e["client"] == legacy and e["kind"] == "cost_line"]

    assert {e["payload"]["location"] for e in lines(BEARER, BEARER)} == {MASK}
    assert {e["payload"]["location"] for e in lines(PLACING, PLACING)} == {PLACE}  # its own lines, as signed
    assert {e["payload"]["location"] for e in lines(PLACING, "COMMITTEE", ("auditor",))} == {MASK}

    def statement(party, viewer, roles=None) -> str:
        r = client.get(f"/v1/verrekeningen/2026K2/overzichten/{party}?format=json", headers=_as(client, viewer, roles))
        assert r.status_code == 200, r.text
        return r.text

    assert PLACE not in statement(BEARER, BEARER)
    assert PLACE in statement(PLACING, PLACING)
    assert PLACE not in statement(PLACING, "COMMITTEE", ("auditor",))
    page = client.get("/grootboek", params={"partij": BEARER, "van": "2026-01-01"}, headers=_as(client, BEARER))
    assert page.status_code == 200 and PLACE not in page.text
    # what remains (ledger/README.md, "Confidential locations"): the line was signed with its place, and the
    # cost bearer's bundle carries it verbatim; reversing and booking it again gives a line without it
    b = client.get("/v1/grootboek/bundel", params={"party": BEARER, "from": "2026-01-01"}, headers=_as(client, BEARER))
    assert any(PLACE in s for s in _statements(b.json()))


def test_the_place_itself_is_sealed_for_the_placing_party_and_the_host_only(client):
    """The placing party seals the place in the client's encrypted store and signs only its reference into
    the N1; the host and the placing party read it back through that N1, nobody else; erasing the client
    makes it unreadable while the ledger still verifies."""
    seed(client)
    store = client.app.state.store
    r = client.post("/v1/clienten/plaatsen", json={"client": CLIENT, "place": PLACE}, headers=_as(client, PLACING))
    assert r.status_code == 201, r.text
    ref = r.json()["locationRef"]
    assert PLACE not in r.text and len(ref) == 64
    refused = client.post("/v1/clienten/plaatsen", json={"client": CLIENT, "place": "Dorpsstraat 1, 4461 AB 12"},
                          headers=_as(client, PLACING))
    assert_problem(refused, 422, "PLACE_INVALID")
    n1 = service.sign_statement(service.party_signer(store, client.app.state.settings.keys_dir, PLACING),
                                "placement_notice", _n1(MASK, location_ref=ref, start_date="2026-04-02"),
                                idempotency_key="e40-n1-ref", client=CLIENT)
    posted = client.post("/v1/grootboek/regels", json=as_json(n1))
    assert posted.status_code == 201, posted.text
    seq = posted.json()["seq"]
    assert PLACE.encode() not in b"".join(row.statement for row in store.rows_where())

    for party in (PLACING, HOST):
        got = client.get(f"/v1/grootboek/regels/{seq}/plaats", headers=_as(client, party))
        assert got.status_code == 200, (party, got.text)
        assert got.json()["place"] == PLACE and got.json()["hostMunicipality"] == HOST
    region = client.get(f"/v1/grootboek/regels/{seq}/plaats", headers=_as(client, REGION, ("regio",)))
    assert region.status_code == 200 and region.json()["place"] == PLACE
    for party in (BEARER, OTHER, MELD):
        got = client.get(f"/v1/grootboek/regels/{seq}/plaats", headers=_as(client, party))
        assert_problem(got, 404, "PLACE_NOT_FOUND")
        assert PLACE not in got.text
    auditor = client.get(f"/v1/grootboek/regels/{seq}/plaats", headers=_as(client, "COMMITTEE", ("auditor",)))
    assert auditor.status_code == 403 and PLACE not in auditor.text
    # another entry than an N1 with a sealed place: the same answer
    assert_problem(client.get(f"/v1/grootboek/regels/{seq - 1}/plaats", headers=_as(client, HOST)), 404,
                   "PLACE_NOT_FOUND")

    from api import compose

    compose.erase_client(store, client.app.state.documents, CLIENT, by="test", reason="AVG-verzoek")
    assert_problem(client.get(f"/v1/grootboek/regels/{seq}/plaats", headers=_as(client, HOST)), 410, "CLIENT_ERASED")
    assert client.get("/v1/grootboek/controle").json()["ok"] is True


def test_the_cli_seals_and_reads_the_place_through_the_same_functions(tmp_path, monkeypatch):
    """`bwledger clients seal-place PSN --as PARTY` (the place on standard input) and `clients place SEQ --as
    PARTY`: the functions of POST /v1/clienten/plaatsen and GET /v1/grootboek/regels/{seq}/plaats."""
    from typer.testing import CliRunner

    from api import bootstrap
    from api.cli import app

    env = {"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'bwledger.db'}",
           "BWLEDGER_PSEUDONYM_SECRET": "", "BWLEDGER_DATA_KEK": "", "BWLEDGER_DATABASE_SCHEMA": ""}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings = Settings(home=tmp_path, database_url=env["BWLEDGER_DATABASE_URL"], checkpoint_seconds=0)
    store = bootstrap.init_store(settings)
    try:
        det = Recorder.on_home(store, tmp_path).record_case(service.party_signer(store, settings.keys_dir, MELD), E40,
                                                            "E40", idempotency_key="cli-det", client=CLIENT)
        assert det.seq > 0
        runner = CliRunner()
        sealed = runner.invoke(app, ["clients", "seal-place", CLIENT, "--as", PLACING], input=PLACE + "\n")
        assert sealed.exit_code == 0, sealed.output
        ref = sealed.stdout.strip()
        assert len(ref) == 64 and PLACE not in sealed.stdout
        n1 = service.record(store, service.party_signer(store, settings.keys_dir, PLACING), "placement_notice",
                            _n1(MASK, location_ref=ref), idempotency_key="cli-n1", client=CLIENT)
        host = runner.invoke(app, ["clients", "place", str(n1.seq), "--as", HOST])
        assert host.exit_code == 0 and PLACE in host.stdout and "1 april 2026" in host.stdout, host.output
        bearer = runner.invoke(app, ["clients", "place", str(n1.seq), "--as", BEARER])
        assert bearer.exit_code == 1 and "geweigerd: PLACE_NOT_FOUND" in bearer.output and PLACE not in bearer.output
    finally:
        store.dispose()
