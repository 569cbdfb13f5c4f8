"""`bwledger case ... --server`: a party acts on a dispute with its own key file or its own HSM
(`--sign-command`, tests/sign_with_keyfile.py in a real subprocess) against a real `bwledger serve`;
the CLI signs only what it asked for (a server that prepares something else gets nothing signed). An
exhibit is uploaded (`case add-document --server`), and the operator books a decision from its own
machine (`case book --server --key`, in two stages), on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import json
import shlex
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from api.http.camel import camel
from api_helpers import ROOT, Server, scripted_server
from party_auth import token_in_database, with_token
from real_determinations import Recorder
from typer.testing import CliRunner

from api.cli import app
from ledger import service
from ledger.crypto import find_signers
from ledger.entries import OPERATOR, make_statement
from ledger.keyfile import read_key_file
from ledger.store import entries as entries_table

SCRIPT = ROOT / "tests" / "sign_with_keyfile.py"
KAMPEN, ZWOLLE = "GM0166", "GM0193"
runner = CliRunner()


#: the API tokens of the parties of the running server (`_tokens`); `cli` passes the acting party's
TOKENS: dict[str, str] = {}


def _tokens(url: str, schema: str | None = None) -> dict[str, str]:
    TOKENS.clear()
    TOKENS.update({p: token_in_database(url, p, schema=schema) for p in (OPERATOR, KAMPEN, ZWOLLE, "GM0148",
                                                                        "COMMITTEE")})
    TOKENS["reader"] = token_in_database(url, OPERATOR, ("auditor",), schema)
    return TOKENS


def _bearer(party: str = "reader") -> dict:
    return {"Authorization": f"Bearer {TOKENS[party]}"}


def cli(*args):
    result = runner.invoke(app, with_token([str(a) for a in args], TOKENS))
    assert "Traceback" not in result.output, result.output
    return result


def ok(result) -> list[tuple[int, str, str]]:
    """(seq, kind in Dutch, case id) of every line a case write printed."""
    assert result.exit_code == 0, result.output
    out = []
    for line in result.output.splitlines():
        head, rest = line.split(" (", 1)
        kind, case = rest.rstrip(")").rsplit(", zaak ", 1)
        assert head.startswith("opgenomen als volgnummer "), line
        out.append((int(head.rsplit(" ", 1)[1]), kind, case))
    return out


@pytest.fixture
def live(tmp_path):
    home = tmp_path / "server"
    home.mkdir()
    url = f"sqlite:///{home / 'bwledger.db'}"
    service.init_ledger(url, home / "keys").dispose()
    server = Server(home, checkpoint_seconds=0.3)
    tokens = _tokens(url)
    yield {"url": server.url, "db": url, "home": home, "operator_key": find_signers(home / "keys", OPERATOR)[0],
           "tokens": tokens}
    server.stop_and_verify(url)


def _key(live, folder: Path, party: str) -> Path:
    path = folder / f"{party.lower()}.pem"
    assert cli("keys", "new", "--party", party, "--out", path).exit_code == 0
    r = cli("keys", "register", "--server", live["url"], "--key", live["operator_key"], "--party", party,
            "--public-key", f"{path}.pub")
    assert r.exit_code == 0, r.output
    return path


def test_a_party_acts_on_its_dispute_with_its_hsm_and_its_key_file(live, tmp_path):
    kampen, zwolle = _key(live, tmp_path / "kampen", KAMPEN), _key(live, tmp_path / "zwolle", ZWOLLE)
    hsm = ["--sign-command", shlex.join([sys.executable, str(SCRIPT), str(zwolle)]), "--public-key", f"{zwolle}.pub"]
    as_zwolle = as_kampen = ["--server", live["url"]]  # `cli` adds the token of the party acting (--as)
    # Kampen's determination (N3) to Zwolle and its cost line on it, booked on the server's machine
    store = service.open_ledger(live["db"], live["home"] / "keys")
    try:
        from ledger.settlement import service as settlement_service
        from ledger.settlement.costlines import Placement

        signer = read_key_file(kampen, None, party=KAMPEN)
        det = Recorder.on_home(store, live["home"]).record(signer, ZWOLLE, melding=date(2025, 11, 20),
                                                           idempotency_key="cli-det", client="PSN-cli-1")
        ref = {"seq": det.seq, "entry_hash": det.entry_hash.hex()}
        settlement_service.book_placements(store, lambda _p: signer, [
            Placement("pl-1", "PSN-cli-1", KAMPEN, ZWOLLE, "15B02", date(2025, 11, 20), date(2025, 12, 31),
                      determination=ref)], until=date(2025, 12, 31))
        line = store.rows_where(entries_table.c.kind == "cost_line")[0]
    finally:
        store.dispose()

    # Zwolle opens the case on the determination with its HSM, and submits its position
    [(opened, kind, case_id)] = ok(cli("case", "open", det.seq, "--as", ZWOLLE, "--question", "Wie betaalt?",
                                       *as_zwolle, *hsm))
    assert kind == "geschilstap (N7)" and case_id == f"GS-{det.seq:06d}"
    ok(cli("case", "submit", case_id, "--as", ZWOLLE, "--position", "Kampen was de woonplaats.", *as_zwolle, *hsm))
    case = httpx.get(f"{live['url']}/v1/geschillen/{case_id}", headers=_bearer(ZWOLLE)).json()
    assert [(e["author"], e["action"]) for e in case["events"]] == [(ZWOLLE, "transition"), (ZWOLLE, "submission")]
    assert case["positions"] == {ZWOLLE: ["Kampen was de woonplaats."]}
    # Kampen may not accept its own determination: refused when drafted, exit 1 with the code, nothing stored
    r = cli("case", "transition", case_id, "ACCEPTED", "--as", KAMPEN, *as_kampen, "--key", kampen)
    assert r.exit_code == 1 and r.output.startswith("geweigerd: ACTOR_NOT_ALLOWED: "), r.output
    # a key file of another party than --as is caught on this machine (exit 2)
    r = cli("case", "transition", case_id, "OBJECTED", "--as", KAMPEN, "--position", "x", *as_kampen, "--key", zwolle)
    assert r.exit_code == 2, r.output
    # Zwolle, the cost bearer, disputes the cost line itself (a case on a cost line), with its key file
    [(_, _, line_case)] = ok(cli("case", "open", "--cost-line", line.seq, "--as", ZWOLLE, "--question",
                                 "Klopt deze kostenregel?", *as_zwolle, "--key", zwolle))
    case = httpx.get(f"{live['url']}/v1/geschillen/{line_case}", headers=_bearer(ZWOLLE)).json()
    assert case["subject"] == {"kind": "cost_line", "seq": line.seq, "entryHash": line.leaf_hash.hex()}
    assert (case["parties"]["claiming"], case["parties"]["responding"]) == (KAMPEN, ZWOLLE)
    r = cli("case", "open", "--cost-line", line.seq, "--as", ZWOLLE, "--question", "Nog eens?", *as_zwolle,
            "--key", zwolle)
    assert r.exit_code == 1 and "geweigerd: CASE_EXISTS: " in r.output, r.output
    assert line_case == f"GS-{line.seq:06d}" != case_id and opened > line.seq  # opened after the booking


def test_the_cli_signs_only_what_it_asked_for(tmp_path):
    """A server that prepares another step than the one asked for gets no signature and no submission."""
    key = tmp_path / "zwolle.pem"
    assert cli("keys", "new", "--party", ZWOLLE, "--out", key).exit_code == 0
    key_id = read_key_file(key, None, party=ZWOLLE).key_id

    def prepared(status: str, author: str = ZWOLLE) -> bytes:
        payload = {"dispute_id": "GS-000007", "determination": {"seq": 7, "entry_hash": "ab" * 32},
                   "status": status, "previous_status": "OBJECTED", "participants": [KAMPEN, ZWOLLE, "COMMITTEE"],
                   "note": "", "position": "", "documents": []}
        raw = make_statement(kind="dispute_event", author=author, key_id=key_id, payload=payload,
                             idempotency_key="x", authored_at=datetime.now(UTC), client="PSN-x")
        return json.dumps(camel({"case_id": "GS-000007", "statements": [
            {"kind": "dispute_event", "idempotency_key": "x", "statement": base64.b64encode(raw).decode()}]})).encode()

    replies: list[bytes] = [prepared("WITHDRAWN"), prepared("CONSULTATION", author=KAMPEN)]

    def answer(path: str, n: int):
        return 200, "application/json", replies[n - 1] if path == "/v1/geschillen/concepten" else b"{}"

    with scripted_server(answer) as (url, seen):
        for _ in replies:  # another status; another author
            r = cli("case", "transition", "GS-000007", "CONSULTATION", "--as", ZWOLLE, "--server", url, "--key", key)
            assert r.exit_code == 2 and "de server bereidde iets anders voor dan gevraagd" in r.output, r.output
            assert "er is niets ondertekend" in r.output
    assert [s["path"] for s in seen] == ["/v1/geschillen/concepten", "/v1/geschillen/concepten"]  # nothing was submitted


EML = (b"From: contactpersoon@gm0193.example\r\nTo: contactpersoon@gm0166.example\r\n"
       b"Date: Mon, 2 Nov 2026 10:00:00 +0100\r\nSubject: Overleg woonplaats\r\n\r\n"
       b"Zoals besproken: de cli\xc3\xabnt woonde in Kampen.\r\n")


def test_an_exhibit_is_uploaded_and_then_submitted_over_http(tmp_path, backend):
    """`case add-document --server`: the file goes to POST /v1/geschillen/{case_id}/stukken (the title in the
    query, UTF-8), is stored on the server's machine and is then submitted by its hash, on SQLite and
    PostgreSQL; the server's refusals exit 1 with their code (not a party, a type that is not what its
    name says, a body over BWLEDGER_MAX_DOCUMENT_BYTES, an unknown case)."""
    import hashlib

    from cases import service as cases_service

    url, schema = backend
    home = tmp_path / "server"
    home.mkdir()
    service.init_ledger(url, home / "keys", schema=schema).dispose()
    server = Server(home, database_url=url, schema=schema, BWLEDGER_MAX_DOCUMENT_BYTES="4000")
    _tokens(url, schema)
    try:
        live = {"url": server.url, "operator_key": find_signers(home / "keys", OPERATOR)[0]}
        kampen, zwolle = _key(live, tmp_path / "kampen", KAMPEN), _key(live, tmp_path / "zwolle", ZWOLLE)
        store = service.open_ledger(url, schema=schema)
        try:
            det = Recorder.on_home(store, home).record(read_key_file(kampen, None, party=KAMPEN), ZWOLLE,
                                                       melding=date(2026, 11, 20), idempotency_key="upload-det",
                                                       client="PSN-upload-1")
        finally:
            store.dispose()
        on_server = ["--server", server.url]
        [(_, _, case_id)] = ok(cli("case", "open", det.seq, "--as", ZWOLLE, "--question", "Wie betaalt?",
                                   *on_server, "--key", zwolle))
        mail = tmp_path / "zwolle" / "overleg.eml"
        mail.write_bytes(EML)
        r = cli("case", "add-document", case_id, mail, "--as", ZWOLLE, "--title", "Overleg met Kampen – één mail",
                "--date", "2026-11-02", *on_server)
        sha = hashlib.sha256(EML).hexdigest()
        assert r.exit_code == 0, r.output
        assert r.output == f"stuk 1: bijlage 1, message/rfc822, {len(EML)} bytes, sha256 {sha}\n", r.output
        store = service.open_ledger(url, schema=schema)
        try:
            [doc] = cases_service.list_documents(store, case_id)
        finally:
            store.dispose()
        assert (doc.title, doc.author_party, doc.filename, doc.document_date.isoformat()) == (
            "Overleg met Kampen – één mail", ZWOLLE, "overleg.eml", "2026-11-02")
        stored = [p.read_bytes() for p in (home / "documents").rglob("*") if p.is_file()]
        assert stored and EML not in stored and not any(b"Overleg" in b for b in stored)  # encrypted per client
        ok(cli("case", "submit", case_id, "--as", ZWOLLE, "--document", sha, "--position", "Zie de mail.",
               *on_server, "--key", zwolle))
        case = httpx.get(f"{server.url}/v1/geschillen/{case_id}", headers=_bearer()).json()
        assert case["events"][-1]["action"] == "submission" and sha in json.dumps(case["events"][-1])

        fake = tmp_path / "zwolle" / "nep.pdf"
        fake.write_bytes(b"<html>geen pdf</html>")
        big = tmp_path / "zwolle" / "groot.eml"
        big.write_bytes(EML + b"x" * 4000)
        for args, code in (((mail, "--as", "GM0148"), "NOT_FOUND"),  # no party to the case: it does not see it
                           ((fake, "--as", ZWOLLE), "DOCUMENT_CONTENT_MISMATCH"),
                           ((big, "--as", ZWOLLE), "REQUEST_TOO_LARGE")):
            r = cli("case", "add-document", case_id, *args, "--title", "x", *on_server)
            assert r.exit_code == 1 and r.output.startswith(f"geweigerd: {code}: "), r.output
        r = cli("case", "add-document", "GS-999999", mail, "--as", ZWOLLE, "--title", "x", *on_server)
        assert r.exit_code == 1 and r.output.startswith("geweigerd: NOT_FOUND: "), r.output
        untitled = httpx.post(f"{server.url}/v1/geschillen/{case_id}/stukken", content=EML,
                              params={"filename": "a.eml", "author": ZWOLLE}, headers=_bearer(ZWOLLE))
        assert untitled.status_code == 400 and untitled.json()["code"] == "REQUEST_INVALID", untitled.text
        store = service.open_ledger(url, schema=schema)
        try:
            assert len(cases_service.list_documents(store, case_id)) == 1  # nothing of the refused was stored
        finally:
            store.dispose()
    finally:
        server.stop_and_verify(url, schema)


COMMITTEE = "COMMITTEE"


def _decided_case(store, home: Path, signers: dict, client: str) -> str:
    """On the server's machine, with the parties' own key files: Kampen's determination naming Zwolle and
    its placement January-June 2026 as cost lines, the case on it taken to HEARING (with the prior
    attempts and their evidence), and the committee's decision: Zwolle until March, GM0200 from April."""
    from cases import service as cases_service
    from ledger.settlement import service as settlement_service
    from ledger.settlement.costlines import Placement

    det = Recorder.on_home(store, home).record(signers[KAMPEN], ZWOLLE, f"det-{client}", melding=date(2026, 1, 1),
                                               idempotency_key=f"det-{client}", client=client)
    ref = {"seq": det.seq, "entry_hash": det.entry_hash.hex()}
    settlement_service.book_placements(store, lambda _p: signers[KAMPEN], [
        Placement(f"pl-{client}", client, KAMPEN, ZWOLLE, "15A01", date(2026, 1, 1), date(2026, 6, 30),
                  determination=ref)], until=date(2026, 6, 30), today=date(2026, 12, 1))
    case_id = cases_service.open_case(store, signers[KAMPEN], det.seq, question="Wie betaalt vanaf april?").case_id
    cases_service.transition(store, signers[ZWOLLE], case_id, "OBJECTED", position="R7: de keten loopt door")
    cases_service.transition(store, signers[KAMPEN], case_id, "CONSULTATION")
    from api import bootstrap

    from api.settings import Settings

    docs = bootstrap.client_documents(Settings(home=home, database_url=store.url, database_schema=store.schema), store)
    evidence = [cases_service.add_document(store, docs, case_id, filename=f"{name}.eml",
                                           data=EML.replace(b"Overleg", name.encode()), title=name,
                                           author_party=author, document_date=date(2026, 11, 2)).sha256
                for name, author in (("contactpersonen", KAMPEN), ("regioadviseur", ZWOLLE))]
    cases_service.record_attempt(store, signers[KAMPEN], case_id, kind="contactpersonen", held_on=date(2026, 11, 2),
                                 summary="overleg", evidence=[evidence[0]])
    cases_service.transition(store, signers[KAMPEN], case_id, "ESCALATED")
    cases_service.record_attempt(store, signers[ZWOLLE], case_id, kind="regioadviseur", held_on=date(2026, 11, 20),
                                 summary="advies", evidence=[evidence[1]])
    cases_service.transition(store, signers[KAMPEN], case_id, "FILED")
    for status in ("ADMISSIBILITY", "EXCHANGE", "HEARING"):
        cases_service.transition(store, signers[COMMITTEE], case_id, status)
    cases_service.decide(store, signers[COMMITTEE], case_id, nature="binding_advice", cost_bearers=[
        {"period_from": "2026-01-01", "period_to": "2026-03-31", "cost_bearer": ZWOLLE},
        {"period_from": "2026-04-01", "period_to": "2026-06-30", "cost_bearer": "GM0200"}], summary="vanaf april GM0200")
    return case_id


