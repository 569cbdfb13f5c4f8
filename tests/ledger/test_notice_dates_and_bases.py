"""Notices (issue 11, ledger/notices.py): an outflow not before the client's episode began (rule set
2026-12-02), and the legal basis on N3/N4/N8 (absent: pseudoniem; else of the dated list)."""
from __future__ import annotations

import pytest
from ledger_helpers import determination, ref

from ledger.errors import DATE_IMPLAUSIBLE, LEGAL_BASIS_INVALID, LedgerError


def refused(code, fn, *args, **kw):
    with pytest.raises(LedgerError) as exc:
        fn(*args, **kw)
    assert exc.value.code == code, exc.value.message
    return exc.value


N1 = {"placing_party": "GM0166", "host_region": "RG:ijssel-vecht", "host_municipality": "GM0193",
      "cost_bearer": "GM0166", "location": "Zwolle-01", "start_date": "2026-03-01", "contract_used": "c-7",
      "legal_basis": "pseudoniem"}


def n2(end: str) -> dict:
    return {"sender": "GM0166", "host_municipality": "GM0193", "host_region": "RG:ijssel-vecht", "end_date": end,
            "legal_basis": "pseudoniem"}


def test_an_outflow_does_not_end_before_the_clients_episode_began(env):
    env.append("GM0166", "placement_notice", N1, client="PSN-episode-1")
    size = env.store.size()
    err = refused(DATE_IMPLAUSIBLE, env.append, "GM0166", "outflow_notice", n2("2026-02-28"), client="PSN-episode-1")
    assert "episode" in err.message and env.store.size() == size
    env.append("GM0166", "outflow_notice", n2("2026-03-01"), client="PSN-episode-1")
    # another client's episode does not bound this one
    env.append("GM0166", "outflow_notice", n2("2026-02-28"), client="PSN-episode-2")
    from ledger.verify import verify_store
    assert verify_store(env.store, workers=1).ok


def test_the_legal_basis_of_n3_n4_n8_is_of_the_dated_list_when_named(env):
    refused(LEGAL_BASIS_INVALID, env.append, "GM0166", "determination",
            determination(addressee="GM0193", legal_basis="toestemming_buurman"))
    det = env.append("GM0166", "determination", determination(addressee="GM0193", legal_basis="mandaat"))
    refused(LEGAL_BASIS_INVALID, env.append, "GM0193", "objection",
            {"determination": ref(det), "reasons": "woonadres", "legal_basis": "geen"})
    env.append("GM0193", "objection", {"determination": ref(det), "reasons": "woonadres"})  # pseudoniem
    env.append("GM0193", "acceptance", {"determination": ref(det), "legal_basis": "gemeenschappelijke_regeling"})
