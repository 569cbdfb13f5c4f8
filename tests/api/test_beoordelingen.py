"""Issue 14 on the API: POST /v1/vastgelegde-beoordelingen records a determination as N3 (a draft to sign, then the signed
statement, which the server's admission replays on the facts deposited with it), answers it (N4) and
re-determines it (N8); GET /v1/vastgelegde-beoordelingen/{digest}/spoor gives the rule trail to the parties and the
committee. The region enters the client from a Haal Centraal BRP response."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from api_helpers import assert_problem, party
from litestar.testing import TestClient
from party_auth import logged_in

from api.http import create_app
from api.settings import Settings

BRP = Path(__file__).resolve().parents[1] / "data" / "brp"
KAMPEN, ZWOLLE, APELDOORN = "GM0166", "GM0193", "GM0200"
CLIENT = "PSN-v1-1"
#: casebook case A01 (rules/casebook/p_brp_adapter.toml) without its addresses: they come from the BRP
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
#: the same client after a BRP correction: Kampen was the woonadres all along, so Kampen pays
A01_CORRECTED = A01 + """addresses = [ { gemeente = "GM0166", function = "W", from = 2015-01-01, recorded = 2026-03-20 } ]
"""


@pytest.fixture
def api(backend, tmp_path):
    """The app on each backend, its admission replaying every determination (the default of a deployment)."""
    url, schema = backend
    settings = Settings(home=tmp_path, database_url=url, database_schema=schema, checkpoint_seconds=0)
    with TestClient(create_app(settings)) as c:
        yield logged_in(c)


def auth(api, who, roles=None):
    return {"Authorization": f"Bearer {api.auth.token(who, roles)}"}


def sign(signer, concept) -> dict:
    raw = base64.b64decode(concept["verklaring"])
    return {"verklaring": concept["verklaring"], "handtekening": base64.b64encode(signer.sign(raw)).decode()}


def forge(signer, concept, change) -> dict:
    st = json.loads(base64.b64decode(concept["verklaring"]))
    change(st["payload"])
    from ledger.canonical import canonical_json

    raw = canonical_json(st)
    return {"verklaring": base64.b64encode(raw).decode(), "handtekening": base64.b64encode(signer.sign(raw)).decode()}


def draft_n3(api, signer, **extra):
    body = {"partij": KAMPEN, "sleutelId": signer.key_id, "client": CLIENT, "invoer": A01,
            "brp": (BRP / "A01.json").read_text("utf-8"), **extra}
    return api.post("/v1/vastgelegde-beoordelingen", json=body, headers=auth(api, KAMPEN))


def recorded(api):
    kampen = party(api, KAMPEN)
    r = draft_n3(api, kampen)
    assert r.status_code == 200, r.text
    body = r.json()
    done = api.post("/v1/vastgelegde-beoordelingen", json=sign(kampen, body["concept"]), headers=auth(api, KAMPEN))
    assert done.status_code == 201, done.text
    return body, done.json(), kampen


def test_a_region_records_a_determination_from_a_brp_response(api):
    body, done, _kampen = recorded(api)
    det = body["beoordeling"]
    assert det["cost_bearer"] == ZWOLLE and det["legal_college"] == KAMPEN and body["brpVerslag"]
    st = json.loads(base64.b64decode(body["concept"]["verklaring"]))
    assert st["kind"] == "determination" and st["author"] == KAMPEN and st["client"] == CLIENT
    assert st["payload"]["determination_digest"] == body["digest"] and st["payload"]["addressee"] == ZWOLLE
    assert st["payload"]["objection_deadline"]
    assert done["volgnummer"] > 0 and not done["alOpgenomen"]
    # the trail: for the parties to it and the committee; a third municipality gets 404
    for who in (KAMPEN, ZWOLLE):
        r = api.get(f"/v1/vastgelegde-beoordelingen/{body['digest']}/spoor", headers=auth(api, who))
        assert r.status_code == 200, r.text
        assert r.json()["beoordeling"] == det and r.json()["volgnummer"] == done["volgnummer"]
    committee = api.get(f"/v1/vastgelegde-beoordelingen/{body['digest']}/spoor", headers=auth(api, "COMMITTEE", ("commissielid",)))
    assert committee.status_code == 200
    assert_problem(api.get(f"/v1/vastgelegde-beoordelingen/{body['digest']}/spoor", headers=auth(api, APELDOORN)), 404,
                   "DETERMINATION_NOT_FOUND")
    assert_problem(api.get(f"/v1/vastgelegde-beoordelingen/{'0' * 64}/spoor", headers=auth(api, KAMPEN)), 404,
                   "DETERMINATION_NOT_FOUND")


def test_a_signed_determination_the_engine_does_not_give_is_refused(api):
    kampen = party(api, KAMPEN)
    concept = draft_n3(api, kampen).json()["concept"]
    size = api.app.state.store.size()

    def other_bearer(p):
        p["outcome"]["cost_bearer"] = APELDOORN
        p["addressee"] = APELDOORN

    assert_problem(api.post("/v1/vastgelegde-beoordelingen", json=forge(kampen, concept, other_bearer), headers=auth(api, KAMPEN)),
                   422, "DETERMINATION_REPLAY_MISMATCH")

    def made_up(p):
        p["input_digest"] = "b" * 64

    assert_problem(api.post("/v1/vastgelegde-beoordelingen", json=forge(kampen, concept, made_up), headers=auth(api, KAMPEN)),
                   422, "DETERMINATION_FACTS_MISSING")
    # the general entries endpoint is no way around it
    forged = forge(kampen, concept, other_bearer)
    assert_problem(api.post("/v1/grootboek/regels", json={"statement": forged["verklaring"],
                                                         "signature": forged["handtekening"]}), 422,
                   "DETERMINATION_REPLAY_MISMATCH")
    assert api.app.state.store.size() == size


def test_draft_requests_of_the_wrong_form(api):
    kampen = party(api, KAMPEN)
    assert_problem(draft_n3(api, kampen, formaat="yaml"), 400, "REQUEST_INVALID")
    assert_problem(draft_n3(api, kampen, bsn="123456782"), 400, "REQUEST_INVALID")
    assert_problem(draft_n3(api, kampen, client=""), 400, "REQUEST_INVALID")
    # another party's draft: 403
    r = api.post("/v1/vastgelegde-beoordelingen", json={"partij": ZWOLLE, "sleutelId": kampen.key_id}, headers=auth(api, KAMPEN))
    assert_problem(r, 403, "PARTY_NOT_OWN")
    # an answer to an entry that is no determination
    zwolle = party(api, ZWOLLE)
    r = api.post("/v1/vastgelegde-beoordelingen/1/antwoorden", json={"partij": ZWOLLE, "sleutelId": zwolle.key_id,
                                                           "akkoord": True}, headers=auth(api, ZWOLLE))
    assert_problem(r, 404, "DETERMINATION_NOT_FOUND")


def test_the_addressee_answers_within_the_window_and_no_one_else(api):
    body, done, _kampen = recorded(api)
    seq = done["volgnummer"]
    zwolle, apeldoorn = party(api, ZWOLLE), party(api, APELDOORN)
    # a third municipality's N4: the ledger refuses it (the addressee only)
    d = api.post(f"/v1/vastgelegde-beoordelingen/{seq}/antwoorden", json={"partij": APELDOORN, "sleutelId": apeldoorn.key_id,
                                                               "akkoord": True}, headers=auth(api, APELDOORN))
    assert d.status_code == 200, d.text
    assert_problem(api.post(f"/v1/vastgelegde-beoordelingen/{seq}/antwoorden", json=sign(apeldoorn, d.json()["concept"]),
                            headers=auth(api, APELDOORN)), 403, "NOT_ENTITLED")
    assert_problem(api.post(f"/v1/vastgelegde-beoordelingen/{seq}/antwoorden",
                            json={"partij": ZWOLLE, "sleutelId": zwolle.key_id, "akkoord": False},
                            headers=auth(api, ZWOLLE)), 422, "ANSWER_INVALID")
    d = api.post(f"/v1/vastgelegde-beoordelingen/{seq}/antwoorden", json={"partij": ZWOLLE, "sleutelId": zwolle.key_id,
                                                               "akkoord": False, "redenen": "niet onze woonplaats"},
                 headers=auth(api, ZWOLLE))
    assert d.status_code == 200 and d.json()["termijn"] == json.loads(base64.b64decode(
        body["concept"]["verklaring"]))["payload"]["objection_deadline"]
    ok = api.post(f"/v1/vastgelegde-beoordelingen/{seq}/antwoorden", json=sign(zwolle, d.json()["concept"]),
                  headers=auth(api, ZWOLLE))
    assert ok.status_code == 201, ok.text
    # a signed N4 about another determination is not taken at this address
    assert_problem(api.post(f"/v1/vastgelegde-beoordelingen/{seq + 100}/antwoorden", json=sign(zwolle, d.json()["concept"]),
                            headers=auth(api, ZWOLLE)), 400, "REQUEST_INVALID")


def test_a_redetermination_only_when_the_outcome_changes(api):
    body, done, kampen = recorded(api)
    seq = done["volgnummer"]
    same = {"partij": KAMPEN, "sleutelId": kampen.key_id, "invoer": A01, "brp": (BRP / "A01.json").read_text("utf-8"),
            "aanleiding": "brp_correction"}
    assert_problem(api.post(f"/v1/vastgelegde-beoordelingen/{seq}/herbeoordelingen", json=same, headers=auth(api, KAMPEN)),
                   422, "REDETERMINATION_UNCHANGED")
    new = {"partij": KAMPEN, "sleutelId": kampen.key_id, "invoer": A01_CORRECTED, "aanleiding": "brp_correction"}
    r = api.post(f"/v1/vastgelegde-beoordelingen/{seq}/herbeoordelingen", json=new, headers=auth(api, KAMPEN))
    assert r.status_code == 200, r.text
    assert r.json()["beoordeling"]["cost_bearer"] == KAMPEN and r.json()["beoordeling"]["previous"] == body["digest"]
    n8 = api.post(f"/v1/vastgelegde-beoordelingen/{seq}/herbeoordelingen", json=sign(kampen, r.json()["concept"]),
                  headers=auth(api, KAMPEN))
    assert n8.status_code == 201, n8.text
    trail = api.get(f"/v1/vastgelegde-beoordelingen/{r.json()['digest']}/spoor", headers=auth(api, ZWOLLE))
    assert trail.status_code == 200 and trail.json()["soort"] == "redetermination"


def test_the_page_records_as_n3_after_the_assessment(api):
    r = api.post("/beoordeling", files={"feiten": (None, A01), "brp": ("A01.json", (BRP / "A01.json").read_bytes())},
                 headers=auth(api, KAMPEN))
    assert r.status_code == 200, r.text
    assert "Vastleggen als N3" in r.text
    # the form carries the facts read from the BRP response (its mapped addresses), never the response itself
    import html
    import re

    carried = html.unescape(re.search(r'name="feiten" value="([^"]*)"', r.text.split("Vastleggen als N3")[0]
                                      .split('action="/beoordeling/vastleggen"')[1]).group(1))
    assert '"addresses"' in carried and "verblijfplaatsen" not in carried and "datumTot" not in carried
    form = {"feiten": (None, carried), "formaat": (None, "json")}
    missing = api.post("/beoordeling/vastleggen", files={**form, "client": (None, " ")}, headers=auth(api, KAMPEN))
    assert missing.status_code == 400 and "Het pseudoniem is verplicht." in missing.text and 'aria-invalid="true"' in missing.text
    done = api.post("/beoordeling/vastleggen", files={**form, "client": (None, "PSN-page-1")}, headers=auth(api, KAMPEN))
    # a token has no account key to sign with in a browser: the statement is shown, with what to do instead
    # (the signing in the browser itself: tests/api/test_browser_signing.py)
    assert done.status_code == 409, done.text
    assert "beoordeling (N3)" in done.text and "Zwolle (GM0193)" in done.text and "1 maart 2026" in done.text
    assert "KEY_NOT_REGISTERED" in done.text and "--as GM0166" in done.text
    assert 'id="ondertekenen"' not in done.text
    # the facts were deposited by the page (before anything is signed), under the input digest
    from cases.determinations import read_intake
    from rules.engine import determine

    intake = read_intake(A01, brp=(BRP / "A01.json").read_text("utf-8"))
    digest = determine(intake.facts, intake.context).input_digest
    assert api.app.state.deposits.facts_document("PSN-page-1", digest) is not None
    assert api.app.state.deposits.facts_document("PSN-page-2", digest) is None


def test_n5_and_its_answer(api):
    kampen, zwolle, apeldoorn = party(api, KAMPEN), party(api, ZWOLLE), party(api, APELDOORN)
    body = {"partij": KAMPEN, "sleutelId": kampen.key_id, "client": "PSN-n5-1", "aan": ZWOLLE,
            "redenen": "het netwerk van de cliënt is in Zwolle", "voorgesteldeDatum": "2026-12-14"}
    assert_problem(api.post("/v1/overdrachtsverzoeken", json={**body, "voorgesteldeDatum": "14-12-2026"},
                            headers=auth(api, KAMPEN)), 400, "REQUEST_INVALID")
    d = api.post("/v1/overdrachtsverzoeken", json=body, headers=auth(api, KAMPEN))
    assert d.status_code == 200, d.text
    n5 = api.post("/v1/overdrachtsverzoeken", json=sign(kampen, d.json()["concept"]), headers=auth(api, KAMPEN))
    assert n5.status_code == 201, n5.text
    seq = n5.json()["volgnummer"]
    url = f"/v1/overdrachtsverzoeken/{seq}/antwoorden"
    # a no needs its reasons; a party not asked is refused by the ledger
    assert_problem(api.post(url, json={"partij": ZWOLLE, "sleutelId": zwolle.key_id, "akkoord": False},
                            headers=auth(api, ZWOLLE)), 422, "HANDOVER_INVALID")
    other = api.post(url, json={"partij": APELDOORN, "sleutelId": apeldoorn.key_id, "akkoord": True},
                     headers=auth(api, APELDOORN))
    assert_problem(api.post(url, json=sign(apeldoorn, other.json()["concept"]), headers=auth(api, APELDOORN)),
                   403, "NOT_ENTITLED")
    yes = api.post(url, json={"partij": ZWOLLE, "sleutelId": zwolle.key_id, "akkoord": True},
                   headers=auth(api, ZWOLLE))
    assert yes.status_code == 200 and yes.json()["termijn"]
    st = json.loads(base64.b64decode(yes.json()["concept"]["verklaring"]))
    assert st["kind"] == "handover_answer" and st["payload"]["take_over_date"] == "2026-12-14"
    assert api.post(url, json=sign(zwolle, yes.json()["concept"]), headers=auth(api, ZWOLLE)).status_code == 201
    # answered once: a second answer (another statement) is refused
    from ledger.drafts import Draft

    again = Draft("handover_answer", {**st["payload"], "accepted": False, "reasons": "toch niet"}, "n5-again",
                  st["client"])
    raw = again.statement(ZWOLLE, zwolle.key_id, api.app.state.store.clock())
    assert_problem(api.post(url, json={"verklaring": base64.b64encode(raw).decode(),
                                       "handtekening": base64.b64encode(zwolle.sign(raw)).decode()},
                            headers=auth(api, ZWOLLE)), 422, "HANDOVER_ANSWER_INVALID")
