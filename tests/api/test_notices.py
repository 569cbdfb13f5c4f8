"""The notices inbox and outbox on the API (`/v1/berichten`) and the pages (`/berichten`), the person's key
(`/sleutel`), and the acknowledgement prepared by the server and signed by the account's own key (here the
browser's part is played by Python with a key of the same kind; tests/api/test_browser_signing.py does it in
Chromium)."""
from __future__ import annotations

import base64
import json
import re

import pytest
from api_helpers import as_json, assert_problem, sqlite_settings
from litestar.testing import TestClient

from api import compose_notices
from api.access.account_keys import AccountKeys
from api.http import create_app
from ledger import service
from ledger.crypto import new_signer
from ledger.store import entries

PASSWORD = "een lang genoeg wachtwoord"
N1 = {"placing_party": "GM0166", "host_region": "RG:ijssel-vecht", "host_municipality": "GM0193",
      "cost_bearer": "GM0166", "location": "Zwolle-01", "start_date": "2026-03-01", "contract_used": "c-7",
      "legal_basis": "pseudoniem"}


@pytest.fixture
def app_client(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path)), base_url="https://testserver.local") as c:
        access = c.app.state.access
        access.add_account("post@zwolle.nl", "GM0193", ["regio"], password=PASSWORD)
        access.add_account("post@apeldoorn.nl", "GM0200", ["regio"], password=PASSWORD)
        yield c


