"""The edges of recording a determination (issue 14): what `POST /v1/vastgelegde-beoordelingen` (and its answers and
re-determinations), the page's "Vastleggen als N3" and `bwledger rules record|answer|redetermine` share.
Nothing is decided here: cases/determinations.py drafts, the ledger's admission replays and judges.

A request either asks for a draft (the facts, or the answer, with `partij` and `sleutelId`: the statement
comes back to be signed on the party's own machine or in its browser) or submits the signed statement
(`verklaring`, `handtekening`: base64), which is appended like every entry (admission is the check).
"""
from __future__ import annotations

import base64
import json
from typing import Any

from cases import determinations as svc
from ledger.store import Store

from .compose import (
    RequestInvalid,
    check_party,
    decode_submission,
    institution_marks,
    iso,
    statement_author,
    submit,
)

#: the kinds each endpoint takes signed
RECORD_KINDS = ("determination",)
ANSWER_KINDS = ("acceptance", "objection")
REDETERMINE_KINDS = ("redetermination",)
_HEX = "0123456789abcdef"


def is_signed(body: Any) -> bool:
    """A body that submits a signed statement (rather than asking for a draft)."""
    return isinstance(body, dict) and ("verklaring" in body or "handtekening" in body)


def _text(body: dict, name: str, required: bool = True, limit: int = 4_000_000) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise RequestInvalid(name, "tekst verwacht" if required else f"tekst van hoogstens {limit} tekens")
    return value


def _signer(body: dict, caller, what: str) -> tuple[str, str]:
    """The party and key id a draft is for; the party must be the caller's own (resource "self")."""
    party = check_party(body.get("partij") if isinstance(body.get("partij"), str) else "")
    caller.require_party(party, what)
    key_id = body.get("sleutelId")
    if not isinstance(key_id, str) or len(key_id) != 64 or any(c not in _HEX for c in key_id):
        raise RequestInvalid("sleutelId", "de id van de ondertekensleutel: 64 hexadecimale tekens")
    return party, key_id


