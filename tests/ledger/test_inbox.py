"""The notices inbox and outbox per party (ledger/inbox.py, issue 14): who a notice is addressed to, the
acknowledgement and its deadline, the answer to a determination, overdue items, the filters, and the
acknowledgement draft that the ledger then admits (or refuses with the same rule)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from ledger_helpers import determination, ref

from ledger import inbox
from ledger.admission import local_date
from ledger.errors import ACKNOWLEDGEMENT_INVALID, LedgerError
from ledger.notices import acknowledgement_due

N1 = {"placing_party": "GM0166", "host_region": "RG:ijssel-vecht", "host_municipality": "GM0193",
      "cost_bearer": "GM0166", "location": "Zwolle-01", "start_date": "2026-03-01", "contract_used": "c-7",
      "legal_basis": "pseudoniem"}
N5 = {"meldgemeente": "GM0166", "to_party": "GM0200", "reasons": "familie in Apeldoorn",
      "proposed_date": "2026-04-01", "legal_basis": "pseudoniem"}


def seqs(items, client="PSN-inbox-2"):
    return [n.seq for n in items if n.client == client]


def test_a_placement_notice_is_in_the_hosts_inbox_until_acknowledged(env):
    n1 = env.append("GM0166", "placement_notice", N1, client="PSN-inbox-1")
    today = local_date(env.store.clock())
    due = acknowledgement_due(today, 5)
    [item] = [n for n in inbox.mailbox(env.store, "GM0193") if n.seq == n1.seq]
    assert (item.code, item.sender, item.addressees) == ("N1", "GM0166", ("GM0193", "RG:ijssel-vecht"))
    assert (item.action, item.due, item.overdue) == (inbox.ACKNOWLEDGE, due, False)
    assert [n.overdue for n in inbox.mailbox(env.store, "GM0193", on=due + timedelta(days=1)) if n.seq == n1.seq] == [True]
    assert n1.seq in seqs(inbox.mailbox(env.store, "RG:ijssel-vecht"), "PSN-inbox-1")
    assert n1.seq not in seqs(inbox.mailbox(env.store, "GM0200"), "PSN-inbox-1")  # no addressee
    assert n1.seq not in seqs(inbox.mailbox(env.store, "GM0166"), "PSN-inbox-1")  # the sender's is the outbox
    [sent] = [n for n in inbox.mailbox(env.store, "GM0166", "outbox") if n.seq == n1.seq]
    assert sent.waiting_for == ("GM0193", "RG:ijssel-vecht") and sent.action is None

    draft = inbox.acknowledgement_draft(env.store, "GM0193", n1.seq)
    assert draft.payload == {"notice": ref(n1), "note": ""} and draft.client == "PSN-inbox-1"
    signer = env.signers["GM0193"]
    env.store.append(*draft.signed(signer, env.store.clock()).as_item())
    [item] = [n for n in inbox.mailbox(env.store, "GM0193", on=due + timedelta(days=30)) if n.seq == n1.seq]
    assert item.action is None and not item.overdue and "GM0193" in item.done
    [sent] = [n for n in inbox.mailbox(env.store, "GM0166", "outbox") if n.seq == n1.seq]
    assert sent.waiting_for == ("RG:ijssel-vecht",)
    [sent] = [n for n in inbox.mailbox(env.store, "GM0166", "outbox", on=due + timedelta(days=1)) if n.seq == n1.seq]
    assert sent.overdue  # the region is late

    with pytest.raises(LedgerError) as exc:  # twice: the admission rule, asked before signing
        inbox.acknowledgement_draft(env.store, "GM0193", n1.seq)
    assert exc.value.code == ACKNOWLEDGEMENT_INVALID
    with pytest.raises(LedgerError) as exc:  # not an addressee
        inbox.acknowledgement_draft(env.store, "GM0200", n1.seq)
    assert exc.value.code == ACKNOWLEDGEMENT_INVALID


def test_determinations_answers_handover_and_filters(env):
    det = env.append("GM0166", "determination", determination(addressee="GM0193", copy_to=["GM0200"]),
                     client="PSN-inbox-2")
    n5 = env.append("GM0166", "handover_request", N5, client="PSN-inbox-2")
    [d] = [n for n in inbox.mailbox(env.store, "GM0193") if n.seq == det.seq]
    assert (d.code, d.action, d.due) == ("N3", inbox.RESPOND, date(2026, 2, 26))
    [copy] = [n for n in inbox.mailbox(env.store, "GM0200") if n.seq == det.seq]
    assert copy.action is None  # a copy asks nothing of its reader
    obj = env.append("GM0193", "objection", {"determination": ref(det), "reasons": "woonadres"}, client="PSN-inbox-2")
    [d] = [n for n in inbox.mailbox(env.store, "GM0193") if n.seq == det.seq]
    assert d.action is None and d.done == {"GM0193": obj.seq}
    [answer] = [n for n in inbox.mailbox(env.store, "GM0166") if n.seq == obj.seq]
    assert (answer.code, answer.sender) == ("N4", "GM0193")

    assert seqs(inbox.mailbox(env.store, "GM0200", codes=("N5",))) == [n5.seq]
    # the party asked answers the N5: the answer is in the meldgemeente's inbox (as N5), not in a copy's
    yes = env.append("GM0200", "handover_answer", {"request": ref(n5), "accepted": True,
                                                    "take_over_date": "2026-04-01"}, client="PSN-inbox-2")
    [got] = [n for n in inbox.mailbox(env.store, "GM0166", codes=("N5",)) if n.seq == yes.seq]
    assert (got.code, got.sender, got.addressees, got.action) == ("N5", "GM0200", ("GM0166",), None)
    assert yes.seq not in seqs(inbox.mailbox(env.store, "GM0193"))
    assert seqs(inbox.mailbox(env.store, "GM0200", "outbox", codes=("N5",))) == [yes.seq]
    assert seqs(inbox.mailbox(env.store, "GM0200", codes=("N3",))) == [det.seq]
    assert seqs(inbox.mailbox(env.store, "GM0200", counterparty="GM0193")) == []
    assert set(seqs(inbox.mailbox(env.store, "GM0166", "outbox", counterparty="GM0200"))) == {det.seq, n5.seq}
    later = local_date(env.store.clock()) + timedelta(days=1)
    assert inbox.mailbox(env.store, "GM0200", date_from=later) == []
    assert len(seqs(inbox.mailbox(env.store, "GM0200", date_to=later))) == 2


def test_an_outflow_and_a_redetermination(env):
    env.append("GM0166", "placement_notice", N1, client="PSN-inbox-3")
    n2 = env.append("GM0166", "outflow_notice", {"sender": "GM0166", "host_municipality": "GM0193",
                                                 "host_region": "RG:ijssel-vecht", "end_date": "2026-06-30",
                                                 "new_municipality": "GM0200", "legal_basis": "pseudoniem"},
                    client="PSN-inbox-3")
    for p in ("GM0193", "RG:ijssel-vecht", "GM0200"):
        assert [(n.code, n.action) for n in inbox.mailbox(env.store, p, codes=("N2",)) if n.seq == n2.seq] == \
            [("N2", inbox.ACKNOWLEDGE)], p
    det = env.append("GM0166", "determination", determination(addressee="GM0193"), client="PSN-inbox-3")
    n8 = env.append("GM0166", "redetermination", {**determination(addressee="GM0200", determination_id="det-2"),
                                                   "previous": ref(det), "trigger": "R15"}, client="PSN-inbox-3")
    [old] = [n for n in inbox.mailbox(env.store, "GM0193") if n.seq == det.seq]
    assert old.action is None  # replaced by the re-determination
    [new] = [n for n in inbox.mailbox(env.store, "GM0200") if n.seq == n8.seq]
    assert (new.code, new.action) == ("N8", inbox.RESPOND)
