"""Confidential locations: where a client of a SAFETY_CONFIDENTIAL determination lives is told only to
the parties that need it (spec 8.7, case E40; issue 12).

The rule, in one place:

* A client is **confidential** from the first determination or re-determination (N3/N8) of that client
  that raises the flag `SAFETY_CONFIDENTIAL` (a vrouwenopvang address or stay on the melding date or in
  the R7 chain). It stays so: a later determination without the flag does not make an earlier location
  safe to show.
* The **location** of such a client is: the N1's `location` and `host_municipality` (and host region),
  the N2's host and new municipality, a cost line's `location`, and in the facts of a determination the
  municipality of a `womens_shelter` address or stay and of every BW episode.
* The parties that **need** it are the ones that place the client and receive the placement: the
  placing party, the host municipality and the host region of the client's N1s (and the sender, host and
  new municipality of its N2s); and the author of an entry reads that entry as it signed it (the
  fronting party its own cost lines). Not the cost bearer (it pays; where the client lives does not change
  what it owes), not the committee (a dispute on E40 is about the designation of the shelter, which is
  its type, not its place), not the auditor, not the operator, not any other party.

What follows from it:

1. From the rule set `2026-12-03` (ledger/data/admission.toml, family `confidential_locations`) the
   ledger refuses a signed N1 or cost line of a confidential client that carries a clear location: its
   `location` must be `MASK` ("vertrouwelijk") or, on a cost line, absent. Signed statements go into
   bundles and dossiers verbatim, so the clear location must not be signed at all. The place itself is
   sealed in the client's encrypted store (cases/confidential_places.py) and the N1 carries only its
   reference (`location_ref`); the parties that need it read it back through the N1. Refusal code
   `LOCATION_CONFIDENTIAL`.
2. Every view (the entries listing, the statements, the dossier, the pages) asks `shows` and
   masks with the functions below, for entries written before that rule set and for the N1's host
   municipality, which is a party the ledger must name.
3. The signed N1 and N2 of a confidential client are left out of every bundle and listing of a party that
   does not need the location (`withheld`), and with them every entry that refers to them (the host's
   acknowledgement names the host; `without_withheld`): a bundle proves what it contains, it never
   promised to hold everything, and a notice addressed to the host is not the cost bearer's to read.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .errors import LOCATION_CONFIDENTIAL, LedgerError

FLAG = "SAFETY_CONFIDENTIAL"
#: what a confidential location reads as, in a signed statement and in every view
MASK = "vertrouwelijk"
DETERMINATION_KINDS = ("determination", "redetermination")
#: the entry kinds whose payload tells where the client is; their fields that do
LOCATION_FIELDS: dict[str, tuple[str, ...]] = {
    "placement_notice": ("location", "host_municipality", "host_region"),
    "outflow_notice": ("host_municipality", "host_region", "new_municipality"),
    "cost_line": ("location",),
    "placement": ("location",),
}
#: the kinds withheld from a party that may not see the location (their parties are the location)
NOTICE_KINDS = ("placement_notice", "outflow_notice")
#: the parties of a notice that place or receive the client
NEEDING_FIELDS: dict[str, tuple[str, ...]] = {
    "placement_notice": ("placing_party", "host_municipality", "host_region"),
    "outflow_notice": ("sender", "host_municipality", "host_region", "new_municipality"),
}


# ------------------------------------------------------------------------------ the rule (pure)
def raises_flag(payload: dict[str, Any]) -> bool:
    """Whether a determination's payload raises SAFETY_CONFIDENTIAL."""
    return FLAG in (payload.get("flags") or ())


def needing_parties(kind: str, payload: dict[str, Any]) -> set[str]:
    """The parties of one N1/N2 that need the client's location."""
    return {payload[f] for f in NEEDING_FIELDS.get(kind, ()) if isinstance(payload.get(f), str)}


def location_problem(kind: str, payload: Any, confidential: bool) -> LedgerError | None:
    """The admission rule: an N1, cost line or placement record of a confidential client carries no clear
    location."""
    if not confidential:
        return None
    location = getattr(payload, "location", None)
    if kind == "placement_notice" and location != MASK or kind in ("cost_line", "placement") and location not in (
            None, MASK):
        return LedgerError(LOCATION_CONFIDENTIAL,
                           f"de cliënt heeft een beoordeling met {FLAG}: de locatie staat niet in de melding, "
                           f"alleen '{MASK}' (de plaatsende partij bewaart haar zelf)")
    return None