def log_in(client, username: str) -> str:
    client.cookies.clear()
    r = client.post("/aanmelden", data={"gebruiker": username, "wachtwoord": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client.get("/v1/ik").json()["csrf"]


def send_n1(client, client_id: str = "PSN-bericht-1"):
    store = client.app.state.store
    kampen = service.party_signer(store, client.app.state.settings.keys_dir, "GM0166")
    return service.record(store, kampen, "placement_notice", N1, idempotency_key=f"n1-{client_id}", client=client_id)


def test_the_inbox_the_key_and_a_signed_acknowledgement(app_client):
    c = app_client
    n1 = send_n1(c)
    csrf = log_in(c, "post@zwolle.nl")

    r = c.get("/v1/berichten", params={"map": "inbox"})
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["seq"] == n1.seq]
    assert (item["soort"], item["action"], item["read"], item["overdue"]) == ("N1", "acknowledge", False, False)
    assert item["sender"] == "GM0166" and "plaatsing in Zwolle" in item["summary"]
    assert c.get("/v1/berichten", params={"soort": "N3"}).json()["count"] == 0
    assert_problem(c.get("/v1/berichten", params={"soort": "N9"}), 400, "REQUEST_INVALID")

    page = c.get("/berichten")
    assert page.status_code == 200 and f'href="/berichten/{n1.seq}/bevestigen">Bevestigen</a>' in page.text
    assert '<span class="label nieuw">nieuw</span>' in page.text
    today = c.get("/")
    assert "Vandaag te doen" in today.text and "ontvangst bevestigen" in today.text

    bad = c.get("/berichten", params={"van": "2026-13-01", "tegenpartij": "GM0166"})
    assert bad.status_code == 400 and "Ontvangen vanaf: geen datum" in bad.text
    assert 'value="2026-13-01"' in bad.text and 'value="GM0166"' in bad.text  # what was typed is kept

    detail = c.get(f"/berichten/{n1.seq}")
    assert detail.status_code == 200 and "Plaatsingsmelding (N1)" in detail.text
    assert [i["read"] for i in c.get("/v1/berichten").json()["items"] if i["seq"] == n1.seq] == [True]

    # no key yet: the page says so in Dutch, nothing is prepared
    no_key = c.get(f"/berichten/{n1.seq}/bevestigen")
    assert no_key.status_code == 409 and "nog geen geregistreerde sleutel" in no_key.text
    assert "data-statement" not in no_key.text

    # the key page: a malformed public key is refused next to the form; the real one is asked for
    refused = c.post("/sleutel", data={"publieke_sleutel": "abc", "csrf": csrf})
    assert refused.status_code == 400 and "geen publieke Ed25519-sleutel" in refused.text
    browser_key = new_signer("GM0193")  # what the browser's WebCrypto makes
    asked = c.post("/sleutel", data={"publieke_sleutel": browser_key.public_key.hex(), "csrf": csrf},
                   follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == f"/sleutel?aangevraagd={browser_key.key_id}"
    keys = AccountKeys(c.app.state.access.engine)
    assert [k.key_id for k in keys.waiting("GM0193")] == [browser_key.key_id]
    assert keys.label(browser_key.key_id) == "post@zwolle.nl"  # the account, next to the key id, not in the ledger
    registered = compose_notices.register_account_key(c.app.state.store, keys, browser_key.key_id)  # the operator
    reg_row = c.app.state.store.rows_where(entries.c.seq == registered.registration_seq)[0]
    assert reg_row.kind == "key_registration" and b"post@zwolle.nl" not in reg_row.statement
    assert f"grootboekregel {registered.registration_seq}" in c.get("/sleutel").text

    form = c.get(f"/berichten/{n1.seq}/bevestigen")
    assert form.status_code == 200, form.text
    assert 'src="/static/sign.js"' in form.text and "<script>" not in form.text
    csp = form.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "connect-src 'self';" in csp and "unsafe" not in csp
    script = c.get("/static/sign.js")
    assert script.status_code == 200 and 'generateKey(ALGORITHM, false, ["sign", "verify"])' in script.text
    assert 'data-endpoint="/v1/grootboek/regels"' in form.text
    raw = base64.b64decode(re.search(r'data-statement="([^"]+)"', form.text).group(1))
    st = json.loads(raw)
    assert (st["kind"], st["author"], st["key_id"], st["client"]) == ("acknowledgement", "GM0193", browser_key.key_id,
                                                                      "PSN-bericht-1")
    assert st["payload"]["notice"] == {"seq": n1.seq, "entry_hash": n1.entry_hash.hex()}
    assert "bevestigt de ontvangst van de plaatsingsmelding (N1)" in form.text

    # a statement changed after it was signed: the signature refusal, nothing stored
    size = c.app.state.store.size()
    tampered = raw.replace(b'"note":""', b'"note":"x"')
    r = c.post("/v1/grootboek/regels", json={"statement": base64.b64encode(tampered).decode(),
                                            "signature": base64.b64encode(browser_key.sign(raw)).decode()},
               headers={"x-csrf-token": csrf})
    assert_problem(r, 422, "SIGNATURE_INVALID")
    assert c.app.state.store.size() == size
    # the signed statement as prepared: admitted
    r = c.post("/v1/grootboek/regels", json={"statement": base64.b64encode(raw).decode(),
                                            "signature": base64.b64encode(browser_key.sign(raw)).decode()},
               headers={"x-csrf-token": csrf})
    assert r.status_code == 201, r.text
    ack = c.app.state.store.rows_where(entries.c.seq == r.json()["seq"])[0]
    assert (ack.kind, ack.key_id, ack.author) == ("acknowledgement", browser_key.key_id, "GM0193")

    [item] = [i for i in c.get("/v1/berichten").json()["items"] if i["seq"] == n1.seq]
    assert item["action"] is None and item["done"] == {"GM0193": ack.seq}
    again = c.get(f"/berichten/{n1.seq}/bevestigen")
    assert again.status_code == 409 and "al bevestigd" in again.text
    assert "Vandaag te doen" not in c.get("/").text


def test_another_party_sees_nothing_and_the_outbox_waits(app_client):
    c = app_client
    n1 = send_n1(c, "PSN-bericht-2")
    log_in(c, "post@apeldoorn.nl")
    assert [i for i in c.get("/v1/berichten").json()["items"] if i["seq"] == n1.seq] == []
    assert_problem(c.get(f"/berichten/{n1.seq}", headers={"accept": "application/json"}), 404, "NOTICE_NOT_FOUND")
    assert c.get(f"/berichten/{n1.seq}/bevestigen").status_code == 404
    assert c.post(f"/v1/berichten/{n1.seq}/gelezen", headers={"x-csrf-token": c.get("/v1/ik").json()["csrf"]}
                  ).status_code == 404
    # another party's mailbox is not asked for by name
    assert c.get("/v1/berichten", params={"partij": "GM0166"}).status_code == 404
    c.app.state.access.add_account("post@kampen.nl", "GM0166", ["regio"], password=PASSWORD)
    log_in(c, "post@kampen.nl")
    out = c.get("/v1/berichten", params={"map": "outbox", "tegenpartij": "GM0193"}).json()
    [sent] = [i for i in out["items"] if i["seq"] == n1.seq]
    assert sent["waitingFor"] == ["GM0193", "RG:ijssel-vecht"] and sent["action"] is None
    page = c.get("/berichten", params={"map": "outbox"})
    assert "wacht op bevestiging van Zwolle" in page.text


def test_dispute_steps_determinations_and_a_confidential_placement(app_client):
    from api_helpers import seed_settlement_and_case, token_for

    from ledger.confidential_locations import MASK

    c = app_client
    seed = seed_settlement_and_case(c)  # Kampen's provisional N3 to Zwolle, and a dispute Kampen opened on it
    log_in(c, "post@zwolle.nl")
    items = c.get("/v1/berichten").json()["items"]
    [step] = [i for i in items if i["soort"] == "N7"]
    assert step["sender"] == "GM0166" and f"geschil {seed['case_id']}" in step["summary"]
    [n3] = [i for i in items if i["seq"] == seed["determination"].seq]
    assert n3["soort"] == "N3" and n3["action"] is None  # the dispute answers it now
    assert [i["soort"] for i in c.get("/v1/berichten", params={"soort": "N7"}).json()["items"]] == ["N7"]
    # a page at a time, newest first: the pages together are the whole inbox, the way on in `Link`
    first = c.get("/v1/berichten", params={"pageSize": 1})
    body = first.json()
    assert body["count"] == 1 and body["total"] == len(items) >= 2 and first.headers["x-total-count"] == str(len(items))
    assert 'rel="next"' in first.headers["link"] and "pageSize=1" in first.headers["link"]
    pages = [c.get("/v1/berichten", params={"pageSize": 1, "page": n}).json()["items"] for n in range(1, len(items) + 1)]
    assert [p[0]["seq"] for p in pages] == [i["seq"] for i in items]
    assert_problem(c.get("/v1/berichten", params={"pageSize": 0}), 400, "REQUEST_INVALID")

    # a client of a SAFETY_CONFIDENTIAL determination: its N1 reaches Zwolle (it needs the place), masked
    # for nobody there; an auditor reading Zwolle's inbox does not get it at all
    store, keys_dir = c.app.state.store, c.app.state.settings.keys_dir
    kampen = service.party_signer(store, keys_dir, "GM0166")
    from api_helpers import determination_payload

    service.record(store, kampen, "determination",
                   determination_payload(c, "GM0166", "det-veilig", variant="SAFETY_CONFIDENTIAL", client="PSN-veilig-1"),
                   idempotency_key="det-veilig", client="PSN-veilig-1")
    n1 = service.record(store, kampen, "placement_notice", {**N1, "location": MASK}, idempotency_key="n1-veilig",
                        client="PSN-veilig-1")
    assert [i["seq"] for i in c.get("/v1/berichten", params={"soort": "N1"}).json()["items"]] == [n1.seq]
    auditor = token_for(c.app.state.access, "OPERATOR", ("auditor",))
    c.cookies.clear()
    r = c.get("/v1/berichten", params={"partij": "GM0193", "soort": "N1"}, headers={"authorization": f"Bearer {auditor}"})
    assert r.status_code == 200 and r.json()["items"] == []
    r = c.get("/v1/berichten", params={"partij": "GM0193", "soort": "N7"}, headers={"authorization": f"Bearer {auditor}"})
    assert r.json()["count"] == 1 and r.json()["items"][0]["read"] is None  # a machine client has no read state


def test_the_cli_lists_the_same_inbox(app_client, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    c = app_client
    n1 = send_n1(c, "PSN-bericht-3")
    runner = CliRunner()
    env = {"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'bwledger.db'}"}
    r = runner.invoke(app, ["berichten", "--party", "GM0193", "--soort", "N1"], env=env)
    assert r.exit_code == 0, r.output
    assert "Zwolle: 1 ontvangen bericht(en)" in r.output
    line = next(x for x in r.output.splitlines() if x.startswith(f"{n1.seq}\t"))
    assert "plaatsingsmelding (N1)\tKampen\tPSN-bericht-3\tontvangst bevestigen" in line
    r = runner.invoke(app, ["berichten", "--party", "GM0166", "--map", "outbox"], env=env)
    assert r.exit_code == 0 and "wacht op Zwolle, regio IJssel-Vecht" in r.output
    r = runner.invoke(app, ["berichten", "--party", "GM0193", "--soort", "N6"], env=env)
    assert r.exit_code == 2 and "--soort: onbekende soort 'N6'" in r.output


def test_disabling_an_account_revokes_its_browser_key(app_client, tmp_path):
    from api_helpers import assert_problem as problem
    from api_helpers import logged_in
    from typer.testing import CliRunner

    from api.cli import app
    from ledger import inbox

    c = app_client
    n1 = send_n1(c, "PSN-bericht-4")
    keys = AccountKeys(c.app.state.access.engine)
    browser_key = new_signer("GM0193")
    keys.request("post@zwolle.nl", "GM0193", browser_key.public_key.hex())
    runner = CliRunner()
    env = {"BWLEDGER_HOME": str(tmp_path), "BWLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'bwledger.db'}"}
    r = runner.invoke(app, ["accounts", "register-key", browser_key.key_id], env=env)
    assert r.exit_code == 0 and "geregistreerd: grootboekregel" in r.output, r.output
    r = runner.invoke(app, ["accounts", "keys", "--party", "GM0193"], env=env)
    assert f"{browser_key.key_id}\tpost@zwolle.nl\tGM0193" in r.output and "geregistreerd" in r.output
    r = runner.invoke(app, ["accounts", "disable", "post@zwolle.nl"], env=env)
    assert r.exit_code == 0 and "1 sleutel(s) ingetrokken" in r.output, r.output
    assert compose_notices.revoke_account_keys(c.app.state.store, keys, "post@zwolle.nl") == []  # once
    draft = inbox.acknowledgement_draft(c.app.state.store, "GM0193", n1.seq)
    signed = draft.signed(browser_key, c.app.state.store.clock())  # what the revoked key signs now: refused
    problem(logged_in(c).post("/v1/grootboek/regels", json=as_json(signed)), 403, "KEY_NOT_VALID")


def test_keys_and_read_marks_belong_to_the_person_of_a_session():
    from api.access.identity import Identity
    from api.http.guards import Caller
    from api.http.routes_notices import person_of

    local = Identity("account:post@zwolle.nl", "GM0193", frozenset({"regio"}), "lokaal")
    oidc = Identity("f3a9c2-sub", "GM0193", frozenset({"regio"}), "idp")
    machine = Identity("token:abc", "GM0193", frozenset({"regio"}), "token")
    assert person_of(Caller(local, "keyPage", None, "session")) == "post@zwolle.nl"
    assert person_of(Caller(oidc, "keyPage", None, "session")) == "f3a9c2-sub"  # the OpenID provider's subject
    assert person_of(Caller(machine, "keyPage", None, "token")) is None  # a machine signs with its own key file
