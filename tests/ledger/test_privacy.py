"""Personal data never enters the ledger (ledger/privacy.py, the admission family `privacy`): a BSN-like
number (nine digits passing the 11-proef) anywhere in a statement, also inside a longer value, an
e-mail address and a postcode with house number are refused with PERSONAL_DATA naming the field, over
HTTP on SQLite and PostgreSQL, and `ledger verify` names one written into the database by hand.
What only looks like it (nine digits failing the 11-proef, amounts, dates, digests, pseudonyms) enters.
"""
from __future__ import annotations

import pytest
from ledger_helpers import determination
from real_determinations import Recorder
from tamper_helpers import drop_append_only_triggers, insert_by_hand
from test_admission_rules import C1, _event, line, scenario  # noqa: F401 (scenario: the suite's fixture, on each backend)

from ledger import privacy
from ledger.admission import ruleset_at
from ledger.entries import COMMITTEE
from ledger.verify import verify_store

BSN = "123456782"  # passes the 11-proef: 9*1 + 8*2 + 7*3 + 6*4 + 5*5 + 4*6 + 3*7 + 2*8 - 2 = 154 = 14 * 11
NOT_BSN = "123456789"  # fails it




# ---------------------------------------------------------------------------------------------
# The detection itself
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("digits, ok", [(BSN, True), ("111222333", True), ("999999990", True), (NOT_BSN, False),
                                        ("000000000", False), ("12345678", False), ("1234567820", False),
                                        ("12345678a", False)])
def test_the_11_proef(digits, ok):
    assert privacy.elfproef(digits) is ok


@pytest.mark.parametrize("text, what", [
    (f"PSN-{BSN}", "bsn"), (f"bsn{BSN}", "bsn"), (f"Zwolle-{BSN}-kamer 3", "bsn"), ("1234.56.782", "bsn"),
    ("1234 56 782", "bsn"), ("123 456 782", "bsn"), (f"kamer 3 {BSN}", "bsn"),
    ("mail j.jansen+bw@gemeente.example.nl", "email"), ("Dorpsstraat 1, 1234 AB 12", "postcode"),
    ("1234AB 5a", "postcode"), ("8011AA12", "postcode"),
    # what only looks like it
    (NOT_BSN, None), ("1234567820", None), ("€ 123.456.782", None), ("2026-12-01 tot 2027-03-31", None),
    ("PSN-000123", None), ("in 2025 is 3 keer overlegd", None), ("2026K1", None), ("0123 AB 4", None),
    ("1234 AB", None), ("a" * 10 + BSN + "b" * 30, None),  # a hex digest, not a number anyone wrote
])
def test_what_counts_as_personal_data(text, what):
    assert privacy.find(text) == what


def test_mask_replaces_every_bsn_like_number_and_nothing_else():
    assert privacy.mask(f"client PSN-{BSN} en 1234.56.782, niet {NOT_BSN}") == \
        f"client PSN-********* en *********, niet {NOT_BSN}"
    assert privacy.mask("niets") == "niets"


def test_the_cheap_pass_finds_nothing_to_look_at_in_ordinary_statements(scenario):
    """The hot path: the raw bytes of every entry of the scenario (hex keys, digests, hashes, dates,
    amounts) pass the one regex without a walk of their fields."""
    rows = scenario.store.rows_where()
    assert len(rows) > 20
    assert not [r.seq for r in rows if privacy._suspect(r.statement)]


def test_privacy_is_a_family_from_the_rule_set_of_2026_12_02_on():
    from datetime import UTC, datetime

    assert "privacy" in ruleset_at(datetime(2026, 12, 2, tzinfo=UTC)).rules
    assert "privacy" not in ruleset_at(datetime(2026, 12, 1, 23, 59, tzinfo=UTC)).rules


# ---------------------------------------------------------------------------------------------
# Over HTTP and in verify
# ---------------------------------------------------------------------------------------------
def _submission(s, **kw):
    return _event(s, "HEARING", "HEARING", action="submission", **kw)