def mask_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its location fields replaced by MASK (a copy; other kinds unchanged)."""
    fields = [f for f in LOCATION_FIELDS.get(kind, ()) if payload.get(f) is not None]
    return {**payload, **{f: MASK for f in fields}} if fields else payload


def mask_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """A determination's facts without the places that tell where the client is: the municipality of a
    womens_shelter address or stay and the location of every BW episode (the type stays: it is what a
    dispute on the designation is about)."""
    def shelter(item: dict, type_key: str) -> dict:
        return {**item, "gemeente": MASK} if item.get(type_key) == "womens_shelter" else item

    out = dict(facts)
    if "addresses" in facts:
        out["addresses"] = [shelter(a, "institution") for a in facts["addresses"]]
    if "stays" in facts:
        out["stays"] = [shelter(s, "type") for s in facts["stays"]]
    if "bw_episodes" in facts:
        out["bw_episodes"] = [{**e, "location": MASK} if "location" in e else e for e in facts["bw_episodes"]]
    return out


def _shelter_items(facts: dict[str, Any]) -> dict[str, str]:
    """fact reference ("addresses[1]", "stays[0]") -> municipality, of every womens_shelter address or stay."""
    out = {}
    for key, type_key in (("addresses", "institution"), ("stays", "type")):
        for i, item in enumerate(facts.get(key) or ()):
            if item.get(type_key) == "womens_shelter" and isinstance(item.get("gemeente"), str):
                out[f"{key}[{i}]"] = item["gemeente"]
    return out


def mask_trail(trail: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """A determination's trail in which a step that rests on a womens_shelter address or stay no longer
    names that shelter's municipality (the rule and the type stay readable)."""
    shelters = _shelter_items(facts)
    steps = []
    for step in trail.get("trail") or ():
        codes = {shelters[f] for f in step.get("facts") or () if f in shelters}
        finding = step.get("finding", "")
        for code in codes:
            finding = finding.replace(code, MASK)
        steps.append({**step, "finding": finding} if codes else step)
    return {**trail, "trail": steps} if "trail" in trail else trail


# ------------------------------------------------------------------------------ over a store
class Confidentiality:
    """The confidential clients among some clients and, per client, the parties that need its location,
    read once from the ledger (determinations, N1 and N2 of those clients)."""

    def __init__(self, store, clients: Iterable[str | None]) -> None:
        from .store import entries

        wanted = sorted({c for c in clients if c})
        self.clients: set[str] = set()
        self.needing: dict[str, set[str]] = {}
        if not wanted:
            return
        kinds = DETERMINATION_KINDS + NOTICE_KINDS
        for chunk in (wanted[i:i + 500] for i in range(0, len(wanted), 500)):
            for row in store.rows_where(entries.c.client.in_(chunk), entries.c.kind.in_(kinds)):
                payload = json.loads(row.statement)["payload"]
                if row.kind in DETERMINATION_KINDS:
                    if raises_flag(payload):
                        self.clients.add(row.client)
                else:
                    self.needing.setdefault(row.client, set()).update(needing_parties(row.kind, payload))

    def confidential(self, client: str | None) -> bool:
        return client in self.clients

    def location_to_sign(self, client: str | None, location: str | None) -> str | None:
        """The location a new N1 or cost line of `client` may carry: MASK for a confidential client (the
        admission rule), else the location itself."""
        return MASK if location and self.confidential(client) else location

    def sees_locations(self, viewer: str | None, client: str | None) -> bool:
        """May `viewer` (a party, or None for a reader of no party) read where `client` is?"""
        if client not in self.clients:
            return True
        return viewer is not None and viewer in self.needing.get(client, set())

    def shows(self, reader: str | None, client: str | None, *, author: str | None = None,
              viewer: str | None = None) -> bool:
        """Is the location shown in what is made for `reader` (its own entries as it signed them: `author`),
        and, when another party reads that for it (`viewer`, e.g. an auditor), to that viewer too?"""
        def sees(who: str | None) -> bool:
            return who is not None and who == author or self.sees_locations(who, client)

        return sees(reader) and (viewer is None or viewer == reader or sees(viewer))

    def withheld(self, viewer: str | None, kind: str, client: str | None) -> bool:
        """Is a signed entry of this kind and client kept from `viewer` (a notice telling where it is)?"""
        return kind in NOTICE_KINDS and not self.sees_locations(viewer, client)

    def payload_for(self, viewer: str | None, kind: str, client: str | None, payload: dict,
                    author: str | None = None) -> dict:
        """The payload as `viewer` may read it: its own entry as it signed it, else masked unless it needs
        the location."""
        return payload if self.shows(viewer, client, author=author) else mask_payload(kind, payload)


def without_withheld(rows: Sequence, hidden: Callable[[Any], bool], also: Iterable = ()) -> list:
    """`rows` (EntryRows) without the N1/N2 that `hidden(row)` keeps from the reader, and without every entry
    that refers to such a notice (an acknowledgement by the host would name the host, and bring the notice
    back as a reference); `also`: further rows (the ones referred to) whose withheld notices count too."""
    from .entries import parse_statement

    gone = {r.seq for r in (*rows, *also) if r.kind in NOTICE_KINDS and hidden(r)}
    if not gone:
        return list(rows)
    return [r for r in rows if r.seq not in gone
            and not any(x.seq in gone for x in parse_statement(r.statement).payload.refs().values())]


def confidentiality(store, clients: Iterable[str | None]) -> Confidentiality:
    return Confidentiality(store, clients)


def is_confidential(store, client: str | None) -> bool:
    return Confidentiality(store, [client]).confidential(client)


def location_to_sign(store, client: str | None, location: str | None) -> str | None:
    """The location a new N1 or cost line of `client` may carry (Confidentiality.location_to_sign)."""
    return Confidentiality(store, [client]).location_to_sign(client, location)


__all__ = ["FLAG", "LOCATION_CONFIDENTIAL", "MASK", "Confidentiality", "confidentiality", "is_confidential",
           "location_problem", "location_to_sign", "mask_facts", "mask_payload", "mask_trail", "needing_parties",
           "raises_flag", "without_withheld"]