def _client(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise RequestInvalid("client", "het pseudoniem van de cliënt (PSN-...)")
    return value.strip()


def _intake(body: dict) -> svc.Intake:
    fmt = body.get("formaat", "toml")
    if fmt not in ("toml", "json"):
        raise RequestInvalid("formaat", "toml of json")
    institutions = body.get("instellingen")
    if institutions is not None and (not isinstance(institutions, list) or
                                     not all(isinstance(i, str) for i in institutions)):
        raise RequestInvalid("instellingen", "een lijst van BEGINDATUM=SOORT")
    return svc.read_intake(_text(body, "invoer"), fmt, _text(body, "casus", required=False),
                           _text(body, "brp", required=False),
                           institution_marks(institutions) if institutions else None)


def _only(body: dict, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RequestInvalid(unknown[0], "geen veld van dit verzoek")


def _concept(store: Store, draft, party: str, key_id: str) -> dict[str, Any]:
    authored_at = store.clock()
    raw = draft.statement(party, key_id, authored_at)
    return {"soort": draft.kind, "idempotentieSleutel": draft.idempotency_key, "ondertekendOp": iso(authored_at),
            "verklaring": base64.b64encode(raw).decode("ascii")}


def _submit_signed(store: Store, body: dict, kinds: tuple[str, ...], caller, subject: int | None = None
                   ) -> dict[str, Any]:
    _only(body, {"verklaring", "handtekening"})
    signed = decode_submission({"statement": body.get("verklaring"), "signature": body.get("handtekening")},
                               "verklaring")
    try:
        st = json.loads(signed.statement)
    except (ValueError, RecursionError):
        st = None
    kind = st.get("kind") if isinstance(st, dict) else None
    if kind not in kinds:
        raise RequestInvalid("verklaring", f"een ondertekende verklaring van de soort {' of '.join(kinds)}")
    if subject is not None:
        payload = st.get("payload") if isinstance(st.get("payload"), dict) else {}
        ref = payload.get({"handover_answer": "request", "redetermination": "previous"}.get(kind, "determination"))
        if not isinstance(ref, dict) or ref.get("seq") != subject:
            raise RequestInvalid("verklaring", f"de verklaring gaat niet over beoordeling {subject}")
    author = statement_author(signed)
    if author is not None:
        caller.require_party(author, "deze verklaring")
    r = submit(store, [signed])[0]
    return {"volgnummer": r["seq"], "entryHash": r["entry_hash"], "ontvangenOp": r["received_at"],
            "alOpgenomen": r["duplicate"]}


def record(store: Store, deposits, body: Any, caller) -> tuple[dict[str, Any], bool]:
    """POST /v1/vastgelegde-beoordelingen: a draft N3 for the facts (200), or the signed N3 admitted (201)."""
    if not isinstance(body, dict):
        raise RequestInvalid("body", "een object verwacht")
    if is_signed(body):
        return _submit_signed(store, body, RECORD_KINDS, caller), True
    _only(body, {"partij", "sleutelId", "client", "invoer", "formaat", "casus", "brp", "instellingen",
                 "rechtsgrondslag"})
    party, key_id = _signer(body, caller, "deze beoordeling")
    rec = svc.draft_record(store, deposits, _intake(body), author=party, client=_client(body.get("client")),
                           legal_basis=_text(body, "rechtsgrondslag", required=False))
    return _recording(store, rec, party, key_id), False


def record_draft(store: Store, deposits, party: str | None, body: dict) -> svc.Recording:
    """The page's "Vastleggen als N3": the facts (`invoer`, `formaat`, `casus`, `brp`, `instellingen`) of
    `client` determined, deposited and drafted for `party` (the caller's own), before any key is chosen."""
    if not party:
        raise RequestInvalid("partij", "u bent niet aangemeld voor een gemeente of regio")
    return svc.draft_record(store, deposits, _intake(body), author=check_party(party),
                            client=_client(body.get("client")))


def _recording(store: Store, rec: svc.Recording, party: str, key_id: str) -> dict[str, Any]:
    out = {"beoordeling": rec.determination.to_dict(), "digest": rec.determination.digest,
           "concept": _concept(store, rec.draft, party, key_id)}
    if rec.brp_report is not None:
        out["brpVerslag"] = list(rec.brp_report)
    return out


def _subject(value: Any) -> int:
    try:
        seq = int(value)
    except (TypeError, ValueError):
        raise RequestInvalid("volgnummer", "een volgnummer (geheel getal)") from None
    if not 0 <= seq < 2**63:
        raise RequestInvalid("volgnummer", "een volgnummer (geheel getal)")
    return seq


def answer(store: Store, seq: Any, body: Any, caller) -> tuple[dict[str, Any], bool]:
    """POST /v1/vastgelegde-beoordelingen/{volgnummer}/antwoorden: a draft N4 (accept, or object with reasons), or
    the signed N4 admitted (the ledger: by the addressee, within the objection deadline)."""
    subject = _subject(seq)
    if not isinstance(body, dict):
        raise RequestInvalid("body", "een object verwacht")
    if is_signed(body):
        return _submit_signed(store, body, ANSWER_KINDS, caller, subject), True
    _only(body, {"partij", "sleutelId", "akkoord", "redenen", "toelichting"})
    party, key_id = _signer(body, caller, "dit antwoord")
    accept = body.get("akkoord")
    if not isinstance(accept, bool):
        raise RequestInvalid("akkoord", "true (aanvaarden) of false (bezwaar)")
    draft = svc.draft_answer(store, subject, accept=accept, reasons=_text(body, "redenen", False, 4000) or "",
                             note=_text(body, "toelichting", False, 4000) or "")
    return {"volgnummer": subject, "termijn": svc.answer_deadline(store, subject).isoformat(),
            "concept": _concept(store, draft, party, key_id)}, False


def redetermine(store: Store, deposits, seq: Any, body: Any, caller) -> tuple[dict[str, Any], bool]:
    """POST /v1/vastgelegde-beoordelingen/{volgnummer}/herbeoordelingen: new facts for the client -> a draft N8 when
    the outcome changes (REDETERMINATION_UNCHANGED otherwise), or the signed N8 admitted."""
    subject = _subject(seq)
    if not isinstance(body, dict):
        raise RequestInvalid("body", "een object verwacht")
    if is_signed(body):
        return _submit_signed(store, body, REDETERMINE_KINDS, caller, subject), True
    _only(body, {"partij", "sleutelId", "invoer", "formaat", "casus", "brp", "instellingen", "aanleiding",
                 "rechtsgrondslag"})
    party, key_id = _signer(body, caller, "deze herbeoordeling")
    rec = svc.draft_redetermine(store, deposits, subject, _intake(body), trigger=_text(body, "aanleiding") or "",
                                author=party, legal_basis=_text(body, "rechtsgrondslag", required=False))
    return _recording(store, rec, party, key_id), False


def trail(store: Store, deposits, digest: str, sees_party) -> dict[str, Any]:
    """GET /v1/vastgelegde-beoordelingen/{digest}/spoor: the recorded determination's exact JSON (with its trail), for
    the parties to it and the committee; anyone else DETERMINATION_NOT_FOUND, as if there were none."""
    from cases.errors import DETERMINATION_NOT_FOUND, CaseError

    if not isinstance(digest, str) or len(digest) != 64 or any(c not in _HEX for c in digest):
        raise RequestInvalid("digest", "64 hexadecimale tekens")
    row, doc = svc.trail(store, deposits, digest)
    payload = json.loads(row.statement)["payload"]
    outcome = payload.get("outcome") or {}
    parties = {row.author, payload.get("addressee"), outcome.get("cost_bearer"), outcome.get("statutory_college"),
               *payload.get("copy_to", ())}
    if not any(sees_party(p) for p in parties if p):
        raise CaseError(DETERMINATION_NOT_FOUND, f"geen vastgelegde beoordeling {digest[:16]} die u mag inzien")
    return {"volgnummer": row.seq, "soort": row.kind, "digest": digest, "beoordeling": doc}


def _day(body: dict, name: str, required: bool = True):
    from datetime import date

    value = body.get(name)
    if value is None and not required:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else date.fromisoformat("")
    except ValueError:
        raise RequestInvalid(name, "een datum (JJJJ-MM-DD)") from None


def handover(store: Store, body: Any, caller) -> tuple[dict[str, Any], bool]:
    """POST /v1/overdrachtsverzoeken: a draft N5 {partij, sleutelId, client, aan, redenen, voorgesteldeDatum,
    voorkeurCliënt?, rechtsgrondslag?} (200), or the signed N5 (201)."""
    from cases import handovers

    if not isinstance(body, dict):
        raise RequestInvalid("body", "een object verwacht")
    if is_signed(body):
        return _submit_signed(store, body, ("handover_request",), caller), True
    _only(body, {"partij", "sleutelId", "client", "aan", "redenen", "voorgesteldeDatum", "voorkeurClient",
                 "rechtsgrondslag"})
    party, key_id = _signer(body, caller, "dit overdrachtsverzoek")
    draft = handovers.draft_request(meldgemeente=party, to_party=check_party(body.get("aan") or ""),
                                    client=_client(body.get("client")), reasons=_text(body, "redenen") or "",
                                    proposed_date=_day(body, "voorgesteldeDatum"),
                                    client_preference=_text(body, "voorkeurClient", False, 4000) or "",
                                    legal_basis=_text(body, "rechtsgrondslag", False, 64) or "pseudoniem")
    return {"concept": _concept(store, draft, party, key_id)}, False


def handover_answer(store: Store, seq: Any, body: Any, caller) -> tuple[dict[str, Any], bool]:
    """POST /v1/overdrachtsverzoeken/{volgnummer}/antwoorden: a draft answer {partij, sleutelId, akkoord,
    redenen?, overnameDatum?} -> {volgnummer, termijn, concept} (200), or the signed answer (201)."""
    from cases import handovers

    subject = _subject(seq)
    if not isinstance(body, dict):
        raise RequestInvalid("body", "een object verwacht")
    if is_signed(body):
        return _submit_signed(store, body, ("handover_answer",), caller, subject), True
    _only(body, {"partij", "sleutelId", "akkoord", "redenen", "overnameDatum"})
    party, key_id = _signer(body, caller, "dit antwoord")
    accept = body.get("akkoord")
    if not isinstance(accept, bool):
        raise RequestInvalid("akkoord", "true (overnemen) of false (afwijzen)")
    draft = handovers.draft_answer(store, subject, accepted=accept, reasons=_text(body, "redenen", False, 4000) or "",
                                   take_over_date=_day(body, "overnameDatum", required=False))
    return {"volgnummer": subject, "termijn": handovers.answer_due(store, subject).isoformat(),
            "concept": _concept(store, draft, party, key_id)}, False


__all__ = ["answer", "handover", "handover_answer", "is_signed", "record", "redetermine", "trail"]
