"""Issue 14: a determination (N3) or re-determination (N8) is admitted only when the rules engine, replayed on
the facts deposited with it (encrypted with the client's data key), gives what it claims; the rule trail is
kept under the determination digest; an N4 is given by the addressee, within the objection deadline;
an N8 changes the outcome. On SQLite and PostgreSQL (the store is touched); the dated rule: a ledger written
before rule set 2026-12-04b (2026-12-04 01:00 UTC) verifies clean, and verify without the deposits reports the check as not run."""
from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cases import determinations as svc
from cases.client_keys import ClientKeys
from cases.determination_deposits import DeterminationDeposits
from cases.documents import ContentStore
from cases.errors import CaseError
from ledger.admission import ruleset_at
from ledger.determination_replay import Replayer
from ledger.drafts import Draft
from ledger.errors import LedgerError
from ledger.service import init_ledger, party_signer
from ledger.store import Store, entries
from ledger.verify import verify_store

ROOT = Path(__file__).resolve().parents[2]
OLD = ROOT / "tests" / "data" / "ledger_before_2026_12.db"
CHAIN = (ROOT / "rules" / "casebook" / "p_chain.toml").read_text("utf-8")
CLIENT = "PSN-replay-1"
ZWOLLE, HARDENBERG, KAMPEN = "GM0193", "GM0160", "GM0166"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Env:
    def __init__(self, url, schema, tmp_path, at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC)):
        self.clock = Clock(at)
        self.store = init_ledger(url, tmp_path / "keys", schema=schema, clock=self.clock)
        self.documents = ContentStore(tmp_path / "documents", ClientKeys(self.store, os.urandom(32)))
        self.deposits = DeterminationDeposits(self.documents)
        self.store.replayer = Replayer(self.deposits)
        self.keys = tmp_path / "keys"

    def signer(self, party):
        return party_signer(self.store, self.keys, party)

    def append(self, party, draft: Draft):
        return self.store.append(*draft.signed(self.signer(party), self.clock()).as_item())

    def count(self, kind):
        return len(self.store.rows_where(entries.c.kind == kind))


@pytest.fixture
def env(backend, tmp_path):
    e = Env(backend[0], backend[1], tmp_path)
    yield e
    e.store.dispose()


def p01():
    return svc.read_intake(CHAIN, "toml", "P01")


def corrected_p01():
    """P01 after a BRP correction: the Zwolle address is an ordinary one, so Zwolle pays (not Hardenberg)."""
    text = CHAIN.replace('{ gemeente = "GM0193", function = "W", institution = "wlz", from = 2025-09-01 }',
                         '{ gemeente = "GM0193", function = "W", from = 2025-09-01 }')
    assert text != CHAIN
    return svc.read_intake(text, "toml", "P01")


def forged(rec: svc.Recording, **changes) -> Draft:
    payload = json.loads(json.dumps(rec.draft.payload))
    for path, value in changes.items():
        target = payload
        *parents, last = path.split("__")
        for p in parents:
            target = target[p]
        target[last] = value
    return Draft(rec.draft.kind, payload, rec.draft.idempotency_key + "-forged", rec.draft.client)


def refused(env, party, draft, code):
    env.signer(party)  # its key registered first (the demo keystore registers on first use)
    before = env.store.size()
    with pytest.raises(LedgerError) as exc:
        env.append(party, draft)
    assert exc.value.code == code, exc.value
    assert env.store.size() == before  # nothing stored
    return exc.value


def test_the_rule_is_dated():
    assert "determination_replay" not in ruleset_at(datetime(2026, 12, 4, 0, 59, tzinfo=UTC)).rules
    rs = ruleset_at(datetime(2026, 12, 4, 1, tzinfo=UTC))
    assert rs.version == "2026-12-04b" and {"determination_replay", "determination_answers"} <= rs.rules
    assert rs.objection_weeks == 6


def test_a_recorded_determination_is_admitted_and_its_trail_kept(env):
    rec, res = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client=CLIENT)
    det = rec.determination
    assert det.cost_bearer == HARDENBERG
    row = env.store.get_rows([res.seq])[res.seq]
    payload = json.loads(row.statement)["payload"]
    assert payload["determination_digest"] == det.digest and payload["input_digest"] == det.input_digest
    assert payload["addressee"] == HARDENBERG and payload["objection_deadline"] == "2027-01-18"
    # the trail, by the digest the entry carries, exactly the engine's JSON
    found, doc = svc.trail(env.store, env.deposits, det.digest)
    assert found.seq == res.seq and doc == det.to_dict() and doc["trail"]
    # deposited encrypted: the plaintext is nowhere on disk
    files = [p for p in (env.documents.root).rglob("*") if p.is_file()]
    assert files and not any(b"GM0160" in p.read_bytes() and b"melding" in p.read_bytes() for p in files
                             if "contexts" not in p.parts)
    # recording again stores nothing twice
    _rec, again = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client=CLIENT)
    assert again.duplicate and again.seq == res.seq


