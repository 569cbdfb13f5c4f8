"""The notices inbox and outbox, the account keys and the statements a person signs in the browser: the
compositions the pages, the JSON endpoints and the CLI share (over ledger/inbox.py, api/access/account_keys.py
and api/access/notice_reads.py). Nothing here decides what the ledger accepts: admission does."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from api.access.account_keys import AccountKey, AccountKeys
from api.access.accounts import AccessError
from api.access.notice_reads import NoticeReads
from api.compose import RequestInvalid, is_party, iso
from api.format_nl import date_nl
from api.ledger_cache import LedgerCache
from ledger import inbox
from ledger.admission import local_date
from ledger.drafts import Draft
from ledger.errors import NOT_INITIALISED, LedgerError
from ledger.store import Store
from rules.glossary import label, party_name

NO_KEY = "KEY_NOT_REGISTERED"


def notice_codes() -> dict[str, str]:
    """The notice codes a mailbox can be filtered on, each with its label from the one glossary."""
    return {code: label("notice", code) for code in inbox.KINDS_OF}


def boxes() -> dict[str, str]:
    """The two boxes (inbox, outbox), each with its label from the one glossary."""
    return {box: label("mailbox", box) for box in inbox.BOXES}


def summary_nl(n: inbox.Notice) -> str:
    """One line in Dutch about what the notice says."""
    p = n.payload
    if n.kind == "placement_notice":
        return (f"plaatsing in {party_name(p.get('host_municipality'))} ({p.get('location')}) vanaf "
                f"{date_nl(p.get('start_date'))}; kostendrager {party_name(p.get('cost_bearer'))}")
    if n.kind == "outflow_notice":
        new = f", naar {party_name(p['new_municipality'])}" if p.get("new_municipality") else ""
        return f"einde beschermd wonen in {party_name(p.get('host_municipality'))} op {date_nl(p.get('end_date'))}{new}"
    if n.kind == "handover_request":
        return f"verzoek om over te nemen per {date_nl(p.get('proposed_date'))}: {str(p.get('reasons', ''))[:120]}"
    if n.kind == "handover_answer":
        seq = (p.get("request") or {}).get("seq")
        if p.get("accepted"):
            return f"neemt over per {date_nl(p.get('take_over_date'))} (overdrachtsverzoek {seq})"
        return f"wijst overdrachtsverzoek {seq} af: {str(p.get('reasons', ''))[:120]}"
    if n.kind in ("determination", "redetermination"):
        o = p.get("outcome") or {}
        status = label("line_status", "provisional" if p.get("provisional") else "definitive")
        return f"kostendrager {party_name(o.get('cost_bearer'))} ({status}), peildatum {date_nl(p.get('reference_date'))}"
    if n.kind == "acceptance":
        return f"aanvaardt beoordeling {(p.get('determination') or {}).get('seq')}"
    if n.kind == "objection":
        return f"bezwaar tegen beoordeling {(p.get('determination') or {}).get('seq')}: {str(p.get('reasons', ''))[:120]}"
    if n.kind == "dispute_event":
        return f"geschil {p.get('dispute_id')}: {label('dispute_status', p.get('status'))}"
    return n.kind


#: a refusal before signing, as a person reads it (the code stays next to it)
REFUSAL_NL = {
    "ACKNOWLEDGEMENT_INVALID": "Dit bericht kunt u niet bevestigen: uw partij is geen geadresseerde, of heeft het al "
                               "bevestigd.",
    NO_KEY: "Uw account heeft nog geen geregistreerde sleutel. Maak hem op de pagina Sleutel en laat hem door de "
            "beheerder registreren.",
}


def refusal_nl(exc: LedgerError) -> str:
    return REFUSAL_NL.get(exc.code, f"Het grootboek weigert dit: {exc.message}")


# ------------------------------------------------------------------------------------------ the mailbox
@dataclass(frozen=True)
class MailboxQuery:
    box: str = "inbox"
    codes: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    counterparty: str | None = None
    unread_only: bool = False


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RequestInvalid(field, f"geen datum (JJJJ-MM-DD): {value!r}") from None


def parse_query(box: str | None = None, kinds: str | list[str] | None = None, date_from: str | None = None,
                date_to: str | None = None, counterparty: str | None = None, unread: str | bool | None = None
                ) -> MailboxQuery:
    """The filters of a mailbox request (query parameters `map`, `soort` (N1..N8, comma-separated or
    repeated), `van`, `tot`, `tegenpartij`, `ongelezen`); RequestInvalid with a Dutch message."""
    box = (box or "inbox").strip()
    if box not in inbox.BOXES:
        raise RequestInvalid("map", f"inbox of outbox, niet {box!r}")
    raw = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    codes = tuple(sorted({c.strip().upper() for item in raw for c in item.split(",") if c.strip()}))
    unknown = [c for c in codes if c not in inbox.KINDS_OF]
    if unknown:
        raise RequestInvalid("soort", f"onbekende soort {unknown[0]!r} (bekend: {', '.join(inbox.KINDS_OF)})")
    d_from, d_to = _day(date_from, "van"), _day(date_to, "tot")
    if d_from and d_to and d_to < d_from:
        raise RequestInvalid("tot", f"{date_nl(d_to)} ligt voor {date_nl(d_from)}")
    counterparty = (counterparty or "").strip() or None
    if counterparty is not None and not is_party(counterparty):
        raise RequestInvalid("tegenpartij", f"geen partij (GMxxxx, RG:<regio>, OPERATOR of COMMITTEE): {counterparty!r}")
    only_unread = unread in (True, "1", "true", "ja", "on")
    return MailboxQuery(box, codes, d_from, d_to, counterparty, only_unread)


def notice_dict(n: inbox.Notice, read: bool | None) -> dict[str, Any]:
    """A notice for the JSON API (camelCase) and the pages (the Dutch texts alongside)."""
    return {"seq": n.seq, "entryHash": n.entry_hash, "soort": n.code, "kind": n.kind, "receivedAt": iso(n.received_at),
            "sender": n.sender, "addressees": list(n.addressees), "client": n.client, "payload": n.payload,
            "action": n.action, "due": n.due.isoformat() if n.due else None, "overdue": n.overdue,
            "done": {p: s for p, s in sorted(n.done.items())}, "waitingFor": list(n.waiting_for), "read": read,
            "summary": summary_nl(n), "kindNl": label("entry_kind", n.kind),
            "actionNl": label("notice_action", n.action) if n.action else None}


#: mailboxes made in this process (a cache at the boundary, api/ledger_cache.py), by query, reader, day and
#: ledger size: the inbox of a busy party is read on every overview and every poll of its client
_MAILBOXES: LedgerCache[list] = LedgerCache(256)


def mailbox(store: Store, reads: NoticeReads, party: str, q: MailboxQuery, *, username: str | None = None,
            viewer: str | None = None, size: int | None = None, window: slice | None = None
            ) -> list[dict[str, Any]]:
    """`party`'s inbox or outbox (ledger.inbox.mailbox) with what `username` has read (None: a machine
    client, which has no read state); `window`: only those items (a page), as `mailbox_page` counts them."""
    return mailbox_page(store, reads, party, q, username=username, viewer=viewer, size=size, window=window)[1]


def mailbox_page(store: Store, reads: NoticeReads, party: str, q: MailboxQuery, *, username: str | None = None,
                 viewer: str | None = None, size: int | None = None, window: slice | None = None
                 ) -> tuple[int, list[dict[str, Any]]]:
    """(how many items the mailbox holds, the items of `window` as dicts): the read state and the dicts are
    made for the window's items only (an inbox of a centrumgemeente holds thousands), except with
    `ongelezen`, whose filter needs the read state of every item before the window is cut."""
    on = local_date(store.clock())
    key = (id(store), party, q.box, q.codes, q.date_from, q.date_to, q.counterparty, viewer or party, on,
           store.size() if size is None else size)  # the ledger's size (as the request read it): a new entry
    # anywhere is a new key
    items = _MAILBOXES.get_or_make(key, lambda: inbox.mailbox(
        store, party, q.box, codes=q.codes, date_from=q.date_from, date_to=q.date_to, counterparty=q.counterparty,
        viewer=viewer or party, on=on))
    if q.unread_only and username:
        seen = reads.read(username, [n.seq for n in items])
        items = [n for n in items if n.seq not in seen]
    total = len(items)
    if window is not None:
        items = items[window]
    seen = reads.read(username, [n.seq for n in items]) if username else set()
    return total, [notice_dict(n, (n.seq in seen) if username else None) for n in items]


def notice_detail(store: Store, reads: NoticeReads, party: str, seq: int, *, username: str | None,
                  viewer: str | None = None, mark_read: bool = True) -> dict[str, Any] | None:
    """One notice of `party`'s mailbox (None: not in it), marked as read by `username`."""
    n = inbox.notice(store, party, seq, viewer=viewer or party)
    if n is None:
        return None
    if username and mark_read:
        reads.mark(username, seq)
    return notice_dict(n, True if username else None)


