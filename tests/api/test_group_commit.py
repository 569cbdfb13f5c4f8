"""Group commit (api/http/group_commit.py): the concurrent writes of one worker coalesced into one transaction,
each caller answered with its own outcome after the transaction commits; on SQLite and PostgreSQL.

- the primitive: the items that arrive while a flush runs are flushed together, in order; an outcome per item;
- the ledger's `record_groups`: submissions appended together come out as if appended one after another
  (a refused one refused alone, with its own index; an idempotent replay answered with the original; order);
- the endpoint: concurrent POSTs each get their own answer;
- the batched rate-limit counts and audit records give what one-at-a-time gives;
- the token cache: a revoked token is refused once the stated bound has passed.
"""
from __future__ import annotations

import asyncio
import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import FixedClock, as_json, signed
from litestar.testing import AsyncTestClient
from party_auth import PartyAuth
from real_determinations import Recorder

from api.access import audit
from api.access.accounts import AccessError, AccessService
from api.access.identity import Identity
from api.access.rate_limit import RequestLimit, count_many
from api.http import create_app
from api.http.group_commit import GroupCommit
from api.settings import Settings
from ledger import service
from ledger.errors import IDEMPOTENCY_CONFLICT, SIGNATURE_INVALID, LedgerError

T = datetime(2026, 12, 2, 10, 0, 15, tzinfo=UTC)  # 45 seconds before its minute's window ends


@pytest.fixture
def ledger(backend, tmp_path):
    url, schema = backend
    store = service.init_ledger(url, tmp_path / "keys", schema=schema)
    Recorder.on_home(store, tmp_path)  # the deposits of real determinations, replayed at admission
    yield store, tmp_path / "keys"
    store.dispose()


# ----------------------------------------------------------------------------------------- the primitive
def test_items_arriving_during_a_flush_are_flushed_together_in_order_each_with_its_own_outcome():
    started, release = threading.Event(), threading.Event()
    flushed: list[list[int]] = []

    def flush(items: list[int]):
        flushed.append(list(items))
        if len(flushed) == 1:
            started.set()
            release.wait(10)
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]

    async def main():
        commits = GroupCommit("test", flush)
        first = asyncio.ensure_future(commits.submit(0))
        await asyncio.to_thread(started.wait, 10)  # the first flush runs (and waits) ...
        rest = [asyncio.ensure_future(commits.submit(i)) for i in range(1, 6)]  # ... while five more arrive
        await asyncio.sleep(0)
        release.set()
        outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
        return commits, outcomes

    commits, outcomes = asyncio.run(main())
    assert flushed == [[0], [1, 2, 3, 4, 5]]  # one transaction for the five that waited, in arrival order
    assert outcomes[0] == 0 and outcomes[2] == 20 and outcomes[4] == 40
    assert [str(o) for o in (outcomes[1], outcomes[3], outcomes[5])] == ["odd 1", "odd 3", "odd 5"]
    assert commits.status() == {"flushes": 2, "items": 6, "largest": 5, "waiting": 0}


def test_a_failed_flush_is_every_callers_answer_and_the_next_flush_runs_again():
    calls = []

    def flush(items):
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return items

    async def main():
        commits = GroupCommit("test", flush)
        with pytest.raises(RuntimeError, match="database gone"):
            await commits.submit("a")
        return await commits.submit("b")

    assert asyncio.run(main()) == "b"


# ----------------------------------------------------------------------------------------- the ledger
def _bad_signature(st):
    return service.SignedStatement(st.statement, b"\0" * 64)