def test_the_operator_books_a_decision_from_its_own_machine(tmp_path, backend):
    """`case book --server URL --key OPERATOR_KEY`: the server prepares the corrections the decision orders
    (signed and submitted as one batch), then the transition to IMPLEMENTED listing them; a booking that
    stopped after the corrections resumes with the transition; on SQLite and PostgreSQL."""
    url, schema = backend
    home = tmp_path / "server"
    home.mkdir()
    service.init_ledger(url, home / "keys", schema=schema).dispose()
    server = Server(home, database_url=url, schema=schema)
    _tokens(url, schema)
    try:
        operator_key = find_signers(home / "keys", OPERATOR)[0]
        live = {"url": server.url, "operator_key": operator_key}
        keys = {p: _key(live, tmp_path / p.lower(), p) for p in (KAMPEN, ZWOLLE, COMMITTEE)}
        signers = {p: read_key_file(k, None, party=p) for p, k in keys.items()}
        store = service.open_ledger(url, schema=schema)
        try:
            first, second = (_decided_case(store, home, signers, c) for c in ("PSN-book-1", "PSN-book-2"))
        finally:
            store.dispose()
        on_server = ["--server", server.url, "--key", operator_key]

        # the first case in one command: 3 reversals and 3 new lines (April-June to GM0200), then IMPLEMENTED
        booked = ok(cli("case", "book", first, *on_server))
        assert [k for _, k, _ in booked] == ["tegenboeking"] * 3 + ["kostenregel"] * 3 + ["geschilstap (N7)"]
        assert {c for *_, c in booked} == {first}
        case = httpx.get(f"{server.url}/v1/geschillen/{first}", headers=_bearer()).json()
        assert case["status"] == "IMPLEMENTED" and case["events"][-1]["author"] == OPERATOR
        assert case["events"][-1]["seq"] == booked[-1][0]
        stored = service.open_ledger(url, schema=schema)
        try:
            rows = stored.get_rows([s for s, *_ in booked])
            event = json.loads(rows[booked[-1][0]].statement)["payload"]
            assert event["bookings"] == [{"seq": s, "entry_hash": rows[s].leaf_hash.hex()} for s, *_ in booked[:-1]]
            assert {rows[s].author for s, *_ in booked} == {OPERATOR}
            lines = [json.loads(rows[s].statement)["payload"] for s, *_ in booked[3:6]]
            assert sorted((p["period_from"], p["cost_bearer"]) for p in lines) == [
                ("2026-04-01", "GM0200"), ("2026-05-01", "GM0200"), ("2026-06-01", "GM0200")]
        finally:
            stored.dispose()
        # booked once: asked again the server refuses (exit 1 with the code); a party's key is not the operator's
        r = cli("case", "book", first, *on_server)
        assert r.exit_code == 1 and r.output.startswith("geweigerd: TRANSITION_NOT_ALLOWED: "), r.output
        r = cli("case", "book", second, "--server", server.url, "--key", keys[KAMPEN])
        assert r.exit_code == 2, r.output

        # the second case stopped after its corrections (drafted, signed and submitted by hand): the
        # command books only the transition, which lists the corrections already in the ledger
        operator = read_key_file(operator_key, None, party=OPERATOR)
        draft = httpx.post(f"{server.url}/v1/geschillen/concepten", headers=_bearer(OPERATOR), json={
            "action": "book", "party": OPERATOR, "key_id": operator.key_id, "case_id": second}).json()
        raws = [base64.b64decode(s["statement"]) for s in draft["statements"]]
        assert [s["kind"] for s in draft["statements"]] == ["reversal"] * 3 + ["cost_line"] * 3
        first_stage = httpx.post(f"{server.url}/v1/grootboek/regels", headers=_bearer(OPERATOR), json={"entries": [
            {"statement": base64.b64encode(raw).decode(), "signature": base64.b64encode(operator.sign(raw)).decode()}
            for raw in raws]})
        assert first_stage.status_code == 201, first_stage.text
        [(seq, kind, case_id)] = ok(cli("case", "book", second, *on_server))
        assert (kind, case_id) == ("geschilstap (N7)", second)
        event = next(e for e in httpx.get(f"{server.url}/v1/geschillen/{second}", headers=_bearer()).json()["events"] if e["seq"] == seq)
        assert event["status"] == "IMPLEMENTED"
        stored = service.open_ledger(url, schema=schema)
        try:
            payload = json.loads(stored.get_rows([seq])[seq].statement)["payload"]
        finally:
            stored.dispose()
        assert payload["bookings"] == [{"seq": r["seq"], "entry_hash": r["entryHash"]}
                                       for r in first_stage.json()["results"]]
    finally:
        server.stop_and_verify(url, schema)