def mark_read(store: Store, reads: NoticeReads, party: str, seq: int, *, username: str | None) -> dict[str, Any] | None:
    """Mark notice `seq` of `party`'s mailbox read by `username`; None when it is not in the mailbox."""
    if inbox.notice(store, party, seq) is None:
        return None
    if username is None:
        raise RequestInvalid("account", "alleen een aangemelde persoon heeft gelezen en ongelezen berichten")
    reads.mark(username, seq)
    return {"seq": seq, "read": True}


def actions_today(store: Store, reads: NoticeReads, party: str | None, username: str | None) -> dict[str, Any]:
    """What needs `party`'s action today (overview page): its inbox items with an open action, overdue
    first then by last day, the unread count, and its own notices still waiting for an acknowledgement."""
    if not party:
        return {"todo": [], "unread": 0, "waiting": []}
    received = mailbox(store, reads, party, MailboxQuery("inbox"), username=username)
    todo = sorted((d for d in received if d["action"]), key=lambda d: (not d["overdue"], d["due"] or "9999", d["seq"]))
    sent = mailbox(store, reads, party, MailboxQuery("outbox", codes=("N1", "N2", "N5")), username=username)
    return {"todo": todo, "unread": sum(1 for d in received if d["read"] is False),
            "waiting": [d for d in sent if d["overdue"]]}