def test_record_groups_refuses_a_bad_submission_alone_and_keeps_the_order(ledger):
    store, keys = ledger
    gm, zw = service.party_signer(store, keys, "GM0166"), service.party_signer(store, keys, "GM0193")
    n3 = Recorder.on_home(store, keys.parent).payload
    size = store.size()
    a = signed(gm, n3(), key="a")
    groups = [
        [a],
        [_bad_signature(signed(gm, n3()))],  # refused: its signature
        [signed(zw, n3("GM0166", author="GM0193")), signed(zw, n3("GM0166", "d2", author="GM0193"))],
        [signed(gm, n3()), _bad_signature(signed(gm, n3()))],  # refused as a whole (all or nothing), at its own index 1
        [a],  # the same statement again: the original's answer
        [signed(gm, n3(det_id="other"), key="a")],  # the key of `a` for other content
        [signed(gm, n3())],
    ]
    out = service.record_groups(store, groups)
    assert [type(o).__name__ for o in out] == ["list", "LedgerError", "list", "LedgerError", "list",
                                               "LedgerError", "list"]
    assert (out[1].code, out[1].index) == (SIGNATURE_INVALID, 0)
    assert (out[3].code, out[3].index) == (SIGNATURE_INVALID, 1)
    assert out[5].code == IDEMPOTENCY_CONFLICT and out[5].seq == size
    assert [r.seq for r in out[0]] == [size]
    assert [r.seq for r in out[2]] == [size + 1, size + 2]  # in the order the submissions came
    assert [r.seq for r in out[6]] == [size + 3]
    assert out[4][0].duplicate and out[4][0].seq == size and out[4][0].entry_hash == out[0][0].entry_hash
    assert store.size() == size + 4  # nothing of a refused submission was stored
    assert service.verify_ledger(store).ok


def test_record_groups_gives_a_refusal_that_names_no_statement_to_every_submission(ledger, monkeypatch):
    store, keys = ledger
    gm = service.party_signer(store, keys, "GM0166")
    n3 = Recorder.on_home(store, keys.parent).payload

    def down(_items, also=None):
        raise LedgerError("NOT_INITIALISED", "no ledger here")

    monkeypatch.setattr(store, "append_batch", down)
    out = service.record_groups(store, [[signed(gm, n3())], [signed(gm, n3())], []])
    assert [o.code for o in out[:2]] == ["NOT_INITIALISED"] * 2 and out[2] == []


# ----------------------------------------------------------------------------------------- the endpoint
@pytest.fixture
def settings(backend, tmp_path) -> Settings:
    url, schema = backend
    return Settings(home=tmp_path, database_url=url, database_schema=schema, checkpoint_seconds=0)


def test_concurrent_posts_each_get_their_own_answer(settings):
    async def main():
        async with AsyncTestClient(create_app(settings)) as client:
            state = client.app.state
            client.auth = PartyAuth(state.access)
            store = state.store
            gm = service.party_signer(store, settings.keys_dir, "GM0166")
            zw = service.party_signer(store, settings.keys_dir, "GM0193")
            n3 = Recorder.of_app(client.app).payload
            first = signed(gm, n3(), key="first")
            assert (await client.post("/v1/grootboek/regels", json=as_json(first))).status_code == 201
            bad = as_json(signed(gm, n3()))
            bad["signature"] = base64.b64encode(b"\0" * 64).decode()
            bodies = [as_json(signed(gm, n3())) for _ in range(6)] + [bad, as_json(first)]
            bodies += [{"entries": [as_json(signed(zw, n3("GM0166", author="GM0193"))) for _ in range(2)]}]
            bodies += [as_json(signed(gm, n3(det_id="other"), key="first"))]
            answers = await asyncio.gather(*(client.post("/v1/grootboek/regels", json=b) for b in bodies))
            return store, state, [(r.status_code, r.json()) for r in answers]

    store, state, answers = asyncio.run(main())
    statuses = [s for s, _ in answers]
    assert statuses == [201] * 6 + [422, 200, 201, 409]
    assert answers[6][1]["code"] == "SIGNATURE_INVALID" and answers[6][1]["index"] == 0
    assert answers[7][1]["duplicate"] is True and answers[7][1]["seq"] == answers[9][1]["seq"]
    assert answers[9][1]["code"] == "IDEMPOTENCY_CONFLICT"
    seqs = [b["seq"] for _, b in answers[:6]] + [r["seq"] for r in answers[8][1]["results"]]
    assert len(set(seqs)) == 8 and store.size() == max(seqs) + 1  # each its own entry, none lost
    commits = state.entry_commits.status()
    assert commits["items"] == 11 and commits["waiting"] == 0  # every POST went through the group commit
    # one audit record per request with its own answer: an appended submission's is written in the
    # transaction of its entries, a refused one's by the audit middleware
    recorded = sorted(r.status for r in audit.list_records(store) if r.operation == "submitEntries")
    assert recorded == sorted([201] + statuses)
    assert audit.verify(store) == []


