"""Quarterly settlement: pair totals, net positions, solidarity pools, seals and what-if.

Amounts are integer cents. A line is `disputed` when its determination (or, for a line without one,
its client) has an open dispute; else `provisional` or `definitive` as booked. The payable
(`net_payable`) leaves disputed amounts out. Solidarity pool shares are whole cents by the largest
remainder method (see README: rounding rule), so they always add up to the pooled amount.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from rules import glossary

from ..canonical import canonical_json
from ..crypto import Signer
from ..errors import NOT_INITIALISED, LedgerError
from ..service import sign_statement
from ..store import Store
from . import store as sstore
from .booking import sealed_quarters
from .catalogue import Catalogue, load_catalogue
from .line_status import OPEN_DISPUTE, DisputeFacts, dispute_facts, line_class, settle_groups  # noqa: F401
from .quarters import Quarter

QUARTER_OPEN = "QUARTER_NOT_ENDED"
CLASSES = ("definitive", "provisional", "disputed")


@dataclass(frozen=True)
class Flow:
    """What `creditor` receives from `debtor` in the quarter ("kosten" lines or "solidariteit" shares)."""

    creditor: str
    debtor: str
    kind: str  # "kosten" | "solidariteit"
    definitive_cents: int
    provisional_cents: int
    disputed_cents: int
    lines: int

    @property
    def total_cents(self) -> int:
        return self.definitive_cents + self.provisional_cents + self.disputed_cents

    @property
    def payable_cents(self) -> int:
        return self.definitive_cents + self.provisional_cents


@dataclass(frozen=True)
class Position:
    party: str
    receivable: dict[str, int]  # per class
    payable: dict[str, int]

    @property
    def net_cents(self) -> int:
        return sum(self.receivable.values()) - sum(self.payable.values())

    @property
    def net_payable_cents(self) -> int:
        """Net without disputed amounts (what is paid or received now)."""
        return (self.receivable["definitive"] + self.receivable["provisional"]
                - self.payable["definitive"] - self.payable["provisional"])

    @property
    def net_definitive_cents(self) -> int:
        return self.receivable["definitive"] - self.payable["definitive"]


@dataclass(frozen=True)
class PoolShare:
    pool: str
    member: str
    holder: str
    key: str
    weight: int
    pooled_cents: int  # the pool's total for this class
    share_cents: int
    klass: str


@dataclass(frozen=True)
class Settlement:
    quarter: str
    sealed: bool
    through_seq: int | None
    seal_seq: int | None
    flows: tuple[Flow, ...]
    positions: tuple[Position, ...]
    pool_shares: tuple[PoolShare, ...]
    own_costs: dict[str, int]  # lines where fronting party == cost bearer, per party
    disputed_determinations: tuple[int, ...]
    disputed_clients: tuple[str, ...]
    carried: tuple[tuple[str, int], ...]  # (sealed quarter, its through_seq) whose late rows come here
    keys: dict[str, str] = field(default_factory=dict)  # pool id -> verdeelsleutel used
    #: the dispute facts the lines were classed by (line_status.py; not part of the digest)
    facts: DisputeFacts | None = field(default=None, compare=False, repr=False)

    def position(self, party: str) -> Position:
        for p in self.positions:
            if p.party == party:
                return p
        return Position(party, dict.fromkeys(CLASSES, 0), dict.fromkeys(CLASSES, 0))

    def parties(self) -> list[str]:
        return [p.party for p in self.positions]

    def to_dict(self) -> dict[str, Any]:
        return {
            "quarter": self.quarter, "sealed": self.sealed, "through_seq": self.through_seq,
            "seal_seq": self.seal_seq,
            "flows": [dict(asdict(f), total_cents=f.total_cents, payable_cents=f.payable_cents) for f in self.flows],
            "positions": [{"party": p.party, "receivable": p.receivable, "payable": p.payable,
                           "net_cents": p.net_cents, "net_payable_cents": p.net_payable_cents,
                           "net_definitive_cents": p.net_definitive_cents} for p in self.positions],
            "pool_shares": [asdict(s) for s in self.pool_shares],
            "own_costs": dict(sorted(self.own_costs.items())),
            "disputed_determinations": list(self.disputed_determinations),
            "disputed_clients": list(self.disputed_clients),
            "carried": [list(c) for c in self.carried], "keys": dict(sorted(self.keys.items())),
        }

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the settlement (without the seal's own sequence number)."""
        d = self.to_dict()
        d.pop("seal_seq")
        return hashlib.sha256(canonical_json(d)).hexdigest()