# ------------------------------------------------------------------------------------------ account keys
def request_account_key(keys: AccountKeys, username: str | None, party: str | None, public_key: str) -> AccountKey:
    """The public key a person's browser made, asked to be registered for the person's party."""
    if not username or not party:
        raise RequestInvalid("account", "alleen een aangemelde persoon vraagt een sleutel aan")
    try:
        return keys.request(username, party, public_key)
    except AccessError as exc:
        raise RequestInvalid("publieke_sleutel", exc.message) from None


def register_account_key(store: Store, keys: AccountKeys, key_id: str) -> AccountKey:
    """The operator registers a requested account key as one of its party's keys: a key_registration
    signed by the operator key of this machine (ledger/keystatements.py), labelled with the account here."""
    from ledger.keystatements import registration

    key = keys.key(key_id)
    if key.registered:
        return key
    if store.operator is None:
        raise LedgerError(NOT_INITIALISED, "no operator key on this machine to register party keys")
    now = store.clock()
    st = registration(store.operator, key.party, bytes.fromhex(key.public_key), valid_from=now, authored_at=now)
    result = store.append(*st.as_item())
    return keys.registered(key_id, result.seq)


def revoke_account_keys(store: Store, keys: AccountKeys, username: str, reason: str = "account uitgeschakeld"
                        ) -> list[int]:
    """Disabling an account revokes its registered keys (a key_revocation by the operator each, from now
    on; what they signed before stays valid). The seqs of the revocations (a key revoked before: skipped)."""
    from ledger.errors import IDEMPOTENCY_CONFLICT, KEY_NOT_VALID
    from ledger.keystatements import revocation

    done = []
    for key in keys.of_account(username):
        if not key.registered:
            continue
        if store.operator is None:
            raise LedgerError(NOT_INITIALISED, "no operator key on this machine to revoke party keys")
        st = revocation(store.operator, key.party, key.key_id, reason, authored_at=store.clock())
        try:
            result = store.append(*st.as_item())
            if not result.duplicate:  # a revocation stored before answers as the original entry
                done.append(result.seq)
        except LedgerError as exc:
            if exc.code not in (KEY_NOT_VALID, IDEMPOTENCY_CONFLICT):  # revoked or rotated out before
                raise
    return done


# ------------------------------------------------------------------------------------------ signing in the browser
@dataclass(frozen=True)
class Prepared:
    """A statement the server prepared for a person to read and sign in the browser."""

    statement: bytes
    kind: str
    key_id: str
    text_nl: str  # what it says, in Dutch

    @property
    def b64(self) -> str:
        return base64.b64encode(self.statement).decode("ascii")

    @property
    def pretty_json(self) -> str:
        return json.dumps(json.loads(self.statement), indent=2, ensure_ascii=False)


def prepare(store: Store, keys: AccountKeys, username: str | None, party: str, draft: Draft, text_nl: str) -> Prepared:
    """The exact canonical statement of `draft` for `party` with the account's registered key and
    authored_at now (ledger.entries.make_statement through Draft.statement)."""
    key = keys.signing_key(username)
    if key is None or key.party != party:
        raise LedgerError(NO_KEY, "uw account heeft nog geen geregistreerde sleutel: maak hem op de pagina Sleutel "
                                  "en laat hem door de beheerder registreren")
    raw = draft.statement(party, key.key_id, store.clock())
    return Prepared(raw, draft.kind, key.key_id, text_nl)


def prepare_acknowledgement(store: Store, keys: AccountKeys, username: str | None, party: str, seq: int,
                            note: str = "") -> Prepared:
    """The acknowledgement of notice `seq` by `party`, ready to sign (ledger.inbox.acknowledgement_draft)."""
    draft = inbox.acknowledgement_draft(store, party, seq, note)
    n = inbox.notice(store, party, seq)
    what = f"de {label('entry_kind', n.kind)} nr. {seq}" if n else f"bericht {seq}"
    sender = f" van {party_name(n.sender)}" if n else ""
    text = (f"{party_name(party)} bevestigt de ontvangst van {what}{sender} over cliënt {draft.client}"
            + (f", ontvangen op {date_nl(n.received_at)}" if n else "") + ".")
    return prepare(store, keys, username, party, draft, text)


__all__ = ["MailboxQuery", "Prepared", "actions_today", "boxes", "mailbox", "notice_codes",
           "mark_read", "notice_detail", "notice_dict", "parse_query", "prepare", "prepare_acknowledgement",
           "refusal_nl", "register_account_key", "revoke_account_keys", "request_account_key", "summary_nl"]