# ----------------------------------------------------------------------------------------- counts and audit
def test_counting_requests_together_gives_what_counting_them_one_by_one_gives(engines):
    a, b = engines
    clock = FixedClock(T)
    one = count_many(a, clock, [[("rate:caller:x", 3)]], 60)
    together = count_many(b, clock, [[("rate:caller:x", 3), ("rate:addr:y", 10)]] * 3 + [[("rate:addr:y", 4)]], 60)
    assert one == [None]
    assert together == [None, None, 45, None]  # x's 2nd, 3rd and 4th request; y's 1st to 4th
    limit = RequestLimit(a, clock, per_caller=1, per_address=0)
    assert limit.check_many([("token:t", None), ("token:t", None), (None, None)]) == [None, 45, None]


def test_audit_records_written_together_are_chained_as_one_by_one(ledger):
    store, _keys = ledger
    who = Identity("token:abc", "GM0166", frozenset({"finance"}), "token")
    first = audit.record(store, who, "getStatement", "statement", {"party": "GM0166"}, "verrekening", "allowed", 200)
    pending = [audit.prepare(store, who if i % 2 else None, "listNotices", "Notices", {"party": "GM0193"},
                             "intake melding", "allowed" if i % 2 else "refused", 200 if i % 2 else 401,
                             address="127.0.0.1") for i in range(5)]
    assert audit.write(store, pending) == [first + 1 + i for i in range(5)]
    assert audit.verify(store) == []
    assert audit.head(store).processing_size == first + 6
    assert [r.status for r in audit.list_records(store)][-5:] == [401, 200, 401, 200, 401]


# ----------------------------------------------------------------------------------------- the token cache
class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_token_revoked_elsewhere_is_refused_once_the_cache_bound_has_passed(engines):
    a, b = engines
    ticks = Ticks()
    server = AccessService(a, token_cache_seconds=5, monotonic=ticks)
    cli = AccessService(b)  # another process: `bwledger accounts token revoke`
    rec, raw = cli.issue_token("GM0166", ("finance",), label="t", created_by="test")
    assert server.token_identity(raw).party == "GM0166"
    cli.revoke_token(rec.id)
    ticks.now = 4.9
    assert server.token_identity(raw).party == "GM0166"  # within the stated bound the server may not know yet
    ticks.now = 5.0
    with pytest.raises(AccessError, match="ingetrokken"):
        server.token_identity(raw)
    with pytest.raises(AccessError, match="ingetrokken"):
        AccessService(a, token_cache_seconds=5).token_identity(raw)  # a refusal is never cached as a pass


def test_a_token_revoked_through_the_server_or_expired_is_refused_at_once(engines):
    a, _b = engines
    clock = FixedClock(datetime.now(UTC))
    server = AccessService(a, clock, token_cache_seconds=5, monotonic=Ticks())
    rec, raw = server.issue_token("GM0166", ("finance",), label="t", created_by="test")
    other_rec, other = server.issue_token("GM0166", ("finance",), label="u", created_by="test")
    assert server.token_identity(raw) and server.token_identity(other)
    server.revoke_token(rec.id)
    with pytest.raises(AccessError, match="ingetrokken"):
        server.token_identity(raw)
    clock.now = other_rec.expires_at + timedelta(seconds=1)
    with pytest.raises(AccessError, match="verlopen"):
        server.token_identity(other)  # from the cache, still refused: its expiry is kept with it


def test_a_submission_whose_audit_record_cannot_be_written_is_not_appended(settings):
    async def main():
        async with AsyncTestClient(create_app(settings)) as client:
            state = client.app.state
            client.auth = PartyAuth(state.access)
            store = state.store
            gm = service.party_signer(store, settings.keys_dir, "GM0166")
            n3 = Recorder.of_app(client.app).payload
            size = store.size()
            with store.engine.begin() as conn:  # the audit log is gone (a broken database, not a mock)
                conn.exec_driver_sql("ALTER TABLE audit_head RENAME TO audit_head_away")
            try:
                r = await client.post("/v1/grootboek/regels", json=as_json(signed(gm, n3())))
            finally:
                with store.engine.begin() as conn:
                    conn.exec_driver_sql("ALTER TABLE audit_head_away RENAME TO audit_head")
            return r, size, store.size()

    r, before, after = asyncio.run(main())
    assert r.status_code == 503 and r.json()["code"] == "AUDIT_UNAVAILABLE"
    assert after == before  # fail closed: no entry without its audit record
