"""`bwledger book --month 2026-03 --party P` (issue 14): the fronting party books a month's cost lines from
the placements it recorded, signed with its own key: on the ledger of BWLEDGER_HOME, and with `--server`
against a real `bwledger serve` (SQLite and PostgreSQL), where the server prepares the statements (POST
/v1/boekingen) and the CLI checks and signs them; a second run books nothing. The endpoint's refusals and
the button on the Verrekening page."""
from __future__ import annotations

import base64
import json
from datetime import date

import httpx
import pytest
from api_helpers import Server, sqlite_settings
from litestar.testing import TestClient
from party_auth import logged_in, token_in_database
from real_determinations import Recorder
from typer.testing import CliRunner

from api.cli import app
from api.http import create_app
from ledger import service
from ledger.crypto import find_signers
from ledger.entries import OPERATOR
from ledger.keyfile import read_key_file
from ledger.settlement import service as settlement

ZWOLLE, KAMPEN = "GM0193", "GM0166"  # Zwolle fronts, Kampen bears the cost
runner = CliRunner()


def cli(*args, env=None):
    result = runner.invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    return result


def placements(real: Recorder, signer) -> int:
    """Zwolle's determination naming Kampen (the engine's, its facts deposited), and two placements on it:
    from 10 March, and one that ended on 20 March; one more that starts in April."""
    store = real.store
    det = real.record(signer, KAMPEN, "det-book", melding=date(2026, 1, 1), idempotency_key="det-book",
                      client="PSN-BOOK-1")
    ref = {"seq": det.seq, "entry_hash": det.entry_hash.hex()}
    for pid, start, end in (("pl-a", date(2026, 3, 10), None), ("pl-b", date(2026, 1, 5), date(2026, 3, 20)),
                            ("pl-c", date(2026, 4, 1), None)):
        settlement.record_placement(store, signer, "PSN-BOOK-1", placement_id=pid, cost_bearer=KAMPEN,
                                    provider="Zorgaanbieder De Brug", product="15B02", start=start, end=end,
                                    determination=ref)
    return det.seq


def placement_args(det: int, pid: str = "pl-d", start: str = "2026-03-25") -> list:
    """`bwledger placement ...` of one more placement of PSN-BOOK-1 by Zwolle on determination `det`."""
    return ["placement", "--party", ZWOLLE, "--client", "PSN-BOOK-1", "--id", pid, "--cost-bearer", KAMPEN,
            "--provider", "Stichting Beschermd Thuis", "--product", "15B02", "--start", start,
            "--determination", det]


def test_book_on_the_local_ledger_with_the_party_key(tmp_path, monkeypatch):
    home = tmp_path / "var"
    monkeypatch.setenv("BWLEDGER_HOME", str(home))
    monkeypatch.delenv("BWLEDGER_DATABASE_URL", raising=False)
    url = f"sqlite:///{home / 'bwledger.db'}"
    service.init_ledger(url, home / "keys").dispose()
    key = tmp_path / "zwolle" / "zwolle.pem"
    assert cli("keys", "new", "--party", ZWOLLE, "--out", key).exit_code == 0
    assert cli("keys", "register", "--party", ZWOLLE, "--public-key", f"{key}.pub").exit_code == 0
    store = service.open_ledger(url)
    det = placements(Recorder.on_home(store, home), read_key_file(key, None, party=ZWOLLE))
    # one more placement, recorded with the CLI; recording it again stores nothing
    r = cli(*placement_args(det), "--key", key)
    assert r.exit_code == 0 and "plaatsing pl-d: opgenomen als volgnummer" in r.output, r.output
    r = cli(*placement_args(det), "--key", key)
    assert r.exit_code == 0 and "al opgenomen" in r.output, r.output
    bad = cli(*placement_args(det, start="2026-02-30"), "--key", key)
    assert bad.exit_code == 2 and "startDate" in bad.output
    refused = cli(*placement_args(det, pid="pl-e", start="2025-12-01"), "--key", key)  # before the determination
    assert refused.exit_code == 2 and "BASIS_MISMATCH" in refused.output, refused.output
    size = store.size()
    r = cli("book", "--month", "2026-03", "--party", ZWOLLE, "--key", key)
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1] == "3 kostenregels geboekt, 0 al geboekt"
    assert "\rplaatsingen 3/3" in r.stderr  # the progress counter, on stderr
    assert store.size() == size + 3
    again = cli("book", "--month", "2026-03", "--party", ZWOLLE, "--key", key)
    assert again.exit_code == 0 and again.stdout.strip().splitlines()[-1] == "0 kostenregels geboekt, 3 al geboekt"
    assert store.size() == size + 3  # nothing booked twice
    bad = cli("book", "--month", "maart", "--party", ZWOLLE, "--key", key)
    assert bad.exit_code == 2 and "MONTH_INVALID" in bad.stderr and "geen maand" in bad.stderr
    other = cli("book", "--month", "2026-03", "--party", KAMPEN, "--key", key)  # Zwolle's key, Kampen's booking
    assert other.exit_code == 2 and store.size() == size + 3
    assert service.verify_ledger(store, workers=1).ok
    store.dispose()