def refused(s) -> list[tuple[str, object, str]]:
    """(what, the signed statement, the field the refusal names): a BSN inside a value in twelve
    variants, then an e-mail address and a postcode; each signed with a valid key by an entitled author."""
    r, n1 = s.refs, s.refs["n1_payload"]
    return [
        ("a BSN after the pseudonym prefix", s.sign("GM0166", "determination", determination(
            addressee="GM0193", determination_id="det-p1"), client=f"PSN-{BSN}"), "client"),
        ("a BSN in a position", s.sign("GM0166", "dispute_event", _submission(
            s, position=f"De cliënt (BSN {BSN}) woonde in Kampen")), "position"),
        ("a BSN in a note", s.sign("GM0166", "dispute_event", _submission(s, note=f"bsn:{BSN}")), "note"),
        ("a BSN in the question, written 1234.56.782", s.sign("GM0166", "dispute_event", _submission(
            s, question="Wie betaalt voor 1234.56.782?")), "question"),
        ("a BSN in a location", s.sign("GM0166", "placement_notice", {**n1, "location": f"Zwolle-{BSN}"}),
         "location"),
        ("a BSN in an objection's reasons, written 123 456 782", s.sign("GM0193", "objection", {
            "determination": r["det"], "reasons": "cliënt 123 456 782 woonde elders"}), "reasons"),
        ("a BSN in a client preference", s.sign("GM0166", "handover_request", {
            "meldgemeente": "GM0166", "to_party": "GM0193", "reasons": "kansrijker", "proposed_date": "2026-03-01",
            "client_preference": f"wil naar Zwolle ({BSN})", "legal_basis": "pseudoniem"}), "client_preference"),
        ("a BSN in a cost line's placement id", s.sign("GM0166", "cost_line", line(
            determination=r["det"], placement_id=f"PL{BSN}")), "placement_id"),
        ("a BSN in a reversal's reason", s.sign("GM0166", "reversal", {
            "reverses": r["line"], "reason": f"verkeerde cliënt {BSN}"}), "reason"),
        ("a BSN in a prior attempt's summary (nested)", s.sign("GM0166", "dispute_event", _submission(
            s, attempts=[{"kind": "contactpersonen", "held_on": "2026-11-02", "summary": f"overleg over {BSN}",
                          "evidence": ["a" * 64]}])), "attempts[0].summary"),
        ("a BSN in the idempotency key", s.sign("GM0166", "dispute_event", _submission(s, note="stukken"),
                                                key=f"submission-{BSN}"), "idempotency_key"),
        ("a BSN in an acknowledgement's note", s.sign("GM0193", "acknowledgement", {
            "notice": r["n1"], "note": f"ontvangen, BSN={BSN}"}), "note"),
        ("an e-mail address in a position", s.sign("GM0166", "dispute_event", _submission(
            s, position="zie mail van j.jansen@kampen.example.nl")), "position"),
        ("a postcode with house number in a location", s.sign("GM0166", "placement_notice", {
            **n1, "location": "Dorpsstraat 1, 8011 AB 12"}), "location"),
        ("a postcode without a space in a note", s.sign("GM0166", "dispute_event", _submission(
            s, note="woont op 8261AB 5a")), "note"),
    ]


def test_personal_data_is_refused_over_http_naming_the_field(scenario):
    s = scenario
    size = s.store.size()
    cases = refused(s)
    assert sum("BSN" in what for what, _st, _f in cases) == 12
    for what, st, field in cases:
        r = s.post(st)
        body = r.json()
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (what, r.text)
        assert body["code"] == "PERSONAL_DATA", (what, body)
        assert f"het veld {field} bevat" in body["detail"], (what, body["detail"])
        assert BSN not in r.text and "jansen" not in r.text and "8011" not in r.text  # never repeated
    assert s.store.size() == size  # nothing stored
    # the whole BSN as the client was refused before (the envelope's schema), and still is
    r = s.post(s.sign("GM0166", "determination", determination(addressee="GM0193", determination_id="det-p2"),
                      client=BSN))
    assert r.status_code == 422 and r.json()["code"] == "STATEMENT_INVALID"
    assert s.store.size() == size


def test_what_only_looks_like_personal_data_is_admitted(scenario):
    s = scenario
    size = s.store.size()
    ok = [
        s.sign("GM0166", "dispute_event", _submission(
            s, note=f"kenmerk {NOT_BSN}, bedrag € 123.456.782, periode 2026-01-01 tot 2026-06-30, zaak 2026K1",
            documents=[BSN + "a" * 55])),  # nine digits failing the 11-proef; a digest holding a passing run
        s.sign("GM0166", "placement_notice", {**s.refs["n1_payload"], "expected_duration_days": int(BSN)}),  # a number
        s.sign("GM0166", "determination", Recorder.of_app(s.client.app).payload("GM0193", "det-p3",
                                                                                client="PSN-000123"),
               client="PSN-000123"),
    ]
    for st in ok:
        r = s.post(st)
        assert r.status_code == 201, r.text
    assert s.store.size() == size + len(ok)
    assert verify_store(s.store).ok


