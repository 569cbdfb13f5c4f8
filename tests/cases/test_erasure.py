"""Erasing a client (issue 12, "Privacy by construction"): after `erase_client` its documents, stored facts,
trail and dossier are unreadable (CLIENT_ERASED, "gegevens gewist"), the ledger still verifies and every
statement total stays the same; the erasure is recorded without personal data. On SQLite and PostgreSQL."""
import json
from datetime import date

import pytest
import sqlalchemy as sa

from case_helpers import CaseEnv, engine_determination, eml_bytes, pdf_bytes, record_engine_determination
from cases import service
from cases.dossier import dossier_filename, render_dossier
from cases.erasure import erase_client
from cases.errors import CaseError
from ledger.service import party_signer, verify_ledger
from ledger.settlement import service as settlement_service
from ledger.settlement.costlines import Placement

CLIENT, OTHER = "PSN-erase-0001", "PSN-erase-0002"


def _statement_totals(store, quarter: str, out_dir) -> dict:
    """The settlement of the quarter and each municipality's statement (the JSON `bwledger settle` writes)."""
    s = settlement_service.settle_quarter(store, quarter)
    res = settlement_service.write_statements(store, quarter, out_dir)
    statements = {f.json.name: json.loads(f.json.read_text(encoding="utf-8")) for f in res.files}
    assert statements, "the quarter has statements"
    return {"settlement": s.to_dict(), "digest": s.digest, "statements": statements}


def _case_with_documents(env: CaseEnv, client: str, det_id_suffix: str = ""):
    det, facts = engine_determination()
    r = record_engine_determination(env, det, facts, client=client)
    v = service.open_case(env.store, env.signers[det.legal_college], r.seq, question="Wie is de kostendrager?",
                          position="R7: de keten van verblijven eindigt bij het woonadres.")
    service.attach_evidence(env.store, env.docs, v.case_id, determination=det.to_dict(),
                            facts=facts.model_dump(mode="json", by_alias=True, exclude={"person"}))
    docs = [service.add_document(env.store, env.docs, v.case_id, filename="brief.pdf",
                                 data=pdf_bytes(f"Bezwaar over cliënt {client}{det_id_suffix}"), title="Bezwaar",
                                 author_party=det.cost_bearer, document_date=date(2026, 11, 2)),
            service.add_document(env.store, env.docs, v.case_id, filename="overleg.eml", data=eml_bytes(),
                                 title="Overleg", author_party=det.legal_college, document_date=date(2026, 11, 3))]
    return det, facts, r, v, docs


def test_erasure_makes_the_documents_unreadable_and_leaves_ledger_and_totals_as_they_were(cenv):
    env = cenv
    det, facts, r, v, docs = _case_with_documents(env, CLIENT)

    def signer_for(p):
        if p not in env.signers:
            env.signers[p] = party_signer(env.store, env.home / "keys", p)
        return env.signers[p]

    settlement_service.book_placements(env.store, signer_for, [
        Placement("pl-erase", CLIENT, det.legal_college, det.cost_bearer, "15B02", facts.melding.date, None,
                  determination={"seq": r.seq, "entry_hash": r.entry_hash.hex()})], until=date(2026, 3, 31))
    outputs = env.home / "outputs"
    outputs.mkdir()
    dossier = render_dossier(env.store, env.docs, v.case_id, outputs / dossier_filename(v.case_id)).path
    assert dossier.exists()
    key_id = env.docs.keys.key_id_of(CLIENT)
    stored = [p for p in (env.docs_dir / key_id).rglob("*") if p.is_file()]
    # the trail (deposited with the N3 and attached as evidence: one file, the same JSON), the facts as deposited
    # (the input digest's document) and as attached, and two exhibits, all encrypted
    assert len(stored) == 5
    before = _statement_totals(env.store, "2026K1", env.home / "before")
    assert any(st for st in before["statements"].values())
    report_before = verify_ledger(env.store, workers=1)
    assert report_before.ok, report_before.problems
    size_before = env.store.tree_state().tree_size

    done = erase_client(env.store, env.docs, CLIENT, by="beheer:test", reason="bewaartermijn verstreken",
                        outputs_dir=outputs)

    # 1. the documents are unreadable: every read is CLIENT_ERASED with a Dutch message, not a crash
    for d in docs:
        with pytest.raises(CaseError) as exc:
            env.docs.get(CLIENT, d.sha256)
        assert exc.value.code == "CLIENT_ERASED" and "gegevens gewist" in exc.value.message
    for read in (lambda: service.evidence(env.store, env.docs, v.case_id),
                 lambda: render_dossier(env.store, env.docs, v.case_id, env.home / "again.pdf")):
        with pytest.raises(CaseError) as exc:
            read()
        assert exc.value.code == "CLIENT_ERASED"
    with pytest.raises(CaseError) as exc:  # nothing new is stored under an erased client
        service.add_document(env.store, env.docs, v.case_id, filename="na.pdf", data=pdf_bytes("na"), title="Na",
                             author_party=det.cost_bearer, document_date=date(2026, 11, 4))
    assert exc.value.code == "CLIENT_ERASED"
    assert not (env.docs_dir / key_id).exists() and not dossier.exists()
    assert done.documents_removed == 5 and done.outputs_removed == (dossier,) and done.case_ids == (v.case_id,)
    with env.store.engine.connect() as c:
        row = c.execute(sa.text("SELECT wrapped_key, erased_by, erase_reason FROM client_keys WHERE client = :c"),
                        {"c": CLIENT}).one()
    assert row.wrapped_key is None  # the data key is gone, not only marked
    # the erasure is recorded: who, when, why; a second erasure answers the first record
    assert (done.erasure.erased_by, done.erasure.reason) == ("beheer:test", "bewaartermijn verstreken")
    assert env.docs.keys.erasure(CLIENT) == done.erasure
    assert erase_client(env.store, env.docs, CLIENT, by="beheer:ander", reason="nogmaals").erasure == done.erasure

    # 2. the ledger still verifies, with every entry it had
    report = verify_ledger(env.store, workers=1)
    assert report.ok, report.problems
    assert env.store.tree_state().tree_size == size_before
    # 3. every statement total stays the same
    assert _statement_totals(env.store, "2026K1", env.home / "after") == before
    # the case itself (signed history, pseudonym only) is still there
    assert service.case_view(env.store, v.case_id).client == CLIENT