def test_the_operator_signs_only_the_booking_of_the_decision_in_force(tmp_path):
    """A server that prepares a correction resting on another decision, or a transition to IMPLEMENTED
    that lists other bookings than the ones just submitted, gets nothing (more) signed: exit 2."""
    key = tmp_path / "operator.pem"
    assert cli("keys", "new", "--party", OPERATOR, "--out", key).exit_code == 0
    op = read_key_file(key, None, party=OPERATOR)
    decision = {"seq": 20, "entry_hash": "de" * 32}
    case = json.dumps(camel({"case_id": "GS-000007", "events": [
        {"seq": 20, "entry_hash": "de" * 32, "status": "DECIDED", "decision": {"nature": "binding_advice"}}]})).encode()

    def prepared(kind: str, payload: dict) -> dict:
        raw = make_statement(kind=kind, author=OPERATOR, key_id=op.key_id, payload=payload, idempotency_key=f"k-{kind}",
                             authored_at=datetime.now(UTC), client="PSN-x")
        return {"kind": kind, "idempotency_key": f"k-{kind}", "case_id": "GS-000007",
                "statement": base64.b64encode(raw).decode()}

    reversal = {"reverses": {"seq": 9, "entry_hash": "ab" * 32}, "reason": "uitspraak geschillencommissie GS-000007",
                "booking_quarter": "2026K4", "corrects_period": "correctie op 2026K1"}
    implemented = {"dispute_id": "GS-000007", "status": "IMPLEMENTED", "previous_status": "DECIDED",
                   "bookings": [{"seq": 3, "entry_hash": "00" * 32}]}

    def drafted(*items: dict) -> bytes:
        return json.dumps(camel({"case_id": "GS-000007", "statements": list(items)})).encode()

    other_decision = drafted(prepared("reversal", {**reversal, "decision": {"seq": 19, "entry_hash": "de" * 32}}))
    right = drafted(prepared("reversal", {**reversal, "decision": decision}))
    submitted = json.dumps(camel({"results": [{"seq": 30, "entry_hash": "cd" * 32, "received_at": "x"}]})).encode()
    for replies, paths in (
            ([other_decision, case], ["/v1/geschillen/concepten", "/v1/geschillen/GS-000007"]),
            ([right, case, submitted, drafted(prepared("dispute_event", implemented))],
             ["/v1/geschillen/concepten", "/v1/geschillen/GS-000007", "/v1/grootboek/regels", "/v1/geschillen/concepten"])):
        with scripted_server(lambda path, n, replies=replies: (200, "application/json", replies[n - 1])) as (url, seen):
            r = cli("case", "book", "GS-000007", "--server", url, "--key", key)
        assert r.exit_code == 2 and "de server bereidde iets anders voor dan gevraagd" in r.output, r.output
        assert [s["path"] for s in seen] == paths  # the wrong statement was never submitted