@pytest.mark.parametrize("change,field", [
    ({"outcome__cost_bearer": KAMPEN}, "outcome.cost_bearer"),
    ({"outcome__budget": "historical"}, "outcome.budget"),
    ({"outcome__client_class": "NOT_NEW"}, "outcome.client_class"),
    ({"outcome__statutory_college": KAMPEN}, "outcome.statutory_college"),
    ({"flags": []}, "flags"),
    ({"provisional": False}, "provisional"),
    ({"determination_digest": "ab" * 32}, "determination_digest"),
    ({"ruleset_version": "bwledger-rules/0.9"}, "ruleset_version"),
    ({"determination_id": "P99"}, "determination_digest"),
])
def test_a_determination_the_engine_does_not_give_is_refused(env, change, field):
    rec = svc.draft_record(env.store, env.deposits, p01(), author=ZWOLLE, client=CLIENT)
    err = refused(env, ZWOLLE, forged(rec, **change), "DETERMINATION_REPLAY_MISMATCH")
    assert err.message.startswith(field), err.message


def test_made_up_digests_or_another_clients_facts_are_refused(env):
    rec = svc.draft_record(env.store, env.deposits, p01(), author=ZWOLLE, client=CLIENT)
    refused(env, ZWOLLE, forged(rec, input_digest="cd" * 32), "DETERMINATION_FACTS_MISSING")
    # the deposit is the client's: another client's entry cannot use it
    other = Draft("determination", rec.draft.payload, "other-client", "PSN-replay-2")
    refused(env, ZWOLLE, other, "DETERMINATION_FACTS_MISSING")
    # a melding date that is not the facts' one
    refused(env, ZWOLLE, forged(rec, reference_date="2026-03-17"), "DETERMINATION_REPLAY_MISMATCH")
    # the context the entry names must be that of the facts
    refused(env, ZWOLLE, forged(rec, context_version="ef" * 32), "DETERMINATION_REPLAY_MISMATCH")


def test_an_erased_clients_facts_cannot_carry_a_new_determination(env):
    _rec, before = svc.record(env.store, env.deposits, env.signer(ZWOLLE), corrected_p01(), client=CLIENT)
    rec = svc.draft_record(env.store, env.deposits, p01(), author=ZWOLLE, client=CLIENT)
    env.documents.keys.destroy(CLIENT, by="test", reason="bewaartermijn verstreken")
    refused(env, ZWOLLE, rec.draft, "DETERMINATION_FACTS_MISSING")
    # what was admitted before the erasure still verifies; its replay is not run (the facts are gone on purpose)
    report = verify_store(env.store)
    assert report.ok, report.problems
    assert report.replay_not_run == [before.seq]


def test_the_default_context_is_replayed_too(env):
    text = """[[case]]
id = "K1"
melding = { date = 2026-03-02, gemeente = "GM0193" }
addresses = [ { gemeente = "GM0166", function = "W", from = 2010-01-01, to = 2026-01-31 },
              { gemeente = "GM0193", function = "W", from = 2026-02-01 } ]
"""
    intake = svc.read_intake(text)
    assert intake.context_source is None
    _rec, res = svc.record(env.store, env.deposits, env.signer(ZWOLLE), intake, client="PSN-replay-3")
    assert res.seq > 0 and not (env.documents.root / "contexts").exists()


# ------------------------------------------------------------------------------------------------ N4
def test_n4_by_the_addressee_within_the_window(env):
    _rec, res = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client=CLIENT)
    # not the addressee: the entitlement table
    refused(env, KAMPEN, svc.draft_answer(env.store, res.seq, accept=True), "NOT_ENTITLED")
    with pytest.raises(CaseError) as exc:
        svc.draft_answer(env.store, res.seq, accept=False, reasons="  ")
    assert exc.value.code == "ANSWER_INVALID"
    ok = env.append(HARDENBERG, svc.draft_answer(env.store, res.seq, accept=False, reasons="Wlz-adres niet aangewezen"))
    assert ok.seq > res.seq


def test_a_late_n4_is_refused(env):
    _rec, res = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client=CLIENT)
    _rec, other = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client="PSN-replay-5")
    deadline = svc.answer_deadline(env.store, res.seq)
    assert deadline.isoformat() == "2027-01-18"
    env.signer(HARDENBERG)  # its key registered before the clock moves on
    env.clock.at = datetime(2027, 1, 18, 22, 50, tzinfo=UTC)  # still 18 January in Amsterdam
    assert env.append(HARDENBERG, svc.draft_answer(env.store, other.seq, accept=True)).seq > res.seq
    env.clock.at = datetime(2027, 1, 18, 23, 30, tzinfo=UTC)  # 19 January in Amsterdam
    refused(env, HARDENBERG, svc.draft_answer(env.store, res.seq, accept=True), "DEADLINE_PASSED")