def test_verify_names_personal_data_written_into_the_database(scenario):
    s = scenario
    drop_append_only_triggers(s.store)
    expected = {}
    for what, st, field in refused(s)[:3] + refused(s)[-3:]:
        seq, _state = insert_by_hand(s.store, st)
        expected[seq] = field
    report = verify_store(s.store)
    assert {p.seq: p.code for p in report.problems} == dict.fromkeys(expected, "PERSONAL_DATA"), report.problems
    for p in report.problems:
        assert f"het veld {expected[p.seq]} bevat" in p.message
        assert BSN not in p.message


def test_committee_texts_are_checked_too(scenario):
    """A decision's summary, written by the committee, is a field like any other."""
    s = scenario
    st = s.sign(COMMITTEE, "dispute_event", _event(s, "DECIDED", "HEARING", decision={
        "nature": "binding_advice", "decided_on": "2026-12-01", "summary": f"cliënt {BSN}",
        "cost_bearers": [{"period_from": "2026-01-01", "period_to": "2026-06-30", "cost_bearer": "GM0166"}]}),
        client=C1)
    r = s.post(st)
    assert r.json()["code"] == "PERSONAL_DATA" and "decision.summary" in r.json()["detail"]


def test_the_fast_byte_pass_finds_what_the_plain_patterns_find():
    """The pre-pass over statement bytes (a pattern tried only where the shape of the bytes shows what
    it finds) finds what the plain patterns tried everywhere find: every nine-digit match, and a postcode
    only in bytes whose shape holds the postcode shape."""
    import random
    import re as _re

    rng = random.Random(7)
    plain_nine, plain_postcode = _re.compile(privacy._NINE.encode()), _re.compile(privacy._POSTCODE.encode())
    found = {"nine": 0, "postcode": 0}
    for _ in range(20000):
        t = "".join(rng.choice("0123456789 .-aZAB@x") for _ in range(rng.randint(0, 30))).encode()
        shape = t.translate(privacy._SHAPE)
        nine = sorted(m.span() for m in plain_nine.finditer(t))
        assert nine == sorted(m.span() for m in privacy._nine_digit_matches(t, shape)), t
        postcodes = [m.span() for m in plain_postcode.finditer(t)]
        assert postcodes == [m.span() for m in privacy._POSTCODE_BYTES.finditer(t)], t
        if postcodes:
            assert b"0000AA" in shape or b"0000.AA" in shape, t
        found["nine"] += bool(nine)
        found["postcode"] += bool(postcodes)
    assert found["nine"] > 50 and found["postcode"] > 20  # the inputs hold both, often enough to tell


def test_the_byte_pass_decides_as_the_patterns_tried_everywhere():
    """_suspect (with the shape's searches) says what the patterns over the whole bytes say, on
    statement-like bytes: hex digests with runs of digits, amounts, dates, and the written forms."""
    import random

    rng = random.Random(11)
    parts = ["a" * 3 + "123456782" + "f" * 30, "1234.56.782", "123 456 782", "8011 AB 12", "8011AB", "2026-12-01",
             "PSN-000123", "€ 123.456.782", "j@x.nl", "0123456789abcdef", "kamer 3", "111222333", '"', ",", " "]

    def everywhere(raw: bytes) -> bool:
        if b"@" in raw and privacy._EMAIL_BYTES.search(raw):
            return True
        if privacy._POSTCODE_BYTES.search(raw):
            return True
        hexes = [x.span() for x in privacy._HEX_BYTES.finditer(raw)]
        return any(privacy.elfproef(privacy._digits(m.group(0))) and not privacy._in_spans(m.start(), m.end(), hexes)
                   for m in privacy._NINE_BYTES.finditer(raw))

    outcomes = set()
    for _ in range(5000):
        raw = "".join(rng.choice(parts) for _ in range(rng.randint(0, 8))).encode()
        assert privacy._suspect(raw) == everywhere(raw), raw
        outcomes.add(everywhere(raw))
    assert outcomes == {True, False}
