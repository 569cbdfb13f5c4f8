"""The audit log (api/access/audit.py): records written and verified, tampering and deletion found with
their codes, a damaged row reported (never raised), the party and pseudonym listings, CSV/XLSX exports,
two writer processes keeping one chain, the CLI (`bwledger audit ...`) and the endpoints; on SQLite and
PostgreSQL where the database matters."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from party_auth import logged_in
from typer.testing import CliRunner

from api.access import audit
from api.access.identity import Identity
from api.cli import app as cli_app
from api.http import create_app
from api.settings import Settings
from ledger import service
from ledger.store import entries as entries_table

WORKER = Path(__file__).with_name("audit_worker.py")
T0 = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
ALICE = Identity("alice@kampen", "GM0166", frozenset({"finance"}), "local")
BOB = Identity("bob@zwolle", "GM0193", frozenset({"regio", "beheer"}), "https://idp.zwolle.example")
AUDITOR = Identity("carla@operator", "OPERATOR", frozenset({"auditor"}), "local")
CASE = "GC-2026-0001"


@pytest.fixture
def store(backend, tmp_path):
    url, schema = backend
    s = service.init_ledger(url, tmp_path / "keys", schema=schema)
    yield s
    s.dispose()


def seed(store) -> None:
    """Five records: Alice reads a case of Kampen and Zwolle about PSN-a; Bob reads a dossier about PSN-a;
    an anonymous caller is refused; Alice settles (no client); the auditor checks a bundle about PSN-b."""
    audit.record(store, ALICE, "getCase", "case", {"case_id": CASE, "parties": ["GM0166", "GM0193"],
                                                   "client": "PSN-a"}, "behandeling geschil", "allowed", 200,
                 address="10.0.0.1", at=T0)
    audit.record(store, BOB, "getCaseDossier", "dossier", {"case_id": CASE, "parties": ["GM0166", "GM0193"],
                                                           "client": "PSN-a"}, "behandeling geschil", "allowed",
                 200, address="10.0.0.2", at=T0 + timedelta(minutes=1))
    audit.record(store, None, "getCase", "case", {"case_id": CASE}, "controle", "refused", 404,
                 address="192.0.2.7", at=T0 + timedelta(days=1))
    audit.record(store, ALICE, "getStatement", "statement", {"party": "GM0166", "quarter": "2026K1"},
                 "verrekening", "allowed", 200, at=T0 + timedelta(days=2))
    audit.record(store, AUDITOR, "getBundle", "bundle", {"party": "GM0148", "client": "PSN-b", "seq": 12},
                 "toezicht", "allowed", 200, at=T0 + timedelta(days=3))


def drop_triggers(store) -> None:
    with store.engine.begin() as c:
        for t in ("audit_access", "audit_processing"):
            if store.dialect == "sqlite":
                for action in ("update", "delete"):
                    c.exec_driver_sql(f"DROP TRIGGER {t}_no_{action}")
            else:
                c.exec_driver_sql(f"DROP TRIGGER {t}_append_only ON {t}")


def sql(store, text: str, **params) -> None:
    with store.engine.begin() as c:
        c.execute(sa.text(text), params)


def codes(problems) -> list[tuple[str, int | None, str]]:
    return [(p.log, p.seq, p.code) for p in problems]


# --- writing and verifying ------------------------------------------------------------------------------

def test_records_are_written_chained_and_verified(store):
    seed(store)
    assert audit.verify(store) == []
    h = audit.head(store)
    assert (h.access_size, h.processing_size) == (5, 5)
    with store.engine.connect() as c:
        proc = [dict(r) for r in c.execute(sa.text("SELECT * FROM audit_processing ORDER BY seq")).mappings()]
        acc = [dict(r) for r in c.execute(sa.text("SELECT * FROM audit_access ORDER BY seq")).mappings()]
    assert [r["seq"] for r in proc] == [0, 1, 2, 3, 4]
    assert bytes(proc[0]["prev_hash"]) == bytes(32)
    assert [bytes(r["prev_hash"]) for r in proc[1:]] == [bytes(r["record_hash"]) for r in proc[:-1]]
    assert bytes(proc[-1]["record_hash"]) == h.processing_hash and bytes(acc[-1]["record_hash"]) == h.access_hash
    # the two logs are linked by the access id only: no identity in a processing record
    assert [r["access_id"] for r in proc] == [r["access_id"] for r in acc]
    assert len({r["access_id"] for r in acc}) == 5
    assert not {"subject", "roles", "provider", "address"} & set(proc[0])
    flat = json.dumps([{k: v for k, v in r.items() if isinstance(v, (str, int))} for r in proc])
    for who in ("alice@kampen", "bob@zwolle", "carla@operator", "10.0.0.1", "local", "idp.zwolle"):
        assert who not in flat
    assert (acc[0]["subject"], acc[0]["party"], acc[0]["roles"], acc[0]["address"]) == (
        "alice@kampen", "GM0166", "finance", "10.0.0.1")
    assert (acc[1]["roles"], acc[1]["provider"]) == ("beheer regio", "https://idp.zwolle.example")
    assert (acc[2]["subject"], acc[2]["party"], acc[2]["roles"]) == (None, None, "")  # anonymous
    assert json.loads(proc[0]["ids"]) == {"case_id": CASE, "parties": ["GM0166", "GM0193"], "client": "PSN-a"}
    assert (proc[2]["result"], proc[2]["status"], proc[2]["purpose"]) == ("refused", 404, "controle")


def test_the_logs_refuse_update_and_delete(store):
    seed(store)
    for table in ("audit_access", "audit_processing"):
        for stmt in (f"UPDATE {table} SET seq = seq WHERE seq = 1", f"DELETE FROM {table} WHERE seq = 4"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                sql(store, stmt)
        if store.dialect == "postgresql":
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                sql(store, f"TRUNCATE {table}")
    assert audit.verify(store) == []


def test_a_second_record_on_the_same_predecessor_is_refused(store):
    """The unique prev_hash: a writer that bypassed the head lock cannot fork the chain."""
    seed(store)
    p = audit.processing_log
    with store.engine.connect() as c:
        row = dict(c.execute(sa.select(p).where(p.c.seq == 4)).one()._mapping)
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as c:
        c.execute(p.insert().values(**{**row, "seq": 5}))
    assert audit.verify(store) == []


def test_record_refuses_what_the_log_does_not_hold_and_masks_a_bsn(store):
    with pytest.raises(audit.AuditError) as exc:
        audit.record(store, ALICE, "getCase", "case", {"case_id": CASE}, "nieuwsgierigheid", "allowed", 200)
    assert exc.value.code == audit.INVALID and "behandeling geschil" in exc.value.message
    with pytest.raises(audit.AuditError):
        audit.record(store, ALICE, "getCase", "case", {"case_id": CASE}, "controle", "maybe", 200)
    with pytest.raises(audit.AuditError):
        audit.record(store, ALICE, "getCase", "case", {"Case Id": CASE}, "controle", "allowed", 200)
    with pytest.raises(audit.AuditError):
        audit.record(store, ALICE, "getCase", "case", {"case_id": CASE}, "controle", "allowed", 200,
                     at=datetime(2026, 12, 2, 9, 30))  # a naive time
    assert audit.head(store).processing_size == 0  # nothing written by a refusal
    audit.record(store, ALICE, "getCase", "case", {"case_id": "GC PSN-123456782"}, "controle", "allowed", 200)
    [r] = audit.list_records(store)
    assert r.ids == {"case_id": "GC PSN-*********"}
    with pytest.raises(audit.AuditError):
        audit.check_client("123456782")  # listing is by pseudonym, never by BSN
    assert audit.check_client(" PSN-a ") == "PSN-a"


# --- tampering ------------------------------------------------------------------------------------------

def test_a_changed_row_is_a_hash_mismatch(store):
    seed(store)
    drop_triggers(store)
    sql(store, "UPDATE audit_processing SET purpose = 'verrekening' WHERE seq = 1")
    assert codes(audit.verify(store)) == [("processing", 1, audit.HASH_MISMATCH)]
    sql(store, "UPDATE audit_access SET subject = 'mallory' WHERE seq = 3")
    assert codes(audit.verify(store)) == [("access", 3, audit.HASH_MISMATCH), ("processing", 1, audit.HASH_MISMATCH)]


def test_a_changed_row_with_its_hash_recomputed_breaks_the_chain(store):
    seed(store)
    drop_triggers(store)
    [r] = [r for r in audit.list_records(store) if r.seq == 2]
    forged = audit.processing_hash(2, r.at, r.operation, r.resource, json.dumps(r.ids), "", None, r.purpose,
                                   "allowed", 200, r.access_id, _stored(store, "audit_processing", 1))
    with store.engine.begin() as c:
        c.execute(sa.text("UPDATE audit_processing SET result = 'allowed', status = 200, ids = :ids, "
                          "record_hash = :h WHERE seq = 2").bindparams(sa.bindparam("h", type_=sa.LargeBinary)),
                  {"ids": json.dumps(r.ids), "h": forged})
    assert codes(audit.verify(store)) == [("processing", 3, audit.CHAIN_BROKEN)]


def _stored(store, table: str, seq: int) -> bytes:
    with store.engine.connect() as c:
        return bytes(c.execute(sa.text(f"SELECT record_hash FROM {table} WHERE seq = {seq}")).scalar_one())


def test_a_deleted_row_is_found(store):
    seed(store)
    drop_triggers(store)
    sql(store, "DELETE FROM audit_processing WHERE seq = 2")
    assert codes(audit.verify(store)) == [("processing", 3, audit.SEQ_GAP), ("processing", 3, audit.CHAIN_BROKEN)]
    sql(store, "DELETE FROM audit_access WHERE seq = 1")
    found = codes(audit.verify(store))
    assert ("access", 2, audit.SEQ_GAP) in found and ("access", 2, audit.CHAIN_BROKEN) in found
    assert ("processing", 1, audit.LINK_MISSING) in found  # Bob's read now names no one


def test_rows_removed_at_the_end_are_a_head_mismatch(store):
    seed(store)
    drop_triggers(store)
    sql(store, "DELETE FROM audit_processing WHERE seq = 4")
    assert codes(audit.verify(store)) == [("head", 5, audit.HEAD_MISMATCH)]


def test_a_damaged_row_is_reported_not_raised(store):
    seed(store)
    drop_triggers(store)
    sql(store, "UPDATE audit_processing SET ids = 'geen json' WHERE seq = 0")
    sql(store, "UPDATE audit_processing SET ids = '[1, 2]' WHERE seq = 3")
    if store.dialect == "sqlite":  # SQLite keeps any type in any column
        sql(store, "UPDATE audit_access SET prev_hash = 'x' WHERE seq = 2")
        sql(store, "UPDATE audit_processing SET status = 'ok' WHERE seq = 4")
    found = codes(audit.verify(store))
    assert ("processing", 0, audit.ROW_MALFORMED) in found and ("processing", 3, audit.ROW_MALFORMED) in found
    if store.dialect == "sqlite":
        assert ("access", 2, audit.ROW_MALFORMED) in found and ("processing", 4, audit.ROW_MALFORMED) in found
    assert len(audit.list_records(store)) == 5  # listing still works: the damaged ids shown as unreadable
    if store.dialect == "sqlite":
        sql(store, "UPDATE audit_processing SET at = 'gisteren' WHERE seq = 2")
        assert ("processing", 2, audit.ROW_MALFORMED) in codes(audit.verify(store))


# --- listing and export -----------------------------------------------------------------------------------

def test_listing_per_party_per_client_and_since(store):
    seed(store)
    everything = audit.list_records(store)  # the auditor's view
    assert [r.seq for r in everything] == [0, 1, 2, 3, 4]
    # a party's own records: about its data, or done by its people
    assert [r.seq for r in audit.list_records(store, party="GM0166")] == [0, 1, 3]
    assert [r.seq for r in audit.list_records(store, party="GM0193")] == [0, 1]
    assert [r.seq for r in audit.list_records(store, party="GM0148")] == [4]
    assert audit.list_records(store, party="GM0016") == []
    # an AVG inzageverzoek: every access to that client's data, who did it and why
    a = audit.list_records(store, client="PSN-a")
    assert [(r.seq, r.subject, r.party, r.purpose) for r in a] == [
        (0, "alice@kampen", "GM0166", "behandeling geschil"), (1, "bob@zwolle", "GM0193", "behandeling geschil")]
    assert [r.seq for r in audit.list_records(store, client="PSN-b")] == [4]
    assert [r.seq for r in audit.list_records(store, since=date(2026, 12, 3))] == [2, 3, 4]
    assert [r.seq for r in audit.list_records(store, party="GM0166", since=date(2026, 12, 3))] == [3]
    assert everything[2].to_dict()["actor"] == {"subject": None, "party": None, "roles": [], "provider": None,
                                                "address": "192.0.2.7"}
    assert everything[0].at == T0


def test_export_csv_and_xlsx(store, tmp_path):
    seed(store)
    records = audit.list_records(store, party="GM0193")
    raw = audit.export(records, "csv", tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_bytes() == raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8")), delimiter=";"))
    assert rows[0] == list(audit.COLUMNS)
    assert rows[1][:4] == ["0", "2026-12-02 09:30:00", "getCase", "case"]
    assert rows[1][5:10] == ["GM0166 GM0193", "PSN-a", "behandeling geschil", "toegestaan", "200"]
    assert rows[2][11:14] == ["bob@zwolle", "GM0193", "beheer regio"]
    assert len(rows) == 3
    audit.export(records, "xlsx", tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert list(values[0]) == list(audit.COLUMNS)
    assert values[1][0] == 0 and values[1][2] == "getCase" and values[2][11] == "bob@zwolle"
    assert values[1][9] == 200 and values[1][8] == "toegestaan"
    assert len(values) == 3
    assert audit.export(records, "xlsx") == (tmp_path / "a.xlsx").read_bytes()  # deterministic
    with pytest.raises(audit.AuditError):
        audit.export(records, "pdf")


def test_csv_cells_never_start_a_formula(store):
    audit.record(store, Identity("=HYPERLINK(1)", "GM0166", frozenset({"finance"}), "local"), "getCase", "case",
                 {"case_id": "-1+1"}, "controle", "allowed", 200)
    rows = list(csv.reader(io.StringIO(audit.export(audit.list_records(store), "csv").decode()), delimiter=";"))
    assert rows[1][11] == "'=HYPERLINK(1)"


# --- concurrency ------------------------------------------------------------------------------------------

def test_two_writer_processes_keep_one_chain(store, backend):
    url, schema = backend
    procs = [subprocess.Popen([sys.executable, str(WORKER), url, schema or "-", str(p), "2", "15"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in range(2)]
    try:
        checks = 0
        while any(p.poll() is None for p in procs) or checks == 0:
            assert audit.verify(store) == []  # one snapshot: a concurrent append is never half seen
            checks += 1
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0 and out.startswith("DONE"), (out, err[-2000:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert audit.verify(store) == []
    h = audit.head(store)
    assert (h.access_size, h.processing_size) == (60, 60)
    records = audit.list_records(store)
    assert [r.seq for r in records] == list(range(60))
    assert len({r.ids["case_id"] for r in records}) == 60


# --- the CLI and the endpoints (SQLite) --------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def home(tmp_path):
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'bwledger.db'}", checkpoint_seconds=0)
    s = service.init_ledger(settings.database_url, settings.keys_dir)
    seed(s)
    yield s
    s.dispose()


def cli(home_store, *args):
    home_dir = Path(home_store.url.removeprefix("sqlite:///")).parent
    env = {"BWLEDGER_HOME": str(home_dir), "BWLEDGER_DATABASE_URL": home_store.url}
    return runner.invoke(cli_app, ["audit", *[str(a) for a in args]], env=env)


def test_cli_verify(home):
    r = cli(home, "verify")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("auditlogboek in orde: 5 verwerkingen, 5 toegangsrecords")
    drop_triggers(home)
    sql(home, "UPDATE audit_processing SET client = 'PSN-z' WHERE seq = 0")
    r = cli(home, "verify")
    assert r.exit_code == 1, r.output
    assert "AUDIT_HASH_MISMATCH verwerkingslogboek record 0" in r.output
    assert r.output.rstrip().endswith("auditlogboek NIET in orde: 1 problemen")


def test_cli_list_and_export(home, tmp_path):
    r = cli(home, "list", "--client", "PSN-a")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[-1] == "2 records"
    assert "2 december 2026 10:30:00" in lines[0]  # shown in Europe/Amsterdam (CET) and "door alice@kampen (GM0166, finance)" in lines[0]
    assert "doel: behandeling geschil" in lines[1] and "bob@zwolle" in lines[1]
    r = cli(home, "list", "--party", "GM0166", "--since", "2026-12-03")
    assert r.exit_code == 0 and r.output.splitlines()[-1] == "1 records", r.output
    assert "getStatement" in r.output
    r = cli(home, "list", "--client", "123456782")
    assert r.exit_code == 2 and "pseudoniem" in r.output
    r = cli(home, "list", "--since", "gisteren")
    assert r.exit_code == 2 and "--since" in r.output
    r = cli(home, "export", "--party", "GM0193", "--out", tmp_path / "z.csv")
    assert r.exit_code == 0 and "2 records" in r.output, r.output
    assert (tmp_path / "z.csv").read_bytes().count(b"\r\n") == 3
    r = cli(home, "export", "--party", "GM0193", "--out", tmp_path / "z.xlsx")
    assert r.exit_code == 0, r.output
    assert openpyxl.load_workbook(tmp_path / "z.xlsx").active.max_row == 3
    r = cli(home, "export", "--party", "GM0193", "--out", tmp_path / "z.pdf")
    assert r.exit_code == 2 and ".csv of .xlsx" in r.output


def test_endpoints(home):
    settings = Settings(home=Path(home.url.removeprefix("sqlite:///")).parent, database_url=home.url,
                        checkpoint_seconds=0)
    with TestClient(create_app(settings)) as api:
        logged_in(api)
        body = api.get("/v1/auditlogboek", params={"client": "PSN-a"}).json()
        assert body["count"] == 2 and [r["seq"] for r in body["records"]] == [0, 1]
        assert body["records"][0]["actor"]["subject"] == "alice@kampen"
        assert body["records"][0]["at"] == "2026-12-02T09:30:00.000000Z"
        body = api.get("/v1/auditlogboek", params={"party": "GM0166", "since": "2026-12-03"}).json()
        assert [r["seq"] for r in body["records"]] == [3] and body["since"] == "2026-12-03"
        r = api.get("/v1/auditlogboek", params={"party": "GM0193", "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert 'filename="auditlogboek-GM0193.csv"' in r.headers["content-disposition"]
        assert r.content.decode("utf-8").count("\r\n") == 3
        r = api.get("/v1/auditlogboek", params={"party": "GM0193", "format": "xlsx"})
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        # the CSV listing just before was itself an access to GM0193's records: the audit log records its readers
        assert ws.max_row == 4 and ws["L3"].value == "bob@zwolle" and "listAudit" in [c.value for c in ws[4]]
        for bad in ({"format": "pdf"}, {"client": "123456782"}, {"since": "morgen"}, {"party": "Kampen"}):
            r = api.get("/v1/auditlogboek", params=bad)
            assert r.status_code == 400 and r.json()["code"] == "REQUEST_INVALID", (bad, r.text)
        listings = 4 + 4  # the listings above (allowed or refused) are in the log too, each before its answer
        v = api.get("/v1/auditlogboek/controle").json()
        assert v["ok"] is True and v["problems"] == [] and v["head"]["processingSize"] == 5 + listings
        drop_triggers(home)
        sql(home, "DELETE FROM audit_processing WHERE seq = 1")
        v = api.get("/v1/auditlogboek/controle").json()
        assert v["ok"] is False
        assert [(p["seq"], p["code"]) for p in v["problems"]] == [(2, "AUDIT_SEQ_GAP"), (2, "AUDIT_CHAIN_BROKEN")]
        ops = {op.get("operationId") for p in api.get("/v1/openapi.json").json()["paths"].values()
               for op in p.values() if isinstance(op, dict)}
        assert {"listAudit", "verifyAudit"} <= ops


# --- the anchor in the ledger -------------------------------------------------------------------------------

def rewrite_processing(store, start: int, change) -> None:
    """Rewrite the processing log from `start` on as a writer around the triggers would: `change(row)` at
    `start`, every hash from there recomputed and the head row following, so only the anchor can tell."""
    p = audit.processing_log
    with store.engine.begin() as c:
        rows = [dict(r._mapping) for r in c.execute(sa.select(p).order_by(p.c.seq))]
        prev = rows[start - 1]["record_hash"] if start else bytes(32)
        for r in rows[start:]:
            if r["seq"] == start:
                change(r)
            r["prev_hash"] = prev
            r["record_hash"] = audit.processing_hash(r["seq"], r["at"], r["operation"], r["resource"], r["ids"],
                                                     r["parties"], r["client"], r["purpose"], r["result"],
                                                     r["status"], r["access_id"], prev)
            c.execute(p.update().where(p.c.seq == r["seq"]).values(
                purpose=r["purpose"], prev_hash=r["prev_hash"], record_hash=r["record_hash"]))
            prev = r["record_hash"]
        c.execute(audit.head_table.update().values(processing_hash=prev))


def test_the_head_is_anchored_in_the_ledger_and_verify_holds_the_log_to_it(store):
    assert audit.anchor(store, min_seconds=0) is None  # an empty audit log is not anchored
    seed(store)
    seq = audit.anchor(store, min_seconds=0)
    assert seq is not None
    found = audit.latest_anchor(store)
    assert found[0] == seq and found[2] == audit.head(store)
    [row] = store.rows_where(entries_table.c.kind == "audit_anchor")
    assert json.loads(row.statement)["author"] == "OPERATOR"
    assert audit.anchor(store, min_seconds=0) is None  # nothing new
    audit.record(store, ALICE, "getCase", "case", {"case_id": CASE}, "controle", "allowed", 200)
    assert audit.anchor(store) is None  # too soon after the last one
    assert audit.anchor(store, now=store.clock() + timedelta(seconds=audit.ANCHOR_SECONDS + 1)) is not None
    assert audit.latest_anchor(store)[2].processing_size == 6
    assert service.verify_ledger(store).ok
    assert audit.verify(store) == []
    # the whole log rewritten consistently from record 1 on (hashes and head recomputed): only the anchor shows it
    drop_triggers(store)
    rewrite_processing(store, 1, lambda r: r.update(purpose="verrekening"))
    assert codes(audit.verify(store)) == [("processing", 5, audit.ANCHOR_MISMATCH)]


def test_a_log_cut_short_below_its_anchor_is_found(store):
    seed(store)
    audit.anchor(store, min_seconds=0)
    drop_triggers(store)
    sql(store, "DELETE FROM audit_processing WHERE seq >= 3")
    sql(store, "DELETE FROM audit_access WHERE seq >= 3")
    with store.engine.begin() as c:
        c.execute(audit.head_table.update().values(
            access_size=3, processing_size=3,
            access_hash=c.execute(sa.select(audit.access_log.c.record_hash).where(audit.access_log.c.seq == 2)).scalar_one(),
            processing_hash=c.execute(sa.select(audit.processing_log.c.record_hash)
                                      .where(audit.processing_log.c.seq == 2)).scalar_one()))
    assert codes(audit.verify(store)) == [("access", 4, audit.ANCHOR_MISMATCH), ("processing", 4, audit.ANCHOR_MISMATCH)]


def test_the_checkpoint_timer_anchors_and_checkpoints_the_anchor(backend, tmp_path):
    from api.http.timer import CheckpointTimer

    url, schema = backend
    s = service.init_ledger(url, tmp_path / "keys", schema=schema, checkpoint_on_append=False)
    try:
        seed(s)
        timer = CheckpointTimer(s, seconds=0.001)
        size = s.size()
        assert timer.tick() is True and timer.anchors == 1
        assert s.size() == size + 1 and s.latest_checkpoint().tree_size == size + 1
        assert timer.tick() is False and timer.anchors == 1  # nothing new: no anchor, no checkpoint
        assert timer.status()["audit_anchors"] == 1 and timer.status()["last_error"] is None
    finally:
        s.dispose()


def test_ledger_checkpoint_anchors_the_audit_log(home):
    before = home.size()
    env = {"BWLEDGER_HOME": str(Path(home.url.removeprefix("sqlite:///")).parent), "BWLEDGER_DATABASE_URL": home.url}
    r = runner.invoke(cli_app, ["ledger", "checkpoint"], env=env)
    assert r.exit_code == 0, r.output
    assert home.size() == before + 1 and audit.latest_anchor(home)[2] == audit.head(home)
    assert cli(home, "verify").exit_code == 0
