"""The CLI's one HTTP client: every command with `--server URL` talks to a bwledger server through it.

It submits statements signed on this machine to `URL/v1/grootboek/regels` as
`{"statement": base64, "signature": base64}` (or `{"entries": [...]}`, one all-or-nothing batch), a
key action to its own endpoint (`/v1/sleutels`, `/v1/sleutels/{key_id}/vervanging|intrekking`), and asks
`/v1/geschillen/concepten` / `/v1/verrekeningen/concepten` for the exact statements of a case or settlement
write, which the caller signs, and uploads a case exhibit (`/v1/geschillen/{case_id}/stukken`); it
returns what the server made of them. A refusal
(any status but 200/201) is `Refused` with the problem's `code` and `detail` (application/problem+json,
RFC 9457; a response that is not a problem gets the code `HTTP_<status>`); a server that cannot be
reached is `Unreachable`. A token (`--token` or BWLEDGER_TOKEN) is sent as `Authorization: Bearer ...`;
the server does not ask for one yet (see api/http/guards.py).
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

__all__ = ["Accepted", "Draft", "DraftStatement", "LedgerClient", "Refused", "SettlementDraft", "Unreachable",
           "key_path"]

SUBMIT_PATH = "/v1/grootboek/regels"
NOTICES_PATH = "/v1/berichten"
DRAFT_PATH = "/v1/geschillen/concepten"
SETTLEMENT_DRAFT_PATH = "/v1/verrekeningen/concepten"
KEYS_PATH = "/v1/sleutels"
BOOKING_PATH = "/v1/boekingen"
PLACEMENT_PATH = "/v1/plaatsingen"
CHECKPOINT_PATH = "/v1/checkpoint"
CONSISTENCY_PATH = "/v1/bewijzen/consistentie"


class Unreachable(Exception):
    """The server could not be reached, or answered something that is not HTTP (Dutch message)."""


class Refused(Exception):
    """The server refused the request: its problem's code and detail."""

    def __init__(self, status: int, code: str, detail: str, problem: dict[str, Any] | None = None):
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail, self.problem = status, code, detail, problem or {}


@dataclass(frozen=True)
class Accepted:
    """An entry the ledger holds: new, or the original of a replay (`duplicate`)."""

    seq: int
    entry_hash: str
    received_at: str
    duplicate: bool