@pytest.fixture
def live(tmp_path, backend):
    url, schema = backend
    home = tmp_path / "server"
    home.mkdir()
    service.init_ledger(url, home / "keys", schema=schema).dispose()
    server = Server(home, checkpoint_seconds=0.3, database_url=url, schema=schema)
    token = token_in_database(url, ZWOLLE, schema=schema)
    operator = find_signers(home / "keys", OPERATOR)[0]
    key = tmp_path / "zwolle" / "zwolle.pem"
    assert cli("keys", "new", "--party", ZWOLLE, "--out", key).exit_code == 0
    r = cli("keys", "register", "--server", server.url, "--key", operator, "--party", ZWOLLE, "--public-key",
            f"{key}.pub", "--token", token_in_database(url, OPERATOR, schema=schema))
    assert r.exit_code == 0, r.output
    store = service.open_ledger(url, schema=schema)
    det = placements(Recorder.on_home(store, home), read_key_file(key, None, party=ZWOLLE))
    store.dispose()
    yield {"url": server.url, "token": token, "key": key, "db": url, "schema": schema, "det": det}
    server.stop_and_verify(url, schema)


def _size(live) -> int:
    return httpx.get(f"{live['url']}/v1/gezondheid").json()["ledger"]["entries"]


def test_book_over_http_the_server_prepares_and_the_party_signs(live):
    args = ["book", "--month", "2026-03", "--party", ZWOLLE, "--server", live["url"], "--key", live["key"],
            "--token", live["token"]]
    # one more placement, prepared by the server (POST /v1/plaatsingen) and signed here
    r = cli(*placement_args(live["det"]), "--server", live["url"], "--key", live["key"], "--token", live["token"])
    assert r.exit_code == 0 and "plaatsing pl-d: opgenomen als volgnummer" in r.output, r.output
    r = cli(*placement_args(live["det"], pid="pl-e", start="2025-12-01"), "--server", live["url"], "--key",
            live["key"], "--token", live["token"])
    assert r.exit_code == 1 and "BASIS_MISMATCH" in r.output, r.output  # the ledger refuses it
    before = _size(live)
    r = cli(*args)
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1] == "3 kostenregels geboekt, 0 al geboekt"
    assert "\rondertekend 3/3" in r.stderr
    assert _size(live) == before + 3
    again = cli(*args)
    assert again.exit_code == 0 and again.stdout.strip().splitlines()[-1] == "0 kostenregels geboekt, 3 al geboekt"
    assert _size(live) == before + 3
    # Zwolle records that placement pl-a ended on 25 March: its March line is reversed (the CLI checks the
    # reversed line against the entry hash it signs) and 16 days are booked
    store = service.open_ledger(live["db"], schema=live["schema"])
    zwolle = read_key_file(live["key"], None, party=ZWOLLE)
    [rec] = [r for r in settlement.recorded_placements(store, ZWOLLE) if r.payload["placement_id"] == "pl-a"]
    settlement.record_placement(store, zwolle, "PSN-BOOK-1", placement_id="pl-a", cost_bearer=KAMPEN,
                                provider="Zorgaanbieder De Brug", product="15B02", start=date(2026, 3, 10),
                                end=date(2026, 3, 25), determination=rec.payload["determination"])
    store.dispose()
    changed = cli(*args)
    assert changed.exit_code == 0, changed.output
    assert changed.stdout.strip().splitlines()[-1] == ("1 kostenregel geboekt, 2 al geboekt, "
                                                       "1 regel tegengeboekt (plaatsing gewijzigd)")
    assert _size(live) == before + 3 + 1 + 2
    # an unknown municipality: the server refuses (its code printed, exit 1), with the key of no party it names
    refused = httpx.post(f"{live['url']}/v1/boekingen", json={"month": "2026-03", "party": "GM9999",
                                                             "keyId": "0" * 64},
                         headers={"Authorization": f"Bearer {live['token']}"})
    assert refused.status_code == 403 and refused.json()["code"] == "PARTY_NOT_OWN"