# ------------------------------------------------------------------------------------------------ N8
def test_n8_only_when_the_outcome_changes(env):
    _rec, res = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client=CLIENT)
    with pytest.raises(CaseError) as exc:
        svc.draft_redetermine(env.store, env.deposits, res.seq, p01(), trigger="brp_correction", author=ZWOLLE)
    assert exc.value.code == "REDETERMINATION_UNCHANGED"
    with pytest.raises(CaseError) as exc:
        svc.draft_redetermine(env.store, env.deposits, res.seq, corrected_p01(), trigger="because", author=ZWOLLE)
    assert exc.value.code == "TRIGGER_INVALID"
    rec8, res8 = svc.redetermine_and_record(env.store, env.deposits, env.signer(ZWOLLE), res.seq, corrected_p01(),
                                            trigger="brp_correction")
    assert rec8.determination.cost_bearer == ZWOLLE and rec8.determination.previous is not None
    payload = json.loads(env.store.get_rows([res8.seq])[res8.seq].statement)["payload"]
    assert payload["previous"]["seq"] == res.seq and payload["outcome"]["cost_bearer"] == ZWOLLE
    assert svc.trail(env.store, env.deposits, rec8.determination.digest)[1] == rec8.determination.to_dict()


def test_a_forged_n8_is_refused(env):
    _rec, res = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client=CLIENT)
    rec8 = svc.draft_redetermine(env.store, env.deposits, res.seq, corrected_p01(), trigger="brp_correction",
                                 author=ZWOLLE)
    # the outcome of the previous one again: nothing new to record
    before = json.loads(env.store.get_rows([res.seq])[res.seq].statement)["payload"]
    refused(env, ZWOLLE, forged(rec8, outcome__cost_bearer=HARDENBERG, outcome__statutory_college=ZWOLLE,
                                flags=before["flags"], provisional=before["provisional"]),
            "REDETERMINATION_UNCHANGED")
    refused(env, ZWOLLE, forged(rec8, outcome__cost_bearer=KAMPEN), "DETERMINATION_REPLAY_MISMATCH")
    refused(env, ZWOLLE, forged(rec8, trigger="new_stay"), "DETERMINATION_REPLAY_MISMATCH")
    assert env.append(ZWOLLE, rec8.draft).seq > res.seq


# ------------------------------------------------------------------------------------------- verify
def test_verify_names_a_forged_determination_and_without_deposits_says_not_run(env):
    _rec, good = svc.record(env.store, env.deposits, env.signer(ZWOLLE), p01(), client=CLIENT)
    rec = svc.draft_record(env.store, env.deposits, p01(), author=ZWOLLE, client="PSN-replay-4")
    env.store.replayer = None  # written by other means than the server's admission
    bad = env.append(ZWOLLE, forged(rec, outcome__cost_bearer=KAMPEN))
    env.store.replayer = Replayer(env.deposits)
    report = verify_store(env.store)
    assert [(p.seq, p.code) for p in report.problems] == [(bad.seq, "DETERMINATION_REPLAY_MISMATCH")]
    assert report.replay_not_run == []
    env.store.replayer = None  # no KEK: not run, and said so (not passed)
    report = verify_store(env.store)
    assert report.ok and report.replay_not_run == [good.seq, bad.seq]


def test_a_ledger_written_before_the_rule_verifies_clean(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(OLD, db)
    store = Store(f"sqlite:///{db}")
    try:
        store.replayer = Replayer(DeterminationDeposits(ContentStore(tmp_path / "docs",
                                                                     ClientKeys(store, os.urandom(32)))))
        kinds = [r.kind for r in store.rows_where()]
        assert "determination" in kinds
        report = verify_store(store)
        assert report.ok, report.problems
        assert report.replay_not_run == []
    finally:
        store.dispose()


def test_made_up_determinations_before_the_rule_date_still_verify(backend, tmp_path):
    e = Env(backend[0], backend[1], tmp_path, at=datetime(2026, 12, 3, 12, tzinfo=UTC))
    try:
        rec = svc.draft_record(e.store, e.deposits, p01(), author=ZWOLLE, client=CLIENT)
        old = e.append(ZWOLLE, forged(rec, determination_digest="ab" * 32))  # 3 December: no replay yet
        e.clock.at = datetime(2026, 12, 4, 1, 1, tzinfo=UTC)
        refused(e, ZWOLLE, Draft("determination", forged(rec, determination_digest="ab" * 32).payload, "x2",
                                 CLIENT), "DETERMINATION_REPLAY_MISMATCH")
        report = verify_store(e.store)
        assert report.ok, report.problems
        assert old.seq not in report.replay_not_run
    finally:
        e.store.dispose()