# ---------------------------------------------------------------------------------------------
# rounding: largest remainder
# ---------------------------------------------------------------------------------------------
def allocate(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split `total` cents by integer weights into whole cents that add up to `total` exactly.

    Each share is floor(total * w / W) (towards minus infinity on the absolute value, sign restored);
    the cents left over go one each to the largest remainders, ties to the lower member code.
    """
    items = sorted((k, int(w)) for k, w in weights.items() if int(w) > 0)
    if not items:
        return {}
    wsum = sum(w for _, w in items)
    sign, amount = (-1, -total) if total < 0 else (1, total)
    base = {k: amount * w // wsum for k, w in items}
    rest = amount - sum(base.values())
    order = sorted(items, key=lambda kw: (-(amount * kw[1] % wsum), kw[0]))
    for k, _ in order[:rest]:
        base[k] += 1
    return {k: sign * v for k, v in base.items()}


# ---------------------------------------------------------------------------------------------
# disputes and the rows of a quarter
# ---------------------------------------------------------------------------------------------
def open_disputes(store: Store, through_seq: int | None = None, conn=None) -> tuple[set[int], set[str]]:
    """(determination seqs, clients) with an open dispute (line_status.dispute_facts)."""
    f = dispute_facts(store, through_seq, conn)
    return set(f.open_determinations), set(f.open_clients)


def quarter_scope(store: Store, quarter: str | Quarter, conn=None
                  ) -> tuple[Quarter, int | None, int | None, tuple[tuple[str, int], ...]]:
    """(quarter, through_seq if sealed, seal seq, carried-in sealed quarters)."""
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    sealed = sealed_quarters(store, conn)
    through, seal_seq = sealed.get(q.code, (None, None))
    carried: list[tuple[str, int]] = []
    p, later = q.prev(), -1
    while p.code in sealed:
        t = max(sealed[p.code][0], later)
        carried.append((p.code, t))
        later = t
        p = p.prev()
    return q, through, seal_seq, tuple(carried)


def _condition(q: Quarter, through: int | None, carried: Sequence[tuple[str, int]]):
    cond = sstore.quarter_condition(q.code, None, carried)
    if through is not None:
        cond = sstore.sa.and_(cond, sstore.lines.c.seq <= through)
    return cond


def _scope(q: Quarter, through: int | None, carried: Sequence[tuple[str, int]]):
    """The same rows as _condition, as a Python predicate on (booking_quarter, seq)."""
    late = dict(carried)

    def in_scope(bq: str, seq: int) -> bool:
        if through is not None and seq > through:
            return False
        return bq == q.code or (bq in late and seq > late[bq])
    return in_scope


# ---------------------------------------------------------------------------------------------
# settle
# ---------------------------------------------------------------------------------------------
Group = tuple[str, str, str, bool, bool, int, int]  # fronting, bearer, status, historical, disputed, cents, n


def settle(store: Store, quarter: str | Quarter, *, keys: Mapping[str, str] | None = None,
           reading: Mapping[int, str] | None = None, catalogue: Catalogue | None = None,
           sync: bool = True) -> Settlement:
    """The settlement of a quarter from the ledger (a sealed quarter exactly as sealed).

    keys: pool id -> verdeelsleutel name (default: each pool's default_key).
    reading: determination seq -> another cost bearer (a flag's alternative), for what-if only.
    """
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    with store.engine.connect() as conn:  # one connection for every read
        if sync and sstore.index_behind(conn):
            conn.rollback()  # end this read before the index is brought up to date
            sstore.sync_index(store)
        q, through, seal_seq, carried = quarter_scope(store, q, conn)
        facts = dispute_facts(store, through, conn)
        dets, clients = set(facts.open_determinations), set(facts.open_clients)
        cond = _condition(q, through, carried)
        in_scope = _scope(q, through, carried)
        groups = sstore.group_totals(store, sstore.quarter_sql(store.dialect, q.code, through, carried),
                                     sorted(dets), sorted(clients), in_scope, conn)
        groups = settle_groups(store, groups, facts, in_scope, conn)
    if reading:
        groups = _apply_reading(store, cond, groups, reading, facts)
    s = compute(q, groups, catalogue or load_catalogue(), keys=keys, sealed=through is not None,
                through_seq=through, seal_seq=seal_seq, dets=dets, clients=clients, carried=carried)
    return replace(s, facts=facts)


def _apply_reading(store: Store, cond, groups: list[Group], reading: Mapping[int, str],
                   facts: DisputeFacts) -> list[Group]:
    """Move the amounts of the lines of re-read determinations to their alternative cost bearer."""
    from .line_status import deviating_lines

    affected = sstore.lines_where(store, cond, sstore.lines.c.determination_seq.in_(sorted(reading)))
    deviating = deviating_lines(store, [(ln.seq, ln.kind, ln.reverses_seq) for ln in affected])
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for g in groups:
        acc[g[:5]][0] += g[5]
        acc[g[:5]][1] += g[6]
    for ln in affected:
        klass = line_class(ln.status, ln.determination_seq, ln.client, ln.period_from, ln.period_to, facts,
                           deviating=ln.seq in deviating)
        disputed = klass == "disputed"
        status = ln.status if disputed else ("provisional" if klass == "provisional" else "definitive")
        old = (ln.fronting, ln.bearer, status, ln.historical, disputed)
        new = (ln.fronting, reading[ln.determination_seq], status, ln.historical, disputed)
        acc[old][0] -= ln.amount_cents
        acc[old][1] -= 1
        acc[new][0] += ln.amount_cents
        acc[new][1] += 1
    return [(*k, v[0], v[1]) for k, v in acc.items() if v[1] or v[0]]


def compute(q: Quarter, groups: Iterable[Group], cat: Catalogue, *, keys: Mapping[str, str] | None = None,
            sealed: bool = False, through_seq: int | None = None, seal_seq: int | None = None,
            dets: Iterable[int] = (), clients: Iterable[str] = (),
            carried: Sequence[tuple[str, int]] = ()) -> Settlement:
    """Flows, positions and pool shares from grouped totals (pure)."""
    flows: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    own: dict[str, int] = defaultdict(int)
    hist: dict[tuple[str, str], int] = defaultdict(int)  # (bearer, class) -> historical cohort cents
    for fronting, bearer, status, historical, disputed, cents, n in groups:
        klass = "disputed" if disputed else ("provisional" if status == "provisional" else "definitive")
        if historical and klass != "disputed":
            hist[(bearer, klass)] += cents
        if fronting == bearer:
            own[fronting] += cents
            continue
        f = flows[(fronting, bearer, "kosten")]
        f[CLASSES.index(klass)] += cents
        f[3] += n
    shares: list[PoolShare] = []
    used: dict[str, str] = {}
    for pool in cat.pools:
        if not (pool.covers(q.start) or pool.covers(q.end)):
            continue
        key = (keys or {}).get(pool.id) or pool.default_key
        weights = pool.weights(key)
        used[pool.id] = key
        for klass in ("definitive", "provisional"):
            pooled = hist.get((pool.holder, klass), 0)
            if not pooled:
                continue
            for member, cents in sorted(allocate(pooled, weights).items()):
                shares.append(PoolShare(pool.id, member, pool.holder, key, weights[member], pooled, cents, klass))
                if member != pool.holder and cents:
                    f = flows[(pool.holder, member, "solidariteit")]
                    f[CLASSES.index(klass)] += cents
    flow_list = tuple(Flow(c, d, k, v[0], v[1], v[2], v[3]) for (c, d, k), v in sorted(flows.items())
                      if any(v))
    rec: dict[str, dict[str, int]] = {}
    pay: dict[str, dict[str, int]] = {}
    for f in flow_list:
        for party in (f.creditor, f.debtor):
            rec.setdefault(party, dict.fromkeys(CLASSES, 0))
            pay.setdefault(party, dict.fromkeys(CLASSES, 0))
        for klass, cents in zip(CLASSES, (f.definitive_cents, f.provisional_cents, f.disputed_cents)):
            rec[f.creditor][klass] += cents
            pay[f.debtor][klass] += cents
    positions = tuple(Position(p, rec[p], pay[p]) for p in sorted(rec))
    return Settlement(q.code, sealed, through_seq, seal_seq, flow_list, positions, tuple(shares),
                      dict(own), tuple(sorted(dets)), tuple(sorted(clients)), tuple(carried), used)


# ---------------------------------------------------------------------------------------------
# seal
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SealResult:
    quarter: str
    seal_seq: int
    through_seq: int
    checkpoint_size: int
    digest: str
    duplicate: bool
    settlement: Settlement


def close_quarter(store: Store, quarter: str | Quarter, *, today: date, operator: Signer | None = None
                  ) -> SealResult:
    """Seal a quarter: the operator signs its totals and the checkpoint they reflect (once).

    The quarter must have ended (today after its last day). Sealing again returns the existing seal.
    """
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    sealed = sealed_quarters(store)
    if q.code in sealed:
        s = settle(store, q)
        through, seal_seq = sealed[q.code]
        return SealResult(q.code, seal_seq, through, through + 1, s.digest, True, s)
    if today <= q.end:
        raise LedgerError(QUARTER_OPEN, f"quarter {q.label} ends on {q.end}: it can be sealed after that day")
    operator = operator or store.operator
    if operator is None:
        raise LedgerError(NOT_INITIALISED, "no operator key: cannot seal a quarter")
    sstore.sync_index(store)
    store.checkpoint()
    cp = store.latest_checkpoint()
    if cp is None:
        raise LedgerError(NOT_INITIALISED, "the ledger has no checkpoint")
    through = cp.tree_size - 1
    # settle as of the checkpoint: rows after it are not in the seal
    _q, _t, _s, carried = quarter_scope(store, q)
    facts = dispute_facts(store, through)
    dets, clients = set(facts.open_determinations), set(facts.open_clients)
    cond = _condition(q, through, carried)
    in_scope = _scope(q, through, carried)
    groups = sstore.group_totals(store, cond, sorted(dets), sorted(clients), in_scope)
    groups = settle_groups(store, groups, facts, in_scope)
    s = compute(q, groups, load_catalogue(), sealed=True, through_seq=through, dets=dets, clients=clients,
                carried=carried)
    balances = [{"party": p.party, "net_cents": p.net_payable_cents} for p in s.positions]
    pairs = [{"creditor": f.creditor, "debtor": f.debtor, "definitive_cents": f.definitive_cents,
              "provisional_cents": f.provisional_cents, "disputed_cents": f.disputed_cents}
             for f in _merge_kinds(s.flows)]
    payload = {"period_from": q.start.isoformat(), "period_to": q.end.isoformat(), "through_seq": through,
               "balances": balances, "quarter": q.code, "checkpoint_size": cp.tree_size,
               "checkpoint_root": cp.root_hash.hex(), "pairs": pairs, "digest": s.digest}
    # signed at the ledger's time, as every other write (a store with its own clock: the national demo)
    st = sign_statement(operator, "settlement_seal", payload, idempotency_key=f"seal-{q.code}",
                        authored_at=store.clock())
    res = store.append(*st.as_item())
    return SealResult(q.code, res.seq, through, cp.tree_size, s.digest, res.duplicate,
                      replace(s, seal_seq=res.seq))


def _merge_kinds(flows: Sequence[Flow]) -> list[Flow]:
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for f in flows:
        a = acc[(f.creditor, f.debtor)]
        a[0] += f.definitive_cents
        a[1] += f.provisional_cents
        a[2] += f.disputed_cents
        a[3] += f.lines
    return [Flow(c, d, "totaal", *v) for (c, d), v in sorted(acc.items())]


# ---------------------------------------------------------------------------------------------
# what-if
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WhatIfDifference:
    party: str
    base_net_cents: int
    alt_net_cents: int
    base_payable_cents: int
    alt_payable_cents: int

    @property
    def difference_cents(self) -> int:
        return self.alt_net_cents - self.base_net_cents


@dataclass(frozen=True)
class WhatIf:
    quarter: str
    description: str
    base: Settlement
    alternative: Settlement
    differences: tuple[WhatIfDifference, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"quarter": self.quarter, "description": self.description, "base_digest": self.base.digest,
                "differences": [dict(asdict(d), difference_cents=d.difference_cents) for d in self.differences]}


def whatif(store: Store, quarter: str | Quarter, *, keys: Mapping[str, str] | None = None,
           reading: Mapping[int, str] | None = None, description: str = "") -> WhatIf:
    """Recompute a quarter under other verdeelsleutels and/or another reading; nothing is booked."""
    base = settle(store, quarter)
    alt = settle(store, quarter, keys=keys, reading=reading, sync=False)
    parties = sorted(set(base.parties()) | set(alt.parties()))
    diffs = tuple(WhatIfDifference(p, base.position(p).net_cents, alt.position(p).net_cents,
                                   base.position(p).net_payable_cents, alt.position(p).net_payable_cents)
                  for p in parties)
    desc = description or ", ".join([f"{k}: {glossary.label('verdeelsleutel', v)}" for k, v in sorted((keys or {}).items())]
                                    + [f"{len(reading or {})} beoordeling(en) anders gelezen"] * bool(reading))
    return WhatIf(base.quarter, desc, base, alt, diffs)


def determinations_with_flag(store: Store, flag: str) -> dict[int, dict[str, Any]]:
    """determination seq -> payload, for determinations raising `flag` (for a what-if reading)."""
    return {seq: p for seq, _a, _c, p, _at in sstore.entries_of_kind(store, ["determination", "redetermination"])
            if flag in p.get("flags", ())}