def test_erasure_touches_only_that_client(cenv):
    env = cenv
    *_, v, docs = _case_with_documents(env, CLIENT)
    other = env.docs.put(OTHER, b"%PDF-1.7 ander %%EOF")
    erase_client(env.store, env.docs, CLIENT, by="beheer:test", reason="AVG-verzoek")
    assert env.docs.get(OTHER, other) == b"%PDF-1.7 ander %%EOF"
    with pytest.raises(CaseError) as exc:
        env.docs.get(CLIENT, docs[0].sha256)
    assert exc.value.code == "CLIENT_ERASED"


def test_erasure_refusals(cenv):
    env = cenv
    _case_with_documents(env, CLIENT)
    for reason, word in (("", "reden"), ("verzoek van 111222333", "burgerservicenummer"),
                         ("mail van j.jansen@example.nl", "e-mailadres")):
        with pytest.raises(CaseError) as exc:
            erase_client(env.store, env.docs, CLIENT, by="beheer:test", reason=reason)
        assert exc.value.code == "ERASURE_INVALID" and word in exc.value.message
        assert "111222333" not in exc.value.message and "jansen" not in exc.value.message
    with pytest.raises(CaseError) as exc:
        erase_client(env.store, env.docs, "PSN-nooit-gezien", by="beheer:test", reason="AVG-verzoek")
    assert exc.value.code == "CLIENT_UNKNOWN"
    assert env.docs.keys.erasure(CLIENT) is None  # nothing was erased by a refusal


def test_the_key_table_allows_only_the_erasure(cenv):
    env = cenv
    env.docs.put(CLIENT, b"%PDF-1.7 x %%EOF")
    refused = ["DELETE FROM client_keys",
               "UPDATE client_keys SET client = 'PSN-ander-0001'",
               "UPDATE client_keys SET erased_by = 'x'"]  # not an erasure: the key stays
    for stmt in refused:
        with pytest.raises(sa.exc.DBAPIError):
            with env.store.engine.begin() as c:
                c.exec_driver_sql(stmt)
    env.docs.keys.destroy(CLIENT, by="beheer:test", reason="AVG-verzoek")
    for stmt in ("DELETE FROM client_keys", "UPDATE client_keys SET erased_at = NULL",
                 "UPDATE client_keys SET erase_reason = 'anders'"):  # an erased key never comes back
        with pytest.raises(sa.exc.DBAPIError):
            with env.store.engine.begin() as c:
                c.exec_driver_sql(stmt)
    assert env.docs.keys.erasure(CLIENT).reason == "AVG-verzoek"
