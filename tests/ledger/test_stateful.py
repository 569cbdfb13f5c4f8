"""A hypothesis state machine over append / duplicate / refusal / checkpoint / verify / export."""
import itertools
import json
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledger.bundle import export_bundle, verify_bundle
from ledger.errors import IDEMPOTENCY_CONFLICT, NOT_ENTITLED, SIGNATURE_INVALID, LedgerError
from ledger.merkle import MerkleTree, verify_consistency
from ledger.verify import verify_store
from ledger_helpers import LedgerEnv, cost_line

PARTIES = ["GM0166", "GM0193", "GM0200"]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.env = LedgerEnv.create(f"sqlite:///{self.tmp / 'l.db'}", None, self.tmp / "keys")
        self.model = []  # (idempotency key, author, content, parties) in seq order after the setup
        self.base = self.env.store.size()
        # the party entries of the setup (the determinations the cost lines rest on: ledger_helpers)
        self.setup_entries = {p: export_bundle(self.env.store, p, date(2000, 1, 1), date(2100, 1, 1),
                                               self.tmp / "setup.json").entries for p in PARTIES}
        self.counter = itertools.count()
        self.checkpoints_seen = []

    def teardown(self):
        self.env.store.dispose()

    @rule(f=st.sampled_from(PARTIES), b=st.sampled_from(PARTIES), units=st.integers(1, 50),
          batch=st.integers(1, 4))
    def append(self, f, b, units, batch):
        if f == b:
            return
        items, added = [], []
        for _ in range(batch):
            key = f"s-{next(self.counter)}"
            items.append(self.env.sign(f, "cost_line", cost_line(fronting=f, bearer=b, units=units), key=key).as_item())
            added.append((key, f, units, {f, b}))
        results = self.env.store.append_batch(items)
        assert [r.seq for r in results] == list(range(self.base + len(self.model), self.base + len(self.model) + batch))
        self.model += added

    @precondition(lambda self: self.model)
    @rule(i=st.integers(0, 10**6), same=st.booleans())
    def repeat_key(self, i, same):
        key, f, units, parties = self.model[i % len(self.model)]
        b = sorted(parties - {f})[0]
        st_ = self.env.sign(f, "cost_line", cost_line(fronting=f, bearer=b, units=units if same else units + 1), key=key)
        size = self.env.store.size()
        try:
            r = self.env.store.append(*st_.as_item())
            assert same and r.duplicate and r.seq == self.base + (i % len(self.model))
        except LedgerError as exc:
            assert not same and exc.code == IDEMPOTENCY_CONFLICT
        assert self.env.store.size() == size

    @rule(f=st.sampled_from(PARTIES), bad_sig=st.booleans())
    def refused(self, f, bad_sig):
        size = self.env.store.size()
        other = next(p for p in PARTIES if p != f)
        s = self.env.sign(f, "cost_line", cost_line(fronting=other if not bad_sig else f, bearer=f if not bad_sig else other))
        sig = s.signature[:-1] + bytes([s.signature[-1] ^ 1]) if bad_sig else s.signature
        try:
            self.env.store.append(s.statement, sig)
            raise AssertionError("accepted")
        except LedgerError as exc:
            assert exc.code == (SIGNATURE_INVALID if bad_sig else NOT_ENTITLED)
        assert self.env.store.size() == size

    @rule()
    def checkpoint(self):
        self.env.store.checkpoint()

    @rule()
    def verify(self):
        report = verify_store(self.env.store)
        assert report.ok, report.problems[:3]
        assert report.entries == self.base + len(self.model)

    @rule(party=st.sampled_from(PARTIES))
    def export(self, party):
        out = self.tmp / "b.json"
        summary = export_bundle(self.env.store, party, date(2000, 1, 1), date(2100, 1, 1), out)
        expected = self.setup_entries[party] + sum(1 for *_x, parties in self.model if party in parties)
        assert summary.entries == expected
        report = verify_bundle(json.loads(out.read_text()), trusted_operator_keys=[self.env.store.operator.key_id])
        assert report.ok, report.problems[:3]

    @invariant()
    def tree_and_checkpoints_agree(self):
        store = self.env.store
        assert store.size() == store.count_rows() == self.base + len(self.model)
        cps = store.checkpoints()
        if len(cps) > len(self.checkpoints_seen):
            tree = MerkleTree(store.leaf_hashes())
            last = cps[-1]
            assert last.tree_size <= store.size() and tree.root(last.tree_size) == last.root_hash
            for a in self.checkpoints_seen[-1:]:
                assert verify_consistency(a.tree_size, last.tree_size, tree.consistency_proof(a.tree_size, last.tree_size),
                                          a.root_hash, last.root_hash)
            self.checkpoints_seen = cps


LedgerMachine.TestCase.settings = settings(max_examples=12, stateful_step_count=12, deadline=None)
TestLedgerMachine = LedgerMachine.TestCase