def test_the_endpoint_prepares_the_month_and_refuses_clearly(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path))) as client:
        logged_in(client)
        store = client.app.state.store
        zwolle = service.party_signer(store, client.app.state.settings.keys_dir, ZWOLLE)
        placements(Recorder.of_app(client.app), zwolle)
        auth = {"Authorization": f"Bearer {client.auth.token(ZWOLLE)}"}
        body = {"month": "2026-03", "party": ZWOLLE, "keyId": zwolle.key_id}
        size = store.size()
        r = client.post("/v1/boekingen", json=body, headers=auth)
        assert r.status_code == 200, r.text
        doc = r.json()
        assert (doc["month"], doc["party"], doc["placements"], doc["alreadyBooked"]) == ("2026-03", ZWOLLE, 2, 0)
        assert [s["kind"] for s in doc["statements"]] == ["cost_line", "cost_line"]
        st = json.loads(base64.b64decode(doc["statements"][0]["statement"]))
        assert (st["author"], st["key_id"], st["payload"]["period_from"]) == (ZWOLLE, zwolle.key_id, "2026-03-10")
        assert store.size() == size  # nothing written
        # signed on the party's machine and submitted as one batch; then nothing is left to prepare
        items = [{"statement": s["statement"], "signature": base64.b64encode(
            zwolle.sign(base64.b64decode(s["statement"]))).decode()} for s in doc["statements"]]
        assert client.post("/v1/grootboek/regels", json={"entries": items}).status_code == 201
        done = client.post("/v1/boekingen", json=body, headers=auth).json()
        assert (done["statements"], done["alreadyBooked"]) == ([], 2)
        for wrong, status, code in (({**body, "month": "2026-13"}, 422, "MONTH_INVALID"),
                                    ({**body, "maand": "2026-03"}, 400, "REQUEST_INVALID"),
                                    ({**body, "keyId": "abc"}, 400, "REQUEST_INVALID"),
                                    ({**body, "party": KAMPEN}, 403, "PARTY_NOT_OWN")):
            r = client.post("/v1/boekingen", json=wrong, headers=auth)
            assert (r.status_code, r.json()["code"]) == (status, code), r.text
            assert r.headers["content-type"].startswith("application/problem+json")