class LedgerClient:
    def __init__(self, server: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        self.server = server.rstrip("/")
        headers = {"Accept": "application/json, application/problem+json", "User-Agent": "bwledger-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            self._http = httpx.Client(base_url=self.server, headers=headers, timeout=timeout)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise Unreachable(f"ongeldig serveradres {server!r}: {exc}") from None

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any] | None = None, **request: Any) -> httpx.Response:
        return self._request("POST", path, **({"json": body} if body is not None else {}), **request)

    def _get(self, path: str) -> httpx.Response:
        return self._request("GET", path)

    def _request(self, method: str, path: str, **request: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **request)
        except httpx.TimeoutException:
            raise Unreachable(f"de server {self.server} antwoordde niet op tijd") from None
        except httpx.UnsupportedProtocol:
            raise Unreachable(f"ongeldig serveradres {self.server!r}: gebruik http:// of https://") from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            why = str(exc) or type(exc).__name__
            raise Unreachable(f"de server {self.server} is niet bereikbaar ({why})") from None

    def checkpoint_note(self) -> bytes:
        """The log's newest checkpoint as a C2SP signed note, with the cosignatures the operator collected
        (GET CHECKPOINT_PATH, text/plain): its exact bytes, or Refused."""
        response = self._get(CHECKPOINT_PATH)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("text/plain"):
            self._answer(response, lambda doc: None)
        return response.content

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof between two tree sizes (GET CONSISTENCY_PATH?van=&tot=: `bewijs`, base64
        hashes), as hashes."""
        def accept(doc: dict) -> list[bytes] | None:
            proof = doc.get("bewijs")
            if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof):
                return None
            try:
                hashes = [base64.b64decode(p, validate=True) for p in proof]
            except ValueError:
                return None
            return hashes if all(len(h) == 32 for h in hashes) else None

        return self._answer(self._request("GET", CONSISTENCY_PATH, params={"van": old_size, "tot": new_size}),
                            accept)

    def case(self, case_id: str) -> dict[str, Any]:
        """A case as the server shows it (GET /v1/geschillen/{case_id}): status, events, decision."""
        return self._answer(self._get(f"/v1/geschillen/{quote(case_id, safe='')}"),
                            lambda doc: doc if isinstance(doc.get("events"), list) else None)

    def notices(self, **params: Any) -> dict[str, Any]:
        """The caller's inbox or outbox (GET NOTICES_PATH): map, soort, van, tot, tegenpartij, partij."""
        query = {k: v for k, v in params.items() if v is not None}
        return self._answer(self._request("GET", NOTICES_PATH, params=query),
                            lambda doc: doc if isinstance(doc.get("items"), list) else None)

    def _answer(self, response: httpx.Response, accept) -> Any:
        """`accept(body)` of a 200/201 answer (None when it is not of the expected form), else Refused."""
        body = _json(response)
        if response.status_code in (200, 201) and isinstance(body, dict):
            got = accept(body)
            if got is not None:
                return got
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            raise Refused(response.status_code, body["code"], str(body.get("detail", "")), body)
        text = response.text.strip().replace("\n", " ")[:300]
        if response.status_code in (200, 201):
            raise Refused(response.status_code, "RESPONSE_INVALID",
                          f"onverwacht antwoord van de server: {text}")
        raise Refused(response.status_code, f"HTTP_{response.status_code}",
                      text or response.reason_phrase or "geen toelichting")

    def beoordelingen(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to /v1/vastgelegde-beoordelingen or one of its sub-resources (api/http/routes_beoordelingen.py): the answer's
        JSON object (a draft with its `concept`, or the admitted entry), or Refused."""
        return self._answer(self._post(path, body), lambda doc: doc)

    def submit(self, statement: bytes, signature: bytes, *, path: str = SUBMIT_PATH) -> Accepted:
        """POST one signed statement (to the entries endpoint, or a key endpoint's `path`); Accepted, or
        raises Refused / Unreachable."""
        return self._answer(self._post(path, _item(statement, signature)), _accepted)

    def submit_batch(self, items: Sequence[tuple[bytes, bytes]]) -> list[Accepted]:
        """POST signed statements as one all-or-nothing batch ({"entries": [...]}); Accepted per item, in order."""
        def accept(body: dict) -> list[Accepted] | None:
            results = body.get("results")
            if not isinstance(results, list) or len(results) != len(items):
                return None
            out = [_accepted(r) if isinstance(r, dict) else None for r in results]
            return None if None in out else out

        return self._answer(self._post(SUBMIT_PATH, {"entries": [_item(st, sig) for st, sig in items]}), accept)

    def draft(self, action: str, *, party: str, key_id: str, arguments: dict[str, Any],
              case_id: str | None = None, determination_seq: int | None = None,
              cost_line_seq: int | None = None) -> Draft:
        """The statements the server prepares for a case write (POST /v1/geschillen/concepten), to be signed here."""
        body = {"action": action, "party": party, "key_id": key_id, "arguments": arguments,
                **{k: v for k, v in (("case_id", case_id), ("determination_seq", determination_seq),
                                     ("cost_line_seq", cost_line_seq)) if v is not None}}

        def accept(doc: dict) -> Draft | None:
            try:
                items = tuple(DraftStatement(str(s["kind"]), base64.b64decode(s["statement"], validate=True),
                                             str(s.get("caseId") or doc["caseId"])) for s in doc["statements"])
                if not items and action != "timed":
                    return None
                return Draft(None if doc["caseId"] is None else str(doc["caseId"]), items)
            except (KeyError, TypeError, ValueError):
                return None

        return self._answer(self._post(DRAFT_PATH, body), accept)


    def settlement_draft(self, action: str, *, party: str, key_id: str, subject: str, seq: int,
                         arguments: dict[str, Any]) -> SettlementDraft:
        """The next statement of a settlement write (POST /v1/verrekeningen/concepten; `subject` is its field,
        line_seq or acceptance_seq), to be signed here; none left means done."""
        body = {"action": action, "party": party, "key_id": key_id, subject: seq, "arguments": arguments}

        def accept(doc: dict) -> SettlementDraft | None:
            try:
                items = tuple(DraftStatement(str(s["kind"]), base64.b64decode(s["statement"], validate=True))
                              for s in doc["statements"])
                admitted = {str(k): (int(v["seq"]), str(v["entryHash"])) for k, v in doc["admitted"].items()
                            if v is not None}
                line = doc["lineSeq"]
                if not isinstance(line, int):
                    return None
                return SettlementDraft(line, items, admitted)
            except (KeyError, TypeError, ValueError, AttributeError):
                return None

        return self._answer(self._post(SETTLEMENT_DRAFT_PATH, body), accept)

    def month_booking(self, *, month: str, party: str, key_id: str) -> MonthBookingDraft:
        """The statements that book `month` for the fronting party `party` (POST /v1/boekingen), to be signed
        here and submitted as one batch; none when the month stands as its placements say."""
        def accept(doc: dict) -> MonthBookingDraft | None:
            try:
                items = tuple(DraftStatement(str(s["kind"]), base64.b64decode(s["statement"], validate=True))
                              for s in doc["statements"])
                reversed_ = tuple(_stored_entry(s["reverses"]) if s.get("reverses") is not None else None
                                  for s in doc["statements"])
                placements, already = doc["placements"], doc["alreadyBooked"]
                if not isinstance(placements, int) or not isinstance(already, int):
                    return None
                return MonthBookingDraft(str(doc["month"]), placements, already, items, reversed_)
            except (KeyError, TypeError, ValueError, AttributeError):
                return None

        return self._answer(self._post(BOOKING_PATH, {"month": month, "party": party, "keyId": key_id}), accept)

    def placement_draft(self, body: dict[str, Any]) -> DraftStatement:
        """The record of a placement, prepared by the server (POST /v1/plaatsingen), to be signed here."""
        def accept(doc: dict) -> DraftStatement | None:
            try:
                [s] = doc["statements"]
                return DraftStatement(str(s["kind"]), base64.b64decode(s["statement"], validate=True))
            except (KeyError, TypeError, ValueError, AttributeError):
                return None

        return self._answer(self._post(PLACEMENT_PATH, body), accept)

    def upload_document(self, case_id: str, *, filename: str, data: bytes, title: str, author: str,
                        document_date: str | None = None, supersedes: int | None = None) -> dict[str, Any]:
        """Upload a case exhibit (POST /v1/geschillen/{case_id}/stukken, the file as the raw body, the rest
        in the query); the stored document's {id, number, mediaType, size, sha256, ...}."""
        params = {"filename": filename, "title": title, "author": author,
                  **({"date": document_date} if document_date else {}),
                  **({"supersedes": str(supersedes)} if supersedes is not None else {})}

        def accept(doc: dict) -> dict | None:
            return doc if isinstance(doc.get("id"), int) and isinstance(doc.get("sha256"), str) else None

        return self._answer(self._post(f"/v1/geschillen/{quote(case_id, safe='')}/stukken", content=data,
                                       params=params, headers={"Content-Type": "application/octet-stream"}),
                            accept)


@dataclass(frozen=True)
class DraftStatement:
    kind: str
    statement: bytes  # the exact bytes to sign
    case_id: str | None = None  # the case of a case write


@dataclass(frozen=True)
class SettlementDraft:
    """What a server prepared for a settlement write: the cost line it is about, the next statements to
    sign (none: done) and the entries already admitted (name -> (seq, entry hash): reversal, definitive)."""

    line_seq: int
    statements: tuple[DraftStatement, ...]
    admitted: dict[str, tuple[int, str]]


@dataclass(frozen=True)
class MonthBookingDraft:
    """What a server prepared to book a month: the month, how many placements run in it, how many of its
    lines stand already, and the statements to sign (reversals first)."""

    month: str
    placements: int
    already: int
    statements: tuple[DraftStatement, ...]
    reverses: tuple[StoredEntry | None, ...] = ()  # per statement: the stored line a reversal reverses


@dataclass(frozen=True)
class StoredEntry:
    """An entry as the ledger stores it: enough to recompute its entry hash (ledger.entries.entry_hash)."""

    seq: int
    received_at: datetime
    prev_hash: bytes
    signature: bytes
    statement: bytes


def _stored_entry(d: dict) -> StoredEntry:
    return StoredEntry(int(d["seq"]), datetime.fromisoformat(str(d["receivedAt"]).replace("Z", "+00:00")),
                       bytes.fromhex(d["prevHash"]), base64.b64decode(d["signature"], validate=True),
                       base64.b64decode(d["statement"], validate=True))


@dataclass(frozen=True)
class Draft:
    """What a server prepared for a case write: the case (None for the transitions by time, which span
    cases) and, in order, the statements to sign."""

    case_id: str | None
    statements: tuple[DraftStatement, ...]


def _item(statement: bytes, signature: bytes) -> dict[str, str]:
    return {"statement": base64.b64encode(statement).decode("ascii"),
            "signature": base64.b64encode(signature).decode("ascii")}


def _accepted(body: dict) -> Accepted | None:
    if not isinstance(body.get("seq"), int):
        return None
    return Accepted(body["seq"], str(body.get("entryHash", "")), str(body.get("receivedAt", "")),
                    bool(body.get("duplicate", False)))


def key_path(kind: str, key_id: str | None = None) -> str:
    """The endpoint of a key action: registration, rotation or revocation of `key_id`."""
    if kind == "key_registration":
        return KEYS_PATH
    return f"{KEYS_PATH}/{quote(key_id or '', safe='')}/{'vervanging' if kind == 'key_rotation' else 'intrekking'}"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