def test_the_button_on_the_settlement_page(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path)), base_url="https://testserver.local") as client:
        store = client.app.state.store
        access = client.app.state.access
        placements(Recorder.of_app(client.app),
                   service.party_signer(store, client.app.state.settings.keys_dir, ZWOLLE))
        access.add_account("financien@zwolle.test", ZWOLLE, ("finance",), password="wachtwoord voor de knop")
        r = client.post("/aanmelden", data={"gebruiker": "financien@zwolle.test", "wachtwoord": "wachtwoord voor de knop"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        page = client.get("/verrekening")
        assert "Maand boeken" in page.text and 'action="/verrekening/boeken"' in page.text
        csrf = client.get("/v1/ik").json()["csrf"]
        size = store.size()
        r = client.post("/verrekening/boeken", data={"maand": "2026-03", "partij": ZWOLLE, "csrf": csrf})
        assert r.status_code == 200, r.text
        assert "Maart 2026" in r.text and "2 kostenregels" in r.text and "0 al geboekt" in r.text
        assert "bwledger book --month 2026-03 --party GM0193" in r.text
        assert store.size() == size  # prepared, not signed: the server holds no party key
        bad = client.post("/verrekening/boeken", data={"maand": "maart", "partij": ZWOLLE, "csrf": csrf})
        assert bad.status_code == 422 and "geen maand" in bad.text and 'value="maart"' in bad.text
        other = client.post("/verrekening/boeken", data={"maand": "2026-03", "partij": KAMPEN, "csrf": csrf},
                            headers={"accept": "text/html"})
        assert other.status_code == 403


def test_the_cli_signs_only_a_booking_of_the_month_asked_for(tmp_path):
    """A server that prepares a line of another month, of another fronting party, under another key, a line
    resting on a decision, or another kind gets no signature and no submission (exit 2)."""
    from datetime import UTC, datetime

    from api_helpers import scripted_server

    from ledger.entries import make_statement

    path = tmp_path / "zwolle.pem"
    assert cli("keys", "new", "--party", ZWOLLE, "--out", path).exit_code == 0
    zwolle = read_key_file(path, None, party=ZWOLLE)
    line = {"fronting_party": ZWOLLE, "cost_bearer": KAMPEN, "period_from": "2026-03-10", "period_to": "2026-03-31",
            "product": "15B02", "units": 22, "tariff_cents": 100, "amount_cents": 2200, "status": "definitive",
            "determination": {"seq": 3, "entry_hash": "ab" * 32}}

    def statement(kind, payload, key, author=ZWOLLE):
        raw = make_statement(kind=kind, author=author, key_id=zwolle.key_id, payload=payload, idempotency_key=key,
                             authored_at=datetime.now(UTC), client="PSN-BOOK-1")
        return {"kind": kind, "idempotencyKey": key, "statement": base64.b64encode(raw).decode()}

    bad = [
        statement("cost_line", {**line, "period_from": "2026-04-01", "period_to": "2026-04-30", "units": 30,
                                "amount_cents": 3000}, "bm-2026-04-x"),  # another month
        statement("cost_line", line, "bm-2026-02-x"),  # another month's key
        statement("cost_line", {**line, "fronting_party": KAMPEN}, "bm-2026-03-x"),  # another fronting party
        statement("cost_line", line, "bm-2026-03-x", author=KAMPEN),  # another signer
        statement("cost_line", {**line, "decision": {"seq": 4, "entry_hash": "cd" * 32}}, "bm-2026-03-x"),
        statement("reversal", {"reverses": {"seq": 5, "entry_hash": "ef" * 32}, "reason": "x"}, "rev-6"),
        statement("dispute_event", {"dispute_id": "x"}, "bm-2026-03-x"),  # another kind
    ]
    # reversals: of a line of another month, and one whose stored line is not the one it names
    from ledger.entries import entry_hash

    def stored(seq, payload, key):
        raw = base64.b64decode(statement("cost_line", payload, key)["statement"])
        at = datetime(2026, 4, 1, tzinfo=UTC)
        h = entry_hash(seq, at, b"\x01" * 32, b"\x02" * 64, raw).hex()
        return h, {"seq": seq, "receivedAt": "2026-04-01T00:00:00.000000Z", "prevHash": "01" * 32,
                   "signature": base64.b64encode(b"\x02" * 64).decode(), "statement": base64.b64encode(raw).decode()}

    april = {**line, "period_from": "2026-04-01", "period_to": "2026-04-30", "units": 30, "amount_cents": 3000}
    h, row = stored(5, april, "bm-2026-04-x")
    bad.append({**statement("reversal", {"reverses": {"seq": 5, "entry_hash": h}, "reason": "x"}, "rev-5"),
                "reverses": row})
    h, row = stored(5, line, "bm-2026-03-x")
    bad.append({**statement("reversal", {"reverses": {"seq": 5, "entry_hash": "00" * 32}, "reason": "x"}, "rev-5"),
                "reverses": row})
    bad.append(statement("reversal", {"reverses": {"seq": 5, "entry_hash": h}, "reason": "x"}, "rev-5"))  # no line

    def answer(p: str, n: int):
        doc = {"month": "2026-03", "party": ZWOLLE, "keyId": zwolle.key_id, "placements": 1, "alreadyBooked": 0,
               "statements": [bad[n - 1]]}
        return 200, "application/json", json.dumps(doc).encode() if p == "/v1/boekingen" else b"{}"

    with scripted_server(answer) as (url, seen):
        for _ in bad:
            r = cli("book", "--month", "2026-03", "--party", ZWOLLE, "--server", url, "--key", path)
            assert r.exit_code == 2 and "de server bereidde iets anders voor dan gevraagd" in r.output, r.output
    assert [s["path"] for s in seen] == ["/v1/boekingen"] * len(bad)  # nothing was submitted
    assert json.loads(seen[0]["body"]) == {"month": "2026-03", "party": ZWOLLE, "keyId": zwolle.key_id}


def test_the_placement_endpoint_prepares_a_record_and_refuses_clearly(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path))) as client:
        logged_in(client)
        store = client.app.state.store
        zwolle = service.party_signer(store, client.app.state.settings.keys_dir, ZWOLLE)
        det = placements(Recorder.of_app(client.app), zwolle)
        auth = {"Authorization": f"Bearer {client.auth.token(ZWOLLE)}"}
        body = {"party": ZWOLLE, "keyId": zwolle.key_id, "client": "PSN-BOOK-1", "placementId": "pl-a",
                "costBearer": KAMPEN, "provider": "Zorgaanbieder De Brug", "product": "15B02",
                "startDate": "2026-03-10", "endDate": "2026-03-25", "determinationSeq": det}
        size = store.size()
        r = client.post("/v1/plaatsingen", json=body, headers=auth)
        assert r.status_code == 200, r.text
        [item] = r.json()["statements"]
        st = json.loads(base64.b64decode(item["statement"]))
        [rec] = [x for x in settlement.recorded_placements(store, ZWOLLE) if x.payload["placement_id"] == "pl-a"]
        assert st["kind"] == "placement" and st["payload"]["end_date"] == "2026-03-25"
        assert st["payload"]["previous"] == rec.ref  # a change replaces the newest record
        assert store.size() == size  # nothing written
        for wrong, status, code in (({**body, "determinationSeq": 0}, 422, "REFERENCE_INVALID"),  # the genesis key
                                    ({**body, "startDate": "10-03-2026"}, 400, "REQUEST_INVALID"),
                                    ({k: v for k, v in body.items() if k != "provider"}, 400, "REQUEST_INVALID"),
                                    ({**body, "client": "123456782"}, 400, "REQUEST_INVALID"),
                                    ({**body, "party": KAMPEN}, 403, "PARTY_NOT_OWN")):
            r = client.post("/v1/plaatsingen", json=wrong, headers=auth)
            assert (r.status_code, r.json()["code"]) == (status, code), r.text
